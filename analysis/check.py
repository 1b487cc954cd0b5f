"""Check a hand-coded gradient three ways: exact symbolic, high-precision mpmath, finite differences.

``gradcheck(fn, problem)`` is what a user runs on their own gradient function. The reference
is the compiled SymPy gradient; wherever ``fn`` disagrees with it beyond tolerance, mpmath
evaluates the exact gradient at high precision (raised until the value settles) and decides,
so a float rounding in the reference cannot fail a correct function. Central finite
differences of the loss are the third, independent witness, used at moderate weights. Points where
float cancellation in a pre-activation makes every float gradient wrong (:func:`ill_conditioned`)
are counted and left out: a float ``fn`` cannot be judged there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from . import validate
from .errors import InputError, InputTypeError
from .exact import compiled, mp_sigma
from .network import Problem
from .numerics import as_points
from .results import Result
from .tolerances import (
    FD_ATOL,
    FD_MAX_ABS_WEIGHT,
    FD_RTOL,
    FD_STEP,
    GRAD_ATOL,
    GRAD_RTOL,
    MP_DPS,
    PREACT_ATOL,
    PREACT_RTOL,
    PREACT_SATURATION,
)

_EXTREMES = np.array([0.0, 1e-300, 1.0, 50.0, 1e3, 1e10, 1e300])


def sample_points(problem: Problem, n: int, seed: int = 0) -> np.ndarray:
    """``n`` deterministic weight points: moderate, log-spread, and extreme (up to |w| = 1e300)."""
    problem = validate.problem(problem)
    n = validate.integer("n_points", n, 1, validate.MAX_GRADCHECK_POINTS)
    rng = np.random.default_rng(validate.seed(seed))
    p = problem.n_params
    n_normal = max(1, (2 * n) // 5)
    n_log = (3 * n) // 10
    n_ext = n - n_normal - n_log
    normal = rng.normal(0.0, 3.0, (n_normal, p))
    log = rng.choice([-1.0, 1.0], (n_log, p)) * 10.0 ** rng.uniform(-3, 3, (n_log, p))
    ext = rng.choice([-1.0, 1.0], (n_ext, p)) * rng.choice(_EXTREMES, (n_ext, p))
    return np.concatenate([normal, log, ext])[:n]


def ill_conditioned(problem: Problem, pts) -> np.ndarray:
    """Per point: does float cancellation in some pre-activation make any float gradient wrong?

    A pre-activation a = sum_i W_i h_i + b is taken along the exact forward pass (mpmath, h exact):
    the point is ill-conditioned when the float sum of the float terms fl(W_i fl(h_i)), b, added in
    the written order, reversed, or by rising or falling magnitude, misses the exact a by more than
    PREACT_ATOL + PREACT_RTOL |a|, unless both lie beyond +-PREACT_SATURATION with one sign (sigma'
    is 0 in floats either way). At (-1e300, -1e10, 1e300) on a 2-1 AND neuron, input (1, 1) sums
    to 0 in floats but is -1e10: backprop and the compiled SymPy pass see sigma = 1/2, not 0.
    Other orders of summation are not tried; a float code that adds in one of them can still lose
    digits at a point not flagged (it then fails the check, it is not excused).
    """
    problem = validate.problem(problem)
    pts = np.atleast_2d(as_points(pts, problem.n_params))
    out = np.zeros(len(pts), dtype=bool)
    for i in np.flatnonzero(_may_cancel(problem, pts)):
        out[i] = _cancels(problem, pts[i])
    return out


def _may_cancel(problem: Problem, pts: np.ndarray) -> np.ndarray:
    """A cheap, conservative filter: a float sum of n terms misses the exact one by at most about
    n eps sum |t_i|; where that (doubled, h rounding included) is within PREACT_ATOL, no order loses."""
    bound = np.abs(problem.data.X).max(axis=0)  # |h_i| per input; sigmoid outputs are <= 1
    may = np.zeros(len(pts), dtype=bool)
    with np.errstate(over="ignore"):
        for W, b in problem.network.unpack(pts):
            size = np.abs(W) @ bound + (0.0 if b is None else np.abs(b))
            n_terms = W.shape[-1] + (b is not None)
            may |= np.any(2 * (n_terms + 2) * np.finfo(float).eps * size > PREACT_ATOL, axis=-1)
            bound = np.ones(W.shape[-2])
    return may


def _cancels(problem: Problem, w: np.ndarray) -> bool:
    """The exact test of :func:`ill_conditioned` at one point."""
    # Enough digits that the exact sum of terms up to max|w| max|x| is known far below PREACT_ATOL.
    decades = sum(math.log10(max(1.0, float(np.abs(v).max()))) for v in (w, problem.data.X))
    dps = MP_DPS + int(math.ceil(decades))
    layers = problem.network.unpack(w)
    with mpmath.workdps(dps):
        for x in problem.data.inputs:
            h = [mpmath.mpf(float(v)) for v in x]
            for W, b in layers:
                hf = [float(v) for v in h]
                nxt = []
                for o in range(W.shape[0]):
                    terms = [float(W[o, k]) * hf[k] for k in range(len(hf))]
                    exact = mpmath.fsum(mpmath.mpf(float(W[o, k])) * h[k] for k in range(len(h)))
                    if b is not None:
                        terms.append(float(b[o]))
                        exact += mpmath.mpf(float(b[o]))
                    if any(_loses(exact, a) for a in _float_sums(terms)):
                        return True
                    nxt.append(_sigma_at(exact, dps))
                h = nxt
    return False


def _sigma_at(t, dps: int):
    """sigma at the working precision; beyond |t| ~ dps ln 10 it is 0 or 1 to that precision, and
    mpmath's exp of a huge argument (|t| up to 1e300) costs milliseconds."""
    if abs(t) > (dps + 10) * math.log(10):
        return mpmath.mpf(int(t > 0))
    return mp_sigma(t)


