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
        # a[..., s, o] = sum_i W[..., o, i] * h[..., s, i]  (+ b[..., o])
        a = np.sum(W[..., None, :, :] * hs[-1][..., :, None, :], axis=-1)
        if b is not None:
            a = a + b[..., None, :]
        hs.append(sigmoid(a))
    return hs


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
            back = np.sum(delta[..., :, :, None] * W[..., None, :, :], axis=-2)
            delta = back * h_in * (1.0 - h_in)
    grad_W.reverse()
    grad_b.reverse()
    lead = w.shape[:-1]
    parts = [g.reshape(lead + (-1,)) for g in grad_W] + [g for g in grad_b if g is not None]
    return np.concatenate(parts, axis=-1)
