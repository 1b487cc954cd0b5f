"""Interval enclosures of L and grad L on many boxes at once, from the exact SymPy formulas.

The loss of :func:`analysis.exact.symbolic`, written in the search coordinates of
:mod:`.coords` (an exact integer substitution), and its gradient are lambdified once (common
subexpressions shared) with ``sigma`` bound to :func:`intervals.sigma`; called with :class:`IA`
arguments they return enclosures. One source of truth: the same expressions the proofs and the
compiled float functions use. Boxes here are boxes in search coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np

from ..exact import lambdify
from ..network import Problem
from .coords import coordinate_model
from .intervals import IA, _down, _sum_lo, cc, sigma


@dataclass(frozen=True, eq=False)
class Enclosure:
    """Natural and centred (mean-value) interval forms of L for one problem."""

    problem: Problem

    @cached_property
    def _f(self):
        ps, loss, grad, _ = coordinate_model(self.problem)
        return lambdify(ps, [loss, *grad], modules=[{"sigma": sigma, "cc": cc}], cse=True)

    @cached_property
    def _terms_f(self):
        ps, _, _, terms = coordinate_model(self.problem)
        return lambdify(ps, list(terms), modules=[{"sigma": sigma, "cc": cc}], cse=True)

    @cached_property
    def binary_terms(self) -> np.ndarray:
        """Which loss terms have a 0/1 target (such a term is > 0 at every finite point)."""
        return np.array([d in (0.0, 1.0) for ds in self.problem.data.targets for d in ds])

    def terms(self, lo: np.ndarray, hi: np.ndarray) -> list[IA]:
        """Enclosures of each term 1/2 (d - z)^2 of L (samples, then outputs) on the boxes."""
        args = [IA(lo[:, i], hi[:, i]) for i in range(self.n)]
        return [_full(v, lo.shape[:1]) for v in self._terms_f(*args)]

    @property
    def n(self) -> int:
        return self.problem.n_params

    def evaluate(self, lo: np.ndarray, hi: np.ndarray) -> tuple[IA, list[IA]]:
        """Enclosures of L and of each dL/dw_i on boxes ``lo, hi`` of shape (n_boxes, n)."""
        shape = lo.shape[:1]
        args = [IA(lo[:, i], hi[:, i]) for i in range(self.n)]
        out = self._f(*args)
        full = [_full(v, shape) for v in out]
        return full[0], full[1:]

    def bounds(self, lo: np.ndarray, hi: np.ndarray) -> BoxBounds:
        """Lower bounds of L on each box: natural, and centred where the box is bounded."""
        L, G = self.evaluate(lo, hi)
        natural = L.lo
        bounded = np.all(np.isfinite(lo) & np.isfinite(hi), axis=1)
        centred = np.full(lo.shape[0], -np.inf)
        if np.any(bounded):
            centred[bounded] = self._centred(lo[bounded], hi[bounded], [g[bounded] for g in G])
        return BoxBounds(
            natural=natural,
            centred=centred,
            bound=np.maximum(natural, centred),
            grad_lo=np.stack([g.lo for g in G], axis=1),
            grad_hi=np.stack([g.hi for g in G], axis=1),
        )

    def _centred(self, lo, hi, G) -> np.ndarray:
        c = centre(lo, hi)
        Lc, _ = self.evaluate(c, c)
        total = Lc.lo
        for i, g in enumerate(G):
            d = IA(_down(lo[:, i] - c[:, i]), np.nextafter(hi[:, i] - c[:, i], np.inf))
            total = _sum_lo(total, (g * d).lo)
        return total


def centre(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Box midpoints (exact floats inside the box; boxes here are bounded)."""
    c = lo + (hi - lo) / 2
    return np.clip(np.where(np.isfinite(c), c, lo / 2 + hi / 2), lo, hi)


def _full(v, shape) -> IA:
    """A constant (a SymPy-simplified 0, say) or an IA, broadcast to the batch shape."""
    if isinstance(v, IA):
        return IA(np.broadcast_to(v.lo, shape).copy(), np.broadcast_to(v.hi, shape).copy())
    v = np.broadcast_to(np.asarray(v, dtype=float), shape).copy()
    return IA(v, v)


@dataclass(frozen=True)
class BoxBounds:
    natural: np.ndarray
    centred: np.ndarray
    bound: np.ndarray
    grad_lo: np.ndarray
    grad_hi: np.ndarray


@cache
def enclosure(problem: Problem) -> Enclosure:
    return Enclosure(problem)
