"""Three-way gradient checks: correct gradients pass, broken ones fail naming the parameter."""

import mpmath
import numpy as np
import pytest

from analysis import backprop, compiled, gradcheck, preset, sample_points, seed_gradient
from analysis.network import PRESET_NAMES
from analysis.seed import _seed_sigmoid


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_backprop_passes_on_every_preset(name):
    p = preset(name)
    r = gradcheck(lambda w: backprop.gradient(p, w), p, n_points=300)
    assert r.passed, r.message
    assert r.fd_points > 50 and r.points == 300
    assert [c.name for c in r.per_parameter] == list(p.param_names)


def test_seed_formulas_pass():
    r = gradcheck(seed_gradient, preset("none"))
    assert r.passed, r.message


def _seed_without_factor(w):
    """The seed's formula with (1 - y) dropped from gradient[0]: a plausible hand-coding slip."""
    w = np.asarray(w, float)
    x = np.array([0.0, 1.0])
    y = _seed_sigmoid(w[..., :1] * x)
    z = _seed_sigmoid(w[..., 1:] * y)
    g0 = np.sum(z * w[..., 1:] * y * x * (x - z) * (1 - z), axis=-1)
    g1 = np.sum(y * z * (x - z) * (1 - z), axis=-1)
    return -np.stack([g0, g1], axis=-1)


def test_dropped_factor_fails_and_names_W1():
    r = gradcheck(_seed_without_factor, preset("none"))
    assert not r.passed
    assert "dL/dW1 wrong at" in r.message and "dL/dW2" not in r.message
    w1, w2 = r.per_parameter
    assert not w1.passed and w2.passed
    assert "analytic" in r.message and "exact" in r.message


def test_tiny_relative_error_is_caught():
    p = preset("both")

    def off(w):
        g = backprop.gradient(p, w)
        g[..., 3] *= 1 + 1e-6
        return g

    r = gradcheck(off, p)
    assert not r.passed and [c.passed for c in r.per_parameter] == [True, True, True, False]
    assert "dL/db2" in r.message


def test_nonfinite_gradient_fails():
    p = preset("none")
    r = gradcheck(lambda w: np.where(np.abs(w) > 1e100, np.nan, backprop.gradient(p, w)), p)
    assert not r.passed


def test_one_point_at_a_time_functions():
    p = preset("output")
    r = gradcheck(lambda w: backprop.gradient(p, w), p, n_points=20, vectorized=False)
    assert r.passed


def test_mpmath_tie_breaker_accepts_a_more_accurate_gradient():
    """A gradient evaluated at 50 digits passes even where float rounding in the reference differs."""
    p = preset("none")
    c = compiled(p)
    pts = sample_points(p, 30, seed=5)
    exact = np.array([[float(g) for g in c.gradient_mp(w, 50)] for w in pts])
    r = gradcheck(lambda w: exact, p, points=pts)
    assert r.passed, r.message
    assert isinstance(c.gradient_mp(pts[0], 50)[0], mpmath.mpf)


def test_sample_points_are_deterministic_and_extreme():
    p = preset("both")
    a, b = sample_points(p, 200, seed=0), sample_points(p, 200, seed=0)
    assert np.array_equal(a, b) and a.shape == (200, 4)
    assert np.abs(a).max() >= 1e300 and np.any(a == 0.0)
    assert not np.array_equal(a, sample_points(p, 200, seed=1))
    with pytest.raises(ValueError):
        sample_points(p, 0)


def test_preset_name_is_accepted_as_the_problem():
    p = preset("hidden")
    r = gradcheck(lambda w: backprop.gradient(p, w), "hidden", n_points=20)
    assert r.passed and r.arch == "hidden" and r.nonfinite_points == 0


def test_wrong_shape_names_fn_and_the_fix():
    p = preset("none")
    with pytest.raises(ValueError, match="fn returned shape .* vectorized=False"):
        gradcheck(lambda w: backprop.gradient(p, w)[..., :1], p, n_points=5)
    with pytest.raises(ValueError, match=r"fn returned shape \(5, 1\) \(stacked over points\)"):
        gradcheck(lambda w: backprop.gradient(p, w)[:1], p, n_points=5, vectorized=False)
