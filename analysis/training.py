"""Gradient descent with our hand-coded backprop, the result object every training run returns,
and the truthful name of a stop (converged, stalled, overflow, max_iterations)."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from . import backprop, validate
from .errors import InputError
from .network import Problem
from .numerics import as_points
from .results import Result, null_if_nonfinite, omit
from .tolerances import SEED_STEP_TOL, STOP_CURVATURE_MIN, STOP_NEWTON_RADIUS, STOP_SATURATED_SLOPE

# The history keeps every step (errors, changes, trajectory): at most this many floats (~800 MB).
MAX_HISTORY_FLOATS = 10**8
# Runs this long show a progress bar when asked to; it is updated every PROGRESS_EVERY iterations.
PROGRESS_MIN_ITERATIONS = 10**5
PROGRESS_EVERY = 2**14

#: Why a run stopped. The seed's rule (step length below ``tol``) ends a run as "converged" or
#: "stalled"; "overflow": the next step would leave the float range; else "max_iterations".
STOP_NAMES = ("converged", "stalled", "overflow", "max_iterations")


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


class History:
    """Per-iteration records of a training loop, preallocated (10^7 iterations stay small)."""

    def __init__(self, iterations: int, w):
        if iterations * (len(w) + 3) > MAX_HISTORY_FLOATS:
            most = MAX_HISTORY_FLOATS // (len(w) + 3)
            raise InputError(
                f"iterations: at most {most} for {len(w)} weights (every step is kept), got {iterations}"
            )
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
class TrainResult(Result):
    """One training run. ``errors`` and ``changes`` hold, per iteration, the seed's printed
    error (-L before the step) and step length; ``trajectory`` holds the weights before each
    iteration and after the last, shape (iterations + 1, n_params); ``loss`` and ``outputs`` are at
    the final weights. ``stopped`` is one of :data:`STOP_NAMES`; ``stop_detail`` says why, with
    the numbers behind it; ``gradient_norm`` is |dL/dw| at the final weights.

    JSON holds every field but the three per-iteration arrays (give them to ``from_json`` as
    keywords to rebuild a run exactly) and writes a non-finite ``gradient_norm`` as null, which
    reads back as nan."""

    arch: str
    method: str
    init: tuple[float, ...]
    weights: tuple[float, ...]
    iterations: int
    loss: float
    outputs: tuple[float, ...]
    stopped: str
    errors: np.ndarray = omit()
    changes: np.ndarray = omit()
    trajectory: np.ndarray = omit()
    stop_detail: str = ""
    # JSON has no infinity: a gradient beyond the float range is written as null.
    gradient_norm: float = null_if_nonfinite(math.nan)

    def __repr__(self) -> str:
        w = ", ".join(f"{v:.6g}" for v in self.weights)
        z = ", ".join(f"{v:.6g}" for v in self.outputs)
        return (
            f"TrainResult(arch={self.arch!r}, method={self.method!r}, weights=({w}), "
            f"loss={self.loss:.6g}, outputs=({z}), iterations={self.iterations}, stopped={self.stopped!r})"
        )

    def summary(self) -> str:
        """repr, then one line saying why the run stopped."""
        return f"{self!r}\n  {self.stopped}: {self.stop_detail}"


def norm(v) -> float:
    """Euclidean length without overflow (scaled by the largest entry when squares would overflow)."""
    v = np.asarray(v, dtype=float)
    with np.errstate(over="ignore"):
        n = float(np.sqrt(np.sum(v**2)))
    if math.isfinite(n):
        return n
    m = float(np.max(np.abs(v)))
    if not math.isfinite(m):
        return m
    with np.errstate(over="ignore"):  # a length beyond the float range is inf
        return m * float(np.sqrt(np.sum((v / m) ** 2)))


def classify_stop(problem: Problem, w, rate: float, tol: float) -> tuple[str, str]:
    """Name a stop by the seed's rule (step ``rate * |g|`` below ``tol``) truthfully.

    "converged" only where a nondegenerate critical point lies within STOP_NEWTON_RADIUS: every
    Hessian eigenvalue at least STOP_CURVATURE_MIN in magnitude, and the Newton step H^-1 g that
    short. Otherwise "stalled", saying why the steps are tiny: saturated units, a flat loss, or a
    rate too small for the gradient. Returns (name, detail).
    """
    from .exact import compiled  # SymPy: only when a run stops early

    w = np.asarray(w, dtype=float)
    g = backprop.gradient(problem, w)
    head = f"step {rate:g} * |dL/dw| below {tol:g}; |dL/dw| = {norm(g):.3g}"
    hessian = compiled(problem).hessian(w)
    smallest, newton = math.inf, math.inf  # a Hessian beyond the float range allows no Newton test
    if np.isfinite(hessian).all():
        eig, vecs = np.linalg.eigh(hessian)
        smallest = float(np.min(np.abs(eig)))
        if smallest >= STOP_CURVATURE_MIN:
            newton = norm(vecs @ ((vecs.T @ g) / eig))
            if newton <= STOP_NEWTON_RADIUS:
                kind = "minimum" if eig[0] > 0 else "maximum" if eig[-1] < 0 else "saddle"
                return "converged", (
                    f"{head}; a critical point ({kind}, Hessian eigenvalues {eig[0]:.3g} to "
                    f"{eig[-1]:.3g}) lies within the Newton step {newton:.3g}"
                )
    curvature = (
        f"smallest |Hessian eigenvalue| {smallest:.3g}"
        if math.isfinite(smallest)
        else "the Hessian exceeds the float range"
    )
    slopes = backprop.unit_slopes(problem, w)
    saturated = int(np.sum(slopes < STOP_SATURATED_SLOPE))
    if saturated:
        return "stalled", (
            f"{head}: {saturated} of {slopes.size} unit outputs saturated "
            f"(sigma' < {STOP_SATURATED_SLOPE:g}), so the gradient vanishes with sigma'; {curvature}"
        )
    if smallest < STOP_CURVATURE_MIN:
        return "stalled", (
            f"{head}: the loss is flat here ({curvature} < {STOP_CURVATURE_MIN:g}), "
            "a plateau or a degenerate critical point"
        )
    if not math.isfinite(smallest):
        return "stalled", f"{head}: {curvature}, so no critical point can be confirmed"
    return "stalled", (
        f"{head}, but no critical point within reach (Newton step {newton:.3g} > {STOP_NEWTON_RADIUS:g}): "
        "the rate is too small for this gradient"
    )


def max_iterations_detail(history: History, tol: float) -> str:
    n = history.n
    last = f"; the last step was {history.changes[n - 1]:.3g} long (tol {tol:g})" if n else ""
    return f"ran all {n} iteration{'s' * (n != 1)}{last}"


def overflow_detail(step, rate: float) -> str:
    length = norm(step)
    size = f"of length {length:.3g}" if math.isfinite(length) else "longer than the largest float"
    return (
        f"the next step ({size}) would take the weights beyond the float range: "
        f"gradient descent diverges at rate {rate:g}"
    )


def progress_bar(iterations: int, enabled: bool):
    """A tqdm bar on stderr for long runs, or None."""
    if not enabled or iterations < PROGRESS_MIN_ITERATIONS:
        return None
    from tqdm import tqdm

    return tqdm(total=iterations, desc="train", unit="it", unit_scale=True, file=sys.stderr, mininterval=0.5)


def random_init(problem: Problem, seed: int) -> np.ndarray:
    """The seed's init convention: ``np.random.seed(seed)`` then ``np.random.rand(n_params)``."""
    np.random.seed(validate.seed(seed))
    return np.random.rand(problem.n_params)


