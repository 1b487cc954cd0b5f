"""The theorems T1-T7 and the false variants, as engine theorems built from the exact model.

Builders compute what the statements need (limits, the loss at a critical point, a gap constant)
with SymPy or arb at run time; the engine then checks every step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from ..exact import sigma, symbolic
from ..network import IDENTITY_01, Layer, Network, Problem, preset
from .engine import (
    Certificate,
    Cite,
    Identity,
    Limit,
    Monotone,
    MonotoneCompare,
    Sign,
    SignCases,
    Theorem,
    compute_limit,
    tex,
)

HALF = sp.S.Half
SAME_SIDE = {"negative": "<0", "zero": "=0", "positive": ">0"}
PRODUCT = {"negative": ">0", "zero": "=0", "positive": ">0"}
ABOVE = {"negative": ">0", "zero": ">0", "positive": ">0"}

n = sp.Symbol("n", positive=True)
eps = sp.Symbol("varepsilon", positive=True)
tpar = sp.Symbol("t", positive=True)
x = sp.Symbol("x", real=True)
u = sp.Symbol("u", real=True)
W = sp.Symbol("W", real=True)
v = sp.Symbol("v", real=True)
s = sp.Symbol("s", real=True)


@dataclass(frozen=True)
class Built:
    """A theorem plus what its proof computed (reported in JSON as ``facts``)."""

    theorem: Theorem
    facts: dict
    arches: tuple[str, ...]


def _negative_w2_bounds(L, value, z0, z1, W2) -> tuple:
    """For W2 < 0: L - value exceeds both z(0)^2/2 and (z(1) - 1/2)^2/2 (used by T3 and T5)."""
    return (
        Sign(
            f"W2 < 0: L - {value} - z(0)^2/2 = (1 - z(1))^2/2 - {value} > 0, i.e. L - {value} > z(0)^2/2",
            L - value - HALF * z0**2,
            ">0",
            {W2: "negative"},
        ),
        Sign(
            f"W2 < 0: L - {value} - (z(1) - 1/2)^2/2 > 0, i.e. L - {value} > (z(1) - 1/2)^2/2",
            L - value - HALF * (z1 - HALF) ** 2,
            ">0",
            {W2: "negative"},
        ),
    )


def model(arch: str):
    return symbolic(preset(arch))


def _zs(m):
    return m.outputs[0][0], m.outputs[1][0]


def _p(m, name: str) -> sp.Symbol:
    return m.params[m.problem.param_names.index(name)]


# ---------------------------------------------------------------------------------------------
# T1, T2 (none)


def t1() -> Built:
    m = model("none")
    W1, W2 = m.params
    z0, _ = _zs(m)
    y0 = sigma(W1 * 0)
    thm = Theorem(
        "T1",
        "The hidden neuron is blind to W1 at x = 0",
        "For every W1, W2 (no biases): z(0) = sigma(W2/2), so z(0) does not depend on W1.",
        r"z(0) = \sigma(W_2/2) \text{ for all } W_1, W_2;\quad \partial z(0)/\partial W_1 = 0",
        (
            Cite("sigma(0) = 1/2 (L1)", ident="L1"),
            Identity(
                "the hidden output at x = 0 is sigma(W1 * 0) = 1/2", y0, HALF, label=r"\sigma(W_1\cdot 0)"
            ),
            Identity("hence the network output at x = 0", z0, sigma(W2 / 2), label="z(0)"),
            Identity(
                "z(0) does not depend on W1", sp.diff(z0, W1), sp.S.Zero, label=r"\partial z(0)/\partial W_1"
            ),
        ),
        conclusion="At x = 0 the only thing the network can change is W2.",
    )
    return Built(thm, {}, ("none",))


def t2() -> Built:
    m = model("none")
    W1, W2 = m.params
    z0, z1 = _zs(m)
    zx = sigma(W2 * sigma(W1 * x))
    thm = Theorem(
        "T2",
        "The user's bound, and why thresholding fails",
        "For all real W1 and all W2 < 0, z(1) < 1/2. More generally, for every real input x, z(x) - 1/2 "
        "has the sign of W2. Hence no weights give z(0) < 1/2 < z(1).",
        r"W_2<0 \Rightarrow z(1)<\tfrac12;\quad \operatorname{sign}(z(x)-\tfrac12)=\operatorname{sign}(W_2)"
        r"\ \forall x;\quad \nexists\, W:\ z(0)<\tfrac12<z(1)",
        (
            Sign("the user's bound: W2 < 0 gives z(1) < 1/2", z1 - HALF, "<0", {W2: "negative"}),
            SignCases(
                "for every input x, z(x) - 1/2 has the sign of W2", zx - HALF, W2, SAME_SIDE, {x: "real"}
            ),
            Identity("z(0) is the case x = 0 of z(x)", z0, zx.subs(x, 0), label="z(0)"),
            Identity("z(1) is the case x = 1 of z(x)", z1, zx.subs(x, 1), label="z(1)"),
            SignCases(
                "so (z(0) - 1/2)(z(1) - 1/2) >= 0 for all weights; z(0) < 1/2 < z(1) would make it negative",
                (z0 - HALF) * (z1 - HALF),
                W2,
                PRODUCT,
            ),
        ),
        conclusion="The two outputs are always on the same side of 1/2: the seed network cannot separate.",
    )
    return Built(thm, {"separable": False}, ("none",))


# ---------------------------------------------------------------------------------------------
# T3, T4 (none)


def _half_square_gap(value):
    """Factor 1/2 (1 - s)^2 - value in s (how far the x = 1 term sits above ``value``)."""
    return sp.factor(HALF * (1 - s) ** 2 - value)


def _h_gap(value):
    """h(v) = 1/2 v^2 + 1/2 (1 - sigma(2 logit v))^2 - value on v in [1/2, 1]."""
    return HALF * v**2 + HALF * ((1 - v) ** 2 / (v**2 + (1 - v) ** 2)) ** 2 - value


@cache
def _gap_constant(value) -> sp.Rational:
    """A rational c > 0 with h(v) - value >= c on [1/2, 1]: half the sampled minimum, rounded down."""
    import numpy as np

    f = sp.lambdify(v, _h_gap(value), "numpy")
    lo = float(np.min(f(np.linspace(0.5, 1.0, 20001))))
    return sp.Rational(int(lo / 2 * 1000), 1000)


def t3() -> Built:
    m = model("none")
    W1, W2 = m.params
    z0, z1 = _zs(m)
    L = m.loss
    seq = {W1: -n, W2: -n}
    value = compute_limit(L.xreplace(seq), n, sp.oo)
    lim0 = compute_limit(z0.xreplace(seq), n, sp.oo)
    lim1 = compute_limit(z1.xreplace(seq), n, sp.oo)
    c = _gap_constant(value)
    F = sp.Lambda(s, HALF * (1 - sigma(s)) ** 2)
    F_decreasing = Monotone("F(s) = (1 - sigma(s))^2 / 2 is strictly decreasing", F(s), s, "decreasing")
    vv = sigma(W2 / 2)
    gap = _h_gap(value)

    thm = Theorem(
        "T3",
        "Exact infimum of the seed loss",
        f"inf L over R^2 = {value}, not attained: L > {value} everywhere, and L -> {value} along "
        f"W1 = W2 = -n, n -> oo (z(0) -> {lim0}, z(1) -> {lim1}). On W2 >= 0, L >= {value} + {c}; so every "
        f"sequence with L -> {value} eventually has W2 < 0, and then z(0) -> 0 and z(1) -> 1/2 (because "
        f"L - {value} > z(0)^2/2 and L - {value} > (z(1) - 1/2)^2/2 there).",
        rf"\inf_{{\mathbb{{R}}^2}} L = {tex(value)}\ \text{{(not attained)}},\quad "
        rf"L(-n,-n) \to {tex(value)}",
        (
            Limit("along W1 = W2 = -n the loss tends to the value", L.xreplace(seq), n, sp.oo, value),
            Limit("... with z(0) tending to", z0.xreplace(seq), n, sp.oo, lim0),
            Limit("... and z(1) tending to", z1.xreplace(seq), n, sp.oo, lim1),
            SignCases("strict lower bound L > value in every case of the sign of W2", L - value, W2, ABOVE),
            Identity(
                "split L - value into the x = 0 term and the factored x = 1 term",
                L - value,
                HALF * z0**2 + _half_square_gap(value).subs(s, z1),
            ),
            *_negative_w2_bounds(L, value, z0, z1, W2),
            Identity(
                "L as the x = 0 term plus F(W2 sigma(W1)), F(s) = (1 - sigma(s))^2/2",
                L,
                HALF * z0**2 + F(W2 * sigma(W1)),
                label="L",
            ),
            MonotoneCompare(
                "W2 >= 0: W2 sigma(W1) <= W2, so F(W2) <= F(W2 sigma(W1))",
                F,
                W2,
                W2 * sigma(W1),
                F_decreasing,
                strict=False,
                assume={W2: "nonnegative"},
            ),
            Identity(
                "so for W2 >= 0, L >= z(0)^2/2 + F(W2) = h(v) with v = sigma(W2/2) = z(0), where "
                "h(v) = v^2/2 + ((1 - v)^2/(v^2 + (1 - v)^2))^2/2 (as sigma(W2) = v^2/(v^2 + (1 - v)^2))",
                HALF * z0**2 + F(W2),
                _h_gap(0).subs(v, vv),
                label=r"\tfrac12 z(0)^2 + F(W_2)",
            ),
            Sign("W2 >= 0 puts v = sigma(W2/2) at or above 1/2", vv - HALF, ">=0", {W2: "nonnegative"}),
            Sign("... and below 1: v is in [1/2, 1)", 1 - vv, ">0", {W2: "nonnegative"}),
            Certificate(
                f"h(v) - {value} >= {c} for v in [1/2, 1]; with the steps above, "
                f"L - {value} >= {c} on W2 >= 0",
                expr=gap,
                rel=">=",
                bound=c,
                box=((v, HALF, sp.S.One),),
            ),
        ),
        conclusion=(
            f"L > {value} everywhere, so the infimum is not attained. On W2 >= 0 the loss stays at least "
            f"{value} + {c}, so a sequence with L -> {value} eventually has W2 < 0; there L - {value} "
            "bounds both z(0)^2/2 and (z(1) - 1/2)^2/2, so z(0) -> 0 and z(1) -> 1/2."
        ),
    )
    facts = {
        "infimum": str(value),
        "attained": False,
        "sequence": {"W1": "-n", "W2": "-n"},
        "limit_outputs": [str(lim0), str(lim1)],
        "gap_on_W2_nonnegative": str(c),
    }
    return Built(thm, facts, ("none",))


def t4() -> Built:
    m = model("none")
    W1, W2 = m.params
    z0, z1 = _zs(m)
    g1, g2 = m.gradient
    y1 = sigma(W1)
    g2_axis = g2.subs(W2, 0)
    # The proof below shows g1 = 0 iff W2 = 0, and then g2 = 0 iff W1 = 0.
    point = {W1: sp.S.Zero, W2: sp.S.Zero}
    H = sp.ImmutableMatrix(sp.Matrix(m.hessian).subs(point))
    loss_at = m.loss.subs(point)
    lam = sp.Symbol("lambda", real=True)
    charpoly = sp.Poly((H - lam * sp.eye(2)).det(), lam)
    roots = sp.real_roots(charpoly)
    det = H.det()
    # A symmetric 2x2 matrix with negative determinant has eigenvalues of opposite signs: a saddle.
    # Only that case is claimed (and checked below); anything else is left unclassified.
    kind = "saddle" if det < 0 else "critical point (not classified)"
    names = (r"W_1", r"W_2")
    steps = [
        Cite("derivatives of sigma (L3)", ident="L3"),
        Identity(
            "dL/dW1 factors: only x = 1 depends on W1",
            g1,
            -W2 * z1 * (1 - z1) ** 2 * y1 * (1 - y1),
            label=r"\frac{\partial L}{\partial W_1}",
        ),
        SignCases(
            "dL/dW1 has the sign of -W2: it vanishes exactly when W2 = 0",
            g1,
            W2,
            {"negative": ">0", "zero": "=0", "positive": "<0"},
        ),
        Identity(
            "on W2 = 0, dL/dW2 = (1 - 2 sigma(W1)) / 16",
            g2_axis,
            (1 - 2 * y1) / 16,
            label=r"\frac{\partial L}{\partial W_2}\Big|_{W_2=0}",
        ),
        SignCases(
            "on W2 = 0, dL/dW2 has the sign of -W1: it vanishes exactly when W1 = 0",
            g2_axis,
            W1,
            {"negative": ">0", "zero": "=0", "positive": "<0"},
        ),
        Identity(
            "so the gradient vanishes at the origin (dL/dW1)",
            g1.subs(point),
            sp.S.Zero,
            label=r"\frac{\partial L}{\partial W_1}(0,0)",
        ),
        Identity(
            "... and (dL/dW2)", g2.subs(point), sp.S.Zero, label=r"\frac{\partial L}{\partial W_2}(0,0)"
        ),
        Identity("the loss there", m.loss.subs(point), loss_at, label="L(0,0)"),
    ]
    for i, j in ((0, 0), (0, 1), (1, 1)):
        a, b = m.params[i], m.params[j]
        den = rf"\partial {names[i]}\,\partial {names[j]}" if i != j else rf"\partial {names[i]}^2"
        steps.append(
            Identity(
                f"Hessian entry d2L/d{a} d{b} at (0, 0): second derivative of L, evaluated exactly",
                sp.diff(m.loss, a, b).subs(point),
                H[i, j],
                label=rf"\frac{{\partial^2 L}}{{{den}}}(0,0)",
            )
        )
    steps += [
        Identity(
            "det H(0, 0) = H11 H22 - H12^2 from the entries above",
            H[0, 0] * H[1, 1] - H[0, 1] * H[1, 0],
            det,
            label=r"\det H(0,0)",
        ),
        Sign(
            "det H(0, 0) < 0: the eigenvalues of the symmetric H have opposite signs, so (0, 0) is a saddle"
            if det < 0
            else "sign of det H(0, 0)",
            det,
            "<0" if det < 0 else (">0" if det > 0 else "=0"),
        ),
        Identity(
            "the characteristic polynomial of H(0, 0) and its exact roots (the eigenvalues)",
            (sp.Matrix(m.hessian).subs(point) - lam * sp.eye(2)).det(),
            sp.prod([lam - r for r in roots]),
            label=r"\det(H(0,0) - \lambda I)",
        ),
    ]
    for i, r in enumerate(roots, start=1):
        steps.append(Sign(f"eigenvalue {i}", r, ">0" if r.is_positive else ("<0" if r.is_negative else "=0")))
    thm = Theorem(
        "T4",
        "All critical points of the seed loss",
        f"The only critical point of L on R^2 is (W1, W2) = (0, 0), with L = {loss_at}, Hessian "
        f"{sp.sstr(H.tolist())} (det {det}), eigenvalues {', '.join(sp.sstr(r) for r in roots)}: a {kind}.",
        rf"\nabla L = 0 \iff (W_1, W_2) = (0, 0);\ L = {tex(loss_at)},\ H = {tex(H)},\ "
        rf"\det H = {tex(det)},\ \text{{a {kind}}}",
        tuple(steps),
        conclusion=f"(0, 0) is the only critical point, a {kind} at loss {loss_at}; there are no others.",
    )
    facts = {
        "critical_points": [
            {
                "point": {"W1": "0", "W2": "0"},
                "loss": str(loss_at),
                "hessian": [[str(e) for e in row] for row in H.tolist()],
                "determinant": str(det),
                "eigenvalues": [str(r) for r in roots],
                "kind": kind,
            }
        ]
    }
    return Built(thm, facts, ("none",))


# ---------------------------------------------------------------------------------------------
# T7 (general lemma) and T5 (hidden)


def chain_problem(k: int) -> Problem:
    """A k-neuron chain: biases on every hidden neuron, none on the output."""
    layers = tuple(Layer(1, bias=True) for _ in range(k - 1)) + (Layer(1, bias=False),)
    return Problem(f"chain{k}", Network(1, layers), IDENTITY_01)


def chain_output(k: int):
    """z for a k-chain on a symbolic input x, and the pre-activation of its last hidden neuron."""
    Ws = sp.symbols(f"W1:{k + 1}", real=True)
    bs = sp.symbols(f"b1:{k}", real=True)
    h = x
    pre = None
    for i in range(k - 1):
        pre = Ws[i] * h + bs[i]
        h = sigma(pre)
    return sigma(Ws[k - 1] * h), pre, Ws, bs


T7_KS = (2, 3, 4, 5)


def t7() -> Built:
    general = sigma(W * sigma(u))
    steps = [
        SignCases(
            "for all real W, u: sigma(W sigma(u)) - 1/2 has the sign of W (any chain's output has this form, "
            "with W = W_k and u the last hidden pre-activation)",
            general - HALF,
            W,
            SAME_SIDE,
            {u: "real"},
        )
    ]
    for k in T7_KS:
        z, pre, Ws, bs = chain_output(k)
        steps.append(
            Identity(
                f"k = {k}: the chain's output z(x) is sigma(W sigma(u)) with W = W_{k} and u its last "
                "hidden pre-activation",
                z,
                general.xreplace({W: Ws[-1], u: pre}),
                label=rf"z(x)\ \text{{(chain of length {k})}}",
            )
        )
        steps.append(
            SignCases(
                f"k = {k}: checked directly on the chain, for every input x and all weights and biases",
                z - HALF,
                Ws[-1],
                SAME_SIDE,
                {x: "real"},
            )
        )
    thm = Theorem(
        "T7",
        "Sign lemma for a bias-free output neuron fed by one sigmoid",
        "For all real W and u, sigma(W sigma(u)) - 1/2 has the sign of W. By definition of the chain, "
        "the output of a chain of any length k >= 2 whose output neuron has no bias is "
        "z(x) = sigma(W_k sigma(u)), u the last hidden pre-activation (real for every input, weights and "
        "biases); so z(x) - 1/2 has the sign of W_k and all outputs lie on one side of 1/2. Also checked "
        "on the explicit chains k = 2, 3, 4, 5.",
        r"z = \sigma\!\left(W_k\,\sigma(u)\right)\ \Rightarrow\ "
        r"\operatorname{sign}\left(z - \tfrac12\right) = \operatorname{sign}(W_k)"
        r"\quad \forall u \in \mathbb{R}",
        tuple(steps),
        conclusion="Whatever comes before it, a bias-free output fed by one sigmoid cannot separate.",
    )
    return Built(thm, {"checked_lengths": list(T7_KS)}, ("none", "hidden"))


def t5() -> Built:
    m = model("hidden")
    W1, W2, b1 = m.params
    z0, z1 = _zs(m)
    L = m.loss
    valley_a = {W1: -2 * n, W2: -n, b1: n}
    valley_b = {W1: 2 * n, W2: n, b1: -n}
    value = compute_limit(L.xreplace(valley_a), n, sp.oo)
    lims = {
        "a": [compute_limit(z.xreplace(valley_a), n, sp.oo) for z in (z0, z1)],
        "b": [compute_limit(z.xreplace(valley_b), n, sp.oo) for z in (z0, z1)],
    }
    general = sigma(W * sigma(u))
    thm = Theorem(
        "T5",
        "A bias on the hidden neuron alone does not help",
        "With y = sigma(W1 x + b1), z = sigma(W2 y): no weights give z(0) < 1/2 < z(1), and "
        f"inf L = {value}, not attained, approached in two valleys: "
        f"W2 -> -oo (z -> ({lims['a'][0]}, {lims['a'][1]})) and "
        f"W2 -> +oo (z -> ({lims['b'][0]}, {lims['b'][1]})).",
        rf"\nexists\, W:\ z(0)<\tfrac12<z(1);\quad \inf L = {tex(value)}\ \text{{(not attained)}}",
        (
            Cite("the sign lemma T7", ident="T7"),
            Identity("z(0) is T7's form with u = b1", z0, general.xreplace({W: W2, u: b1}), label="z(0)"),
            Identity(
                "z(1) is T7's form with u = W1 + b1", z1, general.xreplace({W: W2, u: W1 + b1}), label="z(1)"
            ),
            SignCases(
                "hence (z(0) - 1/2)(z(1) - 1/2) >= 0: not separable", (z0 - HALF) * (z1 - HALF), W2, PRODUCT
            ),
            Limit(
                "valley W1 = -2n, W2 = -n, b1 = n: L tends to the value",
                L.xreplace(valley_a),
                n,
                sp.oo,
                value,
            ),
            Limit("... with z(0) tending to", z0.xreplace(valley_a), n, sp.oo, lims["a"][0]),
            Limit("... and z(1) tending to", z1.xreplace(valley_a), n, sp.oo, lims["a"][1]),
            Limit("valley W1 = 2n, W2 = n, b1 = -n: the same value", L.xreplace(valley_b), n, sp.oo, value),
            Limit("... with z(0) tending to", z0.xreplace(valley_b), n, sp.oo, lims["b"][0]),
            Limit("... and z(1) tending to", z1.xreplace(valley_b), n, sp.oo, lims["b"][1]),
            SignCases("strict lower bound L > value in every case of the sign of W2", L - value, W2, ABOVE),
            *_negative_w2_bounds(L, value, z0, z1, W2),
            Sign(
                f"W2 > 0: L - {value} - (1 - z(1))^2/2 = z(0)^2/2 - {value} > 0, "
                f"i.e. L - {value} > (1 - z(1))^2/2",
                L - value - HALF * (1 - z1) ** 2,
                ">0",
                {W2: "positive"},
            ),
            Sign(
                f"W2 > 0: L - {value} - (z(0) - 1/2)^2/2 > 0, i.e. L - {value} > (z(0) - 1/2)^2/2",
                L - value - HALF * (z0 - HALF) ** 2,
                ">0",
                {W2: "positive"},
            ),
        ),
        conclusion=(
            f"Not separable, and L > {value} everywhere; L -> {value} exactly when W2 < 0 with z -> (0, 1/2) "
            "or W2 > 0 with z -> (1/2, 1)."
        ),
    )
    facts = {
        "infimum": str(value),
        "attained": False,
        "separable": False,
        "valleys": [
            {"sequence": {"W1": "-2n", "W2": "-n", "b1": "n"}, "limit_outputs": [str(q) for q in lims["a"]]},
            {"sequence": {"W1": "2n", "W2": "n", "b1": "-n"}, "limit_outputs": [str(q) for q in lims["b"]]},
        ],
    }
    return Built(thm, facts, ("hidden",))


# ---------------------------------------------------------------------------------------------
# T6 (output, both)


def t6_weights(arch: str, t):
    """Weights W1 = log 3, W2 = 8t, b2 = -5t (and b1 = 0): z(0) = sigma(-t), z(1) = sigma(t)."""
    m = model(arch)
    vals = {"W1": sp.log(3), "W2": 8 * t, "b1": sp.S.Zero, "b2": -5 * t}
    return {p: vals[name] for p, name in zip(m.params, m.problem.param_names)}


def eps_t(e):
    """The t that makes L < e: t = log(1 + 1/e)."""
    return sp.log(1 + 1 / e)


def t6(arch: str) -> Built:
    m = model(arch)
    z0, z1 = _zs(m)
    L = m.loss
    wt = t6_weights(arch, tpar)
    we = t6_weights(arch, eps_t(eps))
    Le = L.xreplace(we)
    value = compute_limit(Le, eps, 0, "+")
    closed = eps**2 / (1 + 2 * eps) ** 2
    thm = Theorem(
        "T6",
        f"With an output bias ({arch}) the network fits the data arbitrarily well",
        f"inf L = {value}, not attained (L > 0 everywhere). The weights W1 = log 3, W2 = 8t, b2 = -5t"
        + (", b1 = 0" if arch == "both" else "")
        + " give z(0) = sigma(-t) < 1/2 < sigma(t) = z(1) for every t > 0; with t = log(1 + 1/eps) they give "
        "L = eps^2/(1 + 2 eps)^2 < eps for every eps > 0.",
        rf"\inf L = {tex(value)}\ \text{{(not attained)}};\quad W_1=\log 3,\ W_2 = 8t,\ b_2=-5t:\ "
        r"z(0)<\tfrac12<z(1);\quad t=\log(1+1/\varepsilon):\ L<\varepsilon",
        (
            Identity("sigma(log 3) = 3/4", sigma(sp.log(3)), sp.Rational(3, 4)),
            Identity("at these weights z(0) = sigma(-t)", z0.xreplace(wt), sigma(-tpar), label="z(0)"),
            Identity("... and z(1) = sigma(t)", z1.xreplace(wt), sigma(tpar), label="z(1)"),
            Sign("z(0) < 1/2 for t > 0", z0.xreplace(wt) - HALF, "<0"),
            Sign("z(1) > 1/2 for t > 0: separable", z1.xreplace(wt) - HALF, ">0"),
            Identity("the loss there is sigma(-t)^2", L.xreplace(wt), sigma(-tpar) ** 2, label="L"),
            Identity(
                "with t = log(1 + 1/eps): L = eps^2/(1 + 2 eps)^2",
                Le,
                closed,
                label=r"L\big|_{t = \log(1 + 1/\varepsilon)}",
            ),
            Sign("L < eps for every eps > 0", eps - Le, ">0"),
            Limit("L -> value as eps -> 0+", Le, eps, sp.S.Zero, value),
            Sign("L > value for all weights: the infimum is not attained", L - value, ">0"),
        ),
        conclusion=f"inf L = {value}, approached but never reached; the data are separable.",
    )
    facts = {
        "infimum": str(value),
        "attained": False,
        "separable": True,
        "separating_weights": {str(p): sp.sstr(val) for p, val in t6_weights(arch, sp.S.One).items()},
        "epsilon_weights": {str(p): sp.sstr(val) for p, val in we.items()},
    }
    return Built(thm, facts, (arch,))


# ---------------------------------------------------------------------------------------------
# False variants


@dataclass(frozen=True)
class Variant:
    """A false claim. Universal ones ("for all w with assume: expr rel 0") are refuted by a certified
    counterexample; existential ones are refuted by a proved negation (``negation``)."""

    id: str
    title: str
    statement: str
    statement_tex: str
    arches: tuple[str, ...]
    expr: sp.Expr | None = None
    rel: str = ">0"
    assume: tuple[tuple[sp.Symbol, str], ...] = ()
    params: tuple[sp.Symbol, ...] = ()
    negation: str | None = None


def variants(arch: str) -> tuple[Variant, ...]:
    m = model(arch)
    z0, z1 = _zs(m)
    L = m.loss
    P = m.params
    W2 = _p(m, "W2")
    out = []
    if arch == "none":
        out.append(
            Variant(
                "F1",
                "A stronger bound than the user's (false)",
                "For all W1 and all W2 < 0, z(1) < 2/5.",
                r"W_2 < 0 \Rightarrow z(1) < \tfrac25",
                ("none",),
                z1 - sp.Rational(2, 5),
                "<0",
                ((W2, "negative"),),
                P,
            )
        )
        out.append(
            Variant(
                "F2",
                "A wrong infimum: the critical value 1/4 (false)",
                "inf L = 1/4 for the seed network, i.e. L >= 1/4 for all weights.",
                r"L \ge \tfrac14 \text{ on } \mathbb{R}^2",
                ("none",),
                L - sp.Rational(1, 4),
                ">=0",
                (),
                P,
            )
        )
    if arch == "hidden":
        out.append(
            Variant(
                "F3",
                "A hidden bias alone separates (false)",
                "With a bias on the hidden neuron only, some weights give z(0) < 1/2 < z(1).",
                r"\exists\, W_1, W_2, b_1:\ z(0) < \tfrac12 < z(1)",
                ("hidden",),
                negation="T5",
            )
        )
        out.append(
            Variant(
                "F4",
                "A wrong infimum for the hidden bias: 1/4 (false)",
                "With a hidden bias, L >= 1/4 for all weights.",
                r"L \ge \tfrac14",
                ("hidden",),
                L - sp.Rational(1, 4),
                ">=0",
                (),
                P,
            )
        )
    if arch in ("output", "both"):
        out.append(
            Variant(
                "F5",
                f"An output bias cannot separate ({arch}; false)",
                "For all weights, z(0) and z(1) are on the same side of 1/2: (z(0) - 1/2)(z(1) - 1/2) >= 0.",
                r"(z(0)-\tfrac12)(z(1)-\tfrac12) \ge 0 \ \forall W",
                (arch,),
                (z0 - HALF) * (z1 - HALF),
                ">=0",
                (),
                P,
            )
        )
        out.append(
            Variant(
                "F6",
                f"A bias does not beat the seed's 1/8 ({arch}; false)",
                "L >= 1/8 for all weights.",
                r"L \ge \tfrac18",
                (arch,),
                L - sp.Rational(1, 8),
                ">=0",
                (),
                P,
            )
        )
    return tuple(out)


def sign_claim(vr: Variant):
    return Sign(vr.title, vr.expr, vr.rel, dict(vr.assume))
