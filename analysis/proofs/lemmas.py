"""Lemmas about the sigmoid, proved by the engine before any theorem uses them.

L1, L2 and L5 are the facts the sign checker's sigma encoding rests on, so they are proved
without it (from the exponential form only); L3 justifies differentiating sigma.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from ..exact import sigma
from .engine import (
    Context,
    Identity,
    Limit,
    Monotone,
    MonotoneCompare,
    Sign,
    SignCases,
    Theorem,
    TheoremResult,
)
from .engine import prove_theorem as _prove

t = sp.Symbol("t", real=True)
s = sp.Symbol("s", real=True)
DEF = 1 / (1 + sp.exp(-t))


def lemma_theorems() -> tuple[Theorem, ...]:
    exp_decreasing = Monotone("e^{-s} is strictly decreasing", sp.exp(-s), s, "decreasing")
    return (
        Theorem(
            "L1",
            "Definition of the sigmoid",
            "sigma(t) = 1/(1 + e^(-t)); hence sigma(0) = 1/2, sigma(t) -> 1 as t -> oo and -> 0 as t -> -oo.",
            r"\sigma(t) = \frac{1}{1+e^{-t}},\quad \sigma(0)=\tfrac12,\quad \sigma(\pm\infty) = 1, 0",
            (
                Identity(
                    "the SymPy function's exp form is the definition",
                    sigma(t).rewrite(sp.exp),
                    DEF,
                    label=r"\sigma(t)\ \text{rewritten via } \exp",
                ),
                Identity(
                    "sigma(0) = 1/2 (the evaluation rule agrees with the definition at 0)",
                    sigma(sp.S.Zero),
                    DEF.subs(t, 0),
                    label=r"\sigma(0)",
                ),
                Limit("limit at +oo agrees with sigma(oo)", DEF, t, sp.oo, sigma(sp.oo)),
                Limit("limit at -oo agrees with sigma(-oo)", DEF, t, -sp.oo, sigma(-sp.oo)),
            ),
        ),
        Theorem(
            "L2",
            "Range of the sigmoid",
            "0 < sigma(t) < 1 for every real t.",
            r"0 < \sigma(t) < 1 \quad (t \in \mathbb{R})",
            (
                Sign("e^{-t} > 0 for real t", sp.exp(-t), ">0"),
                Sign("sigma(t) > 0", DEF, ">0"),
                Sign("1 - sigma(t) > 0", 1 - DEF, ">0"),
            ),
        ),
        Theorem(
            "L3",
            "Derivative of the sigmoid",
            "sigma'(t) = sigma(t)(1 - sigma(t)), and SymPy's derivative rule for sigma agrees.",
            r"\sigma'(t) = \sigma(t)\,(1-\sigma(t))",
            (
                Identity(
                    "derivative of the definition",
                    sp.diff(DEF, t),
                    sigma(t) * (1 - sigma(t)),
                    label=r"\frac{d}{dt}\,\frac{1}{1+e^{-t}}",
                ),
                Identity(
                    "SymPy's rule for sigma gives the same",
                    sp.diff(sigma(t), t),
                    sp.diff(DEF, t),
                    label=r"\frac{d}{dt}\,\sigma(t)\ \text{(SymPy's rule)}",
                ),
            ),
        ),
        Theorem(
            "L4",
            "Symmetry of the sigmoid",
            "sigma(-t) = 1 - sigma(t) for every real t.",
            r"\sigma(-t) = 1 - \sigma(t)",
            (Identity("symmetry", sigma(-t), 1 - sigma(t)),),
        ),
        Theorem(
            "L5",
            "The exponential against 1",
            "e^(-t) is strictly decreasing; e^(-t) < 1 for t > 0 and e^(-t) > 1 for t < 0.",
            r"e^{-t} < 1 \ (t>0),\qquad e^{-t} > 1 \ (t<0)",
            (
                exp_decreasing,
                MonotoneCompare(
                    "t > 0 gives e^{-t} < e^0 = 1",
                    sp.Lambda(s, sp.exp(-s)),
                    t,
                    sp.S.Zero,
                    exp_decreasing,
                    assume={t: "positive"},
                ),
                MonotoneCompare(
                    "t < 0 gives 1 = e^0 < e^{-t}",
                    sp.Lambda(s, sp.exp(-s)),
                    sp.S.Zero,
                    t,
                    exp_decreasing,
                    assume={t: "negative"},
                ),
            ),
        ),
        Theorem(
            "L6",
            "The sigmoid is strictly increasing",
            "sigma is strictly increasing on the real line.",
            r"\sigma \text{ is strictly increasing on } \mathbb{R}",
            (Monotone("sigma' = sigma(1 - sigma) > 0", sigma(s), s, "increasing"),),
        ),
        Theorem(
            "L7",
            "Which side of 1/2",
            "sigma(t) - 1/2 has the sign of t: negative for t < 0, zero at 0, positive for t > 0.",
            r"\operatorname{sign}\left(\sigma(t) - \tfrac12\right) = \operatorname{sign}(t)",
            (
                SignCases(
                    "sigma(t) - 1/2 against the sign of t",
                    sigma(t) - sp.S.Half,
                    t,
                    {"negative": "<0", "zero": "=0", "positive": ">0"},
                ),
            ),
        ),
    )


@cache
def lemma_results() -> tuple[TheoremResult, ...]:
    """Prove the lemmas in order; each may use only those proved before it."""
    ctx = Context()
    out = []
    for thm in lemma_theorems():
        res = _prove(thm, ctx)
        ctx.established[thm.id] = res
        out.append(res)
    return tuple(out)


def lemma_context() -> Context:
    return Context({r.id: r for r in lemma_results()})
