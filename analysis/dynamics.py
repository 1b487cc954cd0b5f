"""Where gradient descent goes: critical points, valleys at infinity, the seed's run, basins.

A *valley* is a coordinate direction to infinity, p -> +-oo with the other weights fixed; along
it L tends to an exact SymPy expression in the remaining weights (sigma's limits taken inner
first, cross-checked against ``sympy.limit`` on the 2-parameter seed network). Its infimum is
found numerically and, when attained, refined with ``mpmath.findroot``; when it is approached at
infinity, the limit is taken again in the diverging coordinate. Basins are mapped by running all
starts together as one array, by gradient descent at the seed's rate and by gradient flow
(``scipy.integrate.solve_ivp``), each start labelled as soon as it provably commits to a valley.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import mpmath
import numpy as np
import sympy as sp
from scipy import integrate, optimize, special

from .exact import compiled, mp_sigma, reduces_to_zero, sigma, symbolic
from .network import Problem, preset
from .numerics import sigmoid
from .seed import seed_gradient, seed_loop
from .tolerances import (
    BASIN_CONFIDENCE,
    CRIT_DEDUPE,
    CRIT_EIG_ZERO,
    CRIT_GTOL,
    MP_DPS,
    OPT_LOSS_ATOL,
    SEED_STEP_TOL,
    VALLEY_DIGITS,
    VALLEY_DIVERGE,
    VALLEY_GTOL,
)
from .training import random_init

RATE = 5.0
SEED_CHECKPOINTS = (800, 10**4, 10**5)
INIT_SCHEMES = ("uniform[0,1)", "normal(0,1)", "uniform[-3,3]")
DEFAULT_EXTENT = (-4.0, 4.0, -4.0, 4.0)
# Budget for one start: GD iterations (flow time is RATE times this), labels checked every CHECK.
MAX_ITER = 20000
CHECK = 10


def _frozen(a, dtype=float) -> np.ndarray:
    a = np.array(a, dtype=dtype)
    a.setflags(write=False)
    return a


def _short(v: float) -> str:
    return mpmath.nstr(mpmath.mpf(v), VALLEY_DIGITS)


# --------------------------------------------------------------------------- critical points


@dataclass(frozen=True)
class CriticalPoint:
    """A zero of the gradient, classified by the exact Hessian's eigenvalues there."""

    weights: tuple[float, ...]
    loss: float
    eigenvalues: tuple[float, ...]
    kind: str
    exact: tuple[str, ...] | None
    null_direction: tuple[float, ...] | None

    def to_json(self) -> dict:
        return {
            "weights": list(self.weights),
            "loss": self.loss,
            "eigenvalues": list(self.eigenvalues),
            "kind": self.kind,
            "exact": None if self.exact is None else list(self.exact),
            "null_direction": None if self.null_direction is None else list(self.null_direction),
        }


def _kind(eig: np.ndarray) -> str:
    pos, neg = int(np.sum(eig > CRIT_EIG_ZERO)), int(np.sum(eig < -CRIT_EIG_ZERO))
    zero = len(eig) - pos - neg
    base = "saddle" if pos and neg else ("minimum" if pos else ("maximum" if neg else "flat"))
    return base if zero == 0 else f"degenerate {base} ({zero} zero eigenvalue{'s' * (zero > 1)})"


def _exact_point(problem: Problem, w) -> tuple[sp.Rational, ...] | None:
    """Rational coordinates at which the SymPy gradient is exactly zero, if ``w`` rounds to such."""
    m = symbolic(problem)
    q = tuple(sp.nsimplify(float(v), rational=True, tolerance=1e-9) for v in w)
    if any(v.q > 1000 for v in q):
        return None
    sub = dict(zip(m.params, q))
    return q if all(sp.simplify(g.subs(sub)) == 0 for g in m.gradient) else None


@cache  # results are immutable; the report asks for them several times
def critical_points(arch: str, seed: int = 0, starts: int = 48, radius: float = 3.0):
    """Zeros of the gradient found from ``starts`` points in [-radius, radius]^n, deduplicated.

    A family of critical points (a line along a zero-eigenvalue direction) is reported once.
    """
    problem = preset(arch)
    comp = compiled(problem)
    rng = np.random.default_rng([seed, 7])
    x0s = np.concatenate(
        [np.zeros((1, problem.n_params)), rng.uniform(-radius, radius, (starts, problem.n_params))]
    )
    found = []
    for x0 in x0s:
        res = optimize.root(comp.gradient, x0, jac=comp.hessian, method="hybr", options={"xtol": 1e-14})
        w = res.x
        if not np.all(np.isfinite(w)) or np.max(np.abs(w)) > 3 * radius:
            continue
        if np.max(np.abs(comp.gradient(w))) > CRIT_GTOL:
            continue
        eig = np.linalg.eigvalsh(comp.hessian(w))
        if np.max(np.abs(eig)) <= CRIT_EIG_ZERO:
            continue  # a plateau of L, not a critical point
        if any(np.max(np.abs(w - f)) < CRIT_DEDUPE for f in found):
            continue
        found.append(w)
    reps = []
    for w in sorted(found, key=lambda v: float(np.linalg.norm(v))):
        # Same family: equal loss, and critical all along the segment between the two points.
        same = False
        for r in reps:
            seg = [r + t * (w - r) for t in (0.25, 0.5, 0.75)]
            if abs(float(comp.loss(w) - comp.loss(r))) < CRIT_GTOL and all(
                np.max(np.abs(comp.gradient(s))) < CRIT_GTOL for s in seg
            ):
                same = True
                break
        if not same:
            reps.append(w)
    out = []
    for w in reps:
        exact = _exact_point(problem, w)
        if exact is not None:
            w = np.array([float(v) for v in exact])
        H = comp.hessian(w)
        eig, vec = np.linalg.eigh(H)
        null = None
        if np.any(np.abs(eig) <= CRIT_EIG_ZERO):
            v = vec[:, int(np.argmin(np.abs(eig)))]
            null = tuple(float(x) for x in _orient(v))
        out.append(
            CriticalPoint(
                weights=tuple(float(v) for v in w),
                loss=float(comp.loss(w)),
                eigenvalues=tuple(float(e) for e in eig),
                kind=_kind(eig),
                exact=None if exact is None else tuple(str(v) for v in exact),
                null_direction=null,
            )
        )
    return tuple(out)


