"""The learnability atlas: boolean functions against small architectures, certified, on Dask.

``atlas(...)`` (also ``canlearn atlas``) builds the grid (:mod:`.grid`), computes each cell
(:mod:`.cell`) as one Dask task (:mod:`.engine`), caches finished cells by content
(:mod:`.cache`), and writes atlas.json, atlas.md and heatmaps (:mod:`.render`).

This package is itself callable, ``analysis.atlas(...)`` is ``atlas(...)``: the package and the
function share a name, and ``from analysis import atlas`` may give either. Its names load on first
use (:mod:`.settings` alone is light: the command line's help reads its defaults).
"""

import sys
import types
from importlib import import_module

_LAZY = {
    "Arch": "grid",
    "AtlasCell": "run",
    "AtlasResult": "run",
    "Cell": "grid",
    "CellResult": "cell",
    "CellSettings": "settings",
    "Check": "run",
    "GDShare": "cell",
    "Row": "grid",
    "atlas": "run",
    "build_grid": "grid",
}


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return self.atlas(*args, **kwargs)

    def __getattr__(self, name):
        if name in _LAZY:
            value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
            setattr(self, name, value)  # later look-ups skip this method
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(_LAZY))


sys.modules[__name__].__class__ = _CallableModule

__all__ = sorted(_LAZY)
