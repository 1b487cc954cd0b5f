"""Foundation results (TrainResult, GradcheckResult, ParamCheck) on the one JSON path of results.py.

Round trips through text JSON, the CLI's ``--json`` equal to the API object's JSON, the keys the
committed results.json holds still written, and malformed objects refused naming the field.
"""

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from analysis import backprop
from analysis.check import GradcheckResult, ParamCheck, gradcheck
from analysis.cli import main
from analysis.io import dumps
from analysis.network import preset
from analysis.results import Result, null_if_nonfinite, omit
from analysis.seed import seed_gradient, seed_loop
from analysis.training import TrainResult, train

COMMITTED = Path(__file__).resolve().parent.parent / "figures" / "results.json"
ARRAYS = ("errors", "changes", "trajectory")


def _text_round_trip(data: dict) -> dict:
    # Through text with allow_nan=False, as every file and --json output is written.
    return json.loads(dumps(data))


def _backprop_fn(problem):
    return lambda w: backprop.gradient(problem, w)


def _assert_same_run(a: TrainResult, b: TrainResult) -> None:
    for f in dataclasses.fields(TrainResult):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


@pytest.fixture(scope="module")
def runs():
    p = preset("both")
    return {
        "seed": seed_loop(3, iterations=60),
        "train": train(p, (0.5, -1.0, 0.25, 2.0), iterations=40),
        "stalled": seed_loop(0, init=(1e300, 1e300)),
    }


@pytest.fixture(scope="module")
def checks():
    p = preset("hidden")

    def wrong(w):  # a wrong gradient: dL/dW1 doubled
        g = backprop.gradient(p, w)
        g[..., 0] *= 2
        return g

    def nonfinite(w):  # fn returns inf everywhere: no finite maxima (None in JSON)
        return np.full(np.shape(w), np.inf)

    return {
        "passed": gradcheck(_backprop_fn(p), p, n_points=30),
        "wrong": gradcheck(wrong, p, n_points=30),
        "nonfinite": gradcheck(nonfinite, p, n_points=10),
        "seed": gradcheck(seed_gradient, preset("none"), n_points=20),
    }


@pytest.mark.parametrize("name", ["seed", "train", "stalled"])
def test_train_result_round_trips_with_its_arrays(runs, name):
    r = runs[name]
    data = _text_round_trip(r.to_json())
    assert not set(ARRAYS) & set(data)  # per-iteration arrays are not written
    back = TrainResult.from_json(data, **{k: getattr(r, k) for k in ARRAYS})
    _assert_same_run(back, r)
    assert back.to_json() == r.to_json()


def test_train_result_without_arrays_is_refused_naming_them(runs):
    with pytest.raises(ValueError, match="'errors'"):
        TrainResult.from_json(runs["seed"].to_json())
    with pytest.raises(ValueError, match="loss"):
        TrainResult.from_json(runs["seed"].to_json(), loss=0.0, errors=np.zeros(0))


def test_nonfinite_gradient_norm_is_null_and_reads_back_as_nan(runs):
    r = dataclasses.replace(runs["train"], gradient_norm=math.inf)
    data = _text_round_trip(r.to_json())
    assert data["gradient_norm"] is None
    back = TrainResult.from_json(data, **{k: getattr(r, k) for k in ARRAYS})
    assert math.isnan(back.gradient_norm)
    # A finite norm is written as itself.
    assert runs["train"].to_json()["gradient_norm"] == runs["train"].gradient_norm


@pytest.mark.parametrize("name", ["passed", "wrong", "nonfinite", "seed"])
def test_gradcheck_result_round_trips(checks, name):
    r = checks[name]
    back = GradcheckResult.from_json(_text_round_trip(r.to_json()))
    assert back == r
    assert all(isinstance(c, ParamCheck) for c in back.per_parameter)
    for c in r.per_parameter:
        assert ParamCheck.from_json(_text_round_trip(c.to_json())) == c


def test_round_trip_equality_is_not_vacuous(checks):
    # Negative control: a perturbed weight or flipped verdict in the JSON gives a different object.
    r = checks["wrong"]
    assert not r.passed and r.max_abs_error is not None
    data = _text_round_trip(r.to_json())
    data["per_parameter"][0]["worst_point"][0] += 1e-12
    assert GradcheckResult.from_json(data) != r
    data = _text_round_trip(r.to_json())
    data["passed"] = True
    assert GradcheckResult.from_json(data) != r


