"""The learnability atlas: boolean functions against small architectures, certified, on Dask.

``atlas(...)`` (also ``canlearn atlas``) builds the grid (:mod:`.grid`), computes each cell
(:mod:`.cell`) as one Dask task (:mod:`.engine`), caches finished cells by content
(:mod:`.cache`), and writes atlas.json, atlas.md and heatmaps (:mod:`.render`).

This package is itself callable, ``analysis.atlas(...)`` is ``atlas(...)``: the package and the
function share a name, and ``from analysis import atlas`` may give either.
"""

import sys
import types

from .cell import CellResult, CellSettings, GDShare
from .grid import Arch, Cell, Row, build_grid
from .run import AtlasCell, AtlasResult, Check, atlas


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return atlas(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = [
    "Arch",
    "AtlasCell",
    "AtlasResult",
    "Cell",
    "CellResult",
    "CellSettings",
    "Check",
    "GDShare",
    "Row",
    "atlas",
    "build_grid",
]
