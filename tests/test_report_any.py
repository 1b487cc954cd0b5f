"""The report for any problem (``canlearn report``), and mathematics typeset as mathematics."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.notation import latex, typeset
from analysis.pdfreport import Code, Heading, Paragraph, Table, render_pdf
from analysis.report import to_markdown, typeset_blocks

PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(path: Path) -> str:
    return subprocess.run([PDFTOTEXT, str(path), "-"], check=True, capture_output=True, text=True).stdout


# --- notation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plain", "typeset_form"),
    [
        ("sigma(W2/2)**2/2 + 1/8", r"$\sigma(W_{2}/2)^{2}/2 + 1/8$"),
        ("W1->-inf", r"$W_{1}\to -\infty$"),
        ("inf L = 1/8", r"$\mathrm{inf}\, L = 1/8$"),
        ("e^(-t) < 1 for t > 0.", r"$e^{-t} < 1$ for $t > 0$."),
        ("eigenvalues 1/64 - sqrt(5)/64, x", r"eigenvalues $1/64 - \sqrt{5}/64$, $x$"),
        ("x in {0, 1}", r"$x \in \{0, 1\}$"),
        ("L >= 1/4 for all weights.", r"$L \geq 1/4$ for all weights."),
        ("(L > 0 everywhere)", r"($L > 0$ everywhere)"),
    ],
)
def test_formulas_become_math(plain, typeset_form):
    assert typeset(plain) == typeset_form


@pytest.mark.parametrize(
    "prose",
    [
        "a well-known e-mail: 3-4 items, L-BFGS-B, trust-exact, uniform[-3,3], f0..f15, T2 and F1",
        "Best loss per box, and what the numbers imply:",
        "95% interval [0.4806, 0.5244]",
        "(seed 0)",
    ],
)
def test_prose_is_left_alone(prose):
    assert typeset(prose) == prose


def test_existing_math_and_the_space_before_it_are_kept():
    assert typeset(r"Its loss is $L = \sum (d - z)^2 / 2$. Then W1 = 2.") == (
        r"Its loss is $L = \sum (d - z)^2 / 2$. Then $W_{1} = 2$."
    )


def test_every_typeset_formula_parses_as_mathtext():
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    for plain in ("(z(0) - 1/2)(z(1) - 1/2) >= 0", "L = eps^2/(1 + 2 eps)^2 < eps", "W_k sigma(u)"):
        parser.parse(f"${latex(plain)}$", dpi=72)


# --- the PDF: no Markdown markup, no Python operators ----------------------------------------------

BLOCKS = [
    Heading("can a two-neuron sigmoid chain learn x -> x?", 1),
    Paragraph("The loss is sigma(W2/2)**2/2 + 1/8 along W1->-inf; run `canlearn all` to see it."),
    Table(("valley", "limit of L"), (("W1->+inf", "(sigma(W2) - 1)**2/2 + sigma(W2/2)**2/2"),)),
    Code("make all"),
]


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_shows_mathematics_not_code(tmp_path):
    render_pdf(typeset_blocks(BLOCKS), tmp_path / "report.pdf")
    text = pdf_text(tmp_path / "report.pdf")
    assert "`" not in text and "**" not in text and "->" not in text
    assert "σ" in text and "→" in text and "∞" in text
    # Negative control: the same blocks untypeset show exactly what the test must catch.
    render_pdf(BLOCKS, tmp_path / "raw.pdf")
    raw = pdf_text(tmp_path / "raw.pdf")
    assert "`" in raw and "**" in raw


_MEASURED_FIRST = """
import sys
from pathlib import Path
from analysis import pdfreport as pr
from analysis.report import typeset_blocks
from tests.test_report_any import BLOCKS
blocks = typeset_blocks(BLOCKS)
if sys.argv[2] == "measure":
    # Measured before the image exists (as canlearn all does while its figures draw).
    pr.measure([*blocks, pr.Image(Path(sys.argv[1]) / "not-yet.png", "a caption")])