def _orient(v) -> np.ndarray:
    """Unit vector with its first nonzero component positive (a canonical sign)."""
    v = np.asarray(v, dtype=float)
    v = v / np.linalg.norm(v)
    k = int(np.flatnonzero(np.abs(v) > 1e-12)[0])
    return v if v[k] > 0 else -v


def separatrix_direction(arch: str = "none") -> tuple[tuple[float, ...], tuple[str, ...], tuple[str, ...]]:
    """Stable direction of gradient descent at the (exact, rational) saddle of a 2-parameter preset.

    Near the saddle w' = -H (w - s): the eigenvector of the exact Hessian with positive eigenvalue
    is the tangent of the stable manifold, the curve that splits the plane into basins. Returns
    (unit vector, exact saddle, exact eigenvalues).
    """
    problem = preset(arch)
    m = symbolic(problem)
    saddles = [c for c in critical_points(arch) if c.exact is not None and c.kind == "saddle"]
    if not saddles:
        raise ValueError(f"{arch}: no exact nondegenerate saddle to take a separatrix from")
    s = saddles[0]
    sub = dict(zip(m.params, (sp.Rational(v) for v in s.exact)))
    H = sp.Matrix(m.hessian.subs(sub)).applyfunc(sp.nsimplify)
    stable = [(ev, vecs) for ev, _, vecs in H.eigenvects() if ev.is_positive]
    if len(stable) != 1 or len(stable[0][1]) != 1:
        raise ValueError(f"{arch}: the saddle's stable space is not one-dimensional")
    ev, (vec,) = stable[0]
    v = np.array([float(sp.N(c, 30)) for c in vec])
    return (
        tuple(float(x) for x in _orient(v)),
        s.exact,
        tuple(str(sp.nsimplify(e)) for e in H.eigenvals()),
    )


# --------------------------------------------------------------------------- valleys


def coordinate_limit(expr: sp.Expr, symbol: sp.Symbol, sign: int) -> sp.Expr:
    """lim L as ``symbol`` -> sign * oo, other weights fixed, taking sigma's limits inner first.

    Each sigma argument must be affine in ``symbol`` with a coefficient of known sign once its
    inner sigmas are resolved (true for the chains here: x in {0, 1}, and hidden outputs > 0).
    A coefficient that is a constant of unknown sign is signed from 30 digits (if clearly nonzero).
    """

    def signed(s):
        if s.is_positive:
            return 1
        if s.is_negative:
            return -1
        if not s.free_symbols:
            v = sp.N(s, 30)
            if v.is_Number and abs(v) > sp.Float("1e-20"):
                return 1 if v > 0 else -1
        return 0

    def walk(e):
        if isinstance(e, sigma):
            arg = walk(e.args[0])
            if not arg.has(symbol):
                return sigma(arg)
            coeff = sp.diff(arg, symbol)
            if coeff.has(symbol):
                raise ValueError(f"sigma argument {arg} is not affine in {symbol}")
            k = signed(coeff * sign)
            if k > 0:
                return sp.S.One
            if k < 0:
                return sp.S.Zero
            raise ValueError(f"cannot sign the coefficient {coeff} of {symbol}")
        if not e.args:
            return e
        return e.func(*(walk(a) for a in e.args))

    out = sp.simplify(walk(expr))
    if out.has(symbol):
        raise ValueError(f"{symbol} survives the limit in {out}")
    return out


def ray_limit(expr: sp.Expr, symbols, direction, fixed=None) -> sp.Expr:
    """lim L along the ray ``symbols = t * direction``, t -> +oo (``fixed`` symbols set to values).

    ``direction`` holds exact numbers (rationals); the other weights stay fixed (symbolic unless
    given in ``fixed``). Raises ValueError where :func:`coordinate_limit` cannot take the limit.
    """
    t = sp.Symbol("t", positive=True)
    sub = {s: sp.nsimplify(d) * t for s, d in zip(symbols, direction)}
    sub.update(fixed or {})
    return coordinate_limit(expr.subs(sub), t, 1)


