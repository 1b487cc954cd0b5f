"""False variants: mutated constants, flipped signs, strict for non-strict, wrong domains, a path as
an infimum, forged premises, narrowed boxes. Each must come out NOT proved by the kernel."""

from functools import cache

import pytest
import sympy as sp

from analysis.exact import sigma
from analysis.network import preset
from analysis.proofs import kernel
from analysis.proofs import theorems as tm
from analysis.proofs.engine import (
    Certificate,
    Counterexample,
    Identity,
    Limit,
    Monotone,
    MonotoneCompare,
    Sign,
)
from analysis.proofs.statements import (
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
    reals,
    rel,
)

M = tm.model("none")
W1, W2 = M.params
L = M.loss
Z0, Z1 = M.outputs[0][0], M.outputs[1][0]
H = M.problem
t = sp.Symbol("t", real=True)
x = sp.Symbol("x", real=True)
n, v = tm.n, tm.v
R2 = reals(W1, W2)
Q = sp.Rational
HALF = sp.S.Half
NEG = domain((W1, "real"), (W2, "negative"))
NONNEG = domain((W1, "real"), (W2, "nonnegative"))
SEQ = {W1: -n, W2: -n}


@cache
def t3_parts():
    fact = tm.t3().theorem.derive()
    return fact, {type(p).__name__ + str(i): kernel.part(fact, i) for i, p in enumerate(fact.stmt.parts)}


@cache
def strict():
    return kernel.cases([kernel.check(Sign("", L - Q(1, 8), ">0", {W2: c})) for c in tm.CASES], W2, REAL)


@cache
def lim():
    return kernel.check(Limit("", L.xreplace(SEQ), n, sp.oo, Q(1, 8)))


def _gap():
    return tm.gap_constant(Q(1, 8))


# ---------------------------------------------------------------------------------------------
# A. The real T3 fact under mutated statements (constants, signs, strictness, domains)


def _mutations():
    c = _gap()
    return {
        "inf 1/4": Infimum(L, R2, Q(1, 4)),
        "inf 1/7": Infimum(L, R2, Q(1, 7)),
        "inf 0": Infimum(L, R2, 0),
        "inf on W2 < 0 only": Infimum(L, NEG, Q(1, 8)),
        "attained": Attained(L, R2, Q(1, 8), True),
        "z(0) -> 1/2": LimitIs(Z0.xreplace(SEQ), n, sp.oo, "+", HALF),
        "z(1) -> 0": LimitIs(Z1.xreplace(SEQ), n, sp.oo, "+", 0),
        "limit at -oo": LimitIs(Z0.xreplace(SEQ), n, -sp.oo, "+", 0),
        "gap + 1/1000": ForAll(NONNEG, rel(L, ">=", Q(1, 8) + c + Q(1, 1000))),
        "gap on all W2": ForAll(R2, rel(L, ">=", Q(1, 8) + c)),
        "gap bound flipped": ForAll(NONNEG, rel(L, "<=", Q(1, 8) + c)),
        "W2 < 0 bound flipped": ForAll(NEG, rel(L - Q(1, 8), "<", HALF * Z0**2)),
        "W2 < 0 bound on R^2": ForAll(R2, rel(L - Q(1, 8), ">", HALF * Z0**2)),
        "W2 < 0 bound doubled": ForAll(NEG, rel(L - Q(1, 8), ">", Z0**2)),
        "free W2 outside the domain": ForAll(reals(W1), rel(L - Q(1, 8), ">", HALF * Z0**2)),
    }


@pytest.mark.parametrize("name", list(_mutations()))
def test_real_t3_facts_do_not_prove_mutated_statements(name):
    fact, parts = t3_parts()
    wrong = _mutations()[name]
    assert not kernel.proves(fact, wrong)
    assert not any(kernel.proves(p, wrong) for p in parts.values())


# ---------------------------------------------------------------------------------------------
# B. False steps: every checker refuses


