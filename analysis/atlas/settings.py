"""What an atlas cell computes with (NumPy-free: the command line's help shows these defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from ..results import Result
from ..tolerances import ATLAS_CERTIFY_TOL, ATLAS_SUCCESS_GAP

#: Start schemes for gradient descent: the seed's uniform[0, 1) and a standard normal.
SCHEMES = ("uniform[0,1)", "normal(0,1)")


@dataclass(frozen=True)
class CellSettings(Result):
    """What a cell computes with; every field is part of the cell's cache key."""

    tol: float = ATLAS_CERTIFY_TOL
    max_boxes: int = 2000
    time_limit: float = 20.0
    uniform_starts: int = 64
    normal_starts: int = 64
    rate: float = 5.0
    iterations: int = 2000
    success_gap: float = ATLAS_SUCCESS_GAP

    def __post_init__(self):
        from ..errors import InputError

        for name in ("uniform_starts", "normal_starts", "iterations", "max_boxes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError(f"{name} must be a non-negative integer, got {v!r}")
        if self.iterations < 1 or self.max_boxes < 1:
            raise InputError("iterations and max_boxes must be at least 1")
        for name in ("tol", "time_limit", "rate", "success_gap"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not (0 < v < float("inf")):
                raise InputError(f"{name} must be a finite number > 0, got {v!r}")

    def starts(self) -> tuple[tuple[str, int], ...]:
        return tuple(zip(SCHEMES, (self.uniform_starts, self.normal_starts)))
