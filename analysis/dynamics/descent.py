"""Where descent goes: run gradient descent or gradient flow from many starts, classify each end.

All starts advance together as one array (``descend``). An end is classified as a critical point
(the end polished by Levenberg-Marquardt to a zero of the gradient, then certified like any
critical point), or as an escape to infinity described by which units saturate (the
pre-activations that keep growing in magnitude, and to which side) and the limiting loss with
those units at their limits; else it is unsettled within the budget. Each destination carries its
share of the starts with a Wilson interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, special

from ..errors import InputError
from ..exact import compiled
from ..network import Problem
from ..numerics import sigmoid
from ..results import Result
from ..tolerances import (
    BASIN_CONFIDENCE,
    CRIT_DEDUPE,
    CRIT_GTOL,
    DEST_GTOL,
    DEST_LOSS_ATOL,
    DEST_SATURATION,
)
from .critical import CriticalPoint, _as_problem, _classify, _lm_solve, critical_points

RATE = 5.0
INIT_SCHEMES = ("uniform[0,1)", "normal(0,1)", "uniform[-3,3]")
# Budget for one start: GD iterations (flow time is RATE times this), ends checked every CHECK.
MAX_ITER = 20000
CHECK = 10
METHODS = ("gd", "flow")
# Continuation of ends that are not critical points: saddle-free Newton steps, each at most this long.
COAST_STEPS = 100
# GD budget before an end is classified (critical ends stop early; escapes are then coasted).
DEST_MAX_ITER = 2000
COAST_MAX_STEP = 2.0


def wilson(hits: int, n: int, confidence: float = BASIN_CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a share ``hits / n``."""
    z = float(special.ndtri(0.5 + confidence / 2))  # the normal quantile
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At 0 or n hits the bound is exactly 0 or 1; the formula only reaches it up to rounding.
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return low, high


def init_points(scheme: str, n_samples: int, n_params: int, seed: int) -> np.ndarray:
    """Starts drawn by one of INIT_SCHEMES (a fixed stream per scheme)."""
    if scheme not in INIT_SCHEMES:
        raise InputError(f"scheme: expected one of {', '.join(INIT_SCHEMES)}, got {scheme!r}")
    rng = np.random.default_rng([seed, INIT_SCHEMES.index(scheme)])
    if scheme == "uniform[0,1)":
        return rng.random((n_samples, n_params))
    if scheme == "normal(0,1)":
        return rng.normal(0.0, 1.0, (n_samples, n_params))
    return rng.uniform(-3.0, 3.0, (n_samples, n_params))


@dataclass(frozen=True)
class Descent:
    """Where many starts went: label per start (-1 undecided), iterations (or flow time) to commit,
    the end points, the points halfway through the budget, and how often L rose between checks."""

    labels: np.ndarray
    steps: np.ndarray
    final: np.ndarray
    halfway: np.ndarray
    nonmonotone: int