@dataclass(frozen=True)
class Valley:
    """lim L along one direction to infinity, and that limit's infimum over the other weights.

    ``exact``: the infimum as an exact SymPy value where one was obtained, else None.
    ``direction``: the ray along which that infimum is approached when it is not a single
    coordinate (e.g. "(W2, b2) = t*(1, -3/4), t->+inf"), else None.
    ``estimate``: True iff ``loss`` is only a numeric upper estimate of the infimum, found at finite
    weights with L still decreasing towards infinity (no exact value could be taken).
    """

    limit: str
    expression: str
    weights: tuple[tuple[str, float | str], ...]
    loss: float
    loss_digits: str
    exact: str | None
    attained: bool
    direction: str | None = None
    estimate: bool = False

    def describe(self) -> str:
        """The infimum in words: exact or numeric, where it is attained or approached."""
        w = ", ".join(f"{k}={val}" for k, val in self.weights) or "-"
        if self.estimate:
            return (
                f"inf <= {float(self.loss):.3g} (numeric upper estimate at finite weights ({w}), not "
                f"exact; L decreases further along {self.direction})"
            )
        value = f"= {self.exact} ({self.loss_digits})" if self.exact is not None else self.loss_digits
        if self.attained and not self.weights:
            return f"inf {value}: L is constant along this direction"
        if self.attained:
            how = "exact" if self.exact is not None else f"numeric, {VALLEY_DIGITS} digits"
            return f"inf {value}, attained at ({w}) ({how})"
        where = f"along {self.direction}" if self.direction else f"at ({w})"
        return f"inf {value}, approached {where}, not attained"

    def to_json(self) -> dict:
        return {
            "limit": self.limit,
            "expression": self.expression,
            "weights": dict(self.weights),
            "loss": self.loss,
            "loss_digits": self.loss_digits,
            "exact": self.exact,
            "attained": self.attained,
            "direction": self.direction,
            "estimate": self.estimate,
            "description": self.describe(),
        }


@dataclass(frozen=True)
class _Inf:
    weights: tuple
    value: object
    exact: str | None
    attained: bool
    direction: str | None = None
    estimate: bool = False


def _exact_value(expr: sp.Expr, free, point) -> str | None:
    """The exact value of ``expr`` at ``point`` if it rounds to rationals where the gradient is 0."""
    q = tuple(sp.nsimplify(float(v), rational=True, tolerance=1e-9) for v in point)
    if any(v.q > 1000 for v in q):
        return None
    sub = dict(zip(free, q))
    if not all(sp.simplify(sp.diff(expr, s).subs(sub)) == 0 for s in free):
        return None
    value = sp.nsimplify(sp.simplify(expr.subs(sub)))
    return str(value) if value.is_Rational else None


def _ray_text(names, direction) -> str:
    lhs = names[0] if len(names) == 1 else f"({', '.join(names)})"
    d = ", ".join(str(sp.nsimplify(v)) for v in direction)
    return f"{lhs} = t*({d}), t->+inf"


def _along_ray(expr, free, x, diverging, target, seed, depth):
    """The infimum approached along the ray the numeric minimiser ``x`` points to, if the limit along
    a ray with small rational slopes (the other weights free, or fixed at ``x``) gets to ``target``."""
    i = max(diverging, key=lambda k: abs(x[k]))
    ray = [free[k] for k in diverging]
    finite = [k for k in range(len(free)) if k not in diverging]
    for den in (4, 12, 100, 10**4):
        d = [Fraction(float(x[k] / abs(x[i]))).limit_denominator(den) for k in diverging]
        d = [sp.Rational(v.numerator, v.denominator) for v in d]
        fixed_sets = [{}]
        if finite:
            # Else fix the other weights near the minimiser, at the simplest rationals first.
            fixed_sets += [
                {free[k]: sp.Rational(Fraction(float(x[k])).limit_denominator(q)) for k in finite}
                for q in (1, 12, 1000)
            ]
        for fixed in fixed_sets:
            try:
                lim = ray_limit(expr, ray, d, fixed)
            except ValueError:
                continue
            rest = tuple(s for s in free if s not in ray and s not in fixed and lim.has(s))
            sub = _infimum(lim, rest, seed, depth + 1)
            if float(sub.value) > target + OPT_LOSS_ATOL:
                continue
            weights = tuple((str(free[k]), "+inf" if x[k] > 0 else "-inf") for k in diverging)
            weights += tuple((str(k), str(v)) for k, v in fixed.items()) + tuple(sub.weights)
            text = _ray_text([str(s) for s in ray], d)
            if fixed:
                text += " with " + ", ".join(f"{k} = {v}" for k, v in fixed.items())
            if sub.direction:
                text += f", then {sub.direction}"
            return _Inf(weights, sub.value, sub.exact, False, text, sub.estimate)
    return None