pr.render_pdf(blocks, Path(sys.argv[1]) / "r.pdf")
"""


@pytest.mark.slow
def test_measuring_first_changes_no_byte_of_the_pdf(tmp_path):
    """pdfreport.measure only fills caches: a fresh process renders the same file either way."""
    for mode in ("plain", "measure"):
        (tmp_path / mode).mkdir()
        subprocess.run(
            [sys.executable, "-c", _MEASURED_FIRST, str(tmp_path / mode), mode],
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
    assert (tmp_path / "plain" / "r.pdf").read_bytes() == (tmp_path / "measure" / "r.pdf").read_bytes()


def test_markdown_uses_the_same_notation():
    md = to_markdown(typeset_blocks(BLOCKS))
    assert r"$\sigma(W_{2}/2)^{2}/2 + 1/8$" in md and r"$W_{1}\to -\infty$" in md
    assert "**" not in md.replace("```\nmake all\n```", "") and "`canlearn" not in md


# --- canlearn report on any problem ---------------------------------------------------------------

SPEC = """
name = "and-neuron"
[network]
sizes = [2, 1]
bias = "all"
[data]
name = "and"
"""


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=cwd, timeout=900
    )


@pytest.fixture(scope="module")
def and_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    spec = root / "and.toml"
    spec.write_text(SPEC)
    out = root / "out"
    proc = _run("report", "--spec", str(spec), "--out", str(out), "--no-progress")
    return spec, out, proc


@pytest.mark.slow
def test_report_writes_the_artifacts_of_canlearn_all(and_report):
    from analysis import backprop
    from analysis.check import gradcheck
    from analysis.spec import load_spec
    from analysis.training import train

    spec, out, proc = and_report
    assert proc.returncode in (0, 1), proc.stderr
    names = sorted(p.name for p in out.iterdir())
    stems = ("basins", "box_trend", "gradcheck", "landscape", "training")
    assert names == sorted(
        [*(f"{s}.{e}" for s in stems for e in ("png", "svg")), "report.md", "report.pdf", "results.json"]
    )
    results = json.loads((out / "results.json").read_text())
    # The exit code and the checks say what the analyses found, run here directly.
    problem = load_spec(spec)
    g = gradcheck(lambda w: backprop.gradient(problem, w), problem)
    assert results["checks"][0]["ok"] is g.passed == results["gradcheck"]["passed"]
    assert proc.returncode == (0 if all(c["ok"] for c in results["checks"]) else 1)
    # The numbers are the analyses' own: training from the same start gives the same loss.
    run = train(problem, seed=0)
    assert results["problem"]["params"] == list(problem.param_names)
    assert results["train"]["loss"] == pytest.approx(run.loss, rel=1e-12)
    report = (out / "report.md").read_text()
    assert f"$L = {run.loss:.6g}$" in report
    for stem in stems:
        assert f"![{stem}]({stem}.png)" in report
    if PDFTOTEXT:
        text = pdf_text(out / "report.pdf")
        assert "`" not in text and "**" not in text and "and-neuron" in text


@pytest.mark.slow
def test_report_includes_the_certified_bracket(and_report):
    from analysis.certify import certify
    from analysis.problem_report import CERTIFY_MAX_BOXES, CERTIFY_TIME_LIMIT
    from analysis.report import certify_json
    from analysis.spec import load_spec
    from analysis.tolerances import INFIMUM_UNDERCUT_ATOL

    spec, out, proc = and_report
    results = json.loads((out / "results.json").read_text())
    cert = certify(load_spec(spec), max_boxes=CERTIFY_MAX_BOXES, time_limit=CERTIFY_TIME_LIMIT)
    assert results["certify"] == json.loads(json.dumps(certify_json(cert)))  # certify's own verdict
    report = (out / "report.md").read_text()
    assert "## 3. What certify proves over all real weights" in report
    assert typeset(f"lies in [{cert.lower}, {cert.upper}]") in report
    check = next(c for c in results["checks"] if "certify's lower bound" in c["name"])
    best = min(run["loss_hp"] for run in results["optimise"]["runs"])
    assert check["ok"] is (best >= cert.lower_value - INFIMUM_UNDERCUT_ATOL) is True


@pytest.mark.slow
def test_report_is_byte_identical_when_rerun(and_report, tmp_path):
    spec, out, _ = and_report
    again = tmp_path / "out"
    proc = _run("report", "--spec", str(spec), "--out", str(again), "--no-progress")
    assert proc.returncode == and_report[2].returncode, proc.stderr
    for p in out.iterdir():
        if p.name != "report.md" and p.name != "report.pdf":  # these quote the --out folder
            assert (again / p.name).read_bytes() == p.read_bytes(), p.name
    md_old = (out / "report.md").read_text().replace(str(out), "OUT")
    md_new = (again / "report.md").read_text().replace(str(again), "OUT")
    assert md_old == md_new


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arch", "none", "--params", "W1,W1"], "two different parameters"),
        (["--arch", "none", "--params", "W1,W9"], "'W9' is not a parameter"),
        (["--arch", "all"], "invalid choice"),
    ],
)
def test_report_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    proc = _run("report", *args, "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_report_refuses_a_folder_it_cannot_replace_as_a_whole(tmp_path):
    (tmp_path / "out" / "mine").mkdir(parents=True)
    proc = _run("report", "--arch", "none", "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 2 and "holds the folder 'mine'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine"]


def test_default_params_are_the_two_training_moved_most():
    from analysis.problem_report import default_params
    from analysis.spec import problem_from_flags
    from analysis.training import train

    xor = problem_from_flags("2-2-1", "all", "xor")
    run = train(xor, seed=0, iterations=30)
    moved = np.abs(np.subtract(run.weights, run.init))
    picked = default_params(xor, run)
    assert sorted(moved[list(picked)]) == sorted(moved)[-2:]


# --- certify beside the theorems (issue 9 item 6) and in the problem report (issue 8 item 5) ------


@pytest.fixture(scope="module")
def routes():
    """Each preset's inf L two ways: prove(arch) (the theorems) and certify(arch) (none of them)."""
    from analysis.certify import certify
    from analysis.network import PRESET_NAMES
    from analysis.proofs import prove
    from analysis.report import two_routes

    return {a: two_routes(a, prove(a), certify(a)) for a in PRESET_NAMES}


