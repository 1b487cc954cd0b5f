"""One JSON path for every result: frozen dataclasses to plain JSON and back, driven by type hints.

Adopt it in a result class by inheriting :class:`Result` (a mixin for frozen dataclasses)::

    @dataclass(frozen=True)
    class Fit(Result):
        name: str
        value: float                                        # inf / nan round-trip as "inf" / "nan"
        weights: tuple[float, ...]                          # a JSON list
        named: tuple[tuple[str, float], ...] = mapping()    # a JSON object {"W1": 1.0, ...}
        parts: tuple[Part, ...] = keyed("scheme")           # {part.scheme: part.to_json(), ...}
        grid: np.ndarray | None = None                      # a (nested) JSON list

        def _json_extra(self) -> dict:                      # derived keys, written but never read
            return {"description": self.describe()}

    Fit.from_json(json.loads(json.dumps(fit.to_json()))) == fit   # for fields without arrays

A class whose hints name types it imports lazily gives them by a classmethod ``_json_types()``
returning ``{"Name": type}``.

Two field options keep an older output format: ``omit()`` keeps a field out of the JSON (per-step
arrays, say; ``from_json`` then takes it from its default or a keyword: ``from_json(data,
errors=...)``), and ``null_if_nonfinite()`` writes a non-finite float as null (read back as nan).

Encoding: floats, ints, strs, bools and None as themselves (non-finite floats as the strings
"inf", "-inf", "nan", so output passes ``json.dumps(..., allow_nan=False)``); tuples and lists as
lists; nested results as objects; numpy arrays and scalars as lists and numbers; SymPy and mpmath
numbers as their strings. Decoding follows the field's type hint; a field missing from the data
takes its default. Nothing is ``eval``'d or sympified.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import types
import typing
from functools import cache

from .errors import InputError

_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def mapping(default=dataclasses.MISSING):
    """A field holding ``tuple[tuple[key, value], ...]``, written as a JSON object."""
    return dataclasses.field(default=default, metadata={"json": "mapping"})


def keyed(key: str, default=dataclasses.MISSING):
    """A field holding a tuple of results, written as a JSON object keyed by each one's ``key``."""
    return dataclasses.field(default=default, metadata={"json": "keyed", "key": key})


def omit(default=dataclasses.MISSING):
    """A field not written to JSON; reading takes it from ``default`` or a keyword to ``from_json``."""
    return dataclasses.field(default=default, metadata={"json": "omit"})


def null_if_nonfinite(default=dataclasses.MISSING):
    """A float field written as null when it is not finite; null reads back as nan (which one is lost)."""
    return dataclasses.field(default=default, metadata={"json": "null_if_nonfinite"})


class Result:
    """Mixin: ``to_json()`` and ``from_json(data)`` for a frozen dataclass, one path for all."""

    def _json_extra(self) -> dict:
        """Derived, read-only keys to write beside the fields (ignored when reading)."""
        return {}

    def to_json(self) -> dict:
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict, **omitted):
        return from_json(cls, data, **omitted)


def to_json(value):
    """Plain JSON data (dict, list, str, number, bool, None) for a result or any value inside one."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            how = f.metadata.get("json")
            if how == "omit":
                continue
            if how == "null_if_nonfinite" and v is not None and not math.isfinite(v):
                out[f.name] = None
            elif how == "mapping" and v is not None:
                out[f.name] = {str(k): to_json(x) for k, x in v}
            elif how == "keyed" and v is not None:
                out[f.name] = {str(getattr(x, f.metadata["key"])): to_json(x) for x in v}
            else:
                out[f.name] = to_json(v)
        extra = getattr(value, "_json_extra", None)
        if extra is not None:
            out.update({k: to_json(v) for k, v in extra().items()})
        return out
    if value is None or isinstance(value, bool | str):
        return value
    # NumPy values exist only once NumPy is loaded: this module does not load it (start-up time).
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if np is not None and isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int) or (np is not None and isinstance(value, np.integer)):
        return int(value)
    if isinstance(value, float) or (np is not None and isinstance(value, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    # SymPy and mpmath numbers (and anything else with an exact text form) as their strings.
    return str(value)


@cache
def _hints(cls) -> dict:
    # A class whose hints name types it cannot import at module level (to keep imports acyclic)
    # supplies them from a classmethod ``_json_types()``.
    extra = getattr(cls, "_json_types", None)
    return typing.get_type_hints(cls, localns=extra() if extra is not None else None)


def from_json(cls, data: dict, **omitted):
    """Rebuild result class ``cls`` from what :func:`to_json` wrote (extra keys are ignored).

    ``omitted`` gives values, as they are, for fields declared with :func:`omit`."""
    if not isinstance(data, dict):
        raise InputError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
    hints = _hints(cls)
    kwargs = {}
    skipped = {f.name for f in dataclasses.fields(cls) if f.init and f.metadata.get("json") == "omit"}
    if unknown := sorted(set(omitted) - skipped):
        raise InputError(f"{cls.__name__}: {', '.join(unknown)} can only come from the JSON data")
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name in skipped:
            if f.name in omitted:
                kwargs[f.name] = omitted[f.name]
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise InputError(f"{cls.__name__}: field {f.name!r} is not in JSON; pass it to from_json")
            continue
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise InputError(f"{cls.__name__}: missing field {f.name!r}")
            continue
        v, hint, how = data[f.name], hints[f.name], f.metadata.get("json")
        if how == "mapping" and isinstance(v, dict):
            v = [[k, x] for k, x in v.items()]
        elif how == "keyed" and isinstance(v, dict):
            v = list(v.values())
        elif how == "null_if_nonfinite" and v is None:
            v = "nan"
        kwargs[f.name] = _decode(v, hint, f"{cls.__name__}.{f.name}")
    return cls(**kwargs)


def _decode(v, hint, where: str):
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        arms = typing.get_args(hint)
        if v is None and type(None) in arms:
            return None
        if isinstance(v, str) and str in arms:
            return v  # a string stays a string, even "inf", where the hint allows one
        errors = []
        for arm in arms:
            if arm is type(None):
                continue
            try:
                return _decode(v, arm, where)
            except (TypeError, ValueError) as e:
                errors.append(str(e))
        raise InputError(f"{where}: {v!r} matches none of {hint} ({'; '.join(errors)})")
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(v, list | tuple):
            raise InputError(f"{where}: expected a list, got {type(v).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(x, args[0], where) for x in v)
        if len(args) != len(v):
            raise InputError(f"{where}: expected {len(args)} items, got {len(v)}")
        return tuple(_decode(x, a, where) for x, a in zip(v, args))
    if hint is typing.Any:
        return v
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_json(hint, v)
    np = sys.modules.get("numpy")
    if np is not None and hint is np.ndarray:
        a = np.array(v)
        a.setflags(write=False)
        return a
    if hint is float:
        if isinstance(v, str) and v in _NONFINITE:
            return _NONFINITE[v]
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"{where}: expected a number, got {v!r}")
        return float(v)
    if hint is bool:
        if not isinstance(v, bool):
            raise InputError(f"{where}: expected true/false, got {v!r}")
        return v
    if hint is int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise InputError(f"{where}: expected an integer, got {v!r}")
        return v
    if hint is str:
        if not isinstance(v, str):
            raise ValueError(f"{where}: expected a string, got {v!r}")
        return v
    raise TypeError(f"{where}: cannot decode type {hint}")
