"""certify's second route (z3, the optional [smt] extra): it confirms true claims, never confirms a
false one, re-checks every sat model in mpmath, and a contradiction with certify is an error."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from analysis.certify import SmtDisagreementError, certify
from analysis.certify import smt as csmt
from analysis.certify.result import SMT_NOT_REQUESTED
from analysis.cli import main
from analysis.errors import InputError
from analysis.network import Dataset, Problem, preset
from analysis.proofs.smt import available
from analysis.spec import problem_from_flags

needs_z3 = pytest.mark.skipif(not available(), reason="z3 (the [smt] extra) is not installed")
EIGHTH = Fraction(1, 8)


@needs_z3
@pytest.mark.parametrize("name", ["none", "hidden"])
def test_z3_confirms_the_seed_bound_and_non_separability(name):
    r = certify(name, smt=True)
    assert r.lower == "1/8" and r.separable is False  # certify's own verdicts, the first route
    assert "L >= 1/8: confirmed (z3: unsat)" in r.smt and "not separable: confirmed (z3: unsat)" in r.smt
    assert "second route: z3" in r.summary() and r.to_json()["smt"] == r.smt


@needs_z3
@pytest.mark.parametrize("name", ["output", "both"])
def test_z3_finds_a_real_separating_point_where_certify_proves_separable(name):
    r = certify(name, smt=True)
    assert r.separable is True and r.lower_value >= 0
    assert "not separable: refuted (z3: sat; w = (" in r.smt and "separates the data (mpmath.iv)" in r.smt


@needs_z3
def test_a_bound_above_the_truth_is_not_confirmed():
    # Negative control: inf L = 1/8 for none, so L >= 1/8 + 1/100 is false; z3's relaxed model is
    # spurious (the true L there is above the claim) and the answer is unknown, never confirmed.
    chk = csmt.check_lower(preset("none"), EIGHTH + Fraction(1, 100))
    assert chk.answer == "sat" and chk.outcome == csmt.UNKNOWN and "spurious" in chk.detail
    # A spurious model is not a disagreement either.
    rep = csmt.cross_check(preset("none"), EIGHTH + Fraction(1, 100), EIGHTH + Fraction(1, 50), False)
    assert rep.checks[0].outcome == csmt.UNKNOWN and rep.checks[1].outcome == csmt.CONFIRMED


@needs_z3
def test_a_false_lower_bound_is_refuted_at_a_real_point():
    # inf L = 0 for output: L >= 1/8 is false, and z3's model is a true counterexample in mpmath.iv.
    chk = csmt.check_lower(preset("output"), EIGHTH)
    assert chk.outcome == csmt.REFUTED and "< 1/8 in mpmath.iv" in chk.detail
    with pytest.raises(SmtDisagreementError, match="lower bound is false"):
        csmt.cross_check(preset("output"), EIGHTH, EIGHTH, False)


@needs_z3
def test_contradicting_verdicts_are_errors():
    none, output = preset("none"), preset("output")
    with pytest.raises(SmtDisagreementError, match="above certify's upper bound"):
        csmt.cross_check(none, EIGHTH, Fraction(1, 10), False)  # an upper bound below the truth
    with pytest.raises(SmtDisagreementError, match="not separable, certify found"):
        csmt.cross_check(none, EIGHTH, EIGHTH, True)  # a separating witness that cannot exist
    with pytest.raises(SmtDisagreementError, match="certify proved the data not separable"):
        csmt.cross_check(output, Fraction(0), Fraction(0), False)


@needs_z3
def test_an_unsound_sigma_encoding_is_caught(monkeypatch, tmp_path, capsys):
    # sigma == 1/2 is false; with it z3 "proves" output not separable, contradicting certify's witness.
    import z3

    good = csmt.SigmaEncoder.facts

    def broken(self):
        return good(self) + [s == z3.RealVal("1/2") for _, _, s in self.atoms.values()]

    monkeypatch.setattr(csmt.SigmaEncoder, "facts", broken)
    with pytest.raises(SmtDisagreementError, match="not separable, certify found"):
        certify("output", smt=True)
    # On the command line: exit 1 with one line, and no certificate left behind.
    cert = tmp_path / "c.json"
    argv = ["certify", "--arch", "output", "--smt", "--no-progress", "--certificate", str(cert)]
    assert main(argv) == 1 and not cert.exists()
    err = capsys.readouterr().err.strip()
    assert "SmtDisagreementError" in err and len(err.splitlines()) == 1


@needs_z3
def test_xor_without_hidden_layer_and_soft_targets():
    xor = problem_from_flags(net="2-1", bias="all", data="xor")
    assert csmt.check_not_separable(xor).outcome == csmt.CONFIRMED
    assert csmt.check_lower(xor, EIGHTH).outcome == csmt.CONFIRMED
    soft = Problem("soft", preset("none").network, Dataset(((0,), (1,)), ((0.25,), (0.75,))))
    rep = csmt.cross_check(soft, Fraction(0), Fraction(1), None)
    assert [c.claim for c in rep.checks] == ["L >= 0"]  # separability only for 0/1 targets
    with pytest.raises(InputError):
        csmt.check_not_separable(soft)


@pytest.mark.slow
@needs_z3
def test_z3_proves_xor_on_2_1_1_not_separable():
    # certify leaves this open at [0, 1/3]; one hidden unit makes the output monotone in a linear
    # function of the input, so XOR is not separable, and z3 proves it.
    p = problem_from_flags(net="2-1-1", bias="all", data="xor")
    assert csmt.check_not_separable(p).outcome == csmt.CONFIRMED
    # ... and XOR on 2-2-1 is separable: z3 must not prove the opposite.
    xor221 = problem_from_flags(net="2-2-1", bias="all", data="xor")
    assert csmt.check_not_separable(xor221).outcome != csmt.CONFIRMED


@needs_z3
def test_a_solver_that_gives_up_says_unknown(monkeypatch):
    monkeypatch.setattr(csmt, "SMT_RLIMIT", 1)
    chk = csmt.check_lower(preset("none"), EIGHTH)
    assert chk.answer == "unknown" and chk.outcome == csmt.UNKNOWN and "gave up" in chk.detail


def test_default_output_is_unchanged_and_smt_is_opt_in():
    r = certify("none")
    assert r.smt == SMT_NOT_REQUESTED and "second route" not in r.summary()


def test_without_z3_the_route_says_so(monkeypatch):
    monkeypatch.setattr(csmt, "available", lambda: False)
    r = certify("none", smt=True)
    assert r.smt.startswith("not run (z3 not installed") and r.separable is False


@needs_z3
def test_cli_smt_flag(capsys):
    assert main(["certify", "--arch", "none", "--smt", "--json", "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "L >= 1/8: confirmed" in out["smt"]