@pytest.mark.slow  # the module fixture proves all four presets (~15 s on a busy machine)
def test_two_routes_table_has_a_row_per_preset_and_every_row_agrees(routes):
    from fractions import Fraction

    from analysis.network import PRESET_NAMES
    from analysis.report import _route_checks, _routes_table

    table = _routes_table(routes)
    assert [row[0] for row in table.rows] == list(PRESET_NAMES)
    assert all(len(row) == len(table.header) for row in table.rows)
    for row, t in zip(table.rows, routes.values()):
        c = t.certified
        # The comparison, redone here from the raw fields: the proved value in the closed bracket.
        assert Fraction(c.lower) <= Fraction(t.proved) <= Fraction(c.upper)
        assert c.status == "closed" and c.width <= c.tol
        assert row[-1] == "yes" and row[2].startswith(f"[{c.lower}, ")
        assert row[2] == (
            f"[{c.lower}, {c.upper}]" if c.lower == c.upper else f"[{c.lower}, {c.lower} + {c.width:.2g}]"
        )
    # certify reproduces 1/8 without a bias or with a hidden one, 0 with an output bias.
    assert {a: t.proved for a, t in routes.items()} == {
        "none": "1/8",
        "hidden": "1/8",
        "output": "0",
        "both": "0",
    }
    checks = _route_checks(routes)
    assert len(checks) == 2 * len(PRESET_NAMES) and all(ok for _, ok in checks)


