"""Rigorous interval arithmetic on python-flint ``arb`` endpoints, and box-cover certificates.

An :class:`Iv` is a closed interval [lo, hi] whose endpoints are exact ``arb`` numbers; every
operation rounds outward (``arb.lower()``/``arb.upper()`` round to floor/ceiling), so the true
value of any real expression evaluated on points of the input boxes lies inside the result.
The sigmoid is evaluated at both endpoints only, which is valid because it is increasing (lemma
L6, proved by the engine).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import flint
import sympy as sp
from flint import arb, fmpq

from ..exact import sigma
from ..tolerances import PROOF_ARB_PREC


@contextmanager
def precision(bits: int = PROOF_ARB_PREC):
    """Run arb arithmetic at ``bits`` bits, restoring the caller's precision afterwards."""
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = old


def _arb_exact(v) -> arb:
    """An exact-rational or float value as an arb ball (exact when the value is dyadic)."""
    if isinstance(v, float | int):
        return arb(v)
    q = Fraction(v) if not isinstance(v, sp.Rational) else Fraction(int(v.p), int(v.q))
    return arb(fmpq(q.numerator, q.denominator))


def arb_sigma(t: arb) -> arb:
    """sigma of an arb ball (the one ball-arithmetic sigma in canlearn)."""
    return 1 / (1 + (-t).exp())


