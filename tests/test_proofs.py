"""Every theorem is proved for its presets, every false variant refuted, and the outputs are sound."""

import json
import shutil
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp

from analysis.backprop import loss
from analysis.network import PRESET_NAMES, preset
from analysis.proofs import ProofReport, infimum, prove, render_latex, render_markdown

# One worker runs this module (pytest-xdist), so its fixture (every preset proved: seconds) is made once.
pytestmark = pytest.mark.xdist_group("proofs")

EXPECTED = {  # the theorems each preset's report must contain, proved
    "none": {"T1", "T2", "T3", "T4", "T7"},
    "hidden": {"T5", "T7"},
    "output": {"T6"},
    "both": {"T6"},
}
LEMMAS = {f"L{i}" for i in range(1, 8)}


@pytest.fixture(scope="module")
def reports():
    return {a: prove(a) for a in PRESET_NAMES}


def _by_id(rep):
    return {r.id: r for r in rep.theorems}


@pytest.mark.parametrize("arch", PRESET_NAMES)
def test_theorems_proved_and_variants_refuted(reports, arch):
    rep = reports[arch]
    ids = _by_id(rep)
    assert EXPECTED[arch] | LEMMAS <= set(ids)
    for r in rep.theorems:
        want = "refuted" if r.id.startswith("F") else "proved"
        assert r.status == want == r.expected, (r.id, r.failing_step)
        assert all(s.ok for s in r.steps) or r.status == "refuted"
    assert any(r.id.startswith("F") for r in rep.theorems)


@pytest.mark.parametrize("arch", PRESET_NAMES)
def test_evidence_recorded_and_passing(reports, arch):
    for r in _by_id(reports[arch]).values():
        if r.id.startswith("F"):
            continue
        assert r.evidence, r.id
        assert all(e["passed"] for e in r.evidence), (r.id, [e for e in r.evidence if not e["passed"]])
        if r.id.startswith("T"):
            kinds = {e["kind"] for e in r.evidence}
            assert "sampling" in kinds and ("interval" in kinds), (r.id, kinds)


def test_headline_values(reports):
    assert reports["none"].infimum_value == sp.Rational(1, 8)
    assert reports["hidden"].infimum_value == sp.Rational(1, 8)
    assert reports["output"].infimum_value == 0 and reports["both"].infimum_value == 0
    assert not any(r.infimum_attained for r in reports.values())
    assert [reports[a].separable for a in PRESET_NAMES] == [False, False, True, True]
    assert isinstance(reports["none"].infimum_value, sp.Rational)


def test_t4_critical_point_facts(reports):
    facts = reports["none"].facts["T4"]["critical_points"]
    assert len(facts) == 1
    cp = facts[0]
    assert cp["point"] == {"W1": "0", "W2": "0"} and cp["loss"] == "1/4" and cp["kind"] == "saddle"
    H = np.array([[float(sp.Rational(e)) for e in row] for row in cp["hessian"]])
    eig = sorted(float(sp.sympify(e)) for e in cp["eigenvalues"])
    assert np.allclose(sorted(np.linalg.eigvalsh(H)), eig, atol=1e-15)


def _mp_outputs(arch, point, dps=60):
    """Outputs at exact rational weights, computed here from the preset definition in mpmath."""
    names = preset(arch).param_names
    w = {k: mpmath.mpf(sp.Rational(point[k]).p) / sp.Rational(point[k]).q for k in names}
    s = lambda u: 1 / (1 + mpmath.exp(-u))  # noqa: E731
    out = []
    for x in (0, 1):
        y = s(w["W1"] * x + w.get("b1", 0))
        out.append(s(w["W2"] * y + w.get("b2", 0)))
    return out


