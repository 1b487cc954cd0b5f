"""The optional z3 second opinion: it confirms true parts, and a disagreement unproves a result."""

import pytest
import sympy as sp

pytest.importorskip("z3")

from analysis.proofs import smt  # noqa: E402
from analysis.proofs import theorems as tm  # noqa: E402
from analysis.proofs.report import with_smt  # noqa: E402
from analysis.proofs.results import PROVED, UNPROVED, TheoremResult  # noqa: E402
from analysis.proofs.statements import ForAll, Not, domain, rel  # noqa: E402

M = tm.model("none")
W1, W2 = M.params
Z1 = M.outputs[1][0]
NEG = domain((W1, "real"), (W2, "negative"))


def test_z3_confirms_the_sign_lemma_and_the_users_bound():
    op = smt.opinion(tm.t2().theorem.statement)
    assert op.encoded == op.parts == 4 and op.confirmed == 4 and op.disagreements == ()
    assert "confirmed" in op.describe() and op.to_json()["confirmed"] == 4


def test_a_part_that_never_holds_is_a_disagreement():
    never = ForAll(NEG, rel(Z1, ">", sp.S.Half))  # z(1) < 1/2 for W2 < 0: this never holds
    op = smt.opinion(never)
    assert op.disagreements and "DISAGREES" in op.describe()
    res = TheoremResult("X", "a false 'proved' result", never.text(), never.latex(), PROVED, ())
    out = with_smt(res, never)
    assert out.status == UNPROVED and "disagrees" in out.failing_step and out.fact is None


def test_refuting_a_true_claim_is_a_disagreement():
    true_claim = ForAll(NEG, rel(Z1, "<", sp.S.Half))
    assert smt.opinion(Not(true_claim), refuted=True).disagreements
    false_claim = ForAll(NEG, rel(Z1, "<", sp.Rational(2, 5)))  # F1
    op = smt.opinion(Not(false_claim), refuted=True)
    assert op.disagreements == () and op.encoded == 1


def test_outside_the_fragment_is_not_encoded():
    op = smt.opinion(tm.t4().theorem.statement)  # derivatives and point evaluations
    assert op.encoded == 0 and op.disagreements == ()
