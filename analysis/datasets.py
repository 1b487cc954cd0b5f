"""Built-in datasets: every boolean function of a few bits, by name or by truth table.

Truth-table convention (used by ``f0`` .. ``f15`` and :func:`boolean_function`): the rows are the
inputs in binary counting order, (0, 0), (0, 1), (1, 0), (1, 1) for two bits, with the first
input as the most significant bit; row r's target is bit r of the index. So ``and`` is f8
(only row 3 is 1), ``xor`` is f6 and ``or`` is f14.
"""

from __future__ import annotations

import itertools

from .errors import InputError
from .network import IDENTITY_01, Dataset

#: Most input bits a boolean dataset may have (2^6 = 64 points, the spec's point limit).
MAX_BITS = 6

# The 16 boolean functions of two inputs a, b under their usual names, by truth-table index.
TWO_INPUT_NAMES = {
    "false": 0,
    "nor": 1,
    "nconverse": 2,  # (not a) and b
    "not_a": 3,
    "nimplies": 4,  # a and (not b)
    "not_b": 5,
    "xor": 6,
    "nand": 7,
    "and": 8,
    "xnor": 9,
    "b": 10,
    "implies": 11,  # a -> b
    "a": 12,
    "converse": 13,  # b -> a
    "or": 14,
    "true": 15,
}


def boolean_inputs(n_inputs: int) -> tuple[tuple[float, ...], ...]:
    """All 2^n points of {0, 1}^n in binary counting order (first input most significant)."""
    _check_bits(n_inputs)
    return tuple(tuple(float(b) for b in bits) for bits in itertools.product((0, 1), repeat=n_inputs))


def _check_bits(n_inputs) -> None:
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or not 1 <= n_inputs <= MAX_BITS:
        raise InputError(f"n_inputs must be an integer from 1 to {MAX_BITS}, got {n_inputs!r}")


def boolean_function(index: int, n_inputs: int = 2) -> Dataset:
    """The boolean function of ``n_inputs`` bits whose truth table is the binary digits of ``index``."""
    _check_bits(n_inputs)
    rows = 2**n_inputs
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 2**rows:
        raise InputError(
            f"index must be an integer from 0 to {2**rows - 1} for {n_inputs} inputs, got {index!r}"
        )
    inputs = boolean_inputs(n_inputs)
    targets = tuple((float((index >> r) & 1),) for r in range(rows))
    return Dataset(inputs=inputs, targets=targets)


def truth_table_index(data: Dataset) -> int | None:
    """The index of ``data`` as a boolean function, or None if it is not one in canonical order."""
    n = len(data.inputs[0])
    if not 1 <= n <= MAX_BITS or data.inputs != boolean_inputs(n) or len(data.targets[0]) != 1:
        return None
    bits = [row[0] for row in data.targets]
    if any(b not in (0.0, 1.0) for b in bits):
        return None
    return sum(int(b) << r for r, b in enumerate(bits))


def _from_rule(n_inputs: int, rule) -> Dataset:
    inputs = boolean_inputs(n_inputs)
    return Dataset(inputs=inputs, targets=tuple((float(rule(row)),) for row in inputs))


_ONE_INPUT = {
    "identity": IDENTITY_01,  # the seed's data
    "not": Dataset(inputs=((0.0,), (1.0,)), targets=((1.0,), (0.0,))),
}

_THREE_INPUT = {
    "parity3": lambda row: sum(row) % 2,
    "majority3": lambda row: sum(row) >= 2,
}

DATASET_NAMES: tuple[str, ...] = (
    *_ONE_INPUT,
    *TWO_INPUT_NAMES,
    *(f"f{k}" for k in range(16)),
    *_THREE_INPUT,
)


def dataset(name: str) -> Dataset:
    """A built-in dataset by name: see ``DATASET_NAMES``."""
    if not isinstance(name, str):
        raise InputError(f"a dataset name must be a string, got {type(name).__name__}")
    key = name.strip().lower()
    if key in _ONE_INPUT:
        return _ONE_INPUT[key]
    if key in TWO_INPUT_NAMES:
        return boolean_function(TWO_INPUT_NAMES[key], 2)
    if key.startswith("f") and key[1:].isdigit() and int(key[1:]) < 16 and key == f"f{int(key[1:])}":
        return boolean_function(int(key[1:]), 2)
    if key in _THREE_INPUT:
        return _from_rule(3, _THREE_INPUT[key])
    raise InputError(f"unknown dataset {name!r}; known: {', '.join(DATASET_NAMES)}")


def two_input_name(index: int) -> str:
    """The usual name of the two-input boolean function with this truth-table index."""
    for name, k in TWO_INPUT_NAMES.items():
        if k == index:
            return name
    raise InputError(f"index must be an integer from 0 to 15, got {index!r}")