def test_counterexamples_recheck_independently(reports):
    seen = 0
    with mpmath.workdps(60):
        for arch, rep in reports.items():
            for r in rep.theorems:
                if not r.id.startswith("F") or "point" not in (r.counterexample or {}):
                    continue
                z0, z1 = _mp_outputs(arch, r.counterexample["point"])
                L = (z0**2 + (1 - z1) ** 2) / 2
                claim = {
                    "F1": z1 < mpmath.mpf(2) / 5,
                    "F2": mpmath.mpf(1) / 4 <= L,
                    "F4": mpmath.mpf(1) / 4 <= L,
                    "F5": (z0 - 0.5) * (z1 - 0.5) >= 0,
                    "F6": mpmath.mpf(1) / 8 <= L,
                }[r.id]
                assert not claim, (arch, r.id, r.counterexample)
                pt = r.counterexample["point"]
                if r.id == "F1":
                    assert sp.Rational(pt["W2"]) < 0  # the counterexample respects the hypothesis
                seen += 1
    assert seen >= 7


def test_existential_variant_refuted_by_proved_negation(reports):
    from analysis.proofs import kernel
    from analysis.proofs.statements import Not, Separable

    f3 = _by_id(reports["hidden"])["F3"]
    t5 = _by_id(reports["hidden"])["T5"]
    assert f3.status == "refuted" and t5.status == "proved"
    # The refutation is a kernel fact Not(separable), derived from a part of T5's own fact.
    assert kernel.proves(f3.fact, Not(Separable(preset("hidden"), True)))
    (part,) = f3.fact.premises
    assert part.premises == (t5.fact,) and part.stmt == Separable(preset("hidden"), False)


@pytest.mark.parametrize("arch", ["output", "both"])
def test_epsilon_weights_fit(arch):
    names = preset(arch).param_names
    for e in (1e-1, 1e-3, 1e-6):
        t = np.log1p(1 / e)
        vals = {"W1": np.log(3), "W2": 8 * t, "b1": 0.0, "b2": -5 * t}
        assert loss(preset(arch), [vals[n] for n in names]) < e


def test_json_shape(reports):
    for arch, rep in reports.items():
        d = rep.to_json()
        assert set(d) == {"arch", "theorems", "infimum", "separable"}
        assert d["arch"] == arch and set(d["infimum"]) == {"value", "attained"}
        assert isinstance(d["infimum"]["value"], str) and isinstance(d["separable"], bool)
        for th in d["theorems"]:
            assert {"id", "statement", "status", "steps", "evidence"} <= set(th)
            assert th["status"] in ("proved", "refuted", "unproved")
        assert json.loads(json.dumps(d)) == d


@pytest.mark.slow
def test_deterministic_json():
    """Two fresh runs (separate processes, so no cache is shared) give identical JSON."""
    code = "import json; from analysis.proofs import prove; print(json.dumps(prove('hidden').to_json()))"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and json.loads(runs[0])["arch"] == "hidden"


def test_same_process_repeat_is_identical(reports):
    assert json.dumps(prove("none").to_json()) == json.dumps(reports["none"].to_json())


