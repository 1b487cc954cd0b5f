"""The committed figures/ are regression checks: regenerating them must reproduce them."""

import json
import os
from pathlib import Path

import pytest

from analysis.io import atomic_write_text, remove_stale_temps
from analysis.report import compare_results, run_all

FIGURES = Path(__file__).resolve().parent.parent / "figures"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    summary = run_all(out, progress=False)
    return out, summary


def test_every_check_of_the_main_job_passes(regenerated):
    _, summary = regenerated
    assert summary.ok, summary.text()


def test_results_match_the_committed_ones(regenerated):
    out, _ = regenerated
    new = json.loads((out / "results.json").read_text())
    old = json.loads((FIGURES / "results.json").read_text())
    diffs = compare_results(new, old)
    assert not diffs, "results changed; regenerate with `make all` on purpose:\n" + "\n".join(diffs[:20])


def test_proofs_match_the_committed_ones(regenerated):
    out, _ = regenerated
    assert (out / "proofs.md").read_text() == (FIGURES / "proofs.md").read_text()
    assert (out / "proofs.tex").read_text() == (FIGURES / "proofs.tex").read_text()


def test_same_files_and_byte_identical(regenerated):
    """The pinned environment (constraints.txt) regenerates figures/ byte for byte."""
    out, _ = regenerated
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in FIGURES.iterdir()), "no temp files, nothing missing"
    differ = [n for n in names if (out / n).read_bytes() != (FIGURES / n).read_bytes()]
    assert not differ, f"regenerated files differ from the committed ones: {differ}"


def test_compare_catches_a_perturbed_result():
    old = json.loads((FIGURES / "results.json").read_text())
    new = json.loads(json.dumps(old))
    loss = new["presets"]["none"]["train"]["loss"]
    new["presets"]["none"]["train"]["loss"] = loss * (1 + 1e-6)
    diffs = compare_results(new, old)
    assert diffs == [f"$.presets.none.train.loss: {loss!r} became {loss * (1 + 1e-6)!r}"]
    new["presets"]["none"]["train"]["loss"] = loss * (1 + 1e-13)  # within tolerance
    assert compare_results(new, old) == []
    new["presets"]["none"]["proofs"]["infimum"]["value"] = "1/7"
    assert compare_results(new, old) == ["$.presets.none.proofs.infimum.value: '1/8' became '1/7'"]
    new["presets"]["none"]["proofs"]["separable"] = 1
    assert len(compare_results(new, old)) == 2  # a bool is not a number


def test_report_quotes_the_proved_results():
    report = (FIGURES / "report.md").read_text()
    results = json.loads((FIGURES / "results.json").read_text())
    none = results["presets"]["none"]
    assert f"inf L = {none['proofs']['infimum']['value']}" in report
    assert f"L = {none['train']['loss']:.6g}" in report
    for name in ("landscape", "output_bound", "basins", "training", "box_trend", "gradcheck"):
        assert f"![{name}]({name}.png)" in report


def test_interrupted_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    target.write_text("old\n")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_stale_temps_of_a_killed_run_are_removed(tmp_path):
    (tmp_path / ".results.json.abc123.tmp").write_text("half")
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "notes.tmp").write_text("not ours: no leading dot")
    assert [p.name for p in remove_stale_temps(tmp_path)] == [".results.json.abc123.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.tmp", "results.json"]
