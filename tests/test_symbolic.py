"""Exact derivatives: sigma as a SymPy function, the seed's formulas as an identity, compiled forms."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import Layer, Network, Problem, backprop, compiled, preset, seed_gradient_exprs, sigma, symbolic
from analysis.exact import reduces_to_zero
from analysis.network import IDENTITY_01, PRESET_NAMES
from analysis.tolerances import GRAD_ATOL, GRAD_RTOL

t = sp.Symbol("t", real=True)


def test_sigma_is_a_proper_function():
    assert sigma(0) == sp.Rational(1, 2)
    assert sigma(sp.oo) == 1 and sigma(-sp.oo) == 0
    assert sp.diff(sigma(t), t) == sigma(t) * (1 - sigma(t))
    assert sigma(t).is_positive and sigma(t).is_real
    assert sigma(sp.Symbol("c")).is_positive is None  # no claim for a complex argument
    assert sp.latex(sigma(t)) == r"\sigma\left(t\right)"
    # The derivative matches the exp form exactly.
    exp_form = 1 / (1 + sp.exp(-t))
    assert sp.simplify(sp.diff(exp_form, t) - sp.diff(sigma(t), t).rewrite(sp.exp)) == 0
    assert abs(float(sigma(sp.Rational(3, 7)).evalf(30)) - 1 / (1 + np.exp(-3 / 7))) < 1e-15


def test_seed_formulas_are_minus_the_exact_gradient():
    """A symbolic identity, not a sample: gradient[k] + dL/dw_k expands to exactly 0."""
    m = symbolic(preset("none"))
    g0, g1 = seed_gradient_exprs()
    assert reduces_to_zero(g0 + m.gradient[0])
    assert reduces_to_zero(g1 + m.gradient[1])


def test_identity_checker_catches_a_dropped_factor():
    m = symbolic(preset("none"))
    g0, g1 = seed_gradient_exprs()
    W1 = m.params[0]
    broken = g0.xreplace({1 - sigma(W1): sp.S.One})  # the seed's (1 - y) dropped
    assert broken != g0
    assert not reduces_to_zero(broken + m.gradient[0])
    assert not reduces_to_zero(g1 - m.gradient[1])  # sign error caught


def test_loss_expression_of_the_seed():
    W1, W2 = symbolic(preset("none")).params
    expected = sigma(W2 / 2) ** 2 / 2 + (1 - sigma(W2 * sigma(W1))) ** 2 / 2
    assert reduces_to_zero(symbolic(preset("none")).loss - expected)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_hessian_is_symmetric_and_matches_gradient_differences(name):
    p = preset(name)
    c = compiled(p)
    w = np.random.default_rng(1).normal(0, 2, (20, p.n_params))
    H = c.hessian(w)
    assert np.allclose(H, np.swapaxes(H, -1, -2), atol=1e-14)
    h = 1e-5
    for j in range(p.n_params):
        e = np.zeros(p.n_params)
        e[j] = h
        fd = (c.gradient(w + e) - c.gradient(w - e)) / (2 * h)
        assert np.allclose(H[..., :, j], fd, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_compiled_loss_matches_backprop_loss_and_mpmath(name):
    p = preset(name)
    c = compiled(p)
    w = np.random.default_rng(2).normal(0, 3, (50, p.n_params))
    assert np.allclose(c.loss(w), backprop.loss(p, w), rtol=1e-14, atol=1e-16)
    assert abs(float(c.loss_mp(w[0], 40)) - c.loss(w[0])) < 1e-15


def test_shapes_broadcast():
    c = compiled(preset("both"))
    assert c.loss(np.zeros(4)).shape == ()
    assert c.gradient(np.zeros((3, 5, 4))).shape == (3, 5, 4)
    assert c.hessian(np.zeros((2, 4))).shape == (2, 4, 4)
    with pytest.raises(ValueError, match="expected 4 parameters"):
        c.gradient(np.zeros(3))


def test_general_network_symbolic_matches_backprop():
    """Beyond the seed: 2 inputs, 2 hidden neurons with biases, 1 output (XOR data)."""
    from analysis import Dataset

    xor = Dataset(((0, 0), (0, 1), (1, 0), (1, 1)), ((0,), (1,), (1,), (0,)))
    p = Problem("xor", Network(2, (Layer(2, bias=True), Layer(1, bias=True))), xor)
    w = np.random.default_rng(3).normal(0, 2, (30, p.n_params))
    g_sym = compiled(p).gradient(w)
    g_bp = backprop.gradient(p, w)
    assert np.all(np.abs(g_sym - g_bp) <= GRAD_ATOL + GRAD_RTOL * np.abs(g_sym))


def test_dataset_values_enter_exactly():
    p = Problem("tenth", Network(1, (Layer(1),)), type(IDENTITY_01)(((0.1,),), ((1.0,),)))
    ((z,),) = symbolic(p).outputs
    assert z.args[0].as_coeff_Mul()[0] == sp.Rational(0.1)  # the float's exact binary value


finite_weights = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PRESET_NAMES), st.data())
def test_everything_is_finite_and_warning_free(name, data):
    p = preset(name)
    w = np.array(data.draw(st.lists(finite_weights, min_size=p.n_params, max_size=p.n_params)))
    c = compiled(p)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is exact enough
        values = [
            backprop.forward(p, w),
            backprop.loss(p, w),
            backprop.gradient(p, w),
            c.loss(w),
            c.gradient(w),
        ]
    assert all(np.all(np.isfinite(v)) for v in values)
    assert np.all(np.abs(values[2] - values[4]) <= GRAD_ATOL + GRAD_RTOL * np.abs(values[4]))
