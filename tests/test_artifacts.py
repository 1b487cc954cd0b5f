"""The committed figures/ are regression checks: regenerating them must reproduce them. And the
output folder is written as one set: no kill leaves old and new files side by side."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import USER_FILE

from analysis.io import (
    FolderBusyError,
    atomic_write_text,
    folder_lock,
    output_set,
    remove_stale_temps,
)
from analysis.notation import typeset
from analysis.report import compare_results

FIGURES = Path(__file__).resolve().parent.parent / "figures"


# `regenerated` (one run_all into a folder holding USER_FILE) is a session fixture: conftest.py.


def _ours(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name != USER_FILE)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_report_pdf_shows_mathematics_not_code(regenerated):
    out, _ = regenerated
    text = subprocess.run(
        ["pdftotext", str(out / "report.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "`" not in text and "**" not in text
    assert "σ" in text and "→" in text


def test_user_files_survive_and_nothing_is_left_beside_the_folder(regenerated):
    out, _ = regenerated
    assert (out / USER_FILE).read_text() == "mine"
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name], "no staging folder left"


def test_run_all_leaves_nothing_frozen_for_the_collector(regenerated):
    """run_all freezes what lives to the end while it runs (gc.freeze); a caller's process gets
    its collector back as it was, so garbage made meanwhile is still collected. (The session's
    regeneration ran in this process; nothing else here freezes.)"""
    import gc

    assert gc.get_freeze_count() == 0
    assert gc.isenabled(), "the collector, paused during the imports, runs again"


def test_every_check_of_the_main_job_passes(regenerated):
    _, summary = regenerated
    assert summary.ok, summary.text()


def test_report_shows_two_routes_to_the_infimum_and_they_agree(regenerated):
    """Issue 9 item 6: certify beside the theorems, per preset, in results.json and the report."""
    from analysis.network import PRESET_NAMES

    out, summary = regenerated
    results = json.loads((out / "results.json").read_text())
    report = (out / "report.md").read_text()
    assert "### " + typeset("Two routes to inf L") in report
    for a in PRESET_NAMES:
        c, proofs = results["presets"][a]["certify"], results["presets"][a]["proofs"]
        assert "seconds" not in c, "results.json must be byte-deterministic"
        assert c["agrees_with_proofs"] is True and c["status"] == "closed"
        row = f"| {a} | {typeset(proofs['infimum']['value'])}; "
        assert row in report and report.split(row)[1].split("\n")[0].endswith("| yes |")
    names = dict(summary.checks)
    assert all(names[f"certify agrees with the theorems, {a}"] for a in PRESET_NAMES)


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
    names = _ours(out)
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
    assert typeset(f"inf L = {none['proofs']['infimum']['value']}") in report
    assert f"$L = {none['train']['loss']:.6g}$" in report
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


def test_stale_temps_of_a_killed_run_are_removed_and_nothing_else(tmp_path):
    out = tmp_path / "figures"
    out.mkdir()
    (out / ".canlearn-tmp.results.json.abc123.tmp").write_text("half")
    (out / ".canlearn-probe.x1.tmp").write_text("")
    (out / "results.json").write_text("{}")
    for name in ("notes.tmp", USER_FILE, ".results.json.abc123.tmp"):  # a user's, whatever the name
        (out / name).write_text("not ours")
    (tmp_path / ".canlearn-staging.figures.q1").mkdir()
    (tmp_path / ".canlearn-staging.figures.q1" / "report.md").write_text("half a set")
    (tmp_path / ".canlearn-staging.other.q2").mkdir()  # another folder's: not this one's to clean
    removed = [p.name for p in remove_stale_temps(out)]
    assert sorted(removed) == [
        ".canlearn-probe.x1.tmp",
        ".canlearn-staging.figures.q1",
        ".canlearn-tmp.results.json.abc123.tmp",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".results.json.abc123.tmp", USER_FILE, "notes.tmp", "results.json"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [".canlearn-staging.other.q2", "figures"]


def _write_set(out: Path, generation: int, files: int = 6):
    with output_set(out) as stage:
        for k in range(files):
            atomic_write_text(stage / f"f{k}.txt", f"generation {generation}\n")


def test_output_set_replaces_the_folder_as_one_and_keeps_user_files(tmp_path):
    out = tmp_path / "out"
    _write_set(out, 1)
    (out / USER_FILE).write_text("mine")
    (out / "extra.txt").write_text("a file the new set does not replace")
    inode = out.stat().st_ino
    _write_set(out, 2)
    assert out.stat().st_ino != inode, "switched in, not rewritten in place"
    assert {(out / f"f{k}.txt").read_text() for k in range(6)} == {"generation 2\n"}
    assert (out / USER_FILE).read_text() == "mine"
    assert (out / "extra.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_error_while_staging_leaves_the_old_set(tmp_path):
    out = tmp_path / "out"
    _write_set(out, 1)
    with pytest.raises(RuntimeError), output_set(out) as stage:
        atomic_write_text(stage / "f0.txt", "generation 2\n")
        raise RuntimeError("a figure failed its check")
    assert {(out / f"f{k}.txt").read_text() for k in range(6)} == {"generation 1\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _busy_writer(folder):
    """A figure task still drawing when the run fails: it keeps writing into the staged set."""
    from analysis.io import atomic_write_bytes

    for k in range(2000):
        atomic_write_bytes(Path(folder) / f"late{k}.png", b"x")
        time.sleep(0.001)


@pytest.mark.slow
def test_a_failed_run_leaves_no_staged_files_behind(tmp_path, monkeypatch):
    """canlearn all stops its workers before the staged set is removed: none writes there after."""
    from analysis import report

    def failing(stage, pool, tick):
        for _ in range(2):
            pool.submit(_busy_writer, stage)
        time.sleep(0.3)
        raise RuntimeError("an analysis failed")

    monkeypatch.setattr(report, "compute", failing)
    monkeypatch.setenv("CANLEARN_WORKERS", "2")
    with pytest.raises(RuntimeError, match="an analysis failed"):
        report.run_all(tmp_path / "out", progress=False)
    time.sleep(0.8)  # a worker left running would have written by now
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert list((tmp_path / "out").iterdir()) == []


def test_a_second_run_into_the_same_folder_refuses(tmp_path):
    out = tmp_path / "out"
    with folder_lock(out), pytest.raises(FolderBusyError, match="in use by another canlearn run"):
        _write_set(out, 1)
    _write_set(out, 1)  # free again


def test_a_folder_with_subfolders_is_refused_before_any_work(tmp_path):
    (tmp_path / "out" / "mine").mkdir(parents=True)
    with pytest.raises(ValueError, match="holds the folder 'mine'"):
        _write_set(tmp_path / "out", 1)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine"]


_KILLED_WRITER = """
import sys, time
from pathlib import Path
from analysis.io import atomic_write_text, output_set
out, gen = Path(sys.argv[1]), int(sys.argv[2])
with output_set(out) as stage:
    print("writing", flush=True)
    for k in range(6):
        atomic_write_text(stage / f"f{k}.txt", f"generation {gen}\\n")
        time.sleep(0.02)
