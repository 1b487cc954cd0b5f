"""The shared numeric helpers agree with their plain NumPy definitions."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analysis.numerics import all_finite

_FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5), elements=_FLOATS)
)
def test_all_finite_is_isfinite_all(a):
    assert all_finite(a) == bool(np.isfinite(a).all())


def test_all_finite_edge_cases():
    assert all_finite(np.array([1.7976931348623157e308, 1.7976931348623157e308]))  # the sum overflows
    assert not all_finite(np.array([1.0, np.nan]))
    assert not all_finite(np.array([[0.0], [-np.inf]]))
    assert all_finite(np.empty((0, 3)))
