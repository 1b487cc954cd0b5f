"""Share of random starts that reach the lowest valley, per init scheme (the seed's presets).

On the seed's 2-parameter net a start is decided by the proved separating plane; on the presets
with biases it counts once L < ``threshold``, the next level above the lowest valley (no
trajectory ending elsewhere gets below it).
"""

from __future__ import annotations

import numpy as np

from ..dynamics.basins import basin_fraction
from ..dynamics.critical import _as_problem
from ..dynamics.descent import INIT_SCHEMES, MAX_ITER, descend, init_points
from .separatrix import exact_saddle, plane_classifier


def lowest_valley_fractions(
    problem, n_samples: int = 2000, seed: int = 0, method: str = "gd", threshold=None
):
    """A :class:`BasinFraction` per init scheme (label 0 = reached the lowest valley)."""
    problem = _as_problem(problem)
    if problem.n_params == 2:
        classify = plane_classifier(exact_saddle(problem).loss)
    else:
        if threshold is None:
            raise ValueError("threshold: needed where no separating plane decides the starts")

        def classify(w, L):
            return np.where(threshold > L, 0, -1).astype(np.int8)

    max_iter = MAX_ITER if problem.n_params == 2 else MAX_ITER // 10
    out = []
    for scheme in INIT_SCHEMES:
        starts = init_points(scheme, n_samples, problem.n_params, seed)
        d = descend(problem, starts, classify, method, max_iter=max_iter)
        out.append(basin_fraction(scheme, method, d.labels))
    return tuple(out)
