"""Gradient descent with our hand-coded backprop, and the result object every training run returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backprop
from .network import Problem
from .numerics import as_points
from .tolerances import SEED_STEP_TOL


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


class History:
    """Per-iteration records of a training loop, preallocated (10^7 iterations stay small)."""

    def __init__(self, iterations: int, w):
        self.n = 0
        self.errors = np.empty(iterations)
        self.changes = np.empty(iterations)
        self.trajectory = np.empty((iterations + 1, len(w)))
        self.trajectory[0] = w

    def record(self, error, change, w) -> None:
        self.errors[self.n] = error
        self.changes[self.n] = change
        self.n += 1
        self.trajectory[self.n] = w

    def frozen(self) -> dict:
        n = self.n
        return {
            "errors": _frozen(self.errors[:n]),
            "changes": _frozen(self.changes[:n]),
            "trajectory": _frozen(self.trajectory[: n + 1]),
        }


@dataclass(frozen=True, eq=False)
class TrainResult:
    """One training run. ``errors`` and ``changes`` hold, per iteration, the seed's printed
    error (-L before the step) and step length; ``trajectory`` holds the weights before each
    iteration and after the last, shape (iterations + 1, n_params); ``loss`` and ``outputs`` are at
    the final weights."""

    arch: str
    method: str
    init: tuple[float, ...]
    weights: tuple[float, ...]
    iterations: int
    loss: float
    outputs: tuple[float, ...]
    stopped: str
    errors: np.ndarray
    changes: np.ndarray
    trajectory: np.ndarray

    def __repr__(self) -> str:
        w = ", ".join(f"{v:.6g}" for v in self.weights)
        z = ", ".join(f"{v:.6g}" for v in self.outputs)
        return (
            f"TrainResult(arch={self.arch!r}, method={self.method!r}, weights=({w}), "
            f"loss={self.loss:.6g}, outputs=({z}), iterations={self.iterations}, stopped={self.stopped!r})"
        )

    def to_json(self) -> dict:
        return {
            "arch": self.arch,
            "method": self.method,
            "init": list(self.init),
            "weights": list(self.weights),
            "iterations": self.iterations,
            "loss": self.loss,
            "outputs": list(self.outputs),
            "stopped": self.stopped,
        }


def random_init(problem: Problem, seed: int) -> np.ndarray:
    """The seed's init convention: ``np.random.seed(seed)`` then ``np.random.rand(n_params)``."""
    np.random.seed(seed)
    return np.random.rand(problem.n_params)


def train(
    problem: Problem,
    init=None,
    *,
    seed: int = 0,
    rate: float = 5.0,
    iterations: int = 800,
    tol: float = SEED_STEP_TOL,
) -> TrainResult:
    """Plain gradient descent on L with backprop gradients, stopping like the seed does."""
    if iterations < 1:
        raise ValueError("iterations must be a positive integer")
    w = random_init(problem, seed) if init is None else as_points(init, problem.n_params).copy()
    start = tuple(float(v) for v in w)
    history = History(iterations, w)
    stopped = "max_iterations"
    for _ in range(iterations):
        error = -float(backprop.loss(problem, w))
        step = -rate * backprop.gradient(problem, w)
        w = w + step
        change = float(np.sqrt(np.sum(step**2)))
        history.record(error, change, w)
        if change < tol:
            stopped = "converged"
            break
    z = backprop.forward(problem, w)
    return TrainResult(
        arch=problem.name,
        method="backprop",
        init=start,
        weights=tuple(float(v) for v in w),
        iterations=history.n,
        loss=float(backprop.loss(problem, w)),
        outputs=tuple(float(v) for v in z.ravel()),
        stopped=stopped,
        **history.frozen(),
    )
