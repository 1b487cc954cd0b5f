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


def test_bad_worker_count_is_exit_2_before_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CANLEARN_WORKERS", "0")
    assert main(["all", "--out", str(tmp_path / "out")]) == 2
    assert "CANLEARN_WORKERS must be a positive integer" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


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


@pytest.mark.slow
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


@pytest.mark.parametrize(
    "args, named",
    [
        (["train", "--init", "-inf,1"], "--init"),
        (["train", "--rate", "-inf"], "--rate"),
        (["train", "--rate", "-nan"], "--rate"),
        (["optimise", "--boxes", ",".join(["5"] * 21)], "--boxes"),
        (["train", "--iterations", "2.5"], "--iterations"),
    ],
)
def test_bad_value_message_names_the_option(args, named, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert named in err and err.count("\n") == 1 and "expected one argument" not in err


def _boom(exc):
    def command(args):
        raise exc

    return command


@pytest.mark.parametrize("exc", [RuntimeError("bug"), ValueError("not from validation"), KeyError("k")])
def test_internal_error_is_exit_1_not_a_usage_error(exc, monkeypatch, capsys):
    from analysis import cli

    monkeypatch.setitem(cli.COMMANDS, "train", _boom(exc))
    assert main(["train"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("canlearn: internal error: ") and err.count("\n") == 1
    assert "--debug" in err and "Traceback" not in err


def test_debug_shows_the_traceback(monkeypatch, capsys):
    from analysis import cli

    monkeypatch.setitem(cli.COMMANDS, "train", _boom(RuntimeError("bug")))
    assert main(["--debug", "train"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("for the traceback")
    assert main(["train", "--debug"]) == 1  # anywhere on the line
    assert "Traceback" in capsys.readouterr().err


def test_library_validation_errors_are_usage_errors(monkeypatch, capsys):
    """An InputError raised deep in the library (here by train itself) still exits 2."""
    from analysis import cli
    from analysis.training import train

    monkeypatch.setitem(cli.COMMANDS, "train", lambda args: train("none", rate=-1.0))
    assert main(["train"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("canlearn: error: rate:") and err.count("\n") == 1


def test_help_shows_defaults_as_typed(capsys):
    import argparse

    from analysis.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert {"train", "gradcheck", "optimise"} <= set(sub.choices)
    for command in sub.choices:  # every subcommand, including ones added later
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "(default: None)" not in out and "(default: False)" not in out, command
        assert "(default: (" not in out and "(default: [" not in out, command


def test_help_states_every_bound(capsys):
    texts = {}
    for command in ("train", "gradcheck", "optimise", "bench"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        texts[command] = " ".join(capsys.readouterr().out.split())
    assert "1 to 10,000,000" in texts["train"] and "at most 1e+06" in texts["train"]
    assert "1 to 1,000,000" in texts["gradcheck"]
    assert "at most 20 boxes" in texts["optimise"] and "(default: 5,10,20,40,80)" in texts["optimise"]
    assert "1 to 10,000,000" in texts["bench"] and "1 to 1000" in texts["bench"]


def test_train_progress_only_on_a_terminal(monkeypatch, capsys):
    import sys

    from analysis import seed, training

    monkeypatch.setattr(training, "PROGRESS_MIN_ITERATIONS", 10)
    monkeypatch.setattr(seed, "PROGRESS_EVERY", 4)
    assert main(["train", "--iterations", "20"]) == 0
    assert capsys.readouterr().err == ""  # not a tty: no bar in logs or pipes
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["train", "--iterations", "20"]) == 0
    captured = capsys.readouterr()
    assert "train" in captured.err and "20" in captured.err  # the bar, on stderr
    assert captured.out.startswith("TrainResult(")  # stdout holds only the result
