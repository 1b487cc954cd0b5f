"""One input contract at every door: API functions refuse bad arguments with a ValueError (or a
TypeError for a wrong type) whose message names the argument, as the CLI does."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import backprop, compiled, gradcheck, preset, seed_gradient, seed_loop, train
from analysis.check import sample_points
from analysis.errors import InputError
from analysis.network import Dataset, Layer, Network, Problem

NAN, INF = math.nan, math.inf
P = preset("none")
# 28 weights: 10^7 iterations of history would not fit the bound on kept floats.
WIDE = Problem("wide", Network(1, (Layer(9, bias=True), Layer(1, bias=True))), P.data)


def _bp(w):
    return backprop.gradient(P, w)


CASES = [
    # (call, exception type, text the message must contain)
    (lambda: train(P, rate=-1), ValueError, "rate"),
    (lambda: train(P, rate=0), ValueError, "rate"),
    (lambda: train(P, rate=NAN), ValueError, "rate"),
    (lambda: train(P, rate=INF), ValueError, "rate"),
    (lambda: train(P, rate=1e300), ValueError, "rate"),
    (lambda: train(P, rate="5"), TypeError, "rate"),
    (lambda: train(P, iterations=2.5), TypeError, "iterations"),
    (lambda: train(P, iterations=0), ValueError, "iterations"),
    (lambda: train(P, iterations=True), TypeError, "iterations"),
    (lambda: train(P, iterations=10**8), ValueError, "iterations"),
    (lambda: train(WIDE, iterations=10**7), ValueError, "iterations: at most"),
    (lambda: train(P, seed=-1), ValueError, "seed"),
    (lambda: train(P, seed=1.5), TypeError, "seed"),
    (lambda: train(P, (NAN, 1.0)), ValueError, "init"),
    (lambda: train(P, (INF, 1.0)), ValueError, "init"),
    (lambda: train(P, (1.0, 2.0, 3.0)), ValueError, "init"),
    (lambda: train(P, [[1.0, 2.0]]), ValueError, "init"),
    (lambda: train(P, tol=0), ValueError, "tol"),
    (lambda: train(P, progress="yes"), TypeError, "progress"),
    (lambda: train("nope"), ValueError, "problem"),
    (lambda: train(42), TypeError, "problem"),
    (lambda: seed_loop(rate=NAN), ValueError, "rate"),
    (lambda: seed_loop(rate=-5), ValueError, "rate"),
    (lambda: seed_loop(iterations=2.5), TypeError, "iterations"),
    (lambda: seed_loop(init=(NAN, 1.0)), ValueError, "init"),
    (lambda: seed_loop(init=(1.0, 2.0, 3.0)), ValueError, "init"),
    (lambda: seed_gradient([NAN, 1.0]), ValueError, "w"),
    (lambda: seed_gradient([1.0, 2.0, 3.0]), ValueError, "w"),
    (lambda: seed_gradient("ab"), TypeError, "w"),
    (lambda: compiled(P).loss_mp([NAN, 1.0], 50), ValueError, "w"),
    (lambda: compiled(P).loss_mp([INF, 1.0], 50), ValueError, "w"),
    (lambda: compiled(P).loss_mp([1.0, 1.0, 1.0], 50), ValueError, "w"),
    (lambda: compiled(P).loss_mp([1.0, 1.0], 0), ValueError, "dps"),
    (lambda: compiled(P).loss_mp([1.0, 1.0], 2.5), TypeError, "dps"),
    (lambda: compiled(P).gradient_mp([1.0, -INF], 50), ValueError, "w"),
    (lambda: compiled(P).hessian([NAN, 1.0]), ValueError, "w"),
    (lambda: backprop.loss(P, [1.0, INF]), ValueError, "w"),
    (lambda: backprop.gradient(P, [1.0]), ValueError, "w"),
    (lambda: gradcheck(lambda w: 1 / 0, P), ValueError, "ZeroDivisionError"),
    (lambda: gradcheck("none", _bp), TypeError, "swapped"),
    (lambda: gradcheck(_bp, "nope"), ValueError, "problem"),
    (lambda: gradcheck(P, P), TypeError, "fn"),
    (lambda: gradcheck(lambda w: float(w[0]), P), ValueError, "vectorized=False"),
    (lambda: gradcheck(lambda w: None, P), TypeError, "fn returned None"),
    (lambda: gradcheck(lambda w: w[..., :1], P), ValueError, "fn returned shape"),
    (lambda: gradcheck(_bp, P, points=np.empty((0, 2))), ValueError, "points"),
    (lambda: gradcheck(_bp, P, points=[]), ValueError, "points"),
    (lambda: gradcheck(_bp, P, points=[[NAN, 1.0]]), ValueError, "points"),
    (lambda: gradcheck(_bp, P, points=[[1.0, 2.0, 3.0]]), ValueError, "points"),
    (lambda: gradcheck(_bp, P, n_points=2.5), TypeError, "n_points"),
    (lambda: gradcheck(_bp, P, n_points=0), ValueError, "n_points"),
    (lambda: gradcheck(_bp, P, atol=NAN), ValueError, "atol"),
    (lambda: gradcheck(_bp, P, vectorized="no"), TypeError, "vectorized"),
    (lambda: sample_points(P, 0), ValueError, "n_points"),
    (lambda: Dataset(((0.0,), (1.0,)), ((0.0,), (2.0,))), ValueError, "targets[1]"),
    (lambda: Dataset(((0.0,), (1.0,)), ((-0.5,), (1.0,))), ValueError, "targets[0]"),
    (lambda: Dataset(((NAN,), (1.0,)), ((0.0,), (1.0,))), ValueError, "inputs[0]"),
    (lambda: Problem("x", Network(2, (Layer(1),)), Dataset(((0.0,),), ((0.0,),))), ValueError, "input"),
]


@pytest.mark.parametrize("call, exc, text", CASES, ids=[f"{i}-{c[2]}" for i, c in enumerate(CASES)])
def test_bad_argument_is_refused_naming_it(call, exc, text):
    with pytest.raises(exc) as info:
        call()
    assert isinstance(info.value, InputError)  # so the CLI reports it as bad input, exit 2
    message = str(info.value)
    assert text in message and "\n" not in message


def test_raising_user_function_keeps_its_cause():
    with pytest.raises(InputError) as info:
        gradcheck(lambda w: 1 / 0, P)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_per_point_function_is_accepted_with_vectorized_false():
    r = gradcheck(lambda w: backprop.gradient(P, np.asarray(w)), P, n_points=10, vectorized=False)
    assert r.passed


def test_nan_gradient_summary_says_not_finite():
    """Negative control: a NaN-returning gradient fails, and the summary does not show 1.8e308."""
    r = gradcheck(lambda w: np.where(np.abs(w) > 1e100, np.nan, _bp(w)), P, n_points=60)
    assert not r.passed and r.nonfinite_points > 0
    assert "not finite at" in repr(r) and "1.8e+308" not in repr(r)
    assert r.max_abs_error is not None and r.max_abs_error < 1e-10
    r = gradcheck(lambda w: _bp(w) * np.nan, P, n_points=5)
    assert not r.passed and r.max_abs_error is None and "not finite at any point" in repr(r)
    assert r.to_json()["max_abs_error"] is None


bad_floats = st.sampled_from([NAN, INF, -INF])


@settings(max_examples=40, deadline=None)
@given(bad=bad_floats, index=st.integers(0, 3), name=st.sampled_from(["none", "hidden", "output", "both"]))
def test_every_entry_point_refuses_nan_and_inf(bad, index, name):
    p = preset(name)
    w = np.linspace(-1.0, 1.0, p.n_params)
    w[index % p.n_params] = bad
    c = compiled(p)
    entry_points = [
        (lambda: train(p, w), "init"),
        (lambda: backprop.loss(p, w), "w"),
        (lambda: backprop.gradient(p, w), "w"),
        (lambda: backprop.forward(p, w), "w"),
        (lambda: c.loss(w), "w"),
        (lambda: c.gradient(w), "w"),
        (lambda: c.hessian(w), "w"),
        (lambda: c.loss_mp(w, 30), "w"),
        (lambda: c.gradient_mp(w, 30), "w"),
        (lambda: gradcheck(lambda v: backprop.gradient(p, v), p, points=w[None, :]), "points"),
        (lambda: train(p, rate=bad), "rate"),
    ]
    if name == "none":
        entry_points += [
            (lambda: seed_loop(init=w), "init"),
            (lambda: seed_gradient(w), "w"),
            (lambda: seed_loop(rate=bad), "rate"),
        ]
    for call, arg in entry_points:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value).startswith(f"{arg}:"), str(info.value)
