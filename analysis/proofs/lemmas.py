"""Lemmas about the sigmoid, each a formal statement the kernel derives from checked steps.

The sign checker's sigma encoding rests on L1, L2 and L5 (sigma(t) = 1/(1 + e^{-t}), E = e^{-t} > 0
and its order against 1); those three are derived from the exponential form only, so they do
not use the encoding they justify. The checkers' reliance on them is listed in the trusted base.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from ..exact import sigma
from . import kernel
from .engine import Identity, Limit, Monotone, MonotoneCompare, Sign
from .results import Theorem, TheoremResult, prove_theorem
from .statements import At, Conj, ForAll, LimitIs, domain, reals, rel
from .statements import Monotone as Mono

t = sp.Symbol("t", real=True)
s = sp.Symbol("s", real=True)
DEF = 1 / (1 + sp.exp(-t))
HALF = sp.S.Half
R = reals(t)


def _l1():
    stmt = Conj(
        (
            ForAll(R, rel(sigma(t), "=", DEF)),
            ForAll((), rel(At(sigma(t), t, 0), "=", HALF)),
            ForAll((), rel(At(DEF, t, 0), "=", HALF)),
            LimitIs(DEF, t, sp.oo, "+", sp.S.One),
            LimitIs(DEF, t, -sp.oo, "+", sp.S.Zero),
        )
    )

    def derive():
        return kernel.conj(
            kernel.check(Identity("SymPy's sigma is the definition", sigma(t), DEF)),
            kernel.check(Identity("SymPy's evaluation rule at 0", At(sigma(t), t, 0), HALF)),
            kernel.check(Identity("the definition at 0", At(DEF, t, 0), HALF)),
            kernel.check(Limit("the definition at +oo", DEF, t, sp.oo, sp.S.One)),
            kernel.check(Limit("the definition at -oo", DEF, t, -sp.oo, sp.S.Zero)),
        )

    return Theorem("L1", "Definition of the sigmoid", stmt, derive)


@cache
def _definition():
    return kernel.check(Identity("SymPy's sigma is the definition", sigma(t), DEF))


def _l2():
    stmt = Conj((ForAll(R, rel(sigma(t), ">", 0)), ForAll(R, rel(sigma(t), "<", 1))))

    def derive():
        pos = kernel.check(Sign("1/(1 + e^{-t}) > 0 (exponential form only)", DEF, ">0"))
        below = kernel.check(Sign("1 - 1/(1 + e^{-t}) > 0", 1 - DEF, ">0"))
        d = _definition()  # sigma(t) - DEF = 0, added to move each bound onto sigma(t)
        return kernel.conj(
            kernel.add(pos, d, 1, comment="add sigma(t) - DEF = 0"),
            kernel.add(below, d, -1, comment="subtract sigma(t) - DEF = 0"),
        )

    return Theorem("L2", "Range of the sigmoid", stmt, derive)


def _l3():
    closed = sigma(t) * (1 - sigma(t))
    stmt = Conj(
        (
            ForAll(R, rel(sp.Derivative(DEF, t), "=", closed)),
            ForAll(R, rel(sp.Derivative(sigma(t), t), "=", closed)),
        )
    )

    def derive():
        return kernel.conj(
            kernel.check(Identity("differentiate the definition", sp.Derivative(DEF, t), closed)),
            kernel.check(Identity("SymPy's rule for sigma", sp.Derivative(sigma(t), t), closed)),
        )

    return Theorem("L3", "Derivative of the sigmoid", stmt, derive)


def _l4():
    stmt = ForAll(R, rel(sigma(-t), "=", 1 - sigma(t)))
    return Theorem(
        "L4",
        "Symmetry of the sigmoid",
        stmt,
        lambda: kernel.check(Identity("symmetry", sigma(-t), 1 - sigma(t))),
    )


def _l5():
    dec = Monotone("e^{-s} is strictly decreasing", sp.exp(-s), s, "decreasing")
    f = sp.Lambda(s, sp.exp(-s))
    stmt = Conj(
        (
            Mono(sp.exp(-s), s, "decreasing", reals(s)),
            ForAll(domain((t, "positive")), rel(sp.exp(-t), "<", 1)),
            ForAll(domain((t, "negative")), rel(sp.exp(-t), ">", 1)),
        )
    )

    def derive():
        return kernel.conj(
            kernel.check(dec),
            kernel.check(
                MonotoneCompare("t > 0: e^{-t} < e^0", f, t, sp.S.Zero, dec, assume={t: "positive"})
            ),
            kernel.check(
                MonotoneCompare("t < 0: e^0 < e^{-t}", f, sp.S.Zero, t, dec, assume={t: "negative"})
            ),
        )

    return Theorem("L5", "The exponential against 1", stmt, derive)


def _l6():
    stmt = Mono(sigma(s), s, "increasing", reals(s))
    return Theorem(
        "L6",
        "The sigmoid is strictly increasing",
        stmt,
        lambda: kernel.check(Monotone("sigma' = sigma(1 - sigma) > 0", sigma(s), s, "increasing")),
    )


def _l7():
    ops = {"negative": "<", "zero": "=", "positive": ">"}
    stmt = Conj(tuple(ForAll(domain((t, k)), rel(sigma(t), op, HALF)) for k, op in ops.items()))

    def derive():
        return kernel.conj(
            *(
                kernel.check(Sign(f"t {k}", sigma(t) - HALF, {"<": "<0", "=": "=0", ">": ">0"}[op], {t: k}))
                for k, op in ops.items()
            )
        )

    return Theorem("L7", "Which side of 1/2", stmt, derive)


def lemma_theorems() -> tuple[Theorem, ...]:
    return (_l1(), _l2(), _l3(), _l4(), _l5(), _l6(), _l7())


@cache
def lemma_results() -> tuple[TheoremResult, ...]:
    return tuple(prove_theorem(thm) for thm in lemma_theorems())
