"""Valleys: the exact limit of L along each coordinate direction to infinity, and its infimum.

A *valley* is a coordinate direction to infinity, p -> +-oo with the other weights fixed; along
it L tends to an exact SymPy expression in the remaining weights (sigma's limits taken inner
first, cross-checked against ``sympy.limit`` on the 2-parameter seed network). Its infimum is
found numerically and, when attained, refined with ``mpmath.findroot``; when it is approached at
infinity, the limit is taken again in the diverging coordinate (or along the ray the numeric
minimiser points to).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import mpmath
import numpy as np
import sympy as sp
from scipy import optimize

from ..exact import lambdify, mp_sigma, sigma, symbolic
from ..network import Problem
from ..numerics import sigmoid
from ..results import Result, mapping
from ..tolerances import (
    CRIT_EIG_ZERO,
    MP_DPS,
    OPT_LOSS_ATOL,
    VALLEY_DIGITS,
    VALLEY_DIVERGE,
    VALLEY_GTOL,
)
from .critical import _as_problem


def short(v) -> str:
    """A value to VALLEY_DIGITS significant digits."""
    return mpmath.nstr(mpmath.mpf(v), VALLEY_DIGITS)


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
class Valley(Result):
    """lim L along one coordinate direction to infinity, and that limit's infimum over the rest.

    ``param`` and ``sign`` name the direction (``param`` -> sign * oo); ``limit`` is its label,
    e.g. "W1->+inf", for display only (read ``param`` and ``sign``, never parse it).
    ``exact``: the infimum as an exact SymPy value where one was obtained, else None.
    ``direction``: the ray along which that infimum is approached when it is not a single
    coordinate (e.g. "(W2, b2) = t*(1, -3/4), t->+inf"), else None.
    ``estimate``: True iff ``loss`` is only a numeric upper estimate of the infimum, found at finite
    weights with L still decreasing towards infinity (no exact value could be taken).
    """

    limit: str
    expression: str
    weights: tuple[tuple[str, float | str], ...] = mapping()
    loss: float = 0.0
    loss_digits: str = ""
    exact: str | None = None
    attained: bool = False
    direction: str | None = None
    estimate: bool = False
    param: str = ""
    sign: int = 0

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

    def _json_extra(self) -> dict:
        return {"description": self.describe()}


def limit_label(param: str, sign: int) -> str:
    """The display label of a coordinate direction to infinity, e.g. "W1->+inf"."""
    return f"{param}->{'+' if sign > 0 else '-'}inf"


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
    # No nsimplify here: it would round e.g. 1/8 + sigma(-20)/2 to 1/8 and call that exact.
    value = sp.simplify(expr.subs(sub))
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
        value = sp.simplify(expr)  # exact closed form; nsimplify could round it to a wrong rational
        return _Inf((), float(value), str(value), True)
    f = lambdify(free, expr, modules=[{"sigma": sigmoid}, "numpy"])
    g = lambdify(free, [sp.diff(expr, s) for s in free], modules=[{"sigma": sigmoid}, "numpy"])
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
    h = lambdify(free, sp.hessian(expr, free), modules=[{"sigma": sigmoid}, "numpy"])
    degenerate = np.min(np.linalg.eigvalsh(np.array(h(*x), dtype=float))) <= CRIT_EIG_ZERO
    if not diverging and degenerate:
        if np.max(np.abs(x)) > VALLEY_DIVERGE / 3:
            # A flat tail (sigma saturating) stopped the optimiser: the infimum lies further out.
            diverging = [int(np.argmax(np.abs(x)))]
        else:
            # A set of minimisers (zero-eigenvalue direction) at finite weights: attained there.
            with mpmath.workdps(MP_DPS):
                value = lambdify(free, expr, modules=[{"sigma": mp_sigma}, "mpmath"])(
                    *[mpmath.mpf(float(v)) for v in x]
                )
            weights = tuple((str(s), short(v)) for s, v in zip(free, x))
            return _Inf(weights, value, _exact_value(expr, free, x), True)
    if not diverging:
        grad_mp = lambdify(free, [sp.diff(expr, s) for s in free], modules=[{"sigma": mp_sigma}, "mpmath"])
        f_mp = lambdify(free, expr, modules=[{"sigma": mp_sigma}, "mpmath"])
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
            weights = tuple((str(s), short(r)) for s, r in zip(free, root))
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


def valleys(problem, seed: int = 0) -> tuple[Valley, ...]:
    """Every coordinate direction to infinity, with the exact limit of L and its infimum there."""
    return _valleys(_as_problem(problem), seed)


@cache
def _valleys(problem: Problem, seed: int) -> tuple[Valley, ...]:
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
                    limit=limit_label(str(p), sign),
                    expression=str(expr),
                    weights=tuple(inf.weights),
                    loss=float(inf.value),
                    loss_digits=short(inf.value),
                    exact=inf.exact,
                    attained=inf.attained,
                    direction=inf.direction,
                    estimate=inf.estimate,
                    param=str(p),
                    sign=sign,
                )
            )
    return tuple(out)


def check_limit_with_sympy(problem, symbol_index: int, sign: int) -> bool:
    """True iff ``coordinate_limit`` equals ``sympy.limit`` of exp-rewritten L (at 30 digits, 5 points)."""
    m = symbolic(_as_problem(problem))
    p = m.params[symbol_index]
    mine = coordinate_limit(m.loss, p, sign)
    ref = sp.limit(m.loss.rewrite(sp.exp), p, sign * sp.oo)
    rest = [s for s in m.params if s != p]
    for t in (sp.Rational(-7, 3), sp.Rational(-1, 2), 0, sp.Rational(3, 4), 5):
        sub = {s: t + j for j, s in enumerate(rest)}
        if abs(sp.N((mine.rewrite(sp.exp) - ref).subs(sub), 30)) > 1e-25:
            return False
    return True
