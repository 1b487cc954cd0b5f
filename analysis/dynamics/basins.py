"""Basin maps: the destination of descent from each start of a grid over two chosen parameters.

The grid sits at cell centres (offset by half a cell), so a symmetric extent never puts a start on
the origin; a start that still lies on a listed critical point is labelled with that point at once
(descent never leaves it). Labels are destinations (a critical point, or an escape described by
the units that saturate), never the sign of a particular weight. A commit rule (``classify``, e.g.
the seed's proved separating plane) may decide starts early; its labels then name destinations
given in ``names``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..network import Problem
from ..results import Result
from ..tolerances import BASIN_CONFIDENCE, CRIT_DEDUPE
from .critical import _as_problem, critical_points
from .descent import MAX_ITER, classify_ends, descend, wilson

DEFAULT_EXTENT = (-4.0, 4.0, -4.0, 4.0)


def _frozen(a, dtype=float) -> np.ndarray:
    a = np.array(a, dtype=dtype)
    a.setflags(write=False)
    return a


def grid_axis(lo: float, hi: float, n: int) -> np.ndarray:
    """n points of [lo, hi] at the centres of n equal cells; for odd n, whose middle centre is the
    midpoint, shifted by a quarter cell, so a symmetric interval never puts a start at 0."""
    h = (hi - lo) / n
    xs = lo + h * (np.arange(n) + 0.5)
    return xs + h / 4 if n % 2 == 1 else xs


@dataclass(frozen=True)
class BasinMap(Result):
    """Destination reached from each start of a grid over parameters ``params`` (others ``fixed``).

    labels[i, j] is for (xs[j], ys[i]) (image convention): k = ``destinations[k]``, -1 undecided.
    ``destinations`` are display names; ``destination_kinds`` ("critical", "infinity",
    "unsettled") and ``destination_losses`` are the typed facts to read.
    """

    problem: str
    method: str
    params: tuple[int, int]
    axis_names: tuple[str, str]
    fixed: tuple[float, ...]
    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    destinations: tuple[str, ...]
    destination_losses: tuple[float, ...]
    destination_kinds: tuple[str, ...]
    undecided: int
    nonmonotone: int
    max_iterations: int

    @property
    def arch(self) -> str:
        """The problem's name (the attribute report.py and figures.py read)."""
        return self.problem

    @property
    def valley_names(self) -> tuple[str, ...]:
        """Alias of ``destinations`` for code written when every label was a valley."""
        return self.destinations

    def __repr__(self) -> str:
        counts = ", ".join(f"{v}: {int(np.sum(self.labels == k))}" for k, v in enumerate(self.destinations))
        return (
            f"BasinMap({self.problem!r}, {self.method}, {len(self.xs)}x{len(self.ys)} grid; {counts}; "
            f"undecided {self.undecided})"
        )

    def fraction(self, label: int = 0) -> float:
        return float(np.mean(self.labels == label))


def grid_starts(problem: Problem, params, fixed, xs, ys) -> np.ndarray:
    """Points of the grid: parameters ``params`` from (xs, ys), the others at ``fixed``."""
    X, Y = np.meshgrid(xs, ys)
    starts = np.tile(np.asarray(fixed, dtype=float), (X.size, 1))
    starts[:, params[0]] = X.ravel()
    starts[:, params[1]] = Y.ravel()
    return starts


def _destination_name(problem: Problem, key) -> tuple[str, float]:
    if key[0] == "critical":
        c = key[1]
        w = ", ".join(f"{v:.4g}" for v in c.weights)
        return f"{c.kind} ({w})", c.loss
    if key[0] == "infinity":
        units = "; ".join(s.describe() for s in key[1])
        return f"infinity: {units}", key[2]
    return "unsettled", key[2]


