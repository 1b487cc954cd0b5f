"""The seed question's training loop, ported to Python 3 without changing its meaning.

Same formulas, same operation order, same random stream (weights, then the unused gradient
buffer), same stopping rule, so that with the same seed it matches the original bit for bit.
That is why it keeps the seed's own sigmoid formula rather than ``numerics.sigmoid``: the
two differ in the last bit. Overflow in ``exp`` is silenced because 1/(1+inf) = 0 is the
correct limit, not an error.
"""

from __future__ import annotations

import numpy as np

from .tolerances import SEED_STEP_TOL
from .training import History, TrainResult


def _seed_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def _seed_error(d, z):
    return -0.5 * np.sum(np.power(d - z, 2))


def seed_loop(
    seed: int = 0, *, rate: float = 5.0, iterations: int = 800, init=None, tol: float = SEED_STEP_TOL
) -> TrainResult:
    """Run the seed's loop: ``np.random.seed(seed)`` then the question's code, verbatim in meaning."""
    if iterations < 1:
        raise ValueError("iterations must be a positive integer")
    np.random.seed(seed)
    x = np.array([0, 1])
    d = np.copy(x)
    w = np.random.rand(2)
    gradient = np.random.rand(2)
    if init is not None:
        w = np.array(init, dtype=float)
        if w.shape != (2,) or not np.all(np.isfinite(w)):
            raise ValueError("the seed network takes exactly 2 finite weights (W1, W2)")
    start = tuple(float(v) for v in w)
    history = History(iterations, w)
    stopped = "max_iterations"
    for _ in range(1, iterations + 1):
        y = _seed_sigmoid(w[0] * x)
        z = _seed_sigmoid(w[1] * y)
        gradient[0] = np.sum(z * w[1] * y * x * (d - z) * (1 - y) * (1 - z))
        gradient[1] = np.sum(y * z * (d - z) * (1 - z))
        w[0] += gradient[0] * rate
        w[1] += gradient[1] * rate
        change = ((gradient[0] * rate) ** 2 + (gradient[1] * rate) ** 2) ** 0.5
        history.record(_seed_error(d, z), change, w)
        if change < tol:
            stopped = "converged"
            break
    # The seed's test block: z for x = 1, then x = 0; we report them as (z(0), z(1)).
    z1 = _seed_sigmoid(w[1] * _seed_sigmoid(w[0] * 1))
    z0 = _seed_sigmoid(w[1] * _seed_sigmoid(w[0] * 0))
    outputs = np.array([z0, z1])
    return TrainResult(
        arch="none",
        method="seed",
        init=start,
        weights=(float(w[0]), float(w[1])),
        iterations=history.n,
        loss=float(-_seed_error(d, outputs)),
        outputs=(float(z0), float(z1)),
        stopped=stopped,
        **history.frozen(),
    )


def seed_gradient(w):
    """The seed's ``gradient`` formulas, negated to give dL/dw; vectorised over (..., 2).

    The seed climbs -L, so its ``gradient`` is -dL/dw; the sum runs over x in {0, 1}.
    """
    w = np.asarray(w, dtype=float)
    x = np.array([0.0, 1.0])
    d = x
    w0, w1 = w[..., 0:1], w[..., 1:2]
    y = _seed_sigmoid(w0 * x)
    z = _seed_sigmoid(w1 * y)
    g0 = np.sum(z * w1 * y * x * (d - z) * (1 - y) * (1 - z), axis=-1)
    g1 = np.sum(y * z * (d - z) * (1 - z), axis=-1)
    return -np.stack([g0, g1], axis=-1)
