"""T1-T7 and the false variants: formal statements, and derivations the kernel checks.

Builders compute what a statement needs (a limit value by Gruntz, a gap constant by sampling,
the Hessian at a point); nothing computed here is trusted: the kernel proves the statement
from checked steps or the theorem is not proved.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from ..exact import lambdify, sigma, symbolic
from ..network import IDENTITY_01, Layer, Network, Problem, preset
from . import kernel
from .engine import (
    Certificate,
    Counterexample,
    Identity,
    Limit,
    Monotone,
    MonotoneCompare,
    Sign,
    compute_limit,
)
from .results import Theorem
from .statements import (
    KIND_SETS,
    REAL,
    At,
    Attained,
    Conj,
    ForAll,
    Infimum,
    LimitIs,
    Not,
    Separable,
    domain,
    normal_form,
    reals,
    rel,
)

HALF = sp.S.Half
CASES = ("negative", "zero", "positive")
SIDE = {"negative": "<", "zero": "=", "positive": ">"}  # z - 1/2 against 1/2, by the sign of W
_SIGN_REL = {"<": "<0", "=": "=0", ">": ">0", ">=": ">=0"}

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
    """A theorem, the presets it serves, and what its builder computed (reported in JSON)."""

    theorem: Theorem
    facts: dict
    arches: tuple[str, ...]


def model(arch: str):
    return symbolic(preset(arch))


def _zs(m):
    return m.outputs[0][0], m.outputs[1][0]


def _all_real(m):
    return reals(*m.params)


def _sign(text, expr, op, assume=None):
    return kernel.check(Sign(text, expr, _SIGN_REL[op], assume or {}))


def _by_cases(text, expr, op, var, assume=None):
    """expr op 0 in each case of the trichotomy of ``var``, joined by the case rule over R."""
    facts = [_sign(f"{text} ({var} {c})", expr, op, {**(assume or {}), var: c}) for c in CASES]
    return kernel.cases(facts, var, REAL, comment=text)


def _lower_bounds(L, value, z0, z1, W2, side):
    """W2 < 0 (side "negative") or > 0: L - value dominates the two squared distances there."""
    gaps = _bound_shapes(z0, z1, side)
    return [
        (g, _sign(f"W2 {side}: L - {value} exceeds this square", L - value - g, ">", {W2: side}))
        for g in gaps
    ]


# ---------------------------------------------------------------------------------------------
# T1, T2 (none)


def none_output(at):
    """The seed network's output z(x) = sigma(W2 sigma(W1 x)) at a symbolic input."""
    W1, W2 = model("none").params
    return sigma(W2 * sigma(W1 * at))


def t1() -> Built:
    m = model("none")
    W1, W2 = m.params
    z0 = At(none_output(x), x, 0)
    stmt = Conj(
        (
            ForAll(_all_real(m), rel(z0, "=", sigma(W2 / 2))),
            ForAll(_all_real(m), rel(sp.Derivative(z0, W1), "=", 0)),
        )
    )

    def derive():
        return kernel.conj(
            kernel.check(Identity("the output at x = 0, substituted into the definition", z0, sigma(W2 / 2))),
            kernel.check(Identity("differentiate z(0) in W1", sp.Derivative(z0, W1), sp.S.Zero)),
        )

    thm = Theorem(
        "T1",
        "The hidden neuron is blind to W1 at x = 0",
        stmt,
        derive,
        comment="At x = 0 the hidden neuron outputs sigma(0) = 1/2 whatever W1 is.",
        conclusion="At x = 0 the only thing the network can change is W2.",
    )
    return Built(thm, {}, ("none",))


