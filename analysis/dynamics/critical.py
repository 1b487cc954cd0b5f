"""Critical points of any problem, found numerically and certified in ball arithmetic.

Candidates come from many starts at once (a vectorised Levenberg-Marquardt iteration on grad L = 0).
Each is then certified by the Krawczyk test in arb ball arithmetic: for the box X around the float
point m, K(X) = m - Y g(m) + (I - Y H(X)) (X - m) with Y ~ H(m)^-1; K(X) inside the interior of X
proves that X holds exactly one zero of the gradient. The Hessian's enclosure over that same box
encloses H at the critical point; its eigenvalues are enclosed by congruence with the float
eigenvectors Q (Sylvester: same inertia; Ostrowski: eigenvalues scaled by [1 - d, 1 + d], d >= |Q^T Q
- I|_F), then Gershgorin discs of Q^T H Q. The kind is minimum, maximum or saddle when no enclosure
contains 0, else degenerate. A candidate that fails is kept, marked uncertified with its reason.
Rational points where the exact SymPy gradient vanishes are reported exactly (the seed's saddle).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import flint
import numpy as np
import sympy as sp
from flint import arb
from sympy.printing.pycode import MpmathPrinter

from ..errors import InputError
from ..exact import compiled, lambdify, reduces_to_zero, symbolic
from ..network import Problem
from ..proofs.intervals import arb_sigma
from ..results import Result
from ..tolerances import (
    CRIT_ARB_PREC,
    CRIT_BOX_RADII,
    CRIT_DEDUPE,
    CRIT_EIG_ZERO,
    CRIT_GTOL,
    CRIT_LM_ITER,
)

KINDS = ("minimum", "maximum", "saddle", "degenerate")


@dataclass(frozen=True)
class CriticalPoint(Result):
    """A zero of the gradient: where, its loss, its Hessian's eigenvalues, and how sure we are.

    ``certified``: a box of half-width ``radius`` (max-norm) around ``weights`` provably holds
    exactly one critical point (Krawczyk), or ``exact`` holds rationals where the SymPy gradient is
    exactly 0. ``eigenvalue_bounds`` and ``loss_bounds`` are rigorous enclosures at that point.
    ``kind`` is read from the enclosures when certified; for an uncertified point it is only the
    float eigenvalues' reading (|lambda| <= CRIT_EIG_ZERO counted as 0), and ``reason`` says why.
    """

    weights: tuple[float, ...]
    loss: float
    eigenvalues: tuple[float, ...]
    kind: str
    exact: tuple[str, ...] | None
    null_direction: tuple[float, ...] | None
    certified: bool = False
    method: str = "none"
    radius: float | None = None
    eigenvalue_bounds: tuple[tuple[float, float], ...] | None = None
    loss_bounds: tuple[float, float] | None = None
    reason: str | None = None

    def describe(self) -> str:
        w = ", ".join(f"{v:.6g}" for v in self.weights)
        if self.certified:
            how = "exact" if self.method == "exact" else f"unique in a box of radius {self.radius:.1e}"
            return f"({w}) L = {self.loss:.12g}, {self.kind} (certified: {how})"
        return f"({w}) L = {self.loss:.12g}, {self.kind}? (uncertified: {self.reason})"


# --------------------------------------------------------------------------- ball arithmetic


def _arb_ipow(b, n: int):
    """b**n for an integer n by products (arb's own power of a ball holding 0 is nan); an even
    power of |b|, so the enclosure stays >= 0."""
    if n < 0:
        return 1 / _arb_ipow(b, -n)
    base = abs(b) if n % 2 == 0 else b
    out = arb(1)
    for _ in range(n):
        out = out * base
    return out


class _ArbPrinter(MpmathPrinter):
    """Integer powers as ``ipow(base, n)``; any other power is refused (not needed by L)."""

    def _print_Pow(self, expr, rational=False):
        if not expr.exp.is_Integer:
            raise ValueError(f"ball arithmetic needs integer powers, got {expr}")
        return f"ipow({self._print(expr.base)}, {int(expr.exp)})"


@dataclass(frozen=True, eq=False)
class BallModel:
    """Loss, gradient and Hessian of a problem evaluated on arb balls (rigorous enclosures)."""

    n: int
    loss: object
    gradient: object
    hessian: object


@cache
def ball_model(problem: Problem) -> BallModel:
    """The exact SymPy expressions compiled to arb (rationals as exact balls), cached per problem."""
    m = symbolic(problem)
    if m.loss.atoms(sp.Float):
        raise ValueError("the loss holds inexact constants; ball arithmetic needs exact rationals")
    modules = [{"sigma": arb_sigma, "mpf": arb, "ipow": _arb_ipow}, "mpmath"]
    printer = _ArbPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})

    def build(exprs):
        f = lambdify(m.params, list(exprs), modules=modules, printer=printer, cse=True)
        return lambda xs: f(*xs)

    return BallModel(problem.n_params, build([m.loss]), build(m.gradient), build(list(m.hessian)))


def _balls(mid, rad=None) -> list:
    if rad is None:
        return [arb(float(v)) for v in mid]
    return [arb(float(v), float(r)) for v, r in zip(mid, rad)]


def _matrix(flat, n) -> list[list]:
    return [list(flat[i * n : (i + 1) * n]) for i in range(n)]


def _krawczyk(bm: BallModel, m: np.ndarray, Y: np.ndarray, r: np.ndarray):
    """(contained, H(X)) for the box X = m +- r: contained iff K(X) lies inside X's interior."""
    n = bm.n
    g = bm.gradient(_balls(m))
    HX = _matrix(bm.hessian(_balls(m, r)), n)
    Yb = [[arb(float(v)) for v in row] for row in Y]
    dX = [arb(0.0, float(v)) for v in r]
    for i in range(n):
        k = -sum((Yb[i][j] * g[j] for j in range(n)), arb(0))
        for j in range(n):
            c = (1 if i == j else 0) - sum((Yb[i][q] * HX[q][j] for q in range(n)), arb(0))
            k += c * dX[j]
        if not k.abs_upper() < float(r[i]):
            return False, HX
    return True, HX


def eigenvalue_enclosures(H: list[list], Hm: np.ndarray) -> tuple[tuple[float, float], ...] | None:
    """Rigorous bounds on the sorted eigenvalues of every symmetric matrix in the ball matrix ``H``.

    ``Hm`` is a float matrix near its centre. None if the float eigenvectors are too far from
    orthonormal to bound (never expected at these sizes).
    """
    n = len(H)
    _, Q = np.linalg.eigh((Hm + Hm.T) / 2)
    Qb = [[arb(float(v)) for v in row] for row in Q]
    # d >= |Q^T Q - I|_F: Ostrowski's theta_k = sigma_k(Q)^2 lies in [1 - d, 1 + d].
    d2 = arb(0)
    for i in range(n):
        for j in range(n):
            e = sum((Qb[k][i] * Qb[k][j] for k in range(n)), arb(0)) - (1 if i == j else 0)
            d2 += e * e
    d = d2.sqrt().upper()
    if not d < 0.5:
        return None
    HQ = [[sum((H[i][k] * Qb[k][j] for k in range(n)), arb(0)) for j in range(n)] for i in range(n)]
    M = [[sum((Qb[k][i] * HQ[k][j] for k in range(n)), arb(0)) for j in range(n)] for i in range(n)]
    discs = []
    for i in range(n):
        rad = sum((M[i][j].abs_upper() for j in range(n) if j != i), arb(0))
        discs.append(((M[i][i] - rad).lower(), (M[i][i] + rad).upper()))
    discs.sort(key=lambda iv: float(iv[0].mid()))
    # Gershgorin: a connected union of k discs holds exactly k eigenvalues.
    groups: list[list] = []
    for lo, hi in discs:
        if groups and not lo > groups[-1][1]:
            groups[-1][1] = groups[-1][1].max(hi)
            groups[-1][2] += 1
        else:
            groups.append([lo, hi, 1])
    theta_lo, theta_hi = 1 - d, 1 + d
    out = []
    for lo, hi, count in groups:
        # lambda(H) = lambda(M) / theta with theta in [1 - d, 1 + d] > 0.
        a = min(lo / theta_lo, lo / theta_hi, key=lambda x: float(x.lower().mid())).lower()
        b = max(hi / theta_lo, hi / theta_hi, key=lambda x: float(x.upper().mid())).upper()
        out += [(float(a.mid()), float(b.mid()))] * count
    # arb endpoints were rounded outward; widen the float conversion by one ulp each way.
    return tuple((float(np.nextafter(a, -np.inf)), float(np.nextafter(b, np.inf))) for a, b in out)


def kind_of(bounds) -> str:
    """minimum / maximum / saddle from eigenvalue enclosures; degenerate if one contains 0."""
    if any(lo <= 0 <= hi for lo, hi in bounds):
        return "degenerate"
    pos = sum(lo > 0 for lo, _ in bounds)
    if pos == len(bounds):
        return "minimum"
    return "maximum" if pos == 0 else "saddle"


def _numeric_kind(eig: np.ndarray) -> str:
    return kind_of([(e, e) if abs(e) > CRIT_EIG_ZERO else (0.0, 0.0) for e in eig])


@dataclass(frozen=True)
class Certificate(Result):
    """What the Krawczyk test proved about one point (or why it could not)."""

    certified: bool
    radius: float | None
    eigenvalue_bounds: tuple[tuple[float, float], ...] | None
    loss_bounds: tuple[float, float] | None
    reason: str | None


def certify(problem: Problem, w, radii=CRIT_BOX_RADII) -> Certificate:
    """Krawczyk test around ``w`` for each relative box radius in turn; the first success wins."""
    problem = _as_problem(problem)
    bm = ball_model(problem)
    comp = compiled(problem)
    m = np.asarray(w, dtype=float)
    Hm = comp.hessian(m)
    try:
        cond = np.linalg.cond(Hm)
        if not np.isfinite(cond) or cond > 1e12:
            raise np.linalg.LinAlgError
        Y = np.linalg.inv(Hm)
    except np.linalg.LinAlgError:
        return Certificate(False, None, None, None, "Hessian numerically singular: not an isolated zero")
    with _prec():
        for rel in radii:
            r = rel * (1.0 + np.abs(m))
            ok, HX = _krawczyk(bm, m, Y, r)
            if not ok:
                continue
            bounds = eigenvalue_enclosures(HX, Hm)
            if bounds is None:
                return Certificate(True, float(r.max()), None, None, "eigenvectors not orthonormal enough")
            (L,) = bm.loss(_balls(m, r))
            return Certificate(True, float(r.max()), bounds, _float_bounds(L), None)
    return Certificate(False, None, None, None, "Krawczyk test failed on every box tried")


@contextmanager
def _prec():
    """arb at CRIT_ARB_PREC bits, the caller's precision restored afterwards."""
    old = flint.ctx.prec
    flint.ctx.prec = CRIT_ARB_PREC
    try:
        yield
    finally:
        flint.ctx.prec = old


def _float_bounds(b: arb) -> tuple[float, float]:
    lo, hi = float(b.lower().mid()), float(b.upper().mid())
    return float(np.nextafter(lo, -np.inf)), float(np.nextafter(hi, np.inf))


def exact_point_bounds(problem: Problem, q):
    """(eigenvalue enclosures of the Hessian, loss enclosure) at an exact rational point ``q``."""
    bm = ball_model(problem)
    n = problem.n_params
    with _prec():
        xs = [arb(flint.fmpq(int(v.p), int(v.q))) for v in q]
        H = _matrix(bm.hessian(xs), n)
        Hm = np.array([[float(h.mid()) for h in row] for row in H])
        (L,) = bm.loss(xs)
        return eigenvalue_enclosures(H, Hm), _float_bounds(L)


# --------------------------------------------------------------------------- the search


def _lm_solve(comp, W: np.ndarray, iters: int = CRIT_LM_ITER) -> np.ndarray:
    """Levenberg-Marquardt on grad L = 0 from every row of ``W`` at once (finds any kind)."""
    n = W.shape[1]
    mu = np.full(len(W), 1e-3)
    g = comp.gradient(W)
    eye = np.eye(n)
    for _ in range(iters):
        gn = np.max(np.abs(g), axis=1)
        if np.all(gn < CRIT_GTOL * 1e-3):
            break
        H = comp.hessian(W)
        A = np.einsum("kji,kjl->kil", H, H) + mu[:, None, None] * eye
        b = np.einsum("kji,kj->ki", H, g)
        step = np.linalg.solve(A, b[..., None])[..., 0]
        trial = W - step
        ok = np.all(np.isfinite(trial), axis=1)
        trial[~ok] = W[~ok]
        gt = comp.gradient(trial)
        better = ok & (np.max(np.abs(gt), axis=1) < gn)
        W = np.where(better[:, None], trial, W)
        g = np.where(better[:, None], gt, g)
        mu = np.clip(np.where(better, mu / 3, mu * 4), 1e-12, 1e12)
    return W


def _exact_point(problem: Problem, w) -> tuple[sp.Rational, ...] | None:
    """Small rationals at which the SymPy gradient is exactly zero, if ``w`` rounds to such."""
    m = symbolic(problem)
    fr = [Fraction(float(v)).limit_denominator(1000) for v in w]
    if any(abs(float(f) - float(v)) > 1e-9 for f, v in zip(fr, w)):
        return None
    q = tuple(sp.Rational(f.numerator, f.denominator) for f in fr)
    sub = dict(zip(m.params, q))
    return q if all(reduces_to_zero(g.subs(sub)) for g in m.gradient) else None


def _orient(v) -> np.ndarray:
    """Unit vector with its first nonzero component positive (a canonical sign)."""
    v = np.asarray(v, dtype=float)
    v = v / np.linalg.norm(v)
    k = int(np.flatnonzero(np.abs(v) > 1e-12)[0])
    return v if v[k] > 0 else -v


def _as_problem(problem) -> Problem:
    from ..spec import as_problem

    return as_problem(problem)


def critical_points(problem, seed: int = 0, starts: int | None = None, radius: float = 3.0):
    """Critical points of L from ``starts`` points in [-radius, radius]^n (and the origin).

    Returns a tuple of :class:`CriticalPoint`, nearest the origin first. A family of critical
    points (a line along a zero-eigenvalue direction) is reported once; plateaus where the whole
    Hessian vanishes numerically are not critical points of interest and are left out.
    """
    if starts is not None and (not isinstance(starts, int) or isinstance(starts, bool) or starts < 1):
        raise InputError(f"starts: expected a positive integer, got {starts!r}")
    if not (isinstance(radius, int | float) and np.isfinite(radius) and radius > 0):
        raise InputError(f"radius: expected a positive finite number, got {radius!r}")
    return _critical_points(_as_problem(problem), seed, starts, float(radius))


@cache  # results are immutable; reports ask for them several times
def _critical_points(problem: Problem, seed: int, starts: int | None, radius: float):
    comp = compiled(problem)
    n = problem.n_params
    k = starts if starts is not None else max(48, 24 * n)
    rng = np.random.default_rng([seed, 7])
    W = np.concatenate([np.zeros((1, n)), rng.uniform(-radius, radius, (k, n))])
    W = _lm_solve(comp, W)
    g = np.max(np.abs(comp.gradient(W)), axis=1)
    keep = np.all(np.isfinite(W), axis=1) & (np.max(np.abs(W), axis=1) <= 3 * radius) & (g <= CRIT_GTOL)
    found: list[np.ndarray] = []
    for w in W[keep]:
        if np.max(np.abs(np.linalg.eigvalsh(comp.hessian(w)))) <= CRIT_EIG_ZERO:
            continue  # a plateau of L, not a critical point
        if any(np.max(np.abs(w - f)) < CRIT_DEDUPE for f in found):
            continue
        found.append(w)
    reps: list[np.ndarray] = []
    for w in sorted(found, key=lambda v: (float(np.linalg.norm(v)), tuple(v))):
        # Same family: equal loss, and critical all along the segment between the two points.
        if not any(
            abs(float(comp.loss(w) - comp.loss(r))) < CRIT_GTOL
            and all(np.max(np.abs(comp.gradient(r + t * (w - r)))) < CRIT_GTOL for t in (0.25, 0.5, 0.75))
            for r in reps
        ):
            reps.append(w)
    return tuple(_classify(problem, w) for w in reps)


def _classify(problem: Problem, w: np.ndarray) -> CriticalPoint:
    comp = compiled(problem)
    exact = _exact_point(problem, w)
    if exact is not None:
        w = np.array([float(v) for v in exact])
    eig, vec = np.linalg.eigh(comp.hessian(w))
    null = None
    if np.any(np.abs(eig) <= CRIT_EIG_ZERO):
        null = tuple(float(x) for x in _orient(vec[:, int(np.argmin(np.abs(eig)))]))
    cert = certify(problem, w)
    common = dict(
        weights=tuple(float(v) for v in w),
        loss=float(comp.loss(w)),
        eigenvalues=tuple(float(e) for e in eig),
        exact=None if exact is None else tuple(str(v) for v in exact),
        null_direction=null,
    )
    if cert.certified and cert.eigenvalue_bounds is not None:
        return CriticalPoint(
            kind=kind_of(cert.eigenvalue_bounds),
            certified=True,
            method="krawczyk",
            radius=cert.radius,
            eigenvalue_bounds=cert.eigenvalue_bounds,
            loss_bounds=cert.loss_bounds,
            **common,
        )
    if exact is not None:
        # Existence is exact; uniqueness nearby is not shown (e.g. a line of critical points).
        bounds, lb = exact_point_bounds(problem, exact)
        return CriticalPoint(
            kind=kind_of(bounds),
            certified=True,
            method="exact",
            radius=None,
            eigenvalue_bounds=bounds,
            loss_bounds=lb,
            reason=None if cert.certified else f"not shown isolated: {cert.reason}",
            **common,
        )
    return CriticalPoint(kind=_numeric_kind(eig), certified=False, reason=cert.reason, **common)