def _float_sums(terms: list[float]):
    """The float sum of ``terms`` added left to right in four orders (nan, from inf - inf, skipped:
    float code that meets it rescales, as backprop does)."""
    by_size = sorted(terms, key=abs)
    for order in (terms, terms[::-1], by_size, by_size[::-1]):
        s = 0.0
        for t in order:
            s += t
        if not math.isnan(s):
            yield s


def _loses(exact, a: float) -> bool:
    if min(abs(exact), abs(a)) >= PREACT_SATURATION and (exact > 0) == (a > 0):
        return False
    return bool(abs(mpmath.mpf(a) - exact) > PREACT_ATOL + PREACT_RTOL * abs(exact))


def _rel(err, ref):
    with np.errstate(over="ignore"):  # a huge error is reported as the largest float anyway
        return err / np.maximum(np.abs(ref), GRAD_ATOL)


@dataclass(frozen=True)
class ParamCheck(Result):
    """Errors for one parameter: against the exact gradient, and against finite differences."""

    name: str
    max_abs_error: float | None
    max_rel_error: float | None
    worst_point: tuple[float, ...]
    analytic: float
    reference: float
    fd_max_abs_error: float
    fd_max_rel_error: float
    passed: bool
    nonfinite_points: int = 0


@dataclass(frozen=True)
class GradcheckResult(Result):
    """Outcome of :func:`gradcheck`; ``message`` names the failing parameters side by side.

    The error maxima are over the compared points where ``fn`` returned finite numbers;
    ``nonfinite_points`` counts the others (any of them fails the check). ``ill_conditioned_points``
    counts the points left out of the comparison (see :func:`ill_conditioned`); if every point is
    one of them, nothing was checked and ``passed`` is False."""

    arch: str
    points: int
    fd_points: int
    max_abs_error: float | None
    max_rel_error: float | None
    passed: bool
    per_parameter: tuple[ParamCheck, ...]
    message: str
    nonfinite_points: int = 0
    ill_conditioned_points: int = 0

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        n = self.points - self.ill_conditioned_points
        head = f"GradcheckResult({self.arch!r}: {verdict} on {n} point{'s' * (n != 1)}"
        ill = self.ill_conditioned_points
        tail = (
            f"; {ill} ill-conditioned point{'s' * (ill != 1)} (float cancellation in a pre-activation)"
            " not compared)"
            if ill
            else ")"
        )
        bad = self.nonfinite_points
        if self.max_abs_error is None:
            what = "gradient not finite at any point" if bad else "no point compared"
            return f"{head}, {what}{tail}"
        where = f", gradient not finite at {bad} of them; at the others" if bad else ","
        return (
            f"{head}{where} max abs error {self.max_abs_error:.3g}, "
            f"max rel error {self.max_rel_error:.3g}{tail}"
        )


_PER_POINT_HINT = "if fn takes one point of shape (n_params,), pass vectorized=False"


