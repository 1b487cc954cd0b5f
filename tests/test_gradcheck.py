"""Three-way gradient checks: correct gradients pass, broken ones fail naming the parameter."""

import mpmath
import numpy as np
import pytest

from analysis import backprop, compiled, gradcheck, preset, sample_points, seed_gradient
from analysis.check import exact_gradient, ill_conditioned
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


# Float cancellation in a pre-activation (ill-conditioned points).

_AND_CANCEL = (-1e300, -1e10, 1e300)  # input (1, 1): -1e300 - 1e10 + 1e300 is 0 in floats, -1e10 exactly


def _flags(net, bias, data):
    from analysis.spec import problem_from_flags

    return problem_from_flags(net, bias, data)


@pytest.mark.parametrize(
    "net, bias, data", [("2-1", "all", "and"), ("2-2-1", "all", "xor"), ("1-1-1-1", "none", "identity")]
)
def test_backprop_passes_on_problems_from_flags(net, bias, data):
    p = _flags(net, bias, data)
    r = gradcheck(lambda w: backprop.gradient(p, w), p)
    assert r.passed, r.message
    # Only cancellation is excused: most points, extreme ones included, are compared.
    assert r.ill_conditioned_points < r.points // 20
    pts = sample_points(p, 200)
    compared = pts[~ill_conditioned(p, pts)]
    assert np.abs(compared).max() >= 1e300


def test_and_cancellation_point_is_ill_conditioned_not_a_wrong_gradient():
    p = _flags("2-1", "all", "and")
    w = np.array(_AND_CANCEL)
    # The float gradients really are wrong there (any float forward pass sees sigma = 1/2) ...
    assert np.abs(backprop.gradient(p, w) - exact_gradient(p, w)).max() > 0.1
    assert ill_conditioned(p, w[None]).tolist() == [True]
    # ... so the point is counted and left out, and says so in the summary and the JSON.
    pts = np.vstack([sample_points(p, 20, seed=3), w])
    r = gradcheck(lambda x: backprop.gradient(p, x), p, points=pts)
    assert r.passed and r.ill_conditioned_points >= 1 and r.points == 21
    assert "1 ill-conditioned point (float cancellation in a pre-activation) not compared" in repr(r)
    assert f"passed on {21 - r.ill_conditioned_points} points" in repr(r)
    assert r.to_json()["ill_conditioned_points"] == r.ill_conditioned_points
    assert type(r).from_json(r.to_json()).ill_conditioned_points == r.ill_conditioned_points


def test_nothing_compared_is_not_a_pass():
    p = _flags("2-1", "all", "and")
    r = gradcheck(lambda x: backprop.gradient(p, x), p, points=[_AND_CANCEL])
    assert not r.passed and r.ill_conditioned_points == 1
    assert "no point compared" in r.message and r.max_abs_error is None


def test_exact_and_saturated_cancellation_is_not_excused():
    """x = 1 sums that cancel exactly in every order, and saturated sums, are well-conditioned."""
    both = preset("both")  # W1, W2, b1, b2: W1 + b1 = 1e300 - 1e300 is exact
    and_ = _flags("2-1", "all", "and")
    pts_both = np.array([[1e300, 1e300, -1e300, -1e300], [1e300, -1.0, -1e300, 50.0], [3.0, -2.0, 0.5, 1.0]])
    pts_and = np.array([[1e300, 1e300, 1e300], [-1e300, -1e300, 1e10], [1e10, -1e10, 1e-300]])
    assert not ill_conditioned(both, pts_both).any()
    assert not ill_conditioned(and_, pts_and).any()
    # A cancellation that costs a hidden unit its value is caught in a deeper layer too.
    xor = _flags("2-2-1", "all", "xor")  # W1[1,:] = (-1e300, -1), b1[1] = 1e300: -1 exactly, 0 in floats
    w = np.array([[1.0, 2.0, -1e300, -1.0, 3.0, -2.0, 0.5, 1e300, 0.1]])
    assert ill_conditioned(xor, w).tolist() == [True]


def test_prefilter_misses_no_ill_conditioned_point():
    """The cheap filter is only a shortcut: the exact test run on every point finds no more."""
    from analysis.check import _cancels, _may_cancel

    for p in (_flags("2-1", "all", "and"), _flags("2-2-1", "all", "xor"), preset("both")):
        pts = sample_points(p, 200)
        exact = np.array([_cancels(p, w) for w in pts])
        assert exact.any() == (p.name != "both")
        assert not (exact & ~_may_cancel(p, pts)).any()
        assert np.array_equal(ill_conditioned(p, pts), exact)


def _off(p, j, factor):
    def fn(w):
        g = backprop.gradient(p, w)
        g[..., j] *= factor
        return g

    return fn


@pytest.mark.parametrize("net, data, j", [("2-1", "and", 2), ("2-1", "and", 0), ("2-2-1", "xor", 4)])
def test_wrong_gradients_still_fail_on_and_and_xor(net, data, j):
    p = _flags(net, "all", data)
    r = gradcheck(_off(p, j, 1 + 1e-6), p, n_points=60)
    assert not r.passed and f"dL/d{p.param_names[j]} wrong at" in r.message
    assert [c.passed for c in r.per_parameter] == [k != j for k in range(p.n_params)]
    # At moderate weights alone (no extremes, no cancellation) the slip is caught as well.
    moderate = sample_points(p, 60)[:24]
    assert not ill_conditioned(p, moderate).any()
    assert not gradcheck(_off(p, j, 1 + 1e-6), p, points=moderate).passed


def test_seed_slip_is_not_excused():
    r = gradcheck(_seed_without_factor, preset("none"))
    assert not r.passed and r.ill_conditioned_points == 0


def test_a_gradient_wrong_only_at_ill_conditioned_points_is_not_caught():
    """What is not checked: where float cancellation makes every float gradient wrong, a correct
    and a wrong fn cannot be told apart, so a slip confined to those points passes (counted)."""
    p = _flags("2-1", "all", "and")
    pts = sample_points(p, 200)
    ill = ill_conditioned(p, pts)
    assert ill.any()

    def wrong_there(w):
        g = backprop.gradient(p, w)
        return np.where(ill_conditioned(p, w)[:, None], g + 1.0, g)

    r = gradcheck(wrong_there, p, points=pts)
    assert r.passed and r.ill_conditioned_points == int(ill.sum())
    # Non-finite numbers are never excused, there either.
    r = gradcheck(lambda w: np.where(ill_conditioned(p, w)[:, None], np.nan, backprop.gradient(p, w)), p)
    assert not r.passed and r.nonfinite_points == int(ill.sum())


def test_cli_gradcheck_and_neuron_passes(capsys):
    from analysis.cli import main

    assert main(["gradcheck", "--net", "2-1", "--bias", "all", "--data", "and"]) == 0
    out = capsys.readouterr().out
    assert "passed on" in out and "ill-conditioned point" in out and "not compared" in out
