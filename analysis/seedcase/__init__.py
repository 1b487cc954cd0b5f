"""The seed's case study: its loop's stall down the valley W1 -> +inf, the exact saddle and its
golden-ratio separatrix, the proved separating plane, and the share of starts reaching the lowest
valley. General analyses live in :mod:`analysis.dynamics`; this package only adds what is special
to the seed's 2-parameter chain (and the presets built on it)."""

from .fractions import lowest_valley_fractions
from .separatrix import (
    exact_saddle,
    map_angle,
    plane_classifier,
    seed_basin_map,
    separating_plane,
    separatrix_direction,
    side_names,
)
from .stall import SEED_CHECKPOINTS, Checkpoint, SeedRun, seed_run, seed_trajectory

__all__ = [
    "SEED_CHECKPOINTS",
    "Checkpoint",
    "SeedRun",
    "exact_saddle",
    "lowest_valley_fractions",
    "map_angle",
    "plane_classifier",
    "seed_basin_map",
    "seed_run",
    "seed_trajectory",
    "separating_plane",
    "separatrix_direction",
    "side_names",
]