def _call_fn(fn, arg, what: str, hint: str):
    try:
        out = fn(arg)
    except Exception as e:  # the user's function: say so, keep the cause chained
        raise InputError(f"fn raised {type(e).__name__} ({e}) on {what}{hint}") from e
    if out is None:
        raise InputTypeError(f"fn returned None on {what}; it must return dL/dw")
    try:
        return np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        raise InputTypeError(
            f"fn returned {type(out).__name__}, not an array of numbers, on {what}"
        ) from None


def _evaluate(fn, pts: np.ndarray, vectorized: bool) -> np.ndarray:
    if vectorized:
        return _call_fn(fn, pts, f"points of shape {pts.shape}", f"; {_PER_POINT_HINT}")
    return np.array([_call_fn(fn, p, f"the point {list(p)}", "").reshape(-1) for p in pts])


def _check_fn(fn, problem) -> None:
    if callable(fn):
        return
    if callable(problem) and not isinstance(problem, Problem):
        raise InputTypeError("fn, problem: arguments swapped; call gradcheck(fn, problem)")
    what = "a Problem" if isinstance(fn, Problem) else f"a {type(fn).__name__}"
    raise InputTypeError(f"fn: expected a function w -> dL/dw, got {what}")


def _points(points, n_params: int) -> np.ndarray:
    if np.size(points) == 0:
        raise InputError("points: empty; give at least one point of shape (n_params,)")
    pts = np.atleast_2d(as_points(points, n_params, name="points"))
    if pts.ndim != 2:
        raise InputError(f"points: expected shape (N, {n_params}), got {pts.shape}")
    if len(pts) > validate.MAX_GRADCHECK_POINTS:
        raise InputError(f"points: at most {validate.MAX_GRADCHECK_POINTS}, got {len(pts)}")
    return pts


def exact_gradient(problem: Problem, w) -> np.ndarray:
    """The exact gradient at one point, rounded to float (see :meth:`Compiled.exact`)."""
    return compiled(problem).exact("gradient", w)


def finite_differences(problem: Problem, pts: np.ndarray, step: float = FD_STEP) -> np.ndarray:
    """Central differences of the compiled loss, step scaled by (1 + |w|)."""
    loss = compiled(problem).loss
    out = np.empty_like(pts)
    for j in range(pts.shape[-1]):
        h = step * (1.0 + np.abs(pts[..., j]))
        e = np.zeros(pts.shape[-1])
        e[j] = 1.0
        plus = pts + h[..., None] * e
        minus = pts - h[..., None] * e
        out[..., j] = (loss(plus) - loss(minus)) / (plus[..., j] - minus[..., j])
    return out