def t2() -> Built:
    m = model("none")
    W1, W2 = m.params
    z0, z1 = _zs(m)
    zx = none_output(x)
    dom_x = {c: domain((x, "real"), (W1, "real"), (W2, c)) for c in CASES}
    stmt = Conj(
        (
            ForAll(domain((W1, "real"), (W2, "negative")), rel(z1, "<", HALF)),
            *(ForAll(dom_x[c], rel(zx, SIDE[c], HALF)) for c in CASES),
            Separable(m.problem, False),
        )
    )

    def derive():
        user = _sign("the user's bound", z1 - HALF, "<", {W2: "negative"})
        sides = [_sign(f"z(x) - 1/2 for W2 {c}", zx - HALF, SIDE[c], {W2: c, x: "real"}) for c in CASES]
        prod = _by_cases("(z(0) - 1/2)(z(1) - 1/2) >= 0", (z0 - HALF) * (z1 - HALF), ">=", W2)
        return kernel.conj(user, *sides, kernel.not_separable(m.problem, prod))

    thm = Theorem(
        "T2",
        "The user's bound, and why thresholding fails",
        stmt,
        derive,
        comment="z(x) - 1/2 has the sign of W2 for every input, so both outputs sit on one side of 1/2.",
        conclusion="The two outputs are always on the same side of 1/2: the seed network cannot separate.",
    )
    return Built(thm, {"separable": False}, ("none",))


# ---------------------------------------------------------------------------------------------
# T3, T4 (none)


def h_of(value):
    """h(v) - value, h(v) = v^2/2 + ((1 - v)^2/(v^2 + (1 - v)^2))^2/2 (= L on W1 -> oo, v = z(0))."""
    return HALF * v**2 + HALF * ((1 - v) ** 2 / (v**2 + (1 - v) ** 2)) ** 2 - value


@cache
def gap_constant(value) -> sp.Rational:
    """A rational c > 0 with h(v) - value >= c on [1/2, 1]: half the sampled minimum, rounded down
    (a guess; the certificate below decides it)."""
    import numpy as np

    f = lambdify(v, h_of(value), modules="numpy")
    lo = float(np.min(f(np.linspace(0.5, 1.0, 20001))))
    return sp.Rational(int(lo / 2 * 1000), 1000)


def nonneg_w2_bound(value, c, lo=HALF, hi=sp.S.One):
    """The fact L - value >= c on W2 >= 0, via h on [lo, hi] (the certificate's region)."""
    m = model("none")
    W1, W2 = m.params
    z0, _ = _zs(m)
    F = sp.Lambda(s, HALF * (1 - sigma(s)) ** 2)
    vv = sigma(W2 / 2)
    dec = Monotone("F(s) = (1 - sigma(s))^2/2 is strictly decreasing", F(s), s, "decreasing")
    cmp_ = kernel.check(
        MonotoneCompare(
            "W2 >= 0: W2 sigma(W1) <= W2, so F(W2) <= F(W2 sigma(W1))",
            F,
            W2,
            W2 * sigma(W1),
            dec,
            strict=False,
            assume={W2: "nonnegative"},
        )
    )
    ident = kernel.check(
        Identity("z(0)^2/2 + F(W2) is h at v = sigma(W2/2)", HALF * z0**2 + F(W2), h_of(0).subs(v, vv))
    )
    cert = kernel.check(
        Certificate(f"h(v) - {value} >= {c} on [{lo}, {hi}]", h_of(value), ">=", c, ((v, lo, hi),))
    )
    members = (
        _sign(f"W2 >= 0: sigma(W2/2) >= {lo}", vv - lo, ">=", {W2: "nonnegative"}),
        _sign(f"W2 >= 0: sigma(W2/2) <= {hi}", hi - vv, ">=", {W2: "nonnegative"}),
    )
    on_w2 = kernel.instantiate(
        cert, {v: vv}, domain((W2, "nonnegative")), members, comment="v := sigma(W2/2)"
    )
    chain = kernel.add(cmp_, ident, comment="L - h(sigma(W2/2)) >= 0 (transitivity)")
    return kernel.add(chain, on_w2, comment=f"L - {value} - {c} >= 0 on W2 >= 0 (transitivity)")


