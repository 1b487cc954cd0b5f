"""Hand-coded numeric forward pass, loss, and backprop (chain rule, layer by layer, in reverse).

Independent of the symbolic module on purpose: the two are checked against each other.
Every function takes points of shape (..., n_params) and is vectorised over the leading axes.
"""

from __future__ import annotations

import numpy as np

from .network import Problem
from .numerics import as_points, sigmoid


def _activations(problem: Problem, w: np.ndarray) -> list[np.ndarray]:
    """Neuron outputs per layer, each of shape (..., n_samples, size); index 0 is the input."""
    X = problem.data.X
    hs = [np.broadcast_to(X, w.shape[:-1] + X.shape)]
    for W, b in problem.network.unpack(w):
        # a[..., s, o] = sum_i W[..., o, i] * h[..., s, i]  (+ b[..., o]); a = +-inf at huge
        # weights is the right input to sigmoid, only inf - inf (nan) needs the scaled sum.
        with np.errstate(over="ignore", invalid="ignore"):
            a = _preactivation(W, b, hs[-1])
        if np.isnan(a).any():
            a = np.where(np.isnan(a), _scaled_preactivation(W, b, hs[-1]), a)
        hs.append(sigmoid(a))
    return hs


def _preactivation(W, b, h):
    a = np.sum(W[..., None, :, :] * h[..., :, None, :], axis=-1)
    return a if b is None else a + b[..., None, :]


def _scaled_preactivation(W, b, h):
    """The pre-activation as s * (sum of terms / s), s = the neuron's largest |weight|: the sum of
    scaled terms cannot overflow, so an overflow of the product gives +-inf with the right sign."""
    scale = np.max(np.abs(W), axis=-1)
    if b is not None:
        scale = np.maximum(scale, np.abs(b))
    scale = np.where(scale > 0, scale, 1.0)
    a = _preactivation(W / scale[..., None], None if b is None else b / scale, h)
    with np.errstate(over="ignore"):
        return a * scale[..., None, :]


def forward(problem: Problem, w) -> np.ndarray:
    """Network outputs z, shape (..., n_samples, n_outputs)."""
    w = as_points(w, problem.n_params)
    return _activations(problem, w)[-1]


def loss(problem: Problem, w) -> np.ndarray:
    """L = 1/2 sum over samples and outputs of (d - z)^2, shape (...)."""
    z = forward(problem, w)
    return 0.5 * np.sum((problem.data.D - z) ** 2, axis=(-2, -1))


def gradient(problem: Problem, w) -> np.ndarray:
    """dL/dw by backprop, shape (..., n_params), in the documented parameter order."""
    w = as_points(w, problem.n_params)
    hs = _activations(problem, w)
    layers = problem.network.unpack(w)
    z = hs[-1]
    delta = (z - problem.data.D) * z * (1.0 - z)  # dL/da at the output layer
    grad_W, grad_b = [], []
    for k in range(len(layers) - 1, -1, -1):
        W, b = layers[k]
        h_in = hs[k]
        # dL/dW[o, i] = sum_s delta[s, o] * h_in[s, i]
        grad_W.append(np.sum(delta[..., :, :, None] * h_in[..., :, None, :], axis=-3))
        grad_b.append(np.sum(delta, axis=-2) if b is not None else None)
        if k > 0:
            with np.errstate(over="ignore"):
                back = np.sum(delta[..., :, :, None] * W[..., None, :, :], axis=-2)
            if np.isfinite(back).all():
                delta = back * h_in * (1.0 - h_in)
            else:  # huge weights overflowed the sum: scale it, so a saturated h (1 - h) = 0 gives 0, not nan
                scale = np.max(np.abs(W), axis=(-2, -1), keepdims=True)
                back = np.sum(delta[..., :, :, None] * (W / scale)[..., None, :, :], axis=-2)
                with np.errstate(over="ignore"):
                    delta = (back * h_in * (1.0 - h_in)) * scale
    grad_W.reverse()
    grad_b.reverse()
    lead = w.shape[:-1]
    parts = [g.reshape(lead + (-1,)) for g in grad_W] + [g for g in grad_b if g is not None]
    return np.concatenate(parts, axis=-1)


def unit_slopes(problem: Problem, w) -> np.ndarray:
    """sigma' = h (1 - h) of every hidden and output unit on every sample, flattened (one point)."""
    hs = _activations(problem, as_points(w, problem.n_params))
    return np.concatenate([(h * (1.0 - h)).ravel() for h in hs[1:]])