def basin_map(
    problem="none",
    params=(0, 1),
    fixed=None,
    n: int = 200,
    extent=DEFAULT_EXTENT,
    method: str = "gd",
    *,
    classify=None,
    names: tuple[str, ...] | None = None,
    kinds: tuple[str, ...] | None = None,
    max_iter: int | None = None,
) -> BasinMap:
    """Label each start of an n x n grid over ``extent`` = (xmin, xmax, ymin, ymax) of parameters
    ``params`` (indices), the others held at ``fixed`` (default 0), by where descent goes.

    ``classify``: an optional commit rule ``(w, L) -> label`` (>= 0 once decided, else -1) that
    decides starts early; ``names`` and ``kinds`` then give each label's destination.
    """
    problem = _as_problem(problem)
    k = problem.n_params
    i, j = (int(p) for p in params)
    if not (0 <= i < k and 0 <= j < k and i != j):
        raise InputError(f"params: expected two different indices in 0..{k - 1}, got {params!r}")
    if not isinstance(n, int) or n < 2:
        raise InputError(f"n: expected an integer >= 2, got {n!r}")
    fixed = np.zeros(k) if fixed is None else np.asarray(fixed, dtype=float)
    if fixed.shape != (k,):
        raise InputError(f"fixed: expected {k} values (one per parameter), got shape {fixed.shape}")
    xs, ys = grid_axis(extent[0], extent[1], n), grid_axis(extent[2], extent[3], n)
    starts = grid_starts(problem, (i, j), fixed, xs, ys)
    crit = critical_points(problem)
    on = np.full(len(starts), -1)
    for c_idx, c in enumerate(crit):
        hit = np.max(np.abs(starts - np.asarray(c.weights)), axis=1) <= CRIT_DEDUPE
        on[hit & (on < 0)] = c_idx
    budget = max_iter if max_iter is not None else (MAX_ITER if classify is not None else 2000)
    run = np.flatnonzero(on < 0)
    d = descend(problem, starts[run], classify, method, budget)
    labels = np.full(len(starts), -1, dtype=np.int64)
    if classify is not None:
        if names is None or kinds is None or len(names) != len(kinds):
            raise InputError(
                "names, kinds: a commit rule needs the name and kind of each label's destination"
            )
        labels[run] = d.labels
        # The rule names where each label goes, not its limiting loss: unknown here (nan).
        dest_names, losses, kinds = list(names), [float("nan")] * len(names), list(kinds)
    else:
        keys = classify_ends(problem, d)
        named = [_destination_name(problem, key) for key in keys]
        kind_of_name = {nm: key[0] for (nm, _), key in zip(named, keys)}
        floor: dict[str, float] = {}
        for nm, L in named:
            floor[nm] = min(L, floor.get(nm, L))
        dest_names = sorted(floor, key=lambda nm: (floor[nm], nm))
        losses = [floor[nm] for nm in dest_names]
        kinds = [kind_of_name[nm] for nm in dest_names]
        labels[run] = [dest_names.index(nm) for nm, _ in named]
    for c_idx in sorted(set(on[on >= 0].tolist())):
        c = crit[c_idx]
        nm = _destination_name(problem, ("critical", c))[0]
        if nm not in dest_names:
            dest_names.append(nm)
            losses.append(c.loss)
            kinds.append("critical")
        labels[on == c_idx] = dest_names.index(nm)
    return BasinMap(
        problem=problem.name,
        method=method,
        params=(i, j),
        axis_names=(problem.param_names[i], problem.param_names[j]),
        fixed=tuple(float(v) for v in fixed),
        xs=_frozen(xs),
        ys=_frozen(ys),
        labels=_frozen(labels.reshape(n, n), np.int8),
        destinations=tuple(dest_names),
        destination_losses=tuple(losses),
        destination_kinds=tuple(kinds),
        undecided=int(np.sum(labels < 0)),
        nonmonotone=d.nonmonotone,
        max_iterations=budget,
    )


@dataclass(frozen=True)
class BasinFraction(Result):
    """Share of sampled starts that reach a target (the lowest valley), with a Wilson interval."""

    scheme: str
    method: str
    samples: int
    hits: int
    undecided: int
    fraction: float
    low: float
    high: float

    def _json_extra(self) -> dict:
        return {"confidence": BASIN_CONFIDENCE}


def basin_fraction(scheme: str, method: str, labels: np.ndarray, target: int = 0) -> BasinFraction:
    """The share of ``labels`` equal to ``target`` (-1 = undecided), with its Wilson interval."""
    n = len(labels)
    hits = int(np.sum(labels == target))
    low, high = wilson(hits, n)
    return BasinFraction(scheme, method, n, hits, int(np.sum(labels < 0)), hits / n, low, high)
