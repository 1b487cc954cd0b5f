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

from .exact import compiled
from .network import Problem
from .tolerances import FD_ATOL, FD_MAX_ABS_WEIGHT, FD_RTOL, FD_STEP, GRAD_ATOL, GRAD_RTOL, MP_DPS, MP_MAX_DPS

_EXTREMES = np.array([0.0, 1e-300, 1.0, 50.0, 1e3, 1e10, 1e300])


def sample_points(problem: Problem, n: int, seed: int = 0) -> np.ndarray:
    """``n`` deterministic weight points: moderate, log-spread, and extreme (up to |w| = 1e300)."""
    if n < 1:
        raise ValueError("the number of points must be a positive integer")
    rng = np.random.default_rng(seed)
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
class ParamCheck:
    """Errors for one parameter: against the exact gradient, and against finite differences."""

    name: str
    max_abs_error: float
    max_rel_error: float
    worst_point: tuple[float, ...]
    analytic: float
    reference: float
    fd_max_abs_error: float
    fd_max_rel_error: float
    passed: bool

    def to_json(self) -> dict:
        return dict(self.__dict__, worst_point=list(self.worst_point))


@dataclass(frozen=True)
class GradcheckResult:
    """Outcome of :func:`gradcheck`; ``message`` names the failing parameters side by side."""

    arch: str
    points: int
    fd_points: int
    max_abs_error: float
    max_rel_error: float
    passed: bool
    per_parameter: tuple[ParamCheck, ...]
    message: str

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"GradcheckResult({self.arch!r}: {verdict} on {self.points} point{'s' * (self.points != 1)}, "
            f"max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g})"
        )

    def to_json(self) -> dict:
        return {
            "arch": self.arch,
            "points": self.points,
            "fd_points": self.fd_points,
            "max_abs_error": self.max_abs_error,
            "max_rel_error": self.max_rel_error,
            "passed": self.passed,
            "per_parameter": [c.to_json() for c in self.per_parameter],
            "message": self.message,
        }


def _evaluate(fn, pts: np.ndarray, vectorized: bool) -> np.ndarray:
    if vectorized:
        return np.asarray(fn(pts), dtype=float)
    return np.array([np.asarray(fn(p), dtype=float).reshape(-1) for p in pts])


def exact_gradient(problem: Problem, w) -> np.ndarray:
    """The exact gradient at one point, rounded to float: mpmath at doubling precision until two
    precisions agree. Weights spanning many decades cancel (1e300 * sigma(1e-300) - 1e300 / 2
    needs ~600 digits), so the first precision covers the decades the weights span."""
    comp = compiled(problem)
    mags = np.abs(np.asarray(w, dtype=float))
    decades = np.abs(np.log10(mags[mags > 0])) if np.any(mags > 0) else np.zeros(1)
    dps = MP_DPS + 2 * int(np.ceil(decades.max()))
    prev = np.array([float(g) for g in comp.gradient_mp(w, dps)])
    while dps < MP_MAX_DPS:
        dps *= 2
        cur = np.array([float(g) for g in comp.gradient_mp(w, dps)])
        if np.array_equal(cur, prev):
            return cur
        prev = cur
    raise ArithmeticError(f"exact gradient at {list(w)} did not settle by {MP_MAX_DPS} digits")


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
    ``vectorized`` is False. Points default to :func:`sample_points` (extremes included).
    """
    pts = (
        sample_points(problem, n_points, seed) if points is None else np.atleast_2d(np.asarray(points, float))
    )
    comp = compiled(problem)
    analytic = _evaluate(fn, pts, vectorized)
    if analytic.shape != pts.shape:
        hint = "" if vectorized else " per point"
        raise ValueError(
            f"gradient function returned shape {analytic.shape}, expected {pts.shape}{hint}; a function "
            "of one point of shape (n_params,) needs vectorized=False"
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
    for j, name in enumerate(problem.param_names):
        worst = int(np.argmax(np.where(np.isfinite(err[:, j]), err[:, j], np.finfo(float).max)))
        passed = bool(ok[:, j].all() and fd_ok[:, j].all())
        fd_abs = float(fd_err[:, j].max()) if len(fd_pts) else 0.0
        fd_rel = float(_rel(fd_err[:, j], fd[:, j]).max()) if len(fd_pts) else 0.0
        checks.append(
            ParamCheck(
                name=name,
                max_abs_error=_json_float(err[:, j].max()),
                max_rel_error=_json_float(_rel(err[:, j], ref[:, j]).max()),
                worst_point=tuple(float(v) for v in pts[worst]),
                analytic=_json_float(analytic[worst, j]),
                reference=float(ref[worst, j]),
                fd_max_abs_error=_json_float(fd_abs),
                fd_max_rel_error=_json_float(fd_rel),
                passed=passed,
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
        max_abs_error=max(c.max_abs_error for c in checks),
        max_rel_error=max(c.max_rel_error for c in checks),
        passed=passed,
        per_parameter=tuple(checks),
        message=message,
    )


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