"""

WRITE_PHASE = 0.12  # seconds the fake write phase above takes (6 files, 20 ms apart)


@pytest.mark.slow
def test_kills_during_the_write_phase_never_leave_a_mixed_set(tmp_path):
    """20 SIGKILLs spread over the write phase and the switch after it: the folder always holds
    one whole generation, the user's file survives, and the next run cleans up and succeeds."""
    out = tmp_path / "out"
    _write_set(out, 0)
    (out / USER_FILE).write_text("mine")
    committed, mixed, killed = 0, 0, 0
    for trial in range(1, 21):
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILLED_WRITER, str(out), str(trial)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline() == "writing\n"
        time.sleep(WRITE_PHASE * 1.3 * trial / 20)  # up to just past the end of the writes
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        killed += proc.returncode == -signal.SIGKILL
        generations = {(out / f"f{k}.txt").read_text() for k in range(6)}
        mixed += len(generations) != 1
        if generations == {f"generation {trial}\n"}:
            committed = trial
        assert generations <= {f"generation {committed}\n"}, generations
        assert (out / USER_FILE).read_text() == "mine"
        assert _ours(out) == [f"f{k}.txt" for k in range(6)], "no temp file inside the folder"
    assert mixed == 0
    assert killed >= 15, "most trials must be killed mid-run, not after it"
    _write_set(out, 99)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "stale staging folders are cleaned"
    assert (out / USER_FILE).read_text() == "mine"


def test_figures_are_listed_in_the_order_the_report_shows_them(regenerated):
    import re

    from analysis import report

    out, _ = regenerated
    shown = re.findall(r"!\[[^\]]*\]\(([\w-]+)\.png\)", (out / "report.md").read_text())
    assert tuple(shown) == report.FIGURES