def test_nonfinite_gradcheck_writes_null_maxima(checks):
    data = checks["nonfinite"].to_json()
    assert data["max_abs_error"] is None and data["nonfinite_points"] == checks["nonfinite"].points
    assert all(c["max_abs_error"] is None for c in data["per_parameter"])


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(points="forty"), "GradcheckResult.points"),
        (lambda d: d.update(passed="yes"), "GradcheckResult.passed"),
        (lambda d: d.pop("message"), "'message'"),
        (lambda d: d["per_parameter"][0].update(max_abs_error=[1.0]), "ParamCheck.max_abs_error"),
        (lambda d: d["per_parameter"][1].update(worst_point="0,0"), "ParamCheck.worst_point"),
        (lambda d: d["per_parameter"][0].pop("name"), "'name'"),
        (lambda d: d.update(per_parameter=[1, 2]), "ParamCheck"),
    ],
)
def test_malformed_gradcheck_json_is_refused_naming_the_field(checks, edit, field):
    data = _text_round_trip(checks["passed"].to_json())
    edit(data)
    with pytest.raises(ValueError, match=field):
        GradcheckResult.from_json(data)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(iterations=60.5), "TrainResult.iterations"),
        (lambda d: d.update(weights=[1.0, "two"]), "TrainResult.weights"),
        (lambda d: d.update(loss=None), "TrainResult.loss"),
        (lambda d: d.pop("stopped"), "'stopped'"),
    ],
)
def test_malformed_train_json_is_refused_naming_the_field(runs, edit, field):
    r = runs["seed"]
    data = _text_round_trip(r.to_json())
    edit(data)
    with pytest.raises(ValueError, match=field):
        TrainResult.from_json(data, **{k: getattr(r, k) for k in ARRAYS})
    with pytest.raises(ValueError, match="expected a JSON object"):
        TrainResult.from_json([data])


def test_cli_train_json_is_the_api_result(capsys):
    assert main(["train", "--seed", "4", "--iterations", "50", "--json"]) == 0
    assert capsys.readouterr().out == dumps(seed_loop(4, iterations=50).to_json())
    args = ["train", "--arch", "output", "--init", "0.5,-1,0.25", "--iterations", "30", "--json"]
    assert main(args) == 0
    assert capsys.readouterr().out == dumps(train(preset("output"), (0.5, -1, 0.25), iterations=30).to_json())


def test_cli_gradcheck_json_is_the_api_result(capsys):
    assert main(["gradcheck", "--arch", "output", "--points", "25", "--json"]) == 0
    p = preset("output")
    assert capsys.readouterr().out == dumps(gradcheck(_backprop_fn(p), p, n_points=25).to_json())


def _written_keys(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.metadata.get("json") != "omit"}


def test_json_keys_are_the_fields_and_cover_the_committed_results(capsys):
    committed = json.loads(COMMITTED.read_text())["presets"]["none"]
    assert main(["train", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert set(got) == _written_keys(TrainResult)
    # Every key of the committed artifact is still written, with the same value for the seed's run.
    assert {k: got[k] for k in committed["train"]} == committed["train"]

    assert main(["gradcheck", "--points", "20", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert set(got) == _written_keys(GradcheckResult) >= set(committed["gradcheck"])
    for c, old in zip(got["per_parameter"], committed["gradcheck"]["per_parameter"], strict=True):
        assert set(c) == _written_keys(ParamCheck) >= set(old)


@dataclasses.dataclass(frozen=True)
class _Probe(Result):
    name: str
    norm: float = null_if_nonfinite()
    trace: np.ndarray = omit()
    cache: tuple[float, ...] = omit(())


def test_mixin_options_omit_and_null():
    p = _Probe("a", -math.inf, np.arange(3.0), (1.0,))
    data = _text_round_trip(p.to_json())
    assert data == {"name": "a", "norm": None}
    back = _Probe.from_json(data, trace=p.trace)
    assert back.cache == () and back.trace is p.trace and math.isnan(back.norm)
    with pytest.raises(ValueError, match="'trace'"):
        _Probe.from_json(data)
    with pytest.raises(ValueError, match="name"):
        _Probe.from_json(data, trace=p.trace, name="b")
    assert _Probe.from_json({"name": "a", "norm": 2.5}, trace=p.trace).norm == 2.5
