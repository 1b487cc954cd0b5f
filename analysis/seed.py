"""The seed question's training loop, ported to Python 3 without changing its meaning.

Same formulas, same operation order, same random stream (weights, then the unused gradient
buffer), same stopping rule, so that with the same seed it matches the original bit for bit.
That is why it keeps the seed's own sigmoid formula rather than ``numerics.sigmoid``: the
two differ in the last bit. Overflow in ``exp`` is silenced because 1/(1+inf) = 0 is the
correct limit, not an error.
"""

from __future__ import annotations

import numpy as np

from . import validate
from .network import preset
from .numerics import as_points
from .tolerances import SEED_STEP_TOL
from .training import (
    PROGRESS_EVERY,
    History,
    TrainResult,
    classify_stop,
    initial_weights,
    max_iterations_detail,
    norm,
    progress_bar,
)


def _seed_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def _seed_error(d, z):
    """The seed's ``error(d, z)``; vectorised over the rows of ``z``."""
    return -0.5 * np.sum(np.power(d - z, 2), axis=-1)


def seed_loop(
    seed: int = 0,
    *,
    rate: float = 5.0,
    iterations: int = 800,
    init=None,
    tol: float = SEED_STEP_TOL,
    progress: bool = False,
) -> TrainResult:
    """Run the seed's loop: ``np.random.seed(seed)`` then the question's code, verbatim in meaning.

    Arguments are validated like :func:`~analysis.training.train`'s; the stop is named truthfully.
    """
    seed, rate, iterations = validate.seed(seed), validate.rate(rate), validate.iterations(iterations)
    tol = validate.real("tol", tol, lo=0.0, lo_open=True)
    validate.flag("progress", progress)
    np.random.seed(seed)
    w = np.random.rand(2)
    np.random.rand(2)  # the seed's ``gradient`` buffer: drawn (it moves the random stream), then overwritten
    if init is not None:
        w = initial_weights(init, 2)
    start = tuple(float(v) for v in w)
    history = History(iterations, w)
    # The question's vectors are x = d = [0, 1]. Each line below is one of its vector lines written
    # out per element, in the same order of operations, with NumPy's exp: every value is the same
    # bit for bit (tests/test_seed.py runs the question's own script), ~15x faster than 2-element
    # arrays. Its printed error depends only on z, so it is computed for all iterations at the end.
    d0, d1, x0, x1 = 0.0, 1.0, 0.0, 1.0
    # exp runs on 2-element arrays as in the question: a 1-element call may take another SIMD path.
    arg, val, exp = np.empty(2), np.empty(2), np.exp
    w0, w1 = start
    zs = np.empty((iterations, 2))
    # Flat views: two scalar stores cost less than one row store from a tuple.
    z_flat = np.reshape(zs, -1, copy=False)  # copy=False: a view, or an error, never a silent copy
    w_flat, changes = np.reshape(history.trajectory, -1, copy=False), history.changes
    stopped, detail = "max_iterations", ""
    bar = progress_bar(iterations, progress)
    i = 0
    with np.errstate(over="ignore"):  # exp(-x) = inf gives sigma = 1/(1+inf) = 0, the right limit
        for i in range(1, iterations + 1):
            if bar is not None and i % PROGRESS_EVERY == 0:
                bar.update(PROGRESS_EVERY)
            arg[0], arg[1] = -(w0 * x0), -(w0 * x1)
            e0, e1 = exp(arg, out=val).tolist()
            y0, y1 = 1 / (1 + e0), 1 / (1 + e1)
            arg[0], arg[1] = -(w1 * y0), -(w1 * y1)
            e0, e1 = exp(arg, out=val).tolist()
            z0, z1 = 1 / (1 + e0), 1 / (1 + e1)
            # np.sum of two terms starts from +0.0: 0.0 + t0 + t1 keeps its sign of zero too.
            g0 = (
                0.0
                + z0 * w1 * y0 * x0 * (d0 - z0) * (1 - y0) * (1 - z0)
                + z1 * w1 * y1 * x1 * (d1 - z1) * (1 - y1) * (1 - z1)
            )
            g1 = 0.0 + y0 * z0 * (d0 - z0) * (1 - z0) + y1 * z1 * (d1 - z1) * (1 - z1)
            w0 += g0 * rate
            w1 += g1 * rate
            change = ((g0 * rate) ** 2 + (g1 * rate) ** 2) ** 0.5
            z_flat[2 * i - 2], z_flat[2 * i - 1] = z0, z1
            changes[i - 1] = change
            w_flat[2 * i], w_flat[2 * i + 1] = w0, w1
            if change < tol:
                break
    history.n = i
    d = np.array([d0, d1])
    history.errors[:i] = _seed_error(d, zs[:i])
    w = np.array([w0, w1])
    if i and history.changes[i - 1] < tol:
        stopped, detail = classify_stop(preset("none"), w, rate, tol)
    if bar is not None:
        bar.close()
    if stopped == "max_iterations":
        detail = max_iterations_detail(history, tol)
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
        stop_detail=detail,
        gradient_norm=norm(seed_gradient(w)),
        **history.frozen(),
    )


def seed_gradient(w):
    """The seed's ``gradient`` formulas, negated to give dL/dw; vectorised over (..., 2).

    The seed climbs -L, so its ``gradient`` is -dL/dw; the sum runs over x in {0, 1}.
    """
    w = as_points(w, 2)
    x = np.array([0.0, 1.0])
    d = x
    w0, w1 = w[..., 0:1], w[..., 1:2]
    y = _seed_sigmoid(w0 * x)
    z = _seed_sigmoid(w1 * y)
    g0 = np.sum(z * w1 * y * x * (d - z) * (1 - y) * (1 - z), axis=-1)
    g1 = np.sum(y * z * (d - z) * (1 - z), axis=-1)
    return -np.stack([g0, g1], axis=-1)