def descend(problem: Problem, starts, classify=None, method: str = "gd", max_iter: int = MAX_ITER) -> Descent:
    """Advance all starts together; a start leaves the batch once ``classify(w, L)`` commits it
    (a label >= 0). Without ``classify`` a start leaves once max |grad L| < CRIT_GTOL (label 0).

    ``gd`` is w <- w - RATE grad L (the seed's rule); ``flow`` integrates w' = -grad L with RK45
    over the same total time, RATE * CHECK per chunk. L is checked every chunk: a rise is counted.
    """
    if method not in METHODS:
        raise InputError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    comp = compiled(problem)
    n = problem.n_params
    if classify is None:

        def classify(x, L):
            g = np.max(np.abs(comp.gradient(x)), axis=-1)
            return np.where(g < CRIT_GTOL, 0, -1).astype(np.int8)

    w = np.array(starts, dtype=float).reshape(-1, n)
    labels = np.full(len(w), -1, dtype=np.int8)
    steps = np.full(len(w), max_iter, dtype=np.int64)
    halfway = w.copy()
    active = np.arange(len(w))
    last = comp.loss(w)
    nonmono = 0
    half = (max_iter // 2) // CHECK * CHECK
    for it in range(CHECK, max_iter + CHECK, CHECK):
        x = w[active]
        # One start left (or a single run): the one-point gradient, bit for bit the batch's and
        # about 4 times faster than a batch of one. Its weights are checked by comp.loss below.
        grad = (lambda y: comp.point_gradient(y.ravel())[None, :]) if len(x) == 1 else comp.gradient
        if method == "gd":
            for _ in range(CHECK):
                x = x - RATE * grad(x)
        else:
            sol = integrate.solve_ivp(
                lambda t, y, grad=grad: -grad(y.reshape(-1, n)).ravel(),
                (0.0, RATE * CHECK),
                x.ravel(),
                method="RK45",
                rtol=1e-8,
                atol=1e-10,
            )
            x = sol.y[:, -1].reshape(-1, n)
        w[active] = x
        if it == half:
            halfway[active] = x
        L = comp.loss(x)
        nonmono += int(np.sum(last[active] + 1e-15 < L))
        last[active] = L
        lab = classify(x, L)
        done = lab >= 0
        labels[active[done]] = lab[done]
        steps[active[done]] = it
        halfway[active[done]] = x[done]
        active = active[~done]
        if not len(active):
            break
    return Descent(labels, steps, w, halfway, nonmono)


# --------------------------------------------------------------------------- saturation


def preactivations(problem: Problem, w) -> list[np.ndarray]:
    """Pre-activations per layer, each of shape (..., n_samples, size)."""
    w = np.asarray(w, dtype=float)
    X = problem.data.X
    h = np.broadcast_to(X, w.shape[:-1] + X.shape)
    out = []
    for W, b in problem.network.unpack(w):
        a = np.einsum("...oi,...si->...so", W, h)
        if b is not None:
            a = a + b[..., None, :]
        out.append(a)
        h = sigmoid(a)
    return out


def limiting_loss(problem: Problem, w, saturated: tuple[Saturation, ...]) -> float:
    """L at ``w`` with each saturated unit's output on its sample replaced by its limit, 0 or 1."""
    w = np.asarray(w, dtype=float)
    clamp = {(s.layer, s.sample, s.unit): (1.0 if s.side > 0 else 0.0) for s in saturated}
    h = problem.data.X.copy()
    for k, (W, b) in enumerate(problem.network.unpack(w), start=1):
        a = h @ W.T + (0.0 if b is None else b)
        h = sigmoid(a)
        for (layer, s, o), v in clamp.items():
            if layer == k:
                h[s, o] = v
    return float(0.5 * np.sum((problem.data.D - h) ** 2))


@dataclass(frozen=True)
class Saturation(Result):
    """One unit's pre-activation on one sample diverging: to +inf (side 1, sigma -> 1) or -inf."""

    layer: int
    unit: int
    sample: int
    side: int
    input: tuple[float, ...]

    def describe(self) -> str:
        side = "1" if self.side > 0 else "0"
        return f"layer {self.layer} unit {self.unit} -> {side} at x = {_point(self.input)}"


def _point(v) -> str:
    return "(" + ", ".join(f"{x:g}" for x in v) + ")"


def coast(problem: Problem, w, steps: int = COAST_STEPS, max_step: float = COAST_MAX_STEP) -> np.ndarray:
    """Continue descent from every row of ``w`` by saddle-free Newton steps, -|H|^-1 grad L (|H| with
    its eigenvalues' magnitudes, floored at 1e-12), at most ``max_step`` long, halved until L does
    not rise. Along a flat valley (L ~ c + a exp(-t)) such a step moves about one unit where plain
    descent creeps like log t, so an escape reaches saturation in a bounded number of steps."""
    comp = compiled(problem)
    x = np.array(w, dtype=float)
    L = comp.loss(x)
    for _ in range(steps):
        g = comp.gradient(x)
        lam, V = np.linalg.eigh(comp.hessian(x))
        d = -np.einsum("kij,kj->ki", V, np.einsum("kji,kj->ki", V, g) / np.maximum(np.abs(lam), 1e-12))
        norm = np.linalg.norm(d, axis=-1, keepdims=True)
        d = d * np.minimum(1.0, max_step / np.maximum(norm, 1e-300))
        t = np.ones(len(x))
        todo = np.ones(len(x), dtype=bool)
        for _ in range(40):
            trial = x[todo] + t[todo, None] * d[todo]
            Lt = comp.loss(trial)
            ok = Lt <= L[todo]
            idx = np.flatnonzero(todo)
            x[idx[ok]], L[idx[ok]] = trial[ok], Lt[ok]
            todo[idx[ok]] = False
            t[todo] /= 2
            if not todo.any():
                break
    return x


def saturations(problem: Problem, end, before) -> tuple[Saturation, ...]:
    """Units whose pre-activation ends beyond DEST_SATURATION in magnitude, having grown by at least
    1 since ``before`` (diverging, not merely large)."""
    a_end, a_mid = preactivations(problem, end), preactivations(problem, before)
    out = []
    for k, (e, m) in enumerate(zip(a_end, a_mid), start=1):
        grow = (np.abs(e) >= DEST_SATURATION) & (np.abs(e) >= np.abs(m) + 1.0)
        for s, o in zip(*np.nonzero(grow)):
            out.append(Saturation(k, int(o), int(s), 1 if e[s, o] > 0 else -1, problem.data.inputs[s]))
    return tuple(sorted(out, key=lambda t: (t.layer, t.unit, t.sample)))


# --------------------------------------------------------------------------- destinations


@dataclass(frozen=True)
class Destination(Result):
    """Where a share of the starts went.

    ``kind``: "critical" (``point``, a CriticalPoint, certified or not), "infinity" (``saturated``
    units, at limiting loss ``loss``), or "unsettled" (neither within the budget).
    """

    kind: str
    loss: float
    count: int
    share: float
    low: float
    high: float
    point: CriticalPoint | None
    saturated: tuple[Saturation, ...]
    example: tuple[float, ...]

    def describe(self) -> str:
        share = f"{self.share:.3f} [{self.low:.3f}, {self.high:.3f}] ({self.count})"
        if self.kind == "critical":
            return f"{share}: critical point {self.point.describe()}"
        if self.kind == "infinity":
            units = "; ".join(s.describe() for s in self.saturated)
            return f"{share}: to infinity, L -> {self.loss:.9g} ({units})"
        return f"{share}: unsettled after the budget, L = {self.loss:.9g}"


@dataclass(frozen=True)
class Destinations(Result):
    """Every destination of one descent method from one set of starts."""

    problem: str
    method: str
    scheme: str
    samples: int
    max_iterations: int
    destinations: tuple[Destination, ...]
    nonmonotone: int
    confidence: float = BASIN_CONFIDENCE

    def best(self) -> Destination:
        return min(self.destinations, key=lambda d: d.loss)

    def summary(self) -> str:
        head = f"  {self.method} from {self.samples} starts {self.scheme} ({self.confidence:.0%} Wilson):"
        return "\n".join([head] + [f"    {d.describe()}" for d in self.destinations])


def classify_ends(problem: Problem, d: Descent) -> list[tuple]:
    """One key per start: ("critical", CriticalPoint) / ("infinity", saturations, L) / ("unsettled", L)."""
    comp = compiled(problem)
    g = np.max(np.abs(comp.gradient(d.final)), axis=1)
    near = g < DEST_GTOL
    polished = d.final.copy()
    if near.any():
        polished[near] = _lm_solve(comp, d.final[near], iters=50)
    crits: list[CriticalPoint] = []
    keys = []
    far = d.final.copy()
    if (~near).any():
        far[~near] = coast(problem, d.final[~near])
    for i, w in enumerate(d.final):
        if near[i] and np.max(np.abs(comp.gradient(polished[i]))) <= CRIT_GTOL:
            p = polished[i]
            # Uncertified degenerate ends at one loss level (a manifold of critical points, each end
            # at a different point of it) are one destination, classified once.
            cp = next(
                (
                    c
                    for c in crits
                    if _same_point(c, p)
                    or (
                        not c.certified
                        and c.kind == "degenerate"
                        and abs(c.loss - float(comp.loss(p))) <= CRIT_GTOL
                    )
                ),
                None,
            )
            if cp is None:
                cp = _match(problem, p)
                crits.append(cp)
            keys.append(("critical", cp))
            continue
        sat = saturations(problem, far[i], w)
        if sat:
            keys.append(("infinity", sat, limiting_loss(problem, far[i], sat)))
        else:
            keys.append(("unsettled", (), float(comp.loss(far[i]))))
    return keys


def _same_point(c: CriticalPoint, w) -> bool:
    r = c.radius if c.radius is not None else CRIT_DEDUPE
    return bool(np.max(np.abs(np.asarray(c.weights) - w)) <= max(r, CRIT_DEDUPE))


def _match(problem: Problem, w) -> CriticalPoint:
    """The listed critical point whose certified box holds ``w``, else ``w`` classified afresh."""
    for c in critical_points(problem):
        if c.certified and _same_point(c, w):
            return c
    return _classify(problem, w)


def destinations(
    problem,
    n_samples: int = 400,
    seed: int = 0,
    method: str = "gd",
    scheme: str = "uniform[-3,3]",
    max_iter: int | None = None,
    starts=None,
) -> Destinations:
    """Where descent goes from ``n_samples`` starts (or the given ``starts``), grouped.

    Ends at one critical point form one destination; escapes with the same saturated units and
    limiting losses within DEST_LOSS_ATOL form one (its loss is the lowest of them, the closest to
    the limit); so do unsettled ends of one loss level.
    """
    problem = _as_problem(problem)
    if starts is None:
        if not isinstance(n_samples, int) or n_samples < 1:
            raise InputError(f"n_samples: expected a positive integer, got {n_samples!r}")
        starts = init_points(scheme, n_samples, problem.n_params, seed)
    else:
        scheme = "given"
    starts = np.asarray(starts, dtype=float).reshape(-1, problem.n_params)
    if max_iter is None:
        max_iter = DEST_MAX_ITER
    d = descend(problem, starts, None, method, max_iter)
    groups: list[list] = []  # [kind, critical point or saturations, losses, first start]
    for i, key in enumerate(classify_ends(problem, d)):
        kind, ident = key[0], key[1]
        loss = ident.loss if kind == "critical" else key[2]
        for grp in groups:
            if kind == "critical":
                same = grp[0] == kind and grp[1] is ident
            else:
                same = grp[0] == kind and grp[1] == ident and abs(min(grp[2]) - loss) <= DEST_LOSS_ATOL
            if same:
                grp[2].append(loss)
                break
        else:
            groups.append([kind, ident, [loss], i])
    n = len(starts)
    out = []
    for kind, ident, losses, first in groups:
        low, high = wilson(len(losses), n)
        out.append(
            Destination(
                kind=kind,
                loss=float(ident.loss) if kind == "critical" else float(min(losses)),
                count=len(losses),
                share=len(losses) / n,
                low=low,
                high=high,
                point=ident if kind == "critical" else None,
                saturated=() if kind == "critical" else tuple(ident),
                example=tuple(float(v) for v in d.final[first]),
            )
        )
    out.sort(key=lambda x: (x.loss, -x.count))
    return Destinations(
        problem=problem.name,
        method=method,
        scheme=scheme,
        samples=n,
        max_iterations=max_iter,
        destinations=tuple(out),
        nonmonotone=d.nonmonotone,
    )
