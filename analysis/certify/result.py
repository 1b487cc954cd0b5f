"""The verdict of ``certify``: one frozen result object, JSON-ready."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from fractions import Fraction

#: Significant digits of decimal bounds (rounded outward).
DIGITS = 17

#: ``CertifyResult.smt`` when the z3 route was not asked for (the summary then omits it).
SMT_NOT_REQUESTED = "not run (not requested)"


def decimal_down(v: Fraction | float) -> str:
    return _decimal(v, ROUND_FLOOR)


def decimal_up(v: Fraction | float) -> str:
    return _decimal(v, ROUND_CEILING)


def _decimal(v, rounding) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    q = Fraction(v)
    if q == 0:
        return "0"
    ctx = Context(prec=DIGITS, rounding=rounding)
    return str(ctx.divide(Decimal(q.numerator), Decimal(q.denominator)))


def float_down(q: Fraction) -> float:
    f = float(q)
    return f if Fraction(f) <= q else math.nextafter(f, -math.inf)


def float_up(q: Fraction) -> float:
    f = float(q)
    return f if Fraction(f) >= q else math.nextafter(f, math.inf)


@dataclass(frozen=True)
class CertifyResult:
    """A certified bracket lower <= inf L <= upper over all real weights, and what follows.

    ``lower``/``upper`` are exact rationals (``"1/8"``) where found, else decimal strings rounded
    outward; ``lower_value``/``upper_value`` are the same bounds as floats, rounded outward.
    ``attained`` and ``separable`` are True, False, or "unknown" (separable: None when the
    targets are not all 0 or 1).
    """

    problem: str
    network: str
    params: tuple[str, ...]
    lower: str
    upper: str
    lower_value: float
    upper_value: float
    width: float
    tol: float
    status: str  # closed | open
    attained: bool | str
    separable: bool | str | None
    witness: dict
    boxes: int
    leaves: int
    seconds: float
    message: str
    certificate: str | None = None
    stopped: str = ""  # "" or the limit that stopped the search: max_boxes | time_limit
    smt: str = SMT_NOT_REQUESTED  # z3's cross-check with certify(smt=True): see certify/smt.py

    def to_json(self) -> dict:
        out = dict(self.__dict__)
        out["params"] = list(self.params)
        return out

    def summary(self) -> str:
        sep = {None: "n/a (targets not all 0/1)"}.get(self.separable, self.separable)
        lines = [
            f"certify {self.problem}: {self.network}",
            f"  inf L over all of R^{len(self.params)} in [{self.lower}, {self.upper}]  "
            f"(width {self.width:.3g}, tol {self.tol:g}): {self.status}",
            f"  attained: {self.attained}   separable: {sep}",
            f"  {self.boxes} boxes ({self.leaves} leaves) in {self.seconds:.2f} s",
            f"  {self.message}",
        ]
        if self.certificate:
            lines.append(f"  certificate: {self.certificate}")
        if self.smt != SMT_NOT_REQUESTED:
            lines.append(f"  second route: {self.smt}")
        return "\n".join(lines)
