"""Why the seed's training stalls: its own loop run once to the last checkpoint, read against the
exact valley it slides down (W1 -> +inf), and the same loop from the mirrored init."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..dynamics.valley import Valley, limit_label
from ..results import Result, mapping
from ..seed import seed_gradient, seed_loop
from ..tolerances import SEED_STEP_TOL

RATE = 5.0
SEED_CHECKPOINTS = (800, 10**4, 10**5)


def seed_trajectory(seed: int = 0, iterations: int = 800, init=None) -> np.ndarray:
    """Weights (W1, W2) after each iteration of the seed's loop, row 0 = the start, recomputed from
    ``seed_gradient``: an independent check of ``seed_loop(...).trajectory`` (a test, not a run-time
    cost)."""
    np.random.seed(seed)
    w = np.random.rand(2)
    if init is not None:
        w = np.array(init, dtype=float)
    out = np.empty((iterations + 1, 2))
    out[0] = w
    k = 0
    for k in range(1, iterations + 1):
        step = -seed_gradient(w) * RATE
        w = w + step
        out[k] = w
        if (step[0] ** 2 + step[1] ** 2) ** 0.5 < SEED_STEP_TOL:
            break
    return out[: k + 1]


@dataclass(frozen=True)
class Checkpoint(Result):
    """The seed's loop after ``iterations``: weights, loss, last printed error, gap to its valley."""

    iterations: int
    ran: int
    stopped: str
    weights: tuple[float, float]
    loss: float
    printed_error: float
    valley_gap: float
    distance_to_minimiser: float | None


@dataclass(frozen=True)
class SeedRun(Result):
    """Where the seed's training goes, and how fast W1 grows (W1 ~ a + b log t)."""

    init: tuple[float, ...]
    valley: str
    valley_loss: float
    valley_minimiser: tuple[tuple[str, str], ...] = mapping()
    checkpoints: tuple[Checkpoint, ...] = ()
    w1_log_slope: float = 0.0
    w1_log_intercept: float = 0.0


def seed_run(seed: int, vals: tuple[Valley, ...], checkpoints=SEED_CHECKPOINTS, init=None) -> SeedRun:
    """One run of the seed's loop to the last checkpoint; its printed errors give every earlier
    checkpoint (error k+1 is -L after k steps), and its trajectory the weights."""
    last = seed_loop(seed, iterations=max(checkpoints), init=init)
    traj = last.trajectory
    sign = 1 if last.weights[0] > 0 else -1
    v = next(v for v in vals if v.param == "W1" and v.sign == sign)
    side = limit_label(v.param, v.sign)
    w2_star = dict(v.weights).get("W2")
    cps = []
    for k in checkpoints:
        if k >= last.iterations:
            ran, stopped, w, loss = last.iterations, last.stopped, last.weights, last.loss
        else:
            ran, stopped, w, loss = (
                k,
                "max_iterations",
                tuple(float(x) for x in traj[k]),
                -float(last.errors[k]),
            )
        dist = None
        if isinstance(w2_star, str) and not w2_star.endswith("inf"):
            dist = abs(w[1] - float(w2_star))
        cps.append(
            Checkpoint(
                iterations=k,
                ran=ran,
                stopped=stopped,
                weights=w,
                loss=loss,
                printed_error=float(last.errors[ran - 1]),
                valley_gap=loss - v.loss,
                distance_to_minimiser=dist,
            )
        )
    t = np.arange(len(traj))
    tail = t >= len(traj) // 100  # W1 ~ log t only once the run is in the valley
    b, a = np.polyfit(np.log(t[tail]), traj[tail, 0], 1)
    return SeedRun(
        init=last.init,
        valley=side,
        valley_loss=v.loss,
        valley_minimiser=tuple((k, str(val)) for k, val in v.weights),
        checkpoints=tuple(cps),
        w1_log_slope=float(b),
        w1_log_intercept=float(a),
    )
