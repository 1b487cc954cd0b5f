"""One atlas cell: the certified bracket for inf L, and how often gradient descent gets there.

Everything here is a pure function of (problem, settings, seed), so a cell computed on any Dask
worker, in any order, gives the same result; only the recorded seconds vary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..network import Problem
from ..results import Result
from .settings import SCHEMES, CellSettings


@dataclass(frozen=True)
class GDShare(Result):
    """Starts of one scheme that ended within ``success_gap`` of the infimum.

    ``hits`` surely did (final loss <= lower + gap); ``undecided`` may have (the bracket is too
    wide to say); the rest surely did not. ``low``/``high`` bound the success share: the Wilson
    interval's lower end for hits alone, its upper end for hits + undecided.
    """

    scheme: str
    starts: int
    hits: int
    undecided: int
    low: float
    high: float
    best_loss: float
    median_loss: float

    @property
    def share(self) -> float:
        """The share of sure hits (the point estimate shown in tables and heatmaps)."""
        return self.hits / self.starts if self.starts else float("nan")


@dataclass(frozen=True)
class CellResult(Result):
    """The certified answer for one cell and the gradient-descent shares.

    ``stopped`` names the certify limit that ended the search ("" if it completed). A cell
    stopped by ``time_limit`` depends on the machine's speed; one stopped by ``max_boxes`` does not.
    """

    key: str
    seed: int
    n_params: int
    lower: str
    upper: str
    lower_value: float
    upper_value: float
    status: str
    attained: bool | str | None
    separable: bool | str | None
    boxes: int
    stopped: str
    message: str
    gd: tuple[GDShare, ...]
    gd_best_loss: float
    certify_seconds: float
    seconds: float
    cpu_seconds: float

    #: Fields that depend on the machine's speed: kept in the cache and timings, never in atlas.json.
    TIMING_FIELDS = ("certify_seconds", "seconds", "cpu_seconds")

    def deterministic_json(self) -> dict:
        data = self.to_json()
        for name in self.TIMING_FIELDS:
            data.pop(name)
        return data


def _wilson(hits: int, n: int) -> tuple[float, float]:
    from ..dynamics.descent import wilson

    return wilson(hits, n) if n else (0.0, 1.0)


def descend(problem: Problem, starts: np.ndarray, *, rate: float, iterations: int) -> np.ndarray:
    """Plain gradient descent w <- w - rate grad L from every start at once; final losses."""
    from .. import backprop  # here, not at the top: `canlearn --help` builds this parser without SciPy

    w = np.array(starts, dtype=float)
    for _ in range(iterations):
        w -= rate * backprop.gradient(problem, w)
    return backprop.loss(problem, w)


def start_points(problem: Problem, settings: CellSettings, seed: int) -> dict[str, np.ndarray]:
    """The starts of each scheme, drawn from a generator seeded by the cell (not by run order)."""
    rng = np.random.default_rng(seed)
    n = problem.n_params
    return {
        SCHEMES[0]: rng.random((settings.uniform_starts, n)),
        SCHEMES[1]: rng.standard_normal((settings.normal_starts, n)),
    }


def gd_shares(problem: Problem, settings: CellSettings, seed: int, lower: float, upper: float):
    """Per scheme: how many starts end within ``success_gap`` of an infimum known to lie in [lower, upper]."""
    shares = []
    best = float("inf")
    for scheme, w0 in start_points(problem, settings, seed).items():
        n = len(w0)
        if n == 0:
            shares.append(GDShare(scheme, 0, 0, 0, 0.0, 1.0, float("nan"), float("nan")))
            continue
        final = descend(problem, w0, rate=settings.rate, iterations=settings.iterations)
        sure = final <= lower + settings.success_gap
        maybe = (final <= upper + settings.success_gap) & ~sure
        hits, undecided = int(sure.sum()), int(maybe.sum())
        low = _wilson(hits, n)[0]
        high = _wilson(hits + undecided, n)[1]
        shares.append(
            GDShare(scheme, n, hits, undecided, low, high, float(final.min()), float(np.median(final)))
        )
        best = min(best, float(final.min()))
    return tuple(shares), best


def compute_cell(problem: Problem, settings: CellSettings, key: str, seed: int) -> CellResult:
    """Certify inf L for ``problem`` within the settings' limits, then run the descents."""
    from ..certify import certify

    t0, cpu0 = time.perf_counter(), time.process_time()
    cert = certify(
        problem,
        tol=settings.tol,
        max_boxes=settings.max_boxes,
        time_limit=settings.time_limit,
        progress=False,
    )
    t1 = time.perf_counter()
    shares, best = gd_shares(problem, settings, seed, cert.lower_value, cert.upper_value)
    return CellResult(
        key=key,
        seed=seed,
        n_params=problem.n_params,
        lower=str(cert.lower),
        upper=str(cert.upper),
        lower_value=float(cert.lower_value),
        upper_value=float(cert.upper_value),
        status=str(cert.status),
        attained=cert.attained,
        separable=cert.separable,
        boxes=int(cert.boxes),
        stopped=cert.stopped,
        message=str(cert.message),
        gd=shares,
        gd_best_loss=best,
        certify_seconds=t1 - t0,
        seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - cpu0,  # the work itself, whatever else shares the cores
    )
