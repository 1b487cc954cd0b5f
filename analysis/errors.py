"""The one exception class for bad input, shared by every door (API and CLI).

Raise :class:`InputError` wherever input is validated (Dataset, Problem, spec parsing, train,
gradcheck, certify, ...). It is a ``ValueError``, so API callers catching ``ValueError`` keep
working; the CLI maps exactly this class (and its own argument errors) to exit code 2, and
reports every other exception as an internal error with exit code 1.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the caller: the message names the argument and says what is allowed."""


class InputTypeError(InputError, TypeError):
    """Bad input of the wrong type (also a ``TypeError``, as Python's own type checks are)."""
