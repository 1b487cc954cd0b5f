"""The README's examples run: its Python sessions as doctests, its console sessions as commands.

A ``console`` block holds ``$ canlearn ...`` lines each followed by the output it must print
(``...`` matches anything, as in doctest).
"""

import doctest
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", TEXT, flags=re.S)


@pytest.mark.slow  # runs prove, optimise and dynamics of the seed's network in full
def test_readme_python_examples():
    blocks = [b for b in _blocks("python") if ">>>" in b]
    assert blocks, "the README should show a Python session"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    globs = {}
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"README block {i}", str(README), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs  # the next block continues the same session
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted > 0


def _console_cases():
    cases = []
    for block in _blocks("console"):
        cmd, out = None, []
        for line in block.splitlines() + ["$ "]:
            if line.startswith("$ "):
                if cmd:
                    cases.append((cmd, "\n".join(out) + "\n"))
                cmd, out = line[2:].strip(), []
            else:
                out.append(line)
    return cases


CASES = _console_cases()


def test_readme_has_console_examples():
    assert CASES


@pytest.mark.parametrize("cmd,expected", CASES, ids=[c for c, _ in CASES])
def test_readme_console_examples(cmd, expected):
    argv = shlex.split(cmd)
    if argv[0] != "canlearn" or "all" in argv[1:2] or "make" in argv:
        pytest.skip("only canlearn commands that are quick to run are checked here")
    got = subprocess.run([sys.executable, "-m", "analysis", *argv[1:]], capture_output=True, text=True)
    checker = doctest.OutputChecker()
    assert checker.check_output(expected, got.stdout + got.stderr, FLAGS), (
        f"README example `{cmd}` printed:\n{got.stdout}{got.stderr}"
    )


def test_readme_quotes_the_committed_results():
    """The prose numbers in the README are the ones the main job computed."""
    import json

    results = json.loads((README.parent / "figures" / "results.json").read_text())
    none = results["presets"]["none"]
    seed_run = none["dynamics"]["seed_run"]
    assert f"{seed_run['valley_loss']:.12g}" in TEXT
    assert f"W2 = {seed_run['valley_minimiser']['W2']}" in TEXT
    assert f"inf L = {none['proofs']['infimum']['value']} is approached but never attained" in TEXT
    assert none["proofs"]["infimum"]["attained"] is False and none["proofs"]["separable"] is False
    seed_init = none["dynamics"]["basins"]["uniform[0,1)"]
    assert seed_init["hits"] == 0 and f"None of {seed_init['samples']} seed-style inits" in TEXT
    assert f"inf L = {results['presets']['hidden']['proofs']['infimum']['value']} again" in TEXT
    assert f"inf L = {results['presets']['output']['proofs']['infimum']['value']}, T6" in TEXT
    boxes = {r["box"] for r in none["optimise"]["runs"]}
    assert f"[−{max(boxes):g}, {max(boxes):g}]²" in TEXT
    assert all(results["presets"][a]["optimise"]["agrees"] for a in results["presets"])
    assert len({r["method"] for r in none["optimise"]["runs"]}) == 10 and "ten optimisers" in TEXT
