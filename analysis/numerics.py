"""The one numeric sigmoid, and small helpers shared by numeric code."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from .errors import InputError, InputTypeError

#: The logistic sigmoid, overflow-free for every finite argument.
sigmoid = expit


def as_points(w, n_params: int, name: str = "w") -> np.ndarray:
    """Coerce weights to a float array of shape (..., n_params), or raise InputError naming ``name``."""
    try:
        arr = np.asarray(w, dtype=float)
    except (TypeError, ValueError):
        raise InputTypeError(f"{name}: expected numbers of shape (..., {n_params}), got {_kind(w)}") from None
    if arr.ndim == 0 or arr.shape[-1] != n_params:
        raise InputError(f"{name}: expected {n_params} parameters per point, got shape {arr.shape}")
    if not all_finite(arr):
        bad = arr[~np.isfinite(arr)].flat[0]
        raise InputError(f"{name}: every weight must be finite, got {bad}")
    return arr


def _kind(v) -> str:
    return repr(v) if isinstance(v, str) else f"a {type(v).__name__}"


def all_finite(arr: np.ndarray) -> bool:
    """``np.isfinite(arr).all()``, faster on the small arrays of optimiser and descent loops."""
    if arr.size <= _SMALL:
        return floats_finite(arr.ravel().tolist())
    # min and max propagate nan and reach +-inf whenever an entry does, and never overflow.
    return math.isfinite(np.minimum.reduce(arr, axis=None)) and math.isfinite(
        np.maximum.reduce(arr, axis=None)
    )


_SMALL = 64


def floats_finite(vals: list) -> bool:
    """Every number in a list of Python numbers finite."""
    # A finite sum proves every term finite (an overflowing sum only sends us to the test).
    return math.isfinite(sum(vals)) or all(map(math.isfinite, vals))
