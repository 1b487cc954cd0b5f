"""Vectorised extended interval arithmetic in NumPy, rounded outward.

An :class:`IA` holds arrays ``lo <= hi`` of the same shape; each element is the closed set of
reals [lo, hi], where lo may be -inf and hi +inf (the set is then unbounded; it never contains
an infinity). Every operation returns an enclosure of the exact set image:

* sums use TwoSum to see whether float rounding happened, and step one ulp outward only then;
* products follow the IEEE 1788 set-based rule 0 * [a, +inf] = 0 (the set holds reals only);
  Dekker's TwoProduct tells which way a product was rounded, and only an endpoint rounded the
  wrong way (or whose rounding cannot be known: overflow, underflow) steps one ulp outward;
* sigma uses scipy's expit, whose error is a few ulps at most: the result is widened by
  ``SIGMA_REL_SLACK`` relative plus ``SIGMA_ABS_SLACK`` absolute, except at the exact values
  sigma(0) = 1/2, sigma(-inf) = 0, sigma(+inf) = 1; then clipped to [0, 1].

Overflow is sound: a lower endpoint that overflows to +inf steps down to the largest float.
"""

from __future__ import annotations

import numpy as np

from ..numerics import sigmoid
from ..tolerances import CERT_SIGMA_ABS_SLACK, CERT_SIGMA_REL_SLACK

_INF = np.inf


def _down(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, -_INF)


def _up(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, _INF)


