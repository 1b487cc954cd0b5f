"""The 15 false results the audit of issue 10 got marked "proved": each now comes out not proved."""

import copy
import pickle
from dataclasses import replace

import pytest
import sympy as sp

from analysis.exact import sigma
from analysis.network import preset
from analysis.proofs import kernel, render_markdown
from analysis.proofs import theorems as tm
from analysis.proofs.engine import Certificate, Identity, Limit, Sign
from analysis.proofs.report import _settled
from analysis.proofs.results import UNPROVED, Theorem, prove_theorem
from analysis.proofs.statements import REAL, Attained, Conj, Infimum, Not, Separable, domain, reals

M = tm.model("none")
W1, W2 = M.params
L = M.loss
Z0, Z1 = M.outputs[0][0], M.outputs[1][0]
x = sp.Symbol("x", real=True)
R2 = reals(W1, W2)


@pytest.fixture(scope="module")
def t3():
    built = tm.t3()
    return built.theorem, built.theorem.derive()


def _refused(fn, *args, **kw):
    with pytest.raises(kernel.KernelError):
        fn(*args, **kw)


def test_fool_01_real_t3_steps_under_a_wrong_statement(t3):
    thm, fact = t3
    assert kernel.proves(fact, thm.statement)
    wrong = Conj((Infimum(L, R2, sp.Rational(1, 4)), Attained(L, R2, sp.Rational(1, 4), True)))
    assert not kernel.proves(fact, wrong)
    res = prove_theorem(Theorem("X", "inf L = 1/4, attained", wrong, lambda: fact))
    assert res.status == UNPROVED and "not the theorem's statement" in res.failing_step


def test_fool_02_identity_labels_are_gone_and_vacuous_identities_refused():
    with pytest.raises(TypeError):
        Identity("z(0)", sigma(W2), sigma(W2), label="z(0)")  # no label can replace the checked side
    _refused(kernel.check, Identity("z(0) = z(0)", sigma(W2), sigma(W2)))
    _refused(kernel.check, Identity("L(0,0)", L.subs({W1: 0, W2: 0}), sp.Rational(1, 4)))  # 1/4 == 1/4


def test_fool_03_derivative_claims_rest_on_a_check():
    good = Identity("dL/dW1", sp.Derivative(L, W1), -W2 * Z1 * (1 - Z1) ** 2 * sigma(W1) * (1 - sigma(W1)))
    assert kernel.check(good)
    bad = Identity(
        "dL/dW1 (wrong sign)", sp.Derivative(L, W1), W2 * Z1 * (1 - Z1) ** 2 * sigma(W1) * (1 - sigma(W1))
    )
    _refused(kernel.check, bad)


_FOOL_LIMITS = [
    (2**x, -sp.oo, sp.oo, "+"),
    (2 ** (-x), -sp.oo, sp.S.Zero, "+"),
    (2 ** (1 / x), sp.S.Zero, sp.oo, "-"),
    (sigma(x) ** x, -sp.oo, sp.S.One, "+"),
]


@pytest.mark.parametrize("expr,point,claimed,direction", _FOOL_LIMITS, ids=["04", "05", "06", "07"])
def test_fool_04_to_07_wrong_limits_are_refused(expr, point, claimed, direction):
    _refused(kernel.check, Limit("", expr, x, point, claimed, direction))


@pytest.mark.parametrize("expr,point,claimed,direction", _FOOL_LIMITS, ids=["04", "05", "06", "07"])
def test_fool_04_to_07_even_a_wrong_gruntz_is_caught_by_arb(monkeypatch, expr, point, claimed, direction):
    """If SymPy itself returned the wrong value (as limit() did), the arb cross-check still refuses."""
    from analysis.proofs import engine

    monkeypatch.setattr(engine, "compute_limit", lambda *a: claimed)
    with pytest.raises(kernel.KernelError, match="arb cross-check disagrees"):
        kernel.check(Limit("", expr, x, point, claimed, direction))


def test_fool_08_one_path_is_not_an_infimum():
    n = tm.n
    lim = kernel.check(Limit("inf over R^2 is 1/2", L.xreplace({W1: n, W2: n}), n, sp.oo, sp.S.Half))
    assert not kernel.proves(lim, Infimum(L, R2, sp.S.Half))
    lower = kernel.check(Sign("L > 0", L, ">0"))  # a true lower bound, but not L - 1/2 >= 0
    _refused(kernel.infimum, lower, lim, L, R2, sp.S.Half, {W1: n, W2: n})