def _infimum(expr: sp.Expr, free: tuple[sp.Symbol, ...], seed: int, depth: int = 0) -> _Inf:
    """Infimum of ``expr`` over the symbols ``free``: where, its value, exact or not, attained or not."""
    if not free:
        value = sp.nsimplify(expr)
        return _Inf((), float(value), str(value), True)
    f = sp.lambdify(free, expr, modules=[{"sigma": sigmoid}, "numpy"])
    g = sp.lambdify(free, [sp.diff(expr, s) for s in free], modules=[{"sigma": sigmoid}, "numpy"])
    rng = np.random.default_rng([seed, depth, len(free)])
    box = 4 * VALLEY_DIVERGE
    bounds = [(-box, box)] * len(free)
    best = None
    for x0 in np.concatenate([np.zeros((1, len(free))), rng.uniform(-5, 5, (8, len(free)))]):
        res = optimize.minimize(
            lambda x: float(f(*x)),
            x0,
            jac=lambda x: np.array(g(*x), dtype=float),
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-13, "maxiter": 2000},
        )
        if best is None or res.fun < best.fun:
            best = res
    x = best.x
    diverging = [i for i, v in enumerate(x) if abs(v) > VALLEY_DIVERGE]
    h = sp.lambdify(free, sp.hessian(expr, free), modules=[{"sigma": sigmoid}, "numpy"])
    degenerate = np.min(np.linalg.eigvalsh(np.array(h(*x), dtype=float))) <= CRIT_EIG_ZERO
    if not diverging and degenerate:
        if np.max(np.abs(x)) > VALLEY_DIVERGE / 3:
            # A flat tail (sigma saturating) stopped the optimiser: the infimum lies further out.
            diverging = [int(np.argmax(np.abs(x)))]
        else:
            # A set of minimisers (zero-eigenvalue direction) at finite weights: attained there.
            with mpmath.workdps(MP_DPS):
                value = sp.lambdify(free, expr, modules=[{"sigma": mp_sigma}, "mpmath"])(
                    *[mpmath.mpf(float(v)) for v in x]
                )
            weights = tuple((str(s), _short(v)) for s, v in zip(free, x))
            return _Inf(weights, value, _exact_value(expr, free, x), True)
    if not diverging:
        grad_mp = sp.lambdify(free, [sp.diff(expr, s) for s in free], modules=[{"sigma": mp_sigma}, "mpmath"])
        f_mp = sp.lambdify(free, expr, modules=[{"sigma": mp_sigma}, "mpmath"])
        with mpmath.workdps(MP_DPS):
            x0 = [mpmath.mpf(float(v)) for v in x]
            # The residual is a difference of O(1) terms: ask for MP_DPS - 10 digits, not all of them.
            tol = mpmath.mpf(10) ** (10 - MP_DPS)
            if len(free) == 1:
                root = [mpmath.findroot(lambda v: grad_mp(v)[0], x0[0], tol=tol)]
            else:
                root = list(mpmath.findroot(lambda *v: grad_mp(*v), x0, tol=tol))
            value = f_mp(*root)
            if max(abs(v) for v in grad_mp(*root)) > VALLEY_GTOL:
                raise ArithmeticError("findroot did not converge on a valley minimiser")
            weights = tuple((str(s), _short(r)) for s, r in zip(free, root))
            return _Inf(weights, value, _exact_value(expr, free, root), True)
    # The infimum is approached at infinity: take the limit in the largest diverging coordinate.
    i = max(diverging, key=lambda k: abs(x[k]))
    sign = 1 if x[i] > 0 else -1
    sub = coordinate_limit(expr, free[i], sign)
    rest = tuple(s for s in free[:i] + free[i + 1 :] if sub.has(s))
    inner = _infimum(sub, rest, seed, depth + 1)
    if float(inner.value) <= float(best.fun) + OPT_LOSS_ATOL:
        inf_name = "+inf" if sign > 0 else "-inf"
        weights = ((str(free[i]), inf_name),) + tuple(inner.weights)
        return _Inf(weights, inner.value, inner.exact, False, inner.direction, inner.estimate)
    # The limit along a coordinate misses the numeric infimum: it is approached along a diagonal.
    # Take the limit along the ray the numeric minimiser points to.
    if len(diverging) > 1:
        along = _along_ray(expr, free, x, diverging, float(best.fun), seed, depth)
        if along is not None:
            return along
    # No exact limit found: report the numeric value at finite weights, as an upper estimate only.
    weights = tuple((str(s), float(v)) for s, v in zip(free, x))
    names = [str(free[k]) for k in diverging]
    lhs = names[0] if len(names) == 1 else f"({', '.join(names)})"
    u = x[diverging] / np.linalg.norm(x[diverging])
    direction = f"{lhs} ~ ({', '.join(f'{v:.3g}' for v in u)})"
    return _Inf(weights, mpmath.mpf(float(best.fun)), None, False, direction, True)


@cache
def valleys(arch: str, seed: int = 0) -> tuple[Valley, ...]:
    """Every coordinate direction to infinity, with the exact limit of L and its infimum there."""
    problem = preset(arch)
    m = symbolic(problem)
    out = []
    for k, p in enumerate(m.params):
        for sign in (-1, 1):
            expr = coordinate_limit(m.loss, p, sign)
            rest = m.params[:k] + m.params[k + 1 :]
            free = tuple(s for s in rest if expr.has(s))
            inf = _infimum(expr, free, seed)
            out.append(
                Valley(
                    limit=f"{p}->{'+' if sign > 0 else '-'}inf",
                    expression=str(expr),
                    weights=tuple(inf.weights),
                    loss=float(inf.value),
                    loss_digits=_short(inf.value),
                    exact=inf.exact,
                    attained=inf.attained,
                    direction=inf.direction,
                    estimate=inf.estimate,
                )
            )
    return tuple(out)


def check_limit_with_sympy(arch: str, symbol_index: int, sign: int) -> bool:
    """True iff ``coordinate_limit`` equals ``sympy.limit`` of exp-rewritten L (at 30 digits, 5 points)."""
    m = symbolic(preset(arch))
    p = m.params[symbol_index]
    mine = coordinate_limit(m.loss, p, sign)
    ref = sp.limit(m.loss.rewrite(sp.exp), p, sign * sp.oo)
    rest = [s for s in m.params if s != p]
    for t in (sp.Rational(-7, 3), sp.Rational(-1, 2), 0, sp.Rational(3, 4), 5):
        sub = {s: t + j for j, s in enumerate(rest)}
        if abs(sp.N((mine.rewrite(sp.exp) - ref).subs(sub), 30)) > 1e-25:
            return False
    return True


# --------------------------------------------------------------------------- descent engines


