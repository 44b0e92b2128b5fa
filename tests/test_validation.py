"""The cheap input check used at prediction time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finwarn._validation import is_valid_float_array
from finwarn.cleaning import Winsorizer

NAN = np.nan


@pytest.fixture(scope="module")
def fitted() -> Winsorizer:
    return Winsorizer().fit(np.array([[1.0, 2.0], [3.0, 4.0]]))


@pytest.mark.parametrize(
    ("X", "allow_nan", "valid"),
    [
        (np.array([[1.0, 2.0]]), False, True),
        (np.array([[NAN, 2.0]]), True, True),
        (np.array([[NAN, 2.0]]), False, False),
        (np.array([[np.inf, 2.0]]), True, False),
        (np.array([[1.0, 2.0, 3.0]]), True, False),  # the wrong number of columns
        (np.empty((0, 2)), True, False),  # no row
        (np.array([1.0, 2.0]), True, False),  # one-dimensional
        (np.array([[1.0, 2.0]], dtype=np.float32), True, False),
        (np.array([[1, 2]]), True, False),
        ([[1.0, 2.0]], True, False),
        (pd.DataFrame({"a": [1.0], "b": [2.0]}), True, False),
    ],
)
def test_only_float64_arrays_that_need_no_check_are_valid(fitted, X, allow_nan, valid):
    assert is_valid_float_array(fitted, X, allow_nan=allow_nan) is valid


def test_estimator_fitted_on_named_columns_gets_the_full_check():
    fitted = Winsorizer().fit(pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 4.0]}))
    assert not is_valid_float_array(fitted, np.array([[1.0, 2.0]]), allow_nan=True)
