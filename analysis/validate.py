"""One input contract for every door (API functions and the CLI): the size limits and the checks.

Each check returns the value in canonical form or raises :class:`~analysis.errors.InputError`
(a ValueError; :class:`~analysis.errors.InputTypeError` where the type is wrong) whose message
starts with the argument's name and says what is allowed.
"""

from __future__ import annotations

import math
import numbers

from .errors import InputError, InputTypeError

# Limits: beyond them a run would exhaust memory, time or precision, not answer better.
MAX_ITERATIONS = 10**7
MAX_RATE = 1e6
MAX_SEED = 2**32 - 1
MAX_GRADCHECK_POINTS = 10**6
# mpmath digits: beyond this one evaluation takes minutes.
MAX_DPS = 100_000


def integer(name: str, v, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (numpy integers accepted; bools and floats such as 2.5 are not)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise InputTypeError(f"{name}: expected an integer from {lo} to {hi}, got {v!r}")
    v = int(v)
    if not lo <= v <= hi:
        raise InputError(f"{name}: expected an integer from {lo} to {hi}, got {v}")
    return v


def real(name: str, v, *, lo: float = -math.inf, hi: float = math.inf, lo_open: bool = False) -> float:
    """A finite real number in [lo, hi] (or (lo, hi] with ``lo_open``)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise InputTypeError(f"{name}: expected a number, got {v!r}")
    v = float(v)
    if not math.isfinite(v):
        raise InputError(f"{name}: expected a finite number, got {v}")
    if (v <= lo if lo_open else v < lo) or v > hi:
        left = "(" if lo_open else "["
        raise InputError(f"{name}: expected a number in {left}{lo:g}, {hi:g}], got {v:g}")
    return v


def rate(v) -> float:
    """A learning rate: > 0 (a negative rate climbs the loss) and at most MAX_RATE."""
    return real("rate", v, lo=0.0, hi=MAX_RATE, lo_open=True)


def iterations(v) -> int:
    return integer("iterations", v, 1, MAX_ITERATIONS)


def seed(v) -> int:
    return integer("seed", v, 0, MAX_SEED)


def flag(name: str, v) -> bool:
    if not isinstance(v, bool):
        raise InputTypeError(f"{name}: expected True or False, got {v!r}")
    return v


def problem(v, name: str = "problem"):
    """A Problem, or a seed preset by name; anything else is refused naming ``name``."""
    from .network import PRESET_NAMES, Problem, preset

    if isinstance(v, Problem):
        return v
    if isinstance(v, str):
        if v not in PRESET_NAMES:
            raise InputError(f"{name}: unknown preset {v!r}; choose one of {', '.join(PRESET_NAMES)}")
        return preset(v)
    what = "a function" if callable(v) else f"a {type(v).__name__}"
    raise InputTypeError(
        f"{name}: expected a Problem or a preset name ({', '.join(PRESET_NAMES)}), got {what}"
    )


def two_params(problem, params) -> tuple[int, int]:
    """Two different parameters of ``problem``, by index or name, as indices."""
    names = problem.param_names
    picked = []
    for p in params:
        if isinstance(p, str):
            if p not in names:
                raise InputError(f"params: {p!r} is not a parameter of {problem.name!r} ({', '.join(names)})")
            p = names.index(p)
        if isinstance(p, bool) or not isinstance(p, numbers.Integral) or not 0 <= p < problem.n_params:
            raise InputError(f"params: expected indices in 0..{problem.n_params - 1} or names, got {p!r}")
        picked.append(int(p))
    if len(picked) != 2 or picked[0] == picked[1]:
        raise InputError(f"params: expected two different parameters, got {params!r}")
    return tuple(picked)
