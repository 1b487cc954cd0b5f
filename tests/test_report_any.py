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