_FALSE_STEPS = {
    "user's bound flipped": lambda: Sign("", Z1 - HALF, ">0", {W2: "negative"}),
    "F1 as a step": lambda: Sign("", Z1 - Q(2, 5), "<0", {W2: "negative"}),
    "F2 as a step": lambda: Sign("", L - Q(1, 4), ">=0"),
    "strict at the boundary": lambda: Sign("", Z0 - HALF, ">0", {W2: "nonnegative"}),
    "non-strict the wrong way": lambda: Sign("", Z0 - HALF, ">=0", {W2: "negative"}),
    "L > 1/8 + 1/1000": lambda: Sign("", L - Q(1, 8) - Q(1, 1000), ">0"),
    "sigma odd": lambda: Identity("", sigma(-t), sigma(t)),
    "dL/dW2 wrong": lambda: Identity("", sp.Derivative(L, W2), Z0 * (1 - Z0) * Z0),
    "L(0,0) = 1/8": lambda: Identity("", At(L, (W1, W2), (0, 0)), Q(1, 8)),
    "sigma decreasing": lambda: Monotone("", sigma(t), t, "decreasing"),
    "gap 3/20 on [1/2, 1]": lambda: Certificate("", tm.h_of(Q(1, 8)), ">=", Q(3, 20), ((v, HALF, sp.S.One),)),
    "certificate rel flipped": lambda: Certificate(
        "", tm.h_of(Q(1, 8)), "<=", Q(1, 100), ((v, HALF, sp.S.One),)
    ),
    "limit 1/4": lambda: Limit("", L.xreplace(SEQ), n, sp.oo, Q(1, 4)),
    "one-sided limit wrong side": lambda: Limit("", sigma(1 / t), t, sp.S.Zero, sp.S.Zero, "+"),
    "counterexample to a true claim": lambda: Counterexample(
        "", ForAll(NEG, rel(Z1, "<", HALF)), {W1: sp.S.Zero, W2: -sp.S.One}
    ),
    "counterexample outside the domain": lambda: Counterexample(
        "", ForAll(NEG, rel(Z1, "<", Q(2, 5))), {W1: sp.S.Zero, W2: sp.S.One}
    ),
    "compare in the wrong order": lambda: MonotoneCompare(
        "", sp.Lambda(t, sigma(t)), sp.S.One, sp.S.Zero, Monotone("", sigma(x), x, "increasing")
    ),
}


@pytest.mark.parametrize("name", list(_FALSE_STEPS))
def test_false_steps_make_no_fact(name):
    with pytest.raises(kernel.KernelError):
        kernel.check(_FALSE_STEPS[name]())


# ---------------------------------------------------------------------------------------------
# C. Rules applied where their side conditions fail


def _gen(c):
    return tm.t7_general()[tm.CASES.index(c)]


def _w2(c):
    return kernel.check(Sign("", (Z0 - HALF) * (Z1 - HALF), ">=0", {W2: c}))


def _vv():
    return sigma(W2 / 2)


_MISUSE = {
    "cases missing W2 = 0": lambda: kernel.cases([_w2("negative"), _w2("positive")], W2, REAL),
    "cases covering W2 >= 0 claimed on R": lambda: kernel.cases([_w2("zero"), _w2("positive")], W2, REAL),
    "cases with different relations": lambda: kernel.cases(
        [_w2("negative"), _w2("zero"), kernel.check(Sign("", Z1 - HALF, ">0", {W2: "positive"}))], W2, REAL
    ),
    "add an inequality with a negative factor": lambda: kernel.add(strict(), strict(), -1),
    "instantiate W < 0 at a real W2": lambda: kernel.instantiate(_gen("negative"), {tm.W: W2, tm.u: W1}, R2),
    "instantiate u at a non-real value": lambda: kernel.instantiate(
        _gen("positive"), {tm.W: W2, tm.u: sp.sqrt(W1)}, domain((W1, "real"), (W2, "positive"))
    ),
    "instantiate a certificate without membership": lambda: kernel.instantiate(
        kernel.check(Certificate("", tm.h_of(Q(1, 8)), ">=", _gap(), ((v, HALF, sp.S.One),))),
        {v: _vv()},
        domain((W2, "nonnegative")),
    ),
    "membership facts on a smaller domain": lambda: kernel.instantiate(
        kernel.check(Certificate("", tm.h_of(Q(1, 8)), ">=", _gap(), ((v, HALF, sp.S.One),))),
        {v: _vv()},
        domain((W2, "real")),
        (
            kernel.check(Sign("", _vv() - HALF, ">=0", {W2: "nonnegative"})),
            kernel.check(Sign("", 1 - _vv(), ">0", {W2: "nonnegative"})),
        ),
    ),
    "infimum from a bound on W2 < 0 only": lambda: kernel.infimum(
        kernel.check(Sign("", L - Q(1, 8), ">0", {W2: "negative"})), lim(), L, R2, Q(1, 8), SEQ
    ),
    "infimum with another path's limit": lambda: kernel.infimum(
        kernel.weaken(strict()), lim(), L, R2, Q(1, 8), {W1: n, W2: -n}
    ),
    "infimum at a value the path does not reach": lambda: kernel.infimum(
        kernel.weaken(strict()), lim(), L, R2, Q(1, 4), SEQ
    ),
    "a single path as an infimum (no bound)": lambda: kernel.infimum(lim(), lim(), L, R2, Q(1, 8), SEQ),
    "not attained from a non-strict bound": lambda: kernel.not_attained(
        kernel.weaken(strict()), L, R2, Q(1, 8)
    ),
    "separable from inf L = 1/8": lambda: kernel.separable(
        H, kernel.infimum(kernel.weaken(strict()), lim(), L, R2, Q(1, 8), SEQ)
    ),
    "not separable from a fact on W2 >= 0": lambda: kernel.not_separable(
        H, kernel.cases([_w2("zero"), _w2("positive")], W2, sp.Interval(0, sp.oo))
    ),
    "not separable for another problem": lambda: kernel.not_separable(
        preset("hidden"), kernel.cases([_w2(c) for c in tm.CASES], W2, REAL)
    ),
    "contradict an infimum with itself": lambda: kernel.contradict(
        kernel.infimum(kernel.weaken(strict()), lim(), L, R2, Q(1, 8), SEQ), Infimum(L, R2, Q(1, 8))
    ),
    "contradict a for-all claim by an unrelated fact": lambda: kernel.contradict(
        strict(), ForAll(R2, rel(L, ">=", 1))
    ),
    "substitute an identity that does not occur": lambda: kernel.subst(
        kernel.check(Identity("", sigma(-t), 1 - sigma(t))), strict()
    ),
    "a forged premise": lambda: kernel.add(object.__new__(kernel.Fact), strict()),
}