@pytest.mark.slow  # the module fixture proves all four presets (~15 s on a busy machine)
def test_a_doctored_certify_result_makes_the_routes_disagree(routes):
    from dataclasses import replace

    from analysis.proofs import prove
    from analysis.report import _route_checks, _routes_table, two_routes

    proof, cert = prove("none"), routes["none"].certified
    # A bracket excluding the proved 1/8 (from above, then from below).
    for bad in (replace(cert, lower="1/7", lower_value=1 / 7), replace(cert, upper="0.12", upper_value=0.12)):
        t = two_routes("none", proof, bad)
        assert not t.in_bracket and not t.agree
        assert _routes_table({"none": t}).rows[0][-1] == "NO"
        assert ("certify agrees with the theorems, none", False) in _route_checks({"none": t})
    # A decided verdict contradicting the theorems is a disagreement; 'unknown' is not.
    assert not two_routes("none", proof, replace(cert, separable=True)).agree
    assert not two_routes("none", proof, replace(cert, attained=not proof.infimum_attained)).agree
    assert two_routes("none", proof, replace(cert, attained="unknown")).agree
    # An open bracket still agrees, but fails the "closes the bracket" check.
    opened = two_routes("none", proof, replace(cert, status="open"))
    assert opened.agree and ("certify closes the bracket on inf L, none", False) in _route_checks(
        {"none": opened}
    )


def test_certify_uses_none_of_the_hand_written_theorems(monkeypatch):
    """With the kernel unable to mint a fact and every theorem builder broken, certify still closes."""
    from analysis.certify import certify
    from analysis.proofs import kernel, report, theorems

    def refuse(*args, **kwargs):
        raise AssertionError("certify used the theorems")

    monkeypatch.setattr(kernel, "_mint", refuse)
    monkeypatch.setattr(report, "prove", refuse)
    for name in dir(theorems):
        if name.startswith("t") and name[1:2].isdigit():
            monkeypatch.setattr(theorems, name, refuse)
    for arch, value in (("none", "1/8"), ("output", "0")):
        c = certify(arch)
        assert c.lower == value and c.status == "closed"


@pytest.mark.slow  # the module fixture proves all four presets (~15 s on a busy machine)
def test_routes_render_to_markdown_and_pdf(routes, tmp_path):
    from analysis.report import _routes_table, certify_json

    md = to_markdown(typeset_blocks([_routes_table(routes)]))
    assert md.count("\n| ") == 1 + len(routes) and "[1/8, 1/8 + " in md
    if PDFTOTEXT:
        render_pdf(typeset_blocks([_routes_table(routes)]), tmp_path / "routes.pdf")
        assert "1/8" in pdf_text(tmp_path / "routes.pdf")
    # results.json carries no run time: it must be byte-deterministic.
    for t in routes.values():
        js = certify_json(t.certified)
        assert "seconds" not in js and js["lower"] == t.certified.lower
        json.dumps(js)


def test_problem_report_certify_check_and_words():
    from dataclasses import replace

    from analysis.certify import certify
    from analysis.problem_report import CERTIFY_MAX_BOXES, CERTIFY_TIME_LIMIT, certify_check, certify_words
    from analysis.spec import problem_from_flags

    xor = problem_from_flags("2-1", "all", "xor")  # one neuron cannot separate XOR
    cert = certify(xor, max_boxes=2000, time_limit=CERTIFY_TIME_LIMIT)
    assert CERTIFY_MAX_BOXES > 2000 and cert.status == "open" and cert.separable is False
    words = " ".join(certify_words(cert))
    assert (
        f"Over all real weights, inf L lies in [{cert.lower}, {cert.upper}] (open, stopped by max_boxes"
        in words
    )
    assert "No weights separate the data" in words
    assert certify_check(cert, cert.upper_value)[1]
    # Negative control: a best loss below the proven lower bound fails the check ...
    assert not certify_check(cert, cert.lower_value - 1e-6)[1]
    # ... and so does a doctored lower bound above the loss the optimisers found.
    assert not certify_check(replace(cert, lower="0.6", lower_value=0.6), cert.upper_value)[1]
    closed = certify(problem_from_flags("2-1", "all", "and"))
    assert "(closed: width 0" in " ".join(certify_words(closed))