@pytest.mark.slow
def test_infimum_alone_reads_the_same_facts(reports):
    """``infimum`` in a fresh process proves only the theorems stating inf L, and reads what prove reads."""
    code = (
        "from analysis.proofs import infimum, report as R\n"
        "for a in ('none', 'hidden', 'output', 'both'):\n"
        "    print(a, *infimum(a))\n"
        "print(R._theorem.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    *rows, proved = out.split("\n")[:-1]
    for row, a in zip(rows, PRESET_NAMES, strict=True):
        rep = reports[a]
        assert row == f"{a} {rep.infimum_value} {rep.infimum_attained}"
    assert int(proved) == 4  # T3, T5, T6 twice: not T1, T2, T4, T7


def test_infimum_without_its_theorem_is_unknown(monkeypatch):
    """Negative control: with no theorem stating it, the infimum is None, never a guess."""
    from analysis.proofs import report as proof_report

    monkeypatch.setattr(proof_report, "_states_infimum", lambda stmt: False)
    assert infimum("none") == (None, None)
    with pytest.raises(ValueError, match="prove takes a preset name"):
        infimum("neither")


def test_bad_arch():
    with pytest.raises(
        ValueError, match="prove takes a preset name, one of none, hidden, output, both; got 'neither'"
    ):
        prove("neither")
    with pytest.raises(ValueError, match="got a Problem$"):
        prove(preset("none"))


def test_report_is_frozen_and_summarises(reports):
    rep = reports["none"]
    assert isinstance(rep, ProofReport)
    with pytest.raises(AttributeError):
        rep.arch = "x"
    text = rep.summary()
    assert "1/8" in text and "not separable" in text and len(text.splitlines()) <= 3


def test_markdown_lists_every_result(reports):
    md = render_markdown(list(reports.values()))
    for rep in reports.values():
        for r in rep.theorems:
            assert f"### {r.id}. {r.title} - **{r.status}**" in md
    assert md.count("### L1.") == 1  # shared lemmas appear once
    assert "## Trusted base" in md and "Gruntz" in md and "arb" in md
    assert "**Not derived:**" not in md


def test_latex_compiles(reports, tmp_path):
    tex = render_latex(list(reports.values()))
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    (tmp_path / "proofs.tex").write_text(tex)
    res = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "proofs.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout[-2000:]
    assert (tmp_path / "proofs.pdf").stat().st_size > 0


def _steps(rep, ident):
    return _by_id(rep)[ident].steps


def test_t3_checks_the_glue_for_the_limiting_sequences(reports):
    steps = _steps(reports["none"], "T3")
    kinds = [s.kind for s in steps]
    assert {"monotone comparison", "identity", "interval certificate", "instantiation", "addition"} <= set(
        kinds
    )
    cert = next(s for s in steps if s.kind == "interval certificate")
    assert r"\frac{1}{2} \le v \le 1" in cert.claim_tex  # the region the certificate covers
    inst = next(s for s in steps if s.kind == "instantiation")
    assert "membership facts" in inst.check and r"W_{2} \ge 0" in inst.claim_tex


def test_t4_hessian_and_saddle_are_checked_steps(reports):
    steps = _steps(reports["none"], "T4")
    entries = [s for s in steps if s.kind == "identity" and s.text.startswith("Hessian entry")]
    assert len(entries) == 3 and all(r"\frac{\partial^{2}" in s.claim_tex for s in entries)
    det = next(s for s in steps if s.kind == "sign" and "saddle" in s.text)
    assert det.claim_tex.endswith("< 0")
    ev = " ".join(e["claim"] for e in _by_id(reports["none"])["T4"].evidence)
    assert "at most one critical point" not in ev


def test_t5_valley_outputs_are_checked_limits(reports):
    limits = [s for s in _steps(reports["hidden"], "T5") if s.kind == "limit"]
    assert len(limits) == 6 and all("arb" in s.check and "Gruntz" in s.check for s in limits)
    values = [s.claim_tex.rsplit("=", 1)[1].strip() for s in limits]
    assert values == [r"\frac{1}{8}", r"\frac{1}{8}", "0", r"\frac{1}{2}", r"\frac{1}{2}", "1"]


def test_t7_statement_says_what_is_proved(reports):
    t7 = _by_id(reports["none"])["T7"]
    assert "k = 2, 3, 4, 5 only" in t7.comment
    assert len(t7.formal.parts) == 3 + 3 * 4  # the general lemma, then its instances k = 2..5


def test_t6_sign_steps_render_their_conditions(reports):
    for arch in ("output", "both"):
        for s in _steps(reports[arch], "T6"):
            if s.kind == "sign" and ("w(t)" in s.text or "eps" in s.text):
                assert r"\forall\, t > 0" in s.claim_tex or r"\forall\, \varepsilon > 0" in s.claim_tex, s


def test_identities_are_never_vacuous(reports):
    for rep in reports.values():
        for r in rep.theorems:
            if r.fact is None:
                continue
            stack = [r.fact]
            while stack:
                f = stack.pop()
                stack.extend(f.premises)
                if f.rule == "identity":
                    assert f.stmt.relation.lhs != f.stmt.relation.rhs, (r.id, f.comment)


def test_markdown_structure_and_wording(reports):
    md = render_markdown(list(reports.values()))
    assert "every statement below was proved" not in md.lower()
    sections = md.split("\n## ")[1:]
    for sec in sections:
        ids = [line.split(".")[0][4:] for line in sec.splitlines() if line.startswith("### ")]
        order = [("LTF".index(i[0]), int(i[1:])) for i in ids]
        assert order == sorted(order), ids
    assert md.count("### T7.") == 1 and "written out above, under preset none" in md
