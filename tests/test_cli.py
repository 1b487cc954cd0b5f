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
        ["gradcheck", "--points", "0"],
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
