"""Training stops are named truthfully: converged (a critical point), stalled, overflow, max_iterations."""

import json
import warnings

import numpy as np
import pytest

from analysis import seed, training
from analysis.cli import main
from analysis.network import Dataset, Layer, Network, Problem, preset
from analysis.seed import seed_loop
from analysis.training import classify_stop, norm, train


def _fit_problem() -> Problem:
    """z = sigma(W x + b) on x in {0, 1} with targets 0.3, 0.6: a nondegenerate minimum at L = 0."""
    return Problem("fit", Network(1, (Layer(1, bias=True),)), Dataset(((0.0,), (1.0,)), ((0.3,), (0.6,))))


def test_attained_minimum_is_converged():
    r = train(_fit_problem(), rate=5.0, iterations=5000)
    assert r.stopped == "converged" and r.iterations < 5000
    assert "minimum" in r.stop_detail and r.loss < 1e-8
    assert r.gradient_norm < 1e-5


def test_saddle_is_converged_and_says_saddle():
    r = seed_loop(0, init=(0.0, 0.0))
    assert r.stopped == "converged" and "saddle" in r.stop_detail


@pytest.mark.parametrize(
    "kwargs", [dict(init=(1e300, 1e300)), dict(rate=1e6), dict(init=(-1e300, 1e300))], ids=str
)
def test_saturated_seed_runs_are_stalled_not_converged(kwargs):
    r = seed_loop(0, **kwargs)
    assert r.stopped == "stalled", r.stop_detail
    assert "saturated" in r.stop_detail


@pytest.mark.parametrize("arch", ["hidden", "output", "both"])
def test_saturated_backprop_runs_are_stalled(arch):
    p = preset(arch)
    r = train(p, np.full(p.n_params, 1e300))
    assert r.stopped == "stalled" and "saturated" in r.stop_detail
    r = train(p, rate=1e6)
    assert r.stopped == "stalled"


def test_flat_degenerate_point_is_not_called_converged():
    # The origin of "both" has gradient exactly 0 but a singular Hessian: not a nondegenerate
    # critical point, and no unit saturated, so the detail says the loss is flat.
    r = train("both", (0.0, 0.0, 0.0, 0.0))
    assert r.stopped == "stalled" and "flat" in r.stop_detail


def test_tiny_rate_is_stalled_with_the_reason():
    r = seed_loop(0, rate=1e-9)
    assert r.stopped == "stalled" and "rate is too small" in r.stop_detail


def test_classify_stop_negative_control():
    """The same classifier refuses 'converged' a step away from the minimum."""
    p = _fit_problem()
    w = np.array(train(p, rate=5.0, iterations=5000).weights)
    assert classify_stop(p, w, rate=5.0, tol=1e-5)[0] == "converged"
    assert classify_stop(p, w + np.array([0.5, -0.5]), rate=1e-9, tol=1e-5)[0] == "stalled"


def test_overflow_is_its_own_stop_without_warnings():
    # A huge W2 balanced by b2 keeps the output unsaturated, so dL/dW1 ~ W2 and rate * gradient overflows.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = train("both", (0.0, 1e308, 0.0, -5e307), rate=1e6, iterations=50)
    assert r.stopped == "overflow" and "float range" in r.stop_detail
    assert np.all(np.isfinite(r.weights)) and r.weights == r.init and r.iterations == 0


def test_extreme_valid_input_is_warning_free():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = train("both", (1e308, -1e308, 1e308, -1e308), rate=1e6, iterations=50)
    assert r.stopped == "stalled" and np.isfinite(r.loss)


def test_stop_is_named_in_json_and_text(capsys):
    assert main(["train", "--init", "1e300,1e300", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["stopped"] == "stalled" and "saturated" in got["stop_detail"]
    assert main(["train", "--rate", "1e6"]) == 0
    out = capsys.readouterr().out
    assert "stopped='stalled'" in out and "\n  stalled: " in out and "converged" not in out


def test_max_iterations_detail():
    r = seed_loop(0, iterations=3)
    assert r.stopped == "max_iterations" and "3 iterations" in r.stop_detail


def test_norm_does_not_overflow():
    assert norm([3e200, 4e200]) == pytest.approx(5e200)
    assert norm([1e308, 1e308]) == np.inf or norm([1e308, 1e308]) == pytest.approx(np.sqrt(2) * 1e308)
    assert norm([0.0, 0.0]) == 0.0


def test_progress_bar_on_long_runs(monkeypatch, capsys):
    monkeypatch.setattr(training, "PROGRESS_MIN_ITERATIONS", 10)
    monkeypatch.setattr(seed, "PROGRESS_EVERY", 4)
    monkeypatch.setattr(training, "PROGRESS_EVERY", 4)
    a = seed_loop(0, iterations=20, progress=True)
    err = capsys.readouterr().err
    assert "train" in err and "20" in err
    b = seed_loop(0, iterations=20)
    assert capsys.readouterr().err == ""
    assert a.weights == b.weights  # the bar does not touch the numbers
    train("both", iterations=20, progress=True)
    assert "train" in capsys.readouterr().err


def test_hessian_beyond_float_range_is_never_converged():
    name, detail = classify_stop(preset("both"), (0.0, 1e200, 0.0, -0.5e200), rate=5.0, tol=1e-5)
    assert name == "stalled" and "exceeds the float range" in detail