def _sum_lo(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A lower bound of a + b (a, b lower endpoints: never +inf)."""
    with np.errstate(invalid="ignore", over="ignore"):
        s = a + b
        bv = s - a
        err = (a - (s - bv)) + (b - bv)  # TwoSum: a + b = s + err exactly, when all finite
    ok = np.isfinite(s) & (err >= 0)
    ok |= np.isneginf(s) & (np.isneginf(a) | np.isneginf(b))  # a genuine -inf endpoint
    return np.where(ok, s, _down(s))


def _sum_hi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """An upper bound of a + b (a, b upper endpoints: never -inf)."""
    return -_sum_lo(-a, -b)


_SPLIT = 134217729.0  # 2^27 + 1: Veltkamp's splitter for float64
_SAFE_HI = 2.0**995  # |factor| below this: the splitter cannot overflow
_SAFE_LO = 2.0**-969  # |product| above this: the TwoProduct error term does not underflow


def _two_product_err(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Dekker's TwoProduct: a * b = p + err exactly (where the operands are in the safe range)."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        ca, cb = _SPLIT * a, _SPLIT * b
        ah = ca - (ca - a)
        al = a - ah
        bh = cb - (cb - b)
        bl = b - bh
        return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _products(a: np.ndarray, b: np.ndarray):
    """a * b with 0 * inf = 0, and the sign of its rounding error where known, else NaN.

    The error is 0 where a factor is 0 (set-based: 0 * [a, inf] = 0) and where Dekker's
    TwoProduct shows the float product exact; NaN where it cannot be known (overflow, underflow).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        p = a * b
    zero = (a == 0) | (b == 0)
    safe = (np.abs(a) < _SAFE_HI) & (np.abs(b) < _SAFE_HI) & (np.abs(p) > _SAFE_LO) & np.isfinite(p)
    err = np.where(safe, _two_product_err(a, b, np.where(safe, p, 0.0)), np.nan)
    return np.where(zero, 0.0, p), np.where(zero, 0.0, err)


class IA:
    """Arrays of closed real intervals [lo, hi]; endpoints may be infinite."""

    __slots__ = ("lo", "hi")
    __array_priority__ = 1000  # numpy scalars on the left defer to IA's reflected operators

    def __init__(self, lo, hi):
        self.lo = np.asarray(lo, dtype=float)
        self.hi = np.asarray(hi, dtype=float)

    @classmethod
    def point(cls, v) -> IA:
        v = np.asarray(v, dtype=float)
        return cls(v, v)

    @property
    def shape(self):
        return np.broadcast_shapes(self.lo.shape, self.hi.shape)

    def __getitem__(self, key) -> IA:
        return IA(self.lo[key], self.hi[key])

    # -- arithmetic -----------------------------------------------------------------------------
    def __add__(self, o) -> IA:
        o = lift(o)
        return IA(_sum_lo(self.lo, o.lo), _sum_hi(self.hi, o.hi))

    __radd__ = __add__

    def __neg__(self) -> IA:
        return IA(-self.hi, -self.lo)

    def __pos__(self) -> IA:
        return self

    def __sub__(self, o) -> IA:
        return self + (-lift(o))

    def __rsub__(self, o) -> IA:
        return lift(o) + (-self)

    def __mul__(self, o) -> IA:
        o = lift(o)
        ps, errs = zip(*(_products(a, b) for a in (self.lo, self.hi) for b in (o.lo, o.hi)))
        lo = np.minimum(np.minimum(ps[0], ps[1]), np.minimum(ps[2], ps[3]))
        hi = np.maximum(np.maximum(ps[0], ps[1]), np.maximum(ps[2], ps[3]))
        # An endpoint stays put only if every product equal to it was rounded towards the inside
        # (err >= 0 for lo, <= 0 for hi); otherwise, or if unknown (NaN), it steps one ulp out.
        lo_ok = np.logical_and.reduce([(p != lo) | (e >= 0) for p, e in zip(ps, errs)])
        hi_ok = np.logical_and.reduce([(p != hi) | (e <= 0) for p, e in zip(ps, errs)])
        return IA(np.where(lo_ok, lo, _down(lo)), np.where(hi_ok, hi, _up(hi)))

    __rmul__ = __mul__

    def __pow__(self, n) -> IA:
        if isinstance(n, float) and n.is_integer():
            n = int(n)
        if not isinstance(n, int) or n < 0:
            raise TypeError(f"only non-negative integer powers are enclosed, got {n!r}")
        if n == 0:
            return IA.point(np.ones(self.shape))
        if n == 1:
            return self
        if n % 2 == 1:  # increasing
            out = self
            for _ in range(n - 1):
                out = out * self
            return out
        # even: |x|^n, increasing in |x|
        mag_lo = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(np.abs(self.lo), np.abs(self.hi)))
        mag_hi = np.maximum(np.abs(self.lo), np.abs(self.hi))
        m = IA(mag_lo, mag_hi)
        out = m
        for _ in range(n - 1):
            out = out * m
        return IA(np.maximum(out.lo, 0.0), out.hi)

    def sigma(self) -> IA:
        return IA(_sigma_lo(self.lo), _sigma_hi(self.hi))

    # -- queries --------------------------------------------------------------------------------
    def contains_zero(self) -> np.ndarray:
        return (self.lo <= 0) & (self.hi >= 0)

    def contains(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return (self.lo <= x) & (x <= self.hi)

    def __repr__(self) -> str:
        return f"IA(lo={self.lo!r}, hi={self.hi!r})"


def lift(o) -> IA:
    """An interval, or a number (exact: a float or an int) as a point interval."""
    if isinstance(o, IA):
        return o
    if isinstance(o, int) and not isinstance(o, bool):
        if abs(o) > 2**53:
            raise ValueError(f"integer constant {o} is not exact in float64")
        return IA.point(float(o))
    return IA.point(o)


def _sigma_lo(a: np.ndarray) -> np.ndarray:
    s = sigmoid(a)
    widened = np.maximum(_down(s * (1.0 - CERT_SIGMA_REL_SLACK) - CERT_SIGMA_ABS_SLACK), 0.0)
    exact = (a == 0) | np.isinf(a)
    return np.where(exact, s, widened)


def _sigma_hi(a: np.ndarray) -> np.ndarray:
    s = sigmoid(a)
    widened = np.minimum(_up(s * (1.0 + CERT_SIGMA_REL_SLACK) + CERT_SIGMA_ABS_SLACK), 1.0)
    exact = (a == 0) | np.isinf(a)
    return np.where(exact, s, widened)


def sigma(x):
    """sigma of an interval (or of a float array, for code lambdified into this module)."""
    return x.sigma() if isinstance(x, IA) else sigmoid(x)


def cc(q0, q1, h):
    """(1 - h) q0 + h q1 for h in [0, 1]: increasing in q0 and q1, linear in h, so its range is
    taken at h's endpoints with q's lower (upper) ends; 0 * inf = 0 where h is exactly 0 or 1."""
    q0, q1, h = lift(q0), lift(q1), lift(h)
    lo_h = np.clip(h.lo, 0.0, 1.0)
    hi_h = np.clip(h.hi, 0.0, 1.0)

    def at(t, a, b):
        t = IA.point(t)
        return (1 - t) * IA.point(a) + t * IA.point(b)

    lo = np.minimum(at(lo_h, q0.lo, q1.lo).lo, at(hi_h, q0.lo, q1.lo).lo)
    hi = np.maximum(at(lo_h, q0.hi, q1.hi).hi, at(hi_h, q0.hi, q1.hi).hi)
    return IA(lo, hi)