@pytest.mark.parametrize("name", list(_MISUSE))
def test_rules_refuse_when_side_conditions_fail(name):
    with pytest.raises(kernel.KernelError):
        _MISUSE[name]()


def test_rules_derive_what_they_should():
    """Positive controls: the same rules with their side conditions met."""
    inf = kernel.infimum(kernel.weaken(strict()), lim(), L, R2, Q(1, 8), SEQ)
    assert kernel.proves(inf, Infimum(L, R2, Q(1, 8)))
    assert kernel.proves(kernel.not_attained(strict(), L, R2, Q(1, 8)), Attained(L, R2, Q(1, 8), False))
    assert kernel.proves(
        kernel.not_separable(H, kernel.cases([_w2(c) for c in tm.CASES], W2, REAL)), Separable(H, False)
    )
    refuted = kernel.contradict(inf, Infimum(L, R2, Q(1, 4)))
    assert kernel.proves(refuted, Not(Infimum(L, R2, Q(1, 4))))
    # Transitivity: a - b > 0 and b - c >= 0 give a - c > 0.
    ab = kernel.check(Sign("", sigma(t + 1) - sigma(t), ">0"))
    bc = kernel.check(Sign("", sigma(t) - sigma(t - 1), ">0"))
    assert kernel.proves(kernel.add(ab, bc), ForAll(reals(t), rel(sigma(t + 1), ">", sigma(t - 1))))
    # Substitution of an identity: sigma(-t) = 1 - sigma(t) moves a fact about sigma(-t) onto 1 - sigma(t).
    ident = kernel.check(Identity("", sigma(-t), 1 - sigma(t)))
    pos = kernel.check(Sign("", sigma(-t), ">0"))
    assert kernel.proves(kernel.subst(ident, pos), ForAll(reals(t), rel(1 - sigma(t), ">", 0)))


def test_counterexamples_refute_false_claims():
    claim = ForAll(NEG, rel(Z1, "<", Q(2, 5)))
    f = kernel.check(Counterexample("", claim, {W1: Q(-8), W2: Q(-1, 10)}))
    assert kernel.proves(f, Not(claim)) and not kernel.proves(f, claim)


@pytest.mark.parametrize("arch", ["none", "hidden", "output", "both"])
def test_the_sign_checker_cannot_prove_the_false_variants(arch):
    for vr in tm.variants(arch):
        if isinstance(vr.claim, ForAll):
            assert tm.attempt(vr.claim) is None, vr.id


def test_a_statement_renders_once_and_stays_the_same_statement():
    """Text and LaTeX are kept on the statement once rendered: the same strings as rendering anew,
    and equality, hashing and pickling see only the statement's fields."""
    import pickle

    s = ForAll(domain((W1, REAL), (W2, REAL)), rel(L, ">=", sp.Rational(1, 8)))
    twin = ForAll(domain((W1, REAL), (W2, REAL)), rel(L, ">=", sp.Rational(1, 8)))
    text, tex = s.text(), s.latex()
    assert text == type(s).text.__wrapped__(s) and tex == type(s).latex.__wrapped__(s)
    assert s.text() is text and s == twin and hash(s) == hash(twin)
    assert pickle.loads(pickle.dumps(s)).text() == text
    # A statement forged in place (the kernel guards against those) renders anew, not from the memo.
    forged = ForAll(domain((W1, REAL), (W2, REAL)), rel(L, ">=", sp.Rational(1, 8)))
    kept = forged.text()
    object.__setattr__(forged, "relation", rel(L, ">=", sp.Rational(1, 4)))
    assert forged.text() != kept and "1/4" in forged.text()
    # Negative control: another statement renders to its own text, not a cached one.
    other = ForAll(domain((W1, REAL), (W2, REAL)), rel(L, ">", sp.Rational(1, 8)))
    assert other.text() != text and ">" in other.text()
    assert Conj((s, other)).text() == f"({text}) AND ({other.text()})"
