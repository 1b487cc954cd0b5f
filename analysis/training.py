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
    errors, changes, path = [], [], [w.copy()]
    stopped = "max_iterations"
    for _ in range(iterations):
        errors.append(-float(backprop.loss(problem, w)))
        step = -rate * backprop.gradient(problem, w)
        w = w + step
        path.append(w.copy())
        change = float(np.sqrt(np.sum(step**2)))
        changes.append(change)
        if change < tol:
            stopped = "converged"
            break
    z = backprop.forward(problem, w)
    return TrainResult(
        arch=problem.name,
        method="backprop",
        init=start,
        weights=tuple(float(v) for v in w),
        iterations=len(errors),
        loss=float(backprop.loss(problem, w)),
        outputs=tuple(float(v) for v in z.ravel()),
        stopped=stopped,
        errors=_frozen(errors),
        changes=_frozen(changes),
        trajectory=_frozen(path),
    )