def _wilson(hits: int, n: int) -> tuple[float, float]:
    z = float(special.ndtri(0.5 + BASIN_CONFIDENCE / 2))  # the normal quantile
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At 0 or n hits the bound is exactly 0 or 1; the formula only reaches it up to rounding.
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Descent:
    """Where many starts went: label per start (-1 undecided), iterations (or flow time) to commit."""

    labels: np.ndarray
    steps: np.ndarray
    final: np.ndarray
    nonmonotone: int


def _descend(problem: Problem, starts: np.ndarray, classify, method: str = "gd", max_iter: int = MAX_ITER):
    """Advance all starts together; a start leaves the batch once ``classify`` commits it.

    ``gd`` is w <- w - RATE grad L (the seed's rule); ``flow`` integrates w' = -grad L with RK45
    over the same total time, RATE * CHECK per chunk. L is checked every chunk: a rise is counted.
    """
    comp = compiled(problem)
    n = problem.n_params
    w = np.array(starts, dtype=float)
    labels = np.full(len(w), -1, dtype=np.int8)
    steps = np.full(len(w), max_iter, dtype=np.int64)
    active = np.arange(len(w))
    last = comp.loss(w)
    nonmono = 0
    for it in range(CHECK, max_iter + CHECK, CHECK):
        x = w[active]
        if method == "gd":
            for _ in range(CHECK):
                x = x - RATE * comp.gradient(x)
        else:
            sol = integrate.solve_ivp(
                lambda t, y: -comp.gradient(y.reshape(-1, n)).ravel(),
                (0.0, RATE * CHECK),
                x.ravel(),
                method="RK45",
                rtol=1e-8,
                atol=1e-10,
            )
            x = sol.y[:, -1].reshape(-1, n)
        w[active] = x
        L = comp.loss(x)
        nonmono += int(np.sum(last[active] + 1e-15 < L))
        last[active] = L
        lab = classify(x, L)
        done = lab >= 0
        labels[active[done]] = lab[done]
        steps[active[done]] = it
        active = active[~done]
        if not len(active):
            break
    return Descent(labels, steps, w, nonmono)


def _seed_net_classifier(saddle_loss: float):
    """For the seed's net: once L < the saddle value, the sign of W1 can never change (L >= saddle
    value on the plane W1 = 0, proved in :func:`separating_plane`), so the valley is decided."""

    def classify(w, L):
        lab = np.where(w[:, 0] < 0, 0, 1).astype(np.int8)
        return np.where(saddle_loss > L, lab, -1).astype(np.int8)

    return classify


def separating_plane(arch: str = "none") -> tuple[str, sp.Expr]:
    """Prove min over W1 = 0 of L minus the saddle value is >= 0: returns (param, factored excess)."""
    problem = preset(arch)
    m = symbolic(problem)
    saddle = next(c for c in critical_points(arch) if c.kind == "saddle" and c.exact is not None)
    value = m.loss.subs(dict(zip(m.params, (sp.Rational(v) for v in saddle.exact))))
    on_plane = m.loss.subs(m.params[0], 0)
    atoms = sorted(on_plane.atoms(sigma), key=sp.default_sort_key)
    if len(atoms) != 1:
        raise ValueError("the plane W1 = 0 does not reduce L to one sigma")
    a = sp.Symbol("a", real=True)
    excess = sp.factor(sp.expand(on_plane.xreplace({atoms[0]: a}) - value))
    if not excess.is_nonnegative:
        raise ArithmeticError(f"L - L(saddle) on W1 = 0 is {excess}: not provably >= 0")
    if not reduces_to_zero(excess.subs(a, atoms[0]) - (on_plane - value)):
        raise ArithmeticError("factorisation does not reproduce L on the plane")
    return str(m.params[0]), excess.subs(a, atoms[0])


@dataclass(frozen=True)
class BasinMap:
    """Valley reached from each start of a grid over the (W1, W2) plane."""

    arch: str
    method: str
    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    valley_names: tuple[str, ...]
    axis_names: tuple[str, ...]
    undecided: int
    nonmonotone: int
    max_iterations: int

    def __repr__(self) -> str:
        counts = ", ".join(f"{v}: {int(np.sum(self.labels == k))}" for k, v in enumerate(self.valley_names))
        return (
            f"BasinMap({self.arch!r}, {self.method}, {len(self.xs)}x{len(self.ys)} grid; {counts}; "
            f"undecided {self.undecided})"
        )

    def fraction(self, label: int = 0) -> float:
        return float(np.mean(self.labels == label))


def basin_map(arch: str = "none", n: int = 200, extent=DEFAULT_EXTENT, method: str = "gd") -> BasinMap:
    """Label each start of an n x n grid over ``extent`` = (W1min, W1max, W2min, W2max).

    labels[i, j] is for (xs[j], ys[i]) (image convention): 0 = the lowest valley, 1 = the other,
    -1 = undecided within the iteration budget.
    """
    problem = preset(arch)
    if problem.n_params != 2:
        raise ValueError("a plane basin map needs a 2-parameter network (arch 'none')")
    if method not in ("gd", "flow"):
        raise ValueError("method must be 'gd' or 'flow'")
    xs = np.linspace(extent[0], extent[1], n)
    ys = np.linspace(extent[2], extent[3], n)
    X, Y = np.meshgrid(xs, ys)
    starts = np.stack([X.ravel(), Y.ravel()], axis=1)
    saddle = _saddle(arch)
    d = _descend(problem, starts, _seed_net_classifier(saddle.loss), method)
    names = _side_names(problem)
    return BasinMap(
        arch=arch,
        method=method,
        xs=_frozen(xs),
        ys=_frozen(ys),
        labels=_frozen(d.labels.reshape(n, n), np.int8),
        valley_names=names,
        axis_names=problem.param_names,
        undecided=int(np.sum(d.labels < 0)),
        nonmonotone=d.nonmonotone,
        max_iterations=MAX_ITER,
    )