def t3() -> Built:
    m = model("none")
    W1, W2 = m.params
    z0, z1 = _zs(m)
    L = m.loss
    seq = {W1: -n, W2: -n}
    value = compute_limit(L.xreplace(seq), n, sp.oo)
    lims = [compute_limit(z.xreplace(seq), n, sp.oo) for z in (z0, z1)]
    c = gap_constant(value)
    R2 = _all_real(m)
    neg = domain((W1, "real"), (W2, "negative"))
    stmt = Conj(
        (
            Infimum(L, R2, value),
            Attained(L, R2, value, False),
            *(LimitIs(z.xreplace(seq), n, sp.oo, "+", lim) for z, lim in zip((z0, z1), lims)),
            ForAll(domain((W1, "real"), (W2, "nonnegative")), rel(L, ">=", value + c)),
            ForAll(neg, rel(L - value, ">", HALF * z0**2)),
            ForAll(neg, rel(L - value, ">", HALF * (z1 - HALF) ** 2)),
        )
    )

    def derive():
        lim = kernel.check(Limit("along W1 = W2 = -n", L.xreplace(seq), n, sp.oo, value))
        outs = [
            kernel.check(Limit("output along the path", z.xreplace(seq), n, sp.oo, q))
            for z, q in zip((z0, z1), lims)
        ]
        strict = _by_cases(f"L - {value} > 0", L - value, ">", W2)
        inf = kernel.infimum(kernel.weaken(strict), lim, L, R2, value, seq, comment="lower bound + the path")
        na = kernel.not_attained(strict, L, R2, value)
        bounds = [f for _, f in _lower_bounds(L, value, z0, z1, W2, "negative")]
        return kernel.conj(inf, na, *outs, nonneg_w2_bound(value, c), *bounds)

    thm = Theorem(
        "T3",
        "Exact infimum of the seed loss",
        stmt,
        derive,
        comment=(
            f"L > {value} everywhere; along W1 = W2 = -n it tends to {value}. On W2 >= 0 it stays {c} above, "
            "so a "
            "minimising sequence eventually has W2 < 0, where L - value bounds z(0)^2/2 and (z(1) - 1/2)^2/2."
        ),
        conclusion=f"inf L = {value}, not attained; minimising sequences drive z(0) -> 0 and z(1) -> 1/2.",
    )
    facts = {
        "infimum": str(value),
        "sequence": {"W1": "-n", "W2": "-n"},
        "limit_outputs": [str(q) for q in lims],
        "gap_on_W2_nonnegative": str(c),
    }
    return Built(thm, facts, ("none",))


