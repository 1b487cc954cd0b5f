"""Where gradient descent goes, for any problem (a preset name is accepted as sugar).

- :func:`critical_points`: zeros of the gradient from many starts, each certified (Krawczyk, arb
  balls) with enclosed Hessian eigenvalues and a kind (minimum, maximum, saddle, degenerate);
- :func:`destinations`: where descent (``gd``) or gradient flow (``flow``) goes from many starts: a
  critical point, or an escape to infinity named by the units that saturate, each with its share
  and a Wilson interval;
- :func:`basin_map`: the destination from each start of a grid over two chosen parameters;
- :func:`valleys`: the exact limit of L along each coordinate direction to infinity;
- :func:`dynamics`: all of it in one :class:`DynamicsReport`; for the seed's presets also its case
  study (:mod:`analysis.seedcase`).
"""

from .basins import BasinFraction, BasinMap, grid_axis
from .basins import basin_map as general_basin_map
from .critical import CriticalPoint, certify, critical_points, kind_of
from .descent import Destination, Destinations, Saturation, descend, destinations, wilson
from .report import DynamicsReport, dynamics
from .valley import Valley, check_limit_with_sympy, coordinate_limit, ray_limit, valleys

# The seed's case study, re-exported here by name for code written before the split.
_SEED = {
    "separatrix_direction",
    "separating_plane",
    "seed_trajectory",
    "SeedRun",
    "Checkpoint",
    "seed_basin_map",
}


def basin_map(problem="none", n: int = 200, extent=(-4.0, 4.0, -4.0, 4.0), method: str = "gd", **kw):
    """Compatibility: the seed's presets on 2 parameters get the seed's plane-committed map (labels
    W1->-inf / W1->+inf); every other problem the general :func:`general_basin_map`."""
    from ..seedcase.separatrix import seed_basin_map
    from .critical import _as_problem
    from .report import _is_seed_preset

    p = _as_problem(problem)
    if not kw and p.n_params == 2 and _is_seed_preset(p):
        return seed_basin_map(p, n=n, extent=extent, method=method)
    return general_basin_map(p, n=n, extent=extent, method=method, **kw)


def __getattr__(name):
    if name in _SEED:
        from .. import seedcase

        return getattr(seedcase, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BasinFraction",
    "BasinMap",
    "CriticalPoint",
    "Destination",
    "Destinations",
    "DynamicsReport",
    "Saturation",
    "Valley",
    "basin_map",
    "certify",
    "check_limit_with_sympy",
    "coordinate_limit",
    "critical_points",
    "descend",
    "destinations",
    "dynamics",
    "general_basin_map",
    "grid_axis",
    "kind_of",
    "ray_limit",
    "valleys",
    "wilson",
]