def _saddle(arch: str) -> CriticalPoint:
    return next(c for c in critical_points(arch) if c.kind == "saddle" and c.exact is not None)


def _side_names(problem: Problem) -> tuple[str, str]:
    p = problem.param_names[0]
    return (f"{p}->-inf", f"{p}->+inf")


def _init(scheme: str, n_samples: int, n_params: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, INIT_SCHEMES.index(scheme)])
    if scheme == "uniform[0,1)":
        return rng.random((n_samples, n_params))
    if scheme == "normal(0,1)":
        return rng.normal(0.0, 1.0, (n_samples, n_params))
    return rng.uniform(-3.0, 3.0, (n_samples, n_params))


@dataclass(frozen=True)
class BasinFraction:
    """Share of sampled starts that reach the lowest valley, with a Wilson interval."""

    scheme: str
    method: str
    samples: int
    hits: int
    undecided: int
    fraction: float
    low: float
    high: float

    def to_json(self) -> dict:
        return dict(self.__dict__, confidence=BASIN_CONFIDENCE)


def basin_fractions(arch: str, n_samples: int = 2000, seed: int = 0, method: str = "gd", threshold=None):
    """Fractions per init scheme. For 'none' a start is decided by the separating plane; otherwise
    it counts as reaching the lowest valley once L < ``threshold`` (the next level above it)."""
    problem = preset(arch)
    if problem.n_params == 2:
        classify = _seed_net_classifier(_saddle(arch).loss)
    else:

        def classify(w, L):
            return np.where(threshold > L, 0, -1).astype(np.int8)

    out = []
    for scheme in INIT_SCHEMES:
        starts = _init(scheme, n_samples, problem.n_params, seed)
        max_iter = MAX_ITER if problem.n_params == 2 else MAX_ITER // 10
        d = _descend(problem, starts, classify, method, max_iter=max_iter)
        hits = int(np.sum(d.labels == 0))
        low, high = _wilson(hits, n_samples)
        out.append(
            BasinFraction(
                scheme, method, n_samples, hits, int(np.sum(d.labels < 0)), hits / n_samples, low, high
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- the seed's run


def seed_trajectory(seed: int = 0, iterations: int = 800, init=None) -> np.ndarray:
    """Weights (W1, W2) after each iteration of the seed's loop, row 0 = the start.

    Same random stream and update as :func:`analysis.seed.seed_loop` (its gradient formulas via
    ``seed_gradient``), stopping where it stops; the last row equals ``seed_loop(...).weights``.
    """
    np.random.seed(seed)
    w = np.random.rand(2)
    if init is not None:
        w = np.array(init, dtype=float)
    out = np.empty((iterations + 1, 2))
    out[0] = w
    k = 0
    for k in range(1, iterations + 1):
        step = -seed_gradient(w) * RATE
        w = w + step
        out[k] = w
        if (step[0] ** 2 + step[1] ** 2) ** 0.5 < SEED_STEP_TOL:
            break
    return out[: k + 1]


@dataclass(frozen=True)
class Checkpoint:
    """The seed's loop after ``iterations``: weights, loss, last printed error, gap to its valley."""

    iterations: int
    ran: int
    stopped: str
    weights: tuple[float, float]
    loss: float
    printed_error: float
    valley_gap: float
    distance_to_minimiser: float | None

    def to_json(self) -> dict:
        return dict(self.__dict__, weights=list(self.weights))


@dataclass(frozen=True)
class SeedRun:
    """Where the seed's training goes, and how fast W1 grows (W1 ~ a + b log t)."""

    init: tuple[float, ...]
    valley: str
    valley_loss: float
    valley_minimiser: tuple[tuple[str, str], ...]
    checkpoints: tuple[Checkpoint, ...]
    w1_log_slope: float
    w1_log_intercept: float

    def to_json(self) -> dict:
        return {
            "init": list(self.init),
            "valley": self.valley,
            "valley_loss": self.valley_loss,
            "valley_minimiser": dict(self.valley_minimiser),
            "checkpoints": [c.to_json() for c in self.checkpoints],
            "w1_growth": {"model": "W1 ~ a + b log(t)", "a": self.w1_log_intercept, "b": self.w1_log_slope},
        }


def _seed_run(seed: int, vals: tuple[Valley, ...], checkpoints=SEED_CHECKPOINTS, init=None) -> SeedRun:
    # One run of the seed's loop to the last checkpoint; its printed errors give every earlier
    # checkpoint (error k+1 is -L after k steps), and the trajectory (checked equal) the weights.
    last = seed_loop(seed, iterations=max(checkpoints), init=init)
    traj = seed_trajectory(seed, max(checkpoints), init=init)
    if tuple(traj[-1]) != last.weights:
        raise ArithmeticError("seed_trajectory no longer reproduces seed_loop")
    side = f"W1->{'+' if last.weights[0] > 0 else '-'}inf"
    v = next(v for v in vals if v.limit == side)
    minimiser = {k: val for k, val in v.weights}
    w2_star = minimiser.get("W2")
    cps = []
    for k in checkpoints:
        if k >= last.iterations:
            ran, stopped, w, loss = last.iterations, last.stopped, last.weights, last.loss
        else:
            ran, stopped, w, loss = (
                k,
                "max_iterations",
                tuple(float(x) for x in traj[k]),
                -float(last.errors[k]),
            )
        dist = None
        if isinstance(w2_star, str) and not w2_star.endswith("inf"):
            dist = abs(w[1] - float(w2_star))
        cps.append(
            Checkpoint(
                iterations=k,
                ran=ran,
                stopped=stopped,
                weights=w,
                loss=loss,
                printed_error=float(last.errors[ran - 1]),
                valley_gap=loss - v.loss,
                distance_to_minimiser=dist,
            )
        )
    t = np.arange(len(traj))
    tail = t >= len(traj) // 100  # W1 ~ log t only once the run is in the valley
    b, a = np.polyfit(np.log(t[tail]), traj[tail, 0], 1)
    return SeedRun(
        init=last.init,
        valley=side,
        valley_loss=v.loss,
        valley_minimiser=tuple((k, str(val)) for k, val in v.weights),
        checkpoints=tuple(cps),
        w1_log_slope=float(b),
        w1_log_intercept=float(a),
    )


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class DynamicsReport:
    """Critical points, valleys, the seed's run, and basins for one preset."""

    arch: str
    critical_points: tuple[CriticalPoint, ...]
    valleys: tuple[Valley, ...]
    lowest_valley: tuple[str, ...]
    seed_run: SeedRun | None
    better_run: SeedRun | None
    train_run: tuple[tuple[str, float], ...] | None
    basins: tuple[BasinFraction, ...]
    basins_flow: tuple[BasinFraction, ...]
    threshold: float
    separatrix_direction: tuple[float, ...] | None
    separatrix_check: tuple[tuple[str, float], ...] | None
    conclusions: tuple[str, ...]

    def __repr__(self) -> str:
        b = ", ".join(f"{f.scheme}: {f.fraction:.3f}" for f in self.basins)
        return f"DynamicsReport(arch={self.arch!r}, lowest valley {', '.join(self.lowest_valley)}; {b})"

    def to_json(self) -> dict:
        seed = self.seed_run.to_json() if self.seed_run is not None else None
        if seed is None and self.train_run is not None:
            seed = dict(self.train_run)
        return {
            "arch": self.arch,
            "critical_points": [c.to_json() for c in self.critical_points],
            "valleys": [v.to_json() for v in self.valleys],
            "lowest_valley": list(self.lowest_valley),
            "seed_run": seed,
            "basins": {f.scheme: f.to_json() for f in self.basins},
            "basins_flow": {f.scheme: f.to_json() for f in self.basins_flow},
            "threshold": self.threshold if math.isfinite(self.threshold) else None,
            "better_run": None if self.better_run is None else self.better_run.to_json(),
            "separatrix_direction": None
            if self.separatrix_direction is None
            else list(self.separatrix_direction),
            "separatrix_check": None if self.separatrix_check is None else dict(self.separatrix_check),
            "conclusions": list(self.conclusions),
        }

    def summary(self) -> str:
        lines = [f"dynamics {self.arch}:", "  critical points:"]
        for c in self.critical_points:
            w = ", ".join(f"{v:.6g}" for v in c.weights)
            e = ", ".join(f"{v:.6g}" for v in c.eigenvalues)
            lines.append(f"    ({w})  L = {c.loss:.12g}  eigenvalues ({e})  {c.kind}")
        lines.append("  valleys (limit of L along a direction to infinity, then its infimum):")
        for v in self.valleys:
            mark = " <- lowest" if v.limit in self.lowest_valley else ""
            lines.append(f"    {v.limit:>9}: L -> {v.expression}")
            lines.append(f"               {v.describe()}{mark}")
        if self.seed_run is not None:
            s = self.seed_run
            lines.append(f"  the seed's loop goes to the valley {s.valley} (inf {_short(s.valley_loss)}):")
            for c in s.checkpoints:
                lines.append(
                    f"    after {c.iterations:>6} iterations (ran {c.ran}, {c.stopped}): W = "
                    f"({c.weights[0]:.6f}, {c.weights[1]:.9f}), printed error {c.printed_error:.9f}, "
                    f"L - valley {c.valley_gap:.3g}"
                )
            lines.append(f"    W1 grows like {s.w1_log_intercept:.3f} + {s.w1_log_slope:.4f} log t")
        if self.better_run is not None:
            b = self.better_run
            lines.append(
                f"  the same loop from {b.init} (mirror of the seed's init) goes to {b.valley} "
                f"(inf {_short(b.valley_loss)}):"
            )
            for c in b.checkpoints:
                lines.append(
                    f"    after {c.iterations:>6} iterations: W = ({c.weights[0]:.6f}, {c.weights[1]:.6f}), "
                    f"L = {c.loss:.9f}, L - valley {c.valley_gap:.3g}"
                )
        if self.train_run is not None:
            t = ", ".join(f"{k} = {v:.9g}" for k, v in self.train_run)
            lines.append(f"  GD at rate {RATE:g} from the seed's init convention: {t}")
        lines.append(f"  basins (share reaching the lowest valley, {BASIN_CONFIDENCE:.0%} Wilson interval):")
        for g, f in zip(self.basins, self.basins_flow):
            lines.append(
                f"    {g.scheme:>14}: GD rate {RATE:g} {g.fraction:.4f} [{g.low:.4f}, {g.high:.4f}]"
                f" (undecided {g.undecided}/{g.samples});  flow {f.fraction:.4f} [{f.low:.4f}, {f.high:.4f}]"
            )
        if self.separatrix_direction is not None:
            d = ", ".join(f"{v:.9f}" for v in self.separatrix_direction)
            lines.append(f"  separatrix tangent at the saddle: ({d})")
        lines += [f"  * {c}" for c in self.conclusions]
        return "\n".join(lines)


def _map_angle(bm: BasinMap, saddle, direction, radius: float = 0.6) -> float:
    """Angle (degrees) between the basin boundary near the saddle (principal axis of the boundary
    cells within ``radius``) and ``direction``."""
    lab = bm.labels
    edge = np.zeros(lab.shape, dtype=bool)
    edge[:, :-1] |= lab[:, :-1] != lab[:, 1:]
    edge[:-1, :] |= lab[:-1, :] != lab[1:, :]
    X, Y = np.meshgrid(bm.xs, bm.ys)
    pts = np.stack([X[edge], Y[edge]], axis=1) - np.asarray(saddle, dtype=float)
    pts = pts[np.linalg.norm(pts, axis=1) < radius]
    if len(pts) < 3:
        return 90.0
    _, _, vt = np.linalg.svd(pts - pts.mean(axis=0))
    c = abs(float(np.dot(vt[0], direction)))
    return math.degrees(math.acos(min(1.0, c)))


def dynamics(
    arch: str, seed: int = 0, n_samples: int = 2000, map_n: int = 100, checkpoints=SEED_CHECKPOINTS
) -> DynamicsReport:
    """Critical points, valleys, where the seed's (or the toolkit's) training goes, and basins.

    Flow fractions use the first quarter of the GD samples (same starts; the ODE costs more).
    """
    problem = preset(arch)
    crits = critical_points(arch, seed)
    vals = valleys(arch, seed)
    lowest = min(v.loss for v in vals)
    lowest_names = tuple(v.limit for v in vals if v.loss - lowest <= OPT_LOSS_ATOL)
    # The next level above the lowest valley: no trajectory ending elsewhere gets below it.
    levels = [v.loss for v in vals] + [c.loss for c in crits]
    threshold = min((x for x in levels if x > lowest + OPT_LOSS_ATOL), default=math.inf)
    conclusions = []
    seed_run = better_run = train_run = direction = check = None
    if problem.n_params == 2:
        seed_run = _seed_run(seed, vals, checkpoints)
        # The mirror image of the seed's init lies across the separatrix: the same loop from there.
        better_run = _seed_run(seed, vals, checkpoints, init=tuple(-v for v in seed_run.init))
        direction, saddle_exact, eig_exact = separatrix_direction(arch)
        plane, excess = separating_plane(arch)
        bm = basin_map(arch, n=map_n, method="gd")
        saddle = tuple(float(sp.Rational(v)) for v in saddle_exact)
        angle = _map_angle(bm, saddle, direction)
        check = (
            ("map_boundary_angle_deg", angle),
            ("map_n", float(map_n)),
            ("map_undecided", float(bm.undecided)),
        )
        conclusions += [
            f"the saddle ({', '.join(saddle_exact)}) has exact Hessian eigenvalues {', '.join(eig_exact)}; "
            f"its stable direction ({direction[0]:.9f}, {direction[1]:.9f}) is the basin boundary's tangent "
            f"(the {map_n}x{map_n} map's boundary near the saddle is {angle:.2f} degrees from it)",
            f"on the plane {plane} = 0, L - L(saddle) = {excess} >= 0, so once L < L(saddle) the sign of "
            f"{plane} is fixed: starts are labelled by it",
        ]
        s = seed_run
        conclusions.append(
            f"the seed's loop does not stall at a local maximum: it slides down the valley {s.valley}, "
            f"whose infimum {_short(s.valley_loss)} is above the lowest {_short(lowest)}; W1 grows like "
            f"{s.w1_log_slope:.3f} log t"
        )
    else:
        r800 = _train_checkpoint(problem, seed, 800)
        r1e4 = _train_checkpoint(problem, seed, 10**4)
        train_run = (("loss_800", r800), ("loss_10000", r1e4))
    gd = basin_fractions(arch, n_samples, seed, "gd", threshold)
    flow = basin_fractions(arch, max(1, n_samples // 4), seed, "flow", threshold)
    for f in gd:
        conclusions.append(
            f"{f.scheme}: {f.fraction:.4f} of starts reach the lowest valley by GD at rate {RATE:g} "
            f"({BASIN_CONFIDENCE:.0%} interval [{f.low:.4f}, {f.high:.4f}], n = {f.samples})"
        )
    return DynamicsReport(
        arch=arch,
        critical_points=crits,
        valleys=vals,
        lowest_valley=lowest_names,
        seed_run=seed_run,
        better_run=better_run,
        train_run=train_run,
        basins=gd,
        basins_flow=flow,
        threshold=float(threshold),
        separatrix_direction=direction,
        separatrix_check=check,
        conclusions=tuple(conclusions),
    )


def _train_checkpoint(problem: Problem, seed: int, iterations: int) -> float:
    """Loss after ``iterations`` of GD at the seed's rate from the seed's init convention."""
    w = random_init(problem, seed)[None, :]
    d = _descend(problem, w, lambda x, L: np.full(len(x), -1, dtype=np.int8), "gd", max_iter=iterations)
    return float(compiled(problem).loss(d.final[0]))
