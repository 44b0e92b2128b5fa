"""Tests of Winsorizer: quantile bounds fitted on training data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finwarn.cleaning import Winsorizer

NAN = np.nan


def test_bounds_are_training_quantiles_and_new_data_is_clipped_to_them():
    train = np.arange(101.0).reshape(-1, 1)
    wins = Winsorizer(lower=0.05, upper=0.95).fit(train)
    np.testing.assert_allclose(wins.lower_bounds_, [5.0])
    np.testing.assert_allclose(wins.upper_bounds_, [95.0])
    out = wins.transform(np.array([[-1e9], [50.0], [1e9]]))
    np.testing.assert_allclose(out, [[5.0], [50.0], [95.0]])


def test_bounds_ignore_missing_values_and_keep_them_missing():
    train = np.array([[NAN], [0.0], [10.0], [NAN], [20.0]])
    wins = Winsorizer(lower=0.0, upper=0.5).fit(train)
    np.testing.assert_allclose(wins.upper_bounds_, [10.0])
    out = wins.transform(np.array([[NAN], [15.0]]))
    assert np.isnan(out[0, 0])
    assert out[1, 0] == 10.0


def test_entirely_missing_column_is_left_alone():
    wins = Winsorizer().fit(np.array([[1.0, NAN], [2.0, NAN]]))
    assert wins.lower_bounds_[1] == -np.inf
    assert wins.upper_bounds_[1] == np.inf
    np.testing.assert_array_equal(wins.transform(np.array([[1.5, 1e12]]))[0, 1], 1e12)


def test_feature_names_are_kept_with_pandas_output():
    X = pd.DataFrame({"roa": [1.0, 2.0, 300.0]})
    out = Winsorizer().set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["roa"]


@pytest.mark.parametrize(("lower", "upper"), [(0.5, 0.5), (0.9, 0.1)])
def test_lower_must_be_below_upper(lower, upper):
    with pytest.raises(
        ValueError,
        match=rf"Winsorizer needs lower < upper, got lower={lower} and upper={upper}; "
        r"for example lower=0.01, upper=0.99\.",
    ):
        Winsorizer(lower=lower, upper=upper).fit(np.ones((3, 1)))


@pytest.mark.parametrize("param", ["lower", "upper"])
def test_quantiles_must_be_shares(param):
    with pytest.raises(ValueError, match=f"The '{param}' parameter of Winsorizer must be"):
        Winsorizer(**{param: 1.5}).fit(np.ones((3, 1)))
