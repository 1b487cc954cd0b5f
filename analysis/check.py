"""Check a hand-coded gradient three ways: exact symbolic, high-precision mpmath, finite differences.

``gradcheck(fn, problem)`` is what a user runs on their own gradient function. The reference
is the compiled SymPy gradient; wherever ``fn`` disagrees with it beyond tolerance, mpmath
evaluates the exact gradient at high precision (raised until the value settles) and decides,
so a float rounding in the reference cannot fail a correct function. Central finite
differences of the loss are the third, independent witness, used at moderate weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import validate
from .errors import InputError, InputTypeError
from .exact import compiled
from .network import Problem
from .numerics import as_points
from .results import Result
from .tolerances import FD_ATOL, FD_MAX_ABS_WEIGHT, FD_RTOL, FD_STEP, GRAD_ATOL, GRAD_RTOL

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

    The error maxima are over the points where ``fn`` returned finite numbers; ``nonfinite_points``
    counts the others (any of them fails the check)."""

    arch: str
    points: int
    fd_points: int
    max_abs_error: float | None
    max_rel_error: float | None
    passed: bool
    per_parameter: tuple[ParamCheck, ...]
    message: str
    nonfinite_points: int = 0

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        head = f"GradcheckResult({self.arch!r}: {verdict} on {self.points} point{'s' * (self.points != 1)}"
        bad = self.nonfinite_points
        if self.max_abs_error is None:
            return f"{head}, gradient not finite at any point)"
        where = f", gradient not finite at {bad} of them; at the others" if bad else ","
        return (
            f"{head}{where} max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g})"
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
    for i in np.flatnonzero(bad.any(axis=1)):
        # Tie-breaker: the exact gradient at high precision replaces the float reference.
        ref[i] = exact_gradient(problem, pts[i])
    err = np.where(finite, np.abs(analytic - ref), np.inf)
    ok = err <= atol + rtol * np.abs(ref)

    moderate = np.all(np.abs(pts) <= FD_MAX_ABS_WEIGHT, axis=1)
    fd_pts = pts[moderate]
    fd = finite_differences(problem, fd_pts)
    fd_err = np.where(finite[moderate], np.abs(analytic[moderate] - fd), np.inf)
    fd_ok = fd_err <= FD_ATOL + FD_RTOL * np.abs(fd)

    checks, lines = [], []
    fd_finite = finite[moderate]
    for j, name in enumerate(problem.param_names):
        fin = finite[:, j]
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
                nonfinite_points=int(np.sum(~fin)),
            )
        )
        if not passed:
            lines.append(
                _failure_line(name, j, pts, analytic, ref, ok, fd_pts, analytic[moderate], fd, fd_ok)
            )
    passed = all(c.passed for c in checks)
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
