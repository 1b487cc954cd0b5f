"""The CLI: summaries, JSON, and one-line errors with exit code 2 for bad input."""

import json
import subprocess
import sys

import pytest

from analysis.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--arch", "nope"],
        ["train", "--seed", "abc"],
        ["train", "--seed", "-1"],
        ["train", "--rate", "nan"],
        ["train", "--rate", "inf"],
        ["train", "--iterations", "0"],
        ["train", "--iterations", "-5"],
        ["train", "--init", "1,2,3"],
        ["train", "--init", "1,x"],
        ["train", "--arch", "both", "--init", "1,2"],
        ["train", "--rate", "0"],
        ["train", "--rate", "-5"],
        ["train", "--rate", "1e300"],
        ["train", "--iterations", "100000000000"],
        ["train", "--seed", "4294967296"],
        ["train", "--init", "1e400,1"],
        ["train", "--init", ""],
        ["gradcheck", "--points", "0"],
        ["gradcheck", "--points", "100000000000"],
        ["bench", "--points", "100000000000"],
        ["optimise", "--boxes", "1e300"],
        ["optimise", "--boxes", "0"],
        ["optimise", "--boxes", "5,-1"],
        ["prove", "--out", ""],
        ["prove", "--arch", "xor"],
        ["all", "--out", ""],
        ["gradcheck", "--arch", "both", "--function", "seed"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_input_is_one_line_exit_2(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("canlearn: error:") and err.count("\n") == 1 and "Traceback" not in err


def test_bad_input_via_subprocess_has_no_traceback():
    r = run("train", "--init", "1,inf")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr


def test_train_other_presets_and_init(capsys):
    assert main(["train", "--arch", "both", "--init", "1,2,3,4", "--iterations", "10", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["arch"] == "both" and got["init"] == [1.0, 2.0, 3.0, 4.0] and got["iterations"] == 10
    assert len(got["weights"]) == 4 and len(got["outputs"]) == 2


def test_train_summary_is_human_readable(capsys):
    assert main(["train", "--iterations", "5"]) == 0
    assert capsys.readouterr().out.startswith("TrainResult(arch='none', method='seed'")


def test_gradcheck_json_keys(capsys):
    assert main(["gradcheck", "--arch", "hidden", "--points", "40", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert {"arch", "points", "max_abs_error", "max_rel_error", "passed", "per_parameter"} <= set(got)
    assert got["passed"] is True and got["points"] == 40
    assert [c["name"] for c in got["per_parameter"]] == ["W1", "W2", "b1"]


def test_gradcheck_text(capsys):
    assert main(["gradcheck", "--function", "seed", "--points", "30"]) == 0
    out = capsys.readouterr().out
    assert "passed on 30 points" in out and "W1" in out and "W2" in out


def test_negative_numbers_follow_their_option(capsys):
    assert main(["train", "--init", "-1,2", "--iterations", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["init"] == [-1.0, 2.0]


def test_output_folder_must_be_writable(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for out in (a_file, a_file / "sub"):
        assert main(["prove", "--arch", "none", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("canlearn: error: cannot") and err.count("\n") == 1


def test_prove_writes_documents(tmp_path, capsys):
    assert main(["prove", "--arch", "none", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proofs.md", "proofs.tex"]
    assert "inf L = 1/8" in capsys.readouterr().out


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("canlearn ")


def test_help_lists_defaults():
    r = run("train", "--help")
    assert r.returncode == 0 and "(default: 800)" in r.stdout