def t4() -> Built:
    m = model("none")
    W1, W2 = m.params
    z0, z1 = _zs(m)
    L = m.loss
    y1 = sigma(W1)
    g1, g2 = sp.Derivative(L, W1), sp.Derivative(L, W2)
    origin = ((W1, W2), (0, 0))
    H = sp.ImmutableMatrix(sp.Matrix(m.hessian).subs({W1: 0, W2: 0}))
    Hs = sp.Matrix(2, 2, lambda i, j: At(sp.Derivative(L, m.params[i], m.params[j]), *origin))
    lam = sp.Symbol("lambda", real=True)
    roots = sp.real_roots(sp.Poly((H - lam * sp.eye(2)).det(), lam))
    det = H.det()
    kind = "saddle" if det < 0 else "critical point (not classified)"
    loss_at = L.subs({W1: 0, W2: 0})
    closed1 = -W2 * z1 * (1 - z1) ** 2 * y1 * (1 - y1)
    axis = At(g2, W2, 0)
    d2 = {c: domain((W1, "real"), (W2, c)) for c in CASES}
    a1 = {c: domain((W1, c)) for c in CASES}
    det_s = Hs[0, 0] * Hs[1, 1] - Hs[0, 1] * Hs[1, 0]
    root_ops = ["<" if r.is_negative else ">" if r.is_positive else "=" for r in roots]
    pairs = [
        (ForAll(_all_real(m), rel(g1, "=", closed1)), Identity("dL/dW1 in closed form", g1, closed1)),
        (ForAll(d2["negative"], rel(g1, ">", 0)), Sign("W2 < 0: dL/dW1 > 0", g1, ">0", {W2: "negative"})),
        (ForAll(d2["positive"], rel(g1, "<", 0)), Sign("W2 > 0: dL/dW1 < 0", g1, "<0", {W2: "positive"})),
        (
            ForAll(reals(W1), rel(axis, "=", (1 - 2 * y1) / 16)),
            Identity("dL/dW2 on W2 = 0", axis, (1 - 2 * y1) / 16),
        ),
        (ForAll(a1["negative"], rel(axis, ">", 0)), Sign("W2 = 0, W1 < 0", axis, ">0", {W1: "negative"})),
        (ForAll(a1["positive"], rel(axis, "<", 0)), Sign("W2 = 0, W1 > 0", axis, "<0", {W1: "positive"})),
        (ForAll((), rel(At(g1, *origin), "=", 0)), Identity("dL/dW1 at the origin", At(g1, *origin), 0)),
        (ForAll((), rel(At(g2, *origin), "=", 0)), Identity("dL/dW2 at the origin", At(g2, *origin), 0)),
        (ForAll((), rel(At(L, *origin), "=", loss_at)), Identity("L at the origin", At(L, *origin), loss_at)),
    ]
    for i, j in ((0, 0), (0, 1), (1, 1)):
        pairs.append((ForAll((), rel(Hs[i, j], "=", H[i, j])), Identity("Hessian entry", Hs[i, j], H[i, j])))
    if det < 0:
        pairs.append((ForAll((), rel(det_s, "<", 0)), Sign("det H(0, 0) < 0: a saddle", det_s, "<0")))
    charpoly = (Hs - lam * sp.eye(2)).det()
    eig = sp.prod([lam - r for r in roots])
    pairs.append((ForAll(reals(lam), rel(charpoly, "=", eig)), Identity("the eigenvalues", charpoly, eig)))
    for r, op in zip(roots, root_ops):
        pairs.append((ForAll((), rel(r, op, 0)), Sign("sign of an eigenvalue", r, _SIGN_REL[op])))
    stmt = Conj(tuple(p for p, _ in pairs))

    def derive():
        return kernel.conj(*(kernel.check(step) for _, step in pairs))

    thm = Theorem(
        "T4",
        "All critical points of the seed loss",
        stmt,
        derive,
        comment=(
            "dL/dW1 vanishes only on W2 = 0, and there dL/dW2 vanishes only at W1 = 0: the origin is the "
            "only "
            f"critical point, with L = {loss_at} and det H = {det}" + (" < 0, a saddle." if det < 0 else ".")
        ),
        conclusion=f"(0, 0) is the only critical point, a {kind} at loss {loss_at}.",
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
GENERAL = sigma(W * sigma(u))


@cache
def t7_general() -> tuple:
    """The sign lemma's three cases as kernel facts: sigma(W sigma(u)) against 1/2 by the sign of W."""
    return tuple(_sign(f"W {c}", GENERAL - HALF, SIDE[c], {W: c, u: "real"}) for c in CASES)


def t7() -> Built:
    parts, chains = [], []
    for c in CASES:
        parts.append(ForAll(domain((W, c), (u, "real")), rel(GENERAL, SIDE[c], HALF)))
    for k in T7_KS:
        z, pre, Ws, bs = chain_output(k)
        for c in CASES:
            dom = domain(*((p, "real") for p in (x, *Ws[:-1], *bs)), (Ws[-1], c))
            parts.append(ForAll(dom, rel(z, SIDE[c], HALF)))
            chains.append((c, {W: Ws[-1], u: pre}, dom))
    stmt = Conj(tuple(parts))

    def derive():
        gen = t7_general()
        inst = [
            kernel.instantiate(gen[CASES.index(c)], mp, dom, comment="W := W_k, u := last pre-activation")
            for c, mp, dom in chains
        ]
        return kernel.conj(*gen, *inst)

    thm = Theorem(
        "T7",
        "Sign lemma for a bias-free output neuron fed by one sigmoid",
        stmt,
        derive,
        comment=(
            "The general lemma is for all real W, u. A chain of any length k >= 2 whose output neuron has "
            "no bias computes z = sigma(W_k sigma(u)) with u its last (real) pre-activation, so the lemma "
            "applies to it; "
            f"the kernel checks that instantiation for k = {', '.join(map(str, T7_KS))} only."
        ),
        conclusion="Whatever comes before it, a bias-free output fed by one sigmoid cannot separate.",
    )
    return Built(thm, {"checked_lengths": list(T7_KS)}, ("none", "hidden"))


def t5() -> Built:
    m = model("hidden")
    W1, W2, b1 = m.params
    z0, z1 = _zs(m)
    L = m.loss
    valleys = ({W1: -2 * n, W2: -n, b1: n}, {W1: 2 * n, W2: n, b1: -n})
    value = compute_limit(L.xreplace(valleys[0]), n, sp.oo)
    lims = [[compute_limit(z.xreplace(vl), n, sp.oo) for z in (z0, z1)] for vl in valleys]
    R3 = _all_real(m)
    sides = {c: domain((W1, "real"), (W2, c), (b1, "real")) for c in ("negative", "positive")}
    bound_stmts = [
        ForAll(sides[side], rel(L - value, ">", g))
        for side in ("negative", "positive")
        for g in _bound_shapes(z0, z1, side)
    ]
    stmt = Conj(
        (
            Separable(m.problem, False),
            Infimum(L, R3, value),
            Attained(L, R3, value, False),
            *(LimitIs(L.xreplace(vl), n, sp.oo, "+", value) for vl in valleys),
            *(
                LimitIs(z.xreplace(vl), n, sp.oo, "+", q)
                for vl, qs in zip(valleys, lims)
                for z, q in zip((z0, z1), qs)
            ),
            *bound_stmts,
        )
    )

    def derive():
        gen = t7_general()
        prods = []
        for c in CASES:
            dom = domain((W1, "real"), (W2, c), (b1, "real"))
            f0 = kernel.instantiate(
                gen[CASES.index(c)], {W: W2, u: b1}, dom, comment="T7 with W := W2, u := b1"
            )
            f1 = kernel.instantiate(
                gen[CASES.index(c)], {W: W2, u: W1 + b1}, dom, comment="T7 with u := W1 + b1"
            )
            p = kernel.mul(f0, f1, comment="(z(0) - 1/2)(z(1) - 1/2)")
            prods.append(kernel.weaken(p))
        sep = kernel.not_separable(m.problem, kernel.cases(prods, W2, REAL), comment="T7 at both inputs")
        paths = [kernel.check(Limit("valley", L.xreplace(vl), n, sp.oo, value)) for vl in valleys]
        outs = [
            kernel.check(Limit("output in the valley", z.xreplace(vl), n, sp.oo, q))
            for vl, qs in zip(valleys, lims)
            for z, q in zip((z0, z1), qs)
        ]
        strict = _by_cases(f"L - {value} > 0", L - value, ">", W2)
        inf = kernel.infimum(kernel.weaken(strict), paths[0], L, R3, value, valleys[0])
        na = kernel.not_attained(strict, L, R3, value)
        bounds = [
            f for side in ("negative", "positive") for _, f in _lower_bounds(L, value, z0, z1, W2, side)
        ]
        return kernel.conj(sep, inf, na, *paths, *outs, *bounds)

    thm = Theorem(
        "T5",
        "A bias on the hidden neuron alone does not help",
        stmt,
        derive,
        comment=(
            "T7 instantiated at x = 0 (u = b1) and x = 1 (u = W1 + b1) puts both outputs on the side of W2; "
            f"L > {value} everywhere and two valleys approach it, W2 -> -oo and W2 -> +oo."
        ),
        conclusion=f"Not separable; inf L = {value}, not attained.",
    )
    facts = {
        "infimum": str(value),
        "valleys": [
            {"sequence": {"W1": "-2n", "W2": "-n", "b1": "n"}, "limit_outputs": [str(q) for q in lims[0]]},
            {"sequence": {"W1": "2n", "W2": "n", "b1": "-n"}, "limit_outputs": [str(q) for q in lims[1]]},
        ],
    }
    return Built(thm, facts, ("hidden",))


def _bound_shapes(z0, z1, side) -> tuple:
    """The squares L - value dominates on W2 < 0 ("negative") and on W2 > 0."""
    if side == "negative":
        return (HALF * z0**2, HALF * (z1 - HALF) ** 2)
    return (HALF * (1 - z1) ** 2, HALF * (z0 - HALF) ** 2)


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
    Rn = _all_real(m)
    stmt = Conj(
        (
            Infimum(L, Rn, value),
            Attained(L, Rn, value, False),
            Separable(m.problem, True),
            ForAll(domain((tpar, "positive")), rel(z0.xreplace(wt), "<", HALF)),
            ForAll(domain((tpar, "positive")), rel(z1.xreplace(wt), ">", HALF)),
            ForAll(domain((eps, "positive")), rel(Le, "=", closed)),
            ForAll(domain((eps, "positive")), rel(Le, "<", eps)),
        )
    )

    def derive():
        lower = _sign(f"L > {value} for all weights", L - value, ">")
        lim = kernel.check(Limit("L along t = log(1 + 1/eps), eps -> 0+", Le, eps, sp.S.Zero, value))
        inf = kernel.infimum(kernel.weaken(lower), lim, L, Rn, value, we)
        return kernel.conj(
            inf,
            kernel.not_attained(lower, L, Rn, value),
            kernel.separable(m.problem, inf, comment="inf L = 0 with 0/1 targets"),
            _sign("z(0) < 1/2 at the weights w(t)", z0.xreplace(wt) - HALF, "<"),
            _sign("z(1) > 1/2 at the weights w(t)", z1.xreplace(wt) - HALF, ">"),
            kernel.check(Identity("the loss at w(log(1 + 1/eps))", Le, closed)),
            _sign("L < eps", eps - Le, ">"),
        )

    thm = Theorem(
        "T6",
        f"With an output bias ({arch}) the network fits the data arbitrarily well",
        stmt,
        derive,
        comment=(
            "W1 = log 3, W2 = 8t, b2 = -5t"
            + (", b1 = 0" if arch == "both" else "")
            + " give z(0) = sigma(-t) < 1/2 < sigma(t) = z(1); t = log(1 + 1/eps) gives "
            "L = eps^2/(1 + 2 eps)^2."
        ),
        conclusion=f"inf L = {value}, approached but never reached; the data are separable.",
    )
    facts = {
        "infimum": str(value),
        "separating_weights": {str(p): sp.sstr(val) for p, val in t6_weights(arch, sp.S.One).items()},
        "epsilon_weights": {str(p): sp.sstr(val) for p, val in we.items()},
    }
    return Built(thm, facts, (arch,))


# ---------------------------------------------------------------------------------------------
# False variants: a claim and how to refute it (a certified counterexample, or a proved fact
# it contradicts)


@dataclass(frozen=True, eq=False)
class Variant:
    id: str
    title: str
    claim: object
    arches: tuple[str, ...]
    contradicts: str | None = None  # the theorem whose fact the claim contradicts


def variants(arch: str) -> tuple[Variant, ...]:
    m = model(arch)
    z0, z1 = _zs(m)
    L = m.loss
    W1, W2 = m.params[m.problem.param_names.index("W1")], m.params[m.problem.param_names.index("W2")]
    Rn = _all_real(m)
    out = []
    if arch == "none":
        neg = domain((W1, "real"), (W2, "negative"))
        out += [
            Variant(
                "F1",
                "A stronger bound than the user's (false)",
                ForAll(neg, rel(z1, "<", sp.Rational(2, 5))),
                ("none",),
            ),
            Variant(
                "F2",
                "A wrong infimum: the critical value 1/4 (false)",
                ForAll(Rn, rel(L, ">=", sp.Rational(1, 4))),
                ("none",),
            ),
        ]
    if arch == "hidden":
        out += [
            Variant(
                "F3", "A hidden bias alone separates (false)", Separable(m.problem, True), ("hidden",), "T5"
            ),
            Variant(
                "F4",
                "A wrong infimum for the hidden bias: 1/4 (false)",
                ForAll(Rn, rel(L, ">=", sp.Rational(1, 4))),
                ("hidden",),
            ),
        ]
    if arch in ("output", "both"):
        prod = (z0 - HALF) * (z1 - HALF)
        out += [
            Variant(
                "F5",
                f"An output bias cannot separate ({arch}; false)",
                ForAll(Rn, rel(prod, ">=", 0)),
                (arch,),
            ),
            Variant(
                "F6",
                f"A bias does not beat the seed's 1/8 ({arch}; false)",
                ForAll(Rn, rel(L, ">=", sp.Rational(1, 8))),
                (arch,),
            ),
        ]
    return tuple(out)


def attempt(claim):
    """Try to prove a for-all claim with the sign checker (a false claim must fail): a fact or None."""
    op, e = normal_form(claim.relation)
    assume = {}
    for sym, where in claim.domain:
        kinds = [k for k, st in KIND_SETS.items() if st == where]
        if not kinds:
            return None
        assume[sym] = kinds[0]
    try:
        f = kernel.check(Sign("the engine tries to prove the claim", e, _SIGN_REL[op], assume))
    except kernel.KernelError:
        return None
    return f if kernel.proves(f, claim) else None


def refutation(claim, point) -> object:
    """The kernel fact Not(claim) from a counterexample point (KernelError if it does not check)."""
    return kernel.check(Counterexample("a certified counterexample", claim, point))


def not_claim(vr: Variant) -> Not:
    return Not(vr.claim)
