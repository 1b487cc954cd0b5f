"""The one numeric sigmoid, and small helpers shared by numeric code."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

#: The logistic sigmoid, overflow-free for every finite argument.
sigmoid = expit


def as_points(w, n_params: int) -> np.ndarray:
    """Coerce weights to a float array of shape (..., n_params), or raise ValueError."""
    arr = np.asarray(w, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] != n_params:
        raise ValueError(f"expected {n_params} parameters per point, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("weights must be finite")
    return arr