class Iv:
    """A closed real interval [lo, hi] with exact arb endpoints."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo: arb, hi: arb):
        self.lo, self.hi = lo, hi

    @classmethod
    def point(cls, v) -> Iv:
        b = _arb_exact(v)
        return cls(b.lower(), b.upper())

    @classmethod
    def span(cls, lo, hi) -> Iv:
        return cls(_arb_exact(lo).lower(), _arb_exact(hi).upper())

    @classmethod
    def ball(cls, b: arb) -> Iv:
        return cls(b.lower(), b.upper())

    def __add__(self, o):
        o = _lift(o)
        return Iv((self.lo + o.lo).lower(), (self.hi + o.hi).upper())

    __radd__ = __add__

    def __neg__(self):
        return Iv(-self.hi, -self.lo)

    def __sub__(self, o):
        return self + (-_lift(o))

    def __rsub__(self, o):
        return _lift(o) + (-self)

    def __mul__(self, o):
        o = _lift(o)
        ps = [a * b for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        return Iv(min(p.lower() for p in ps), max(p.upper() for p in ps))

    __rmul__ = __mul__

    def recip(self) -> Iv:
        if not (self.lo > 0 or self.hi < 0):
            raise ZeroDivisionError("interval contains 0")
        return Iv((1 / self.hi).lower(), (1 / self.lo).upper())

    def __pow__(self, n: int):
        if not isinstance(n, int):
            raise TypeError("only integer powers")
        if n < 0:
            return self.recip() ** (-n)
        if n == 0:
            return Iv(arb(1), arb(1))
        if n % 2 == 1 or self.lo >= 0:  # monotone increasing on the interval
            return Iv((self.lo**n).lower(), (self.hi**n).upper())
        if self.hi <= 0:  # even power, decreasing on the interval
            return Iv((self.hi**n).lower(), (self.lo**n).upper())
        m = max(-self.lo, self.hi)  # even power of an interval containing 0
        return Iv(arb(0), (m**n).upper())

    def sigma(self) -> Iv:
        return Iv(arb_sigma(self.lo).lower(), arb_sigma(self.hi).upper())

    def exp(self) -> Iv:
        return Iv(self.lo.exp().lower(), self.hi.exp().upper())

    def log(self) -> Iv:
        if not self.lo > 0:
            raise ValueError("log of an interval not in (0, oo)")
        return Iv(self.lo.log().lower(), self.hi.log().upper())

    def contains_zero(self) -> bool:
        return not (self.lo > 0 or self.hi < 0)

    def __repr__(self) -> str:
        return f"[{self.lo.mid().str(10, radius=False)}, {self.hi.mid().str(10, radius=False)}]"


def _lift(o) -> Iv:
    return o if isinstance(o, Iv) else Iv.point(o)


def iv_eval(expr: sp.Expr, env: dict[sp.Symbol, Iv], _memo=None) -> Iv:
    """Enclose a SymPy expression built from + * integer powers, sigma, exp, log and rationals."""
    memo = {} if _memo is None else _memo
    if expr in memo:
        return memo[expr]
    if expr.is_Symbol:
        out = env[expr]
    elif expr.is_Rational:
        out = Iv.point(expr)
    elif expr.is_Add:
        parts = [iv_eval(a, env, memo) for a in expr.args]
        out = parts[0]
        for p in parts[1:]:
            out = out + p
    elif expr.is_Mul:
        parts = [iv_eval(a, env, memo) for a in expr.args]
        out = parts[0]
        for p in parts[1:]:
            out = out * p
    elif expr.is_Pow and expr.exp.is_Integer:
        out = iv_eval(expr.base, env, memo) ** int(expr.exp)
    elif isinstance(expr, sigma):
        out = iv_eval(expr.args[0], env, memo).sigma()
    elif isinstance(expr, sp.exp):
        out = iv_eval(expr.args[0], env, memo).exp()
    elif isinstance(expr, sp.log):
        out = iv_eval(expr.args[0], env, memo).log()
    else:
        raise TypeError(f"cannot enclose {type(expr).__name__}: {expr}")
    memo[expr] = out
    return out


Box = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class CoverResult:
    """Outcome of a box-cover certificate."""

    ok: bool
    boxes: int
    skipped: int
    failed_box: Box | None

    def describe(self) -> str:
        extra = f", {self.skipped} excluded" if self.skipped else ""
        if self.ok:
            return f"certified on {self.boxes} boxes{extra}"
        return f"failed after {self.boxes} boxes; uncertified box {self.failed_box}"


def cover(
    f: Callable[[Sequence[Iv]], object],
    accept: Callable[[object], bool],
    box: Box,
    *,
    max_boxes: int,
    min_width: float,
    exclude: Callable[[Box], bool] | None = None,
) -> CoverResult:
    """Certify ``accept(f(B))`` on every piece B of an adaptive bisection of ``box``.

    Box endpoints are floats (dyadic, so bisection stays exact). ``exclude(B)`` skips pieces lying
    inside a region handled by another argument. Depth-first, widest side first: deterministic.
    """
    stack = [tuple(box)]
    done = skipped = 0
    with precision():
        while stack:
            b = stack.pop()
            if exclude is not None and exclude(b):
                skipped += 1
                continue
            try:
                good = accept(f([Iv.span(lo, hi) for lo, hi in b]))
            except (ZeroDivisionError, ValueError):
                good = False
            done += 1
            if good:
                continue
            widths = [hi - lo for lo, hi in b]
            k = max(range(len(b)), key=lambda i: widths[i])
            if widths[k] < min_width or done >= max_boxes:
                return CoverResult(False, done, skipped, b)
            lo, hi = b[k]
            mid = lo + (hi - lo) / 2
            left = b[:k] + ((lo, mid),) + b[k + 1 :]
            right = b[:k] + ((mid, hi),) + b[k + 1 :]
            stack.extend((right, left))
    return CoverResult(True, done, skipped, None)


def _ipow(b: arb, k: int) -> arb:
    """b**k by repeated multiplication (arb's own power returns nan for a ball around 0)."""
    out, base, e = arb(1), b, abs(k)
    while e:
        if e & 1:
            out = out * base
        base, e = base * base, e >> 1
    return out if k >= 0 else 1 / out


def arb_eval(expr: sp.Expr, env: dict) -> arb:
    """An arb ball around the value of ``expr`` at exact rational values of its symbols.

    Handles + * powers (real exponents need a positive base), exp, log, sigma, pi, E; raises
    TypeError on anything else and ValueError when a ball leaves the domain of log or a power.
    """
    if expr.is_Symbol:
        return _arb_exact(env[expr])
    if expr.is_Rational:
        return _arb_exact(expr)
    if expr is sp.pi:
        return arb.pi()
    if expr is sp.E:
        return arb(1).exp()
    args = [arb_eval(a, env) for a in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if expr.is_Pow:
        if expr.exp.is_Integer:
            return _ipow(args[0], int(expr.exp))
        if not args[0] > 0:
            raise ValueError(f"power of a base not known positive: {expr}")
        return (args[1] * args[0].log()).exp()
    if isinstance(expr, sp.exp):
        return args[0].exp()
    if isinstance(expr, sp.log):
        if not args[0] > 0:
            raise ValueError(f"log of an argument not known positive: {expr}")
        return args[0].log()
    if isinstance(expr, sigma):
        return arb_sigma(args[0])
    raise TypeError(f"cannot evaluate {type(expr).__name__}: {expr}")
