"""Tests of IndicatorScaler: min-max (paper 001), standard and quantile scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from finwarn.cleaning import IndicatorScaler

NAN = np.nan


def test_minmax_uses_training_range_and_clips_new_values():
    scaler = IndicatorScaler(method="minmax").fit(np.array([[0.0], [10.0]]))
    np.testing.assert_allclose(
        scaler.transform(np.array([[-5.0], [5.0], [20.0]])), [[0.0], [0.5], [1.0]]
    )


def test_standard_uses_training_mean_and_sd():
    scaler = IndicatorScaler(method="standard").fit(np.array([[1.0], [3.0]]))
    np.testing.assert_allclose(scaler.transform(np.array([[2.0], [5.0]])), [[0.0], [3.0]])


@pytest.mark.parametrize(("distribution", "expected_median"), [("normal", 0.0), ("uniform", 0.5)])
def test_quantile_maps_the_training_median_to_the_target_median(distribution, expected_median):
    train = np.random.RandomState(0).lognormal(size=(501, 1))
    scaler = IndicatorScaler(
        method="quantile", output_distribution=distribution, random_state=0
    ).fit(train)
    out = scaler.transform(np.median(train, axis=0, keepdims=True))
    np.testing.assert_allclose(out, [[expected_median]], atol=1e-6)


def test_quantile_output_is_normal_for_heavy_tails():
    train = np.random.RandomState(0).standard_cauchy(size=(2000, 1))
    out = IndicatorScaler(method="quantile", random_state=0).fit_transform(train)
    assert abs(stats.skew(out[:, 0])) < 0.1
    assert np.abs(out).max() < 6


def test_quantile_caps_n_quantiles_at_the_number_of_rows():
    scaler = IndicatorScaler(method="quantile", n_quantiles=1000, random_state=0).fit(
        np.ones((20, 1))
    )
    assert scaler.scaler_.n_quantiles == 20


@pytest.mark.parametrize("method", ["minmax", "standard", "quantile"])
def test_missing_values_stay_missing(method):
    train = np.array([[1.0], [NAN], [3.0], [4.0]])
    out = (
        IndicatorScaler(method=method, random_state=0)
        .fit(train)
        .transform(np.array([[NAN], [2.0]]))
    )
    assert np.isnan(out[0, 0])
    assert np.isfinite(out[1, 0])


@pytest.mark.parametrize("method", ["minmax", "standard", "quantile"])
def test_feature_names_are_kept_with_pandas_output(method):
    X = pd.DataFrame({"roa": [1.0, 2.0, 3.0], "leverage": [0.5, 0.1, 0.9]})
    out = IndicatorScaler(method=method).set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["roa", "leverage"]


def test_sparse_input_is_refused():
    with pytest.raises(TypeError, match="Sparse data was passed for X, but dense data is required"):
        IndicatorScaler().fit(sparse.csr_matrix(np.eye(3)))


def test_unknown_method_is_rejected():
    with pytest.raises(
        ValueError, match=r"The 'method' parameter of IndicatorScaler must be a str among"
    ):
        IndicatorScaler(method="zscore").fit(np.ones((3, 1)))
