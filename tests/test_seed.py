"""The port of the seed's loop matches the seed's own code bit for bit, and the CLI exposes it."""

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis import seed_loop

ORIGINAL = (Path(__file__).parent / "seed_original.py").read_text()
SEEDS = [0, 1, 2, 7, 42, 2024, 123456]


def run_original(seed: int, bit_exact: bool = True, iterations: int = 800, init=None):
    """Run the seed's script; with ``bit_exact`` its %f prints become %.17g so every bit shows.
    ``iterations`` and ``init`` edit its iteration count and its drawn weights (after the draw)."""
    text = ORIGINAL.replace("%f", "%.17g") if bit_exact else ORIGINAL
    text = text.replace("iterations = 800", f"iterations = {iterations}")
    if init is not None:
        text = text.replace(
            "gradient = np.random.rand(2)", f"gradient = np.random.rand(2); w = np.array({list(init)})"
        )
    ns = {"SEED": seed, "__name__": "seed_original"}
    out = io.StringIO()
    # Its exp overflows at large |w| (1 / (1 + inf) = 0 is the right value): a warning, not an error.
    with contextlib.redirect_stdout(out), np.errstate(over="ignore"):
        exec(compile(text, "seed_original.py", "exec"), ns)
    return ns, out.getvalue().splitlines()


def our_lines(r, fmt="%.17g"):
    lines = [
        f"Iteration %d, Error {fmt}, Change {fmt}" % (i, e, c)
        for i, (e, c) in enumerate(zip(r.errors, r.changes), start=1)
    ]
    return lines + [f"1 {r.outputs[1]!r}", f"0 {r.outputs[0]!r}"]


@pytest.mark.parametrize("seed", SEEDS)
def test_port_matches_original_bit_for_bit(seed):
    ns, lines = run_original(seed)
    r = seed_loop(seed)
    assert ns["w"].tobytes() == np.array(r.weights).tobytes()
    assert ns["i"] == r.iterations
    assert lines == our_lines(r)
    assert float(ns["z"]) == r.outputs[0]  # the script's last z is z(0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "seed, init",
    [
        (0, None),
        (0, (-0.5488135039273248, 0.7151893663724908)),
        (4, (3.0, -2.0)),
        (1, (0.0, 0.0)),
        (2, (-0.0, -2000.0)),  # z rounds to 0: both gradient terms are -0.0, np.sum gives +0.0
    ],
)
def test_port_matches_original_on_long_runs(seed, init):
    """30,000 iterations (the seed's own, its mirror, a negative W2, the saddle): every printed bit."""
    ns, lines = run_original(seed, iterations=30_000, init=init)
    r = seed_loop(seed, iterations=30_000, init=init)
    assert ns["i"] == r.iterations
    assert ns["w"].tobytes() == np.array(r.weights).tobytes()  # bytes: -0.0 is not 0.0 here
    assert lines == our_lines(r)


def test_port_matches_original_printed_output():
    _, lines = run_original(3, bit_exact=False)
    assert lines == our_lines(seed_loop(3), fmt="%f")


def test_perturbed_init_is_caught():
    """Negative control: a 1e-9 change to the initial weights is visible in the final bits."""
    ns, lines = run_original(0)
    r1 = seed_loop(0, init=np.array(seed_loop(0).init) + 1e-9)
    assert not np.array_equal(ns["w"], np.array(r1.weights))
    assert lines != our_lines(r1)


def test_trajectory_starts_at_init_and_ends_at_weights():
    r = seed_loop(5, iterations=50)
    assert r.trajectory.shape == (51, 2)
    assert tuple(r.trajectory[0]) == r.init and tuple(r.trajectory[-1]) == r.weights
    assert not r.trajectory.flags.writeable


def test_converged_stop():
    # From the saddle at the origin the step is tiny at once: the seed's rule stops it.
    r = seed_loop(0, init=(0.0, 0.0))
    assert r.stopped == "converged" and r.iterations == 1


@pytest.mark.parametrize("seed", [0, 11, 99])
def test_cli_train_json_reproduces_seed(seed):
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "train", "--seed", str(seed), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout)
    ns, _ = run_original(seed)
    assert got["weights"] == [float(v) for v in ns["w"]]
    assert got["outputs"][0] == float(ns["z"])
    assert got["iterations"] == ns["i"]
    assert got["stopped"] == "max_iterations"
    assert set(got) >= {"arch", "init", "weights", "iterations", "loss", "outputs", "stopped"}