def initial_weights(init, n_params: int) -> np.ndarray:
    """``init`` as a fresh float vector of ``n_params`` finite weights, or InputError naming init."""
    w = as_points(init, n_params, name="init")
    if w.ndim != 1:
        raise InputError(f"init: expected one point of {n_params} weights, got shape {w.shape}")
    return w.copy()


def train(
    problem: Problem,
    init=None,
    *,
    seed: int = 0,
    rate: float = 5.0,
    iterations: int = 800,
    tol: float = SEED_STEP_TOL,
    progress: bool = False,
) -> TrainResult:
    """Plain gradient descent on L with backprop gradients, stopping by the seed's rule (step
    length below ``tol``); the stop is named truthfully (see :func:`classify_stop`).

    ``problem`` is a Problem or a preset name; ``rate`` in (0, 1e6]; ``iterations`` an integer
    from 1 to 10^7; ``progress`` shows a bar on stderr for runs of 10^5 iterations or more.
    """
    problem = validate.problem(problem)
    seed, rate, iterations = validate.seed(seed), validate.rate(rate), validate.iterations(iterations)
    tol = validate.real("tol", tol, lo=0.0, lo_open=True)
    validate.flag("progress", progress)
    w = random_init(problem, seed) if init is None else initial_weights(init, problem.n_params)
    start = tuple(float(v) for v in w)
    history = History(iterations, w)
    stopped, detail = "max_iterations", ""
    bar = progress_bar(iterations, progress)
    for i in range(iterations):
        if bar is not None and i % PROGRESS_EVERY == 0 and i:
            bar.update(PROGRESS_EVERY)
        error = -float(backprop.loss(problem, w))
        with np.errstate(over="ignore"):  # an overflowing step is caught just below
            step = -rate * backprop.gradient(problem, w)
            w_next = w + step
        if not np.isfinite(w_next).all():
            stopped, detail = "overflow", overflow_detail(step, rate)
            break
        w = w_next
        change = norm(step)
        history.record(error, change, w)
        if change < tol:
            stopped, detail = classify_stop(problem, w, rate, tol)
            break
    if bar is not None:
        bar.close()
    if stopped == "max_iterations":
        detail = max_iterations_detail(history, tol)
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
        stop_detail=detail,
        gradient_norm=norm(backprop.gradient(problem, w)),
        **history.frozen(),
    )