def gradcheck(
    fn,
    problem: Problem,
    points=None,
    *,
    n_points: int = 200,
    seed: int = 0,
    vectorized: bool = True,
    atol: float = GRAD_ATOL,
    rtol: float = GRAD_RTOL,
) -> GradcheckResult:
    """Check ``fn(w) -> dL/dw`` against the exact gradient and finite differences.

    ``fn`` takes points of shape (N, n_params), or one point of shape (n_params,) when
    ``vectorized`` is False. ``problem`` is a Problem or a preset name. Points default to
    :func:`sample_points` (extremes included); at most 10^6 points. Bad arguments, and a ``fn``
    that raises or returns the wrong shape, give an InputError (a ValueError) naming the argument.

    Points where float cancellation in a pre-activation makes every float gradient wrong
    (:func:`ill_conditioned`) are not compared, only counted: there a correct float ``fn`` and a
    wrong one cannot be told apart, so a bug that shows only at such points is not caught. ``fn``
    must still return finite numbers there. Everywhere else (extreme weights included) ``fn`` is
    compared with the exact gradient, and at moderate weights with finite differences.
    """
    _check_fn(fn, problem)
    problem = validate.problem(problem)
    validate.flag("vectorized", vectorized)
    atol = validate.real("atol", atol, lo=0.0)
    rtol = validate.real("rtol", rtol, lo=0.0)
    pts = sample_points(problem, n_points, seed) if points is None else _points(points, problem.n_params)
    comp = compiled(problem)
    analytic = _evaluate(fn, pts, vectorized)
    if analytic.shape != pts.shape:
        per = "" if vectorized else " (stacked over points)"
        raise InputError(
            f"fn returned shape {analytic.shape}{per}, expected {pts.shape}"
            + (f"; {_PER_POINT_HINT}" if vectorized else "")
        )
    finite = np.isfinite(analytic)
    ref = comp.gradient(pts)
    bad = ~finite | (np.abs(analytic - ref) > atol + rtol * np.abs(ref))
    # Float cancellation in a pre-activation: no float gradient (the reference's neither) is judged there.
    ill = ill_conditioned(problem, pts)
    for i in np.flatnonzero(bad.any(axis=1) & ~ill):
        # Tie-breaker: the exact gradient at high precision replaces the float reference.
        ref[i] = exact_gradient(problem, pts[i])
    err = np.where(finite, np.abs(analytic - ref), np.inf)
    ok = (err <= atol + rtol * np.abs(ref)) | (ill[:, None] & finite)
    compared = finite & ~ill[:, None]

    moderate = np.all(np.abs(pts) <= FD_MAX_ABS_WEIGHT, axis=1) & ~ill
    fd_pts = pts[moderate]
    fd = finite_differences(problem, fd_pts)
    fd_err = np.where(finite[moderate], np.abs(analytic[moderate] - fd), np.inf)
    fd_ok = fd_err <= FD_ATOL + FD_RTOL * np.abs(fd)

    checks, lines = [], []
    fd_finite = finite[moderate]
    for j, name in enumerate(problem.param_names):
        fin = compared[:, j]
        # The worst point: the largest error where fn is finite, else the first non-finite one.
        worst = int(np.argmax(np.where(fin, err[:, j], -1.0))) if fin.any() else 0
        passed = bool(ok[:, j].all() and fd_ok[:, j].all())
        checks.append(
            ParamCheck(
                name=name,
                max_abs_error=_finite_max(err[:, j], fin),
                max_rel_error=_finite_max(_rel(err[:, j], ref[:, j]), fin),
                worst_point=tuple(float(v) for v in pts[worst]),
                analytic=_json_float(analytic[worst, j]),
                reference=float(ref[worst, j]),
                fd_max_abs_error=_finite_max(fd_err[:, j], fd_finite[:, j], empty=0.0),
                fd_max_rel_error=_finite_max(_rel(fd_err[:, j], fd[:, j]), fd_finite[:, j], empty=0.0),
                passed=passed,
                nonfinite_points=int(np.sum(~finite[:, j])),
            )
        )
        if not passed:
            lines.append(
                _failure_line(name, j, pts, analytic, ref, ok, fd_pts, analytic[moderate], fd, fd_ok)
            )
    n_ill = int(ill.sum())
    passed = all(c.passed for c in checks) and n_ill < len(pts)
    if n_ill == len(pts):
        message = (
            f"no point compared: all {n_ill} are ill-conditioned (float cancellation in a pre-activation)"
        )
    else:
        message = "all parameters agree" if passed else "; ".join(lines)
    return GradcheckResult(
        arch=problem.name,
        points=len(pts),
        fd_points=len(fd_pts),
        max_abs_error=_max_or_none(c.max_abs_error for c in checks),
        max_rel_error=_max_or_none(c.max_rel_error for c in checks),
        passed=passed,
        per_parameter=tuple(checks),
        message=message,
        nonfinite_points=int(np.sum(~finite.all(axis=1))),
        ill_conditioned_points=n_ill,
    )


def _finite_max(e: np.ndarray, where: np.ndarray, empty=None) -> float | None:
    """Largest error over the points where fn's gradient is finite; ``empty`` if there are none."""
    return _json_float(e[where].max()) if where.any() else empty


def _max_or_none(values) -> float | None:
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _json_float(v) -> float:
    """JSON has no infinity: a non-finite error is reported as the largest float."""
    v = float(v)
    return v if np.isfinite(v) else float(np.finfo(float).max)


def _failure_line(name, j, pts, analytic, ref, ok, fd_pts, fd_analytic, fd, fd_ok) -> str:
    if not ok[:, j].all():
        i = int(np.flatnonzero(~ok[:, j])[0])
        point, a, r, what = pts[i], analytic[i, j], ref[i, j], "exact"
    else:
        i = int(np.flatnonzero(~fd_ok[:, j])[0])
        point, a, r, what = fd_pts[i], fd_analytic[i, j], fd[i, j], "finite-difference"
    at = ", ".join(f"{v:.6g}" for v in point)
    return f"dL/d{name} wrong at ({at}): analytic {a:.12g} vs {what} {r:.12g}"