def test_fool_09_facts_cannot_be_forged_or_cited_without_being_made(t3):
    _, fact = t3
    forged = object.__new__(type(fact))
    assert not kernel.is_fact(forged)
    with pytest.raises(AttributeError):
        fact.stmt = Infimum(L, R2, sp.Rational(1, 4))
    with pytest.raises(TypeError):
        copy.copy(fact)
    with pytest.raises(TypeError):
        pickle.dumps(fact)
    _refused(kernel.conj, forged)
    victim = kernel.check(Sign("", Z1 - sp.S.Half, "<0", {W2: "negative"}))
    object.__setattr__(victim, "stmt", Infimum(L, R2, sp.Rational(1, 4)))  # edited in place
    assert not kernel.is_fact(victim)
    inner = kernel.check(Sign("", Z1 - sp.S.Half, "<0", {W2: "negative"}))
    object.__setattr__(inner.stmt, "relation", sp.Gt(Z1, sp.S.Half, evaluate=False))  # the statement too
    assert not kernel.is_fact(inner)
    _refused(kernel.part, forged, 0)
    assert not kernel.proves(forged, fact.stmt)


def test_fool_10_a_refutation_needs_the_contradicting_fact():
    t2 = tm.t2().theorem.derive()
    not_sep_none = next(
        kernel.part(t2, i) for i, p in enumerate(t2.stmt.parts) if isinstance(p, Separable)
    )  # the seed's network is not separable
    # ... which says nothing about the hidden-bias network (F3's claim): refused.
    _refused(kernel.contradict, not_sep_none, Separable(preset("hidden"), True))
    assert kernel.proves(
        kernel.contradict(not_sep_none, Separable(preset("none"), True)), Not(Separable(preset("none"), True))
    )


def test_fool_11_a_certificate_on_a_narrower_box_cannot_bound_w2_nonnegative():
    # h - 1/8 >= 3/20 holds on [3/4, 1] (the certificate passes), not on [1/2, 1] = sigma(W2/2)'s range.
    lo, c = sp.Rational(3, 4), sp.Rational(3, 20)
    cert = kernel.check(Certificate("narrow", tm.h_of(sp.Rational(1, 8)), ">=", c, ((tm.v, lo, sp.S.One),)))
    vv = sigma(W2 / 2)
    true_range = (
        kernel.check(Sign("", vv - sp.S.Half, ">=0", {W2: "nonnegative"})),
        kernel.check(Sign("", 1 - vv, ">0", {W2: "nonnegative"})),
    )
    with pytest.raises(kernel.KernelError, match="no membership fact"):
        kernel.instantiate(cert, {tm.v: vv}, domain((W2, "nonnegative")), true_range)
    with pytest.raises(kernel.KernelError):  # the builder with the narrow box: L >= 1/8 + 3/20 not derived
        tm.nonneg_w2_bound(sp.Rational(1, 8), c, lo=lo)


def test_fool_12_step_subclasses_make_no_facts():
    class Always(Sign):
        def statement(self):
            return super().statement()

    _refused(kernel.check, Always("L < 0 (false)", L, "<0"))

    class NotAStep:
        kind = "sign"
        text = ""

        def statement(self):
            return Infimum(L, R2, sp.Rational(1, 4))

    _refused(kernel.check, NotAStep())


def test_fool_13_summary_columns_come_from_facts_only(t3):
    thm, fact = t3
    # No proved theorem: nothing is settled (unknown, never a default).
    assert _settled([], "none") == (None, None, None)
    res = prove_theorem(thm)
    assert _settled([res], "none") == (sp.Rational(1, 8), False, None)
    unproved = replace(res, status=UNPROVED)
    assert _settled([unproved], "none") == (None, None, None)


def test_fool_14_documents_do_not_claim_more_than_was_derived(t3):
    thm, _ = t3
    res = prove_theorem(Theorem("X", "a wrong infimum", Infimum(L, R2, sp.Rational(1, 4)), thm.derive))
    from analysis.proofs.report import ProofReport

    md = render_markdown([ProofReport("none", (res,), None, None, None)])
    assert "every statement below was proved" not in md.lower()
    assert "**unproved**" in md and "**Not derived:**" in md and "| unknown | unknown |" in md


def test_fool_15_t7_is_stated_for_the_checked_lengths_only():
    built = tm.t7()
    ks = {str(p.domain) for p in built.theorem.statement.parts[3:]}
    assert len(built.theorem.statement.parts) == 3 + 3 * len(tm.T7_KS) and len(ks) == 3 * len(tm.T7_KS)
    assert "only" in built.theorem.comment and built.facts["checked_lengths"] == [2, 3, 4, 5]
    # A chain length that was not instantiated is not part of the statement.
    z6, *_ = tm.chain_output(6)
    assert not any(p.relation.has(z6) for p in built.theorem.statement.parts)
    assert sp.S.Reals == REAL
