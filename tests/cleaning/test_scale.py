"""Tests of IndicatorScaler: min-max (paper 001), standard and quantile scaling."""

from __future__ import annotations

import pickle

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


def _quantile_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and new data with ties, missing values and values out of range."""
    rng = np.random.default_rng(seed)
    train = np.column_stack(
        [
            rng.lognormal(size=300),  # heavy tail
            rng.integers(0, 4, size=300).astype(float),  # many ties: repeated quantiles
            np.where(rng.random(300) < 0.3, np.nan, rng.normal(size=300)),  # missing
            np.r_[np.zeros(290), rng.normal(size=10)],  # a spike at 0
            np.full(300, 2.5),  # constant
        ]
    )
    new = np.vstack(
        [
            rng.normal(scale=3.0, size=(200, 5)),  # beyond the training range
            train[rng.integers(0, 300, size=200)],  # exactly on training values
            np.nanmin(train, axis=0) - 1e-8,  # just outside the range
            np.nanmax(train, axis=0) + 1e-8,
            np.nanmin(train, axis=0),  # on the bounds
            np.nanmax(train, axis=0),
        ]
    )
    new[rng.random(new.shape) < 0.1] = NAN
    return train, new


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
@pytest.mark.parametrize("n_quantiles", [1000, 7])
@pytest.mark.parametrize("seed", [0, 1])
def test_quantile_transform_equals_scikit_learn(distribution, n_quantiles, seed):
    train, new = _quantile_data(seed)
    scaler = IndicatorScaler(
        method="quantile",
        output_distribution=distribution,
        n_quantiles=n_quantiles,
        random_state=0,
    ).fit(train)
    assert scaler._quantile_map is not None  # the vectorised transform runs
    expected = scaler.scaler_.transform(new)
    np.testing.assert_allclose(scaler.transform(new), expected, rtol=0, atol=1e-12)
    one_by_one = np.vstack([scaler.transform(row[np.newaxis]) for row in new[:50]])
    np.testing.assert_allclose(one_by_one, expected[:50], rtol=0, atol=1e-12)
    assert np.array_equal(np.isnan(scaler.transform(new)), np.isnan(new))


def test_quantile_transform_of_a_single_training_row():
    scaler = IndicatorScaler(method="quantile").fit(np.array([[1.0, 2.0]]))
    new = np.array([[0.0, 2.0], [1.0, 3.0], [NAN, 2.0]])
    np.testing.assert_allclose(scaler.transform(new), scaler.scaler_.transform(new), atol=1e-12)


def test_quantile_transform_of_an_empty_training_column_is_scikit_learns():
    train = np.column_stack([np.arange(10.0), np.full(10, NAN)])
    with pytest.warns(RuntimeWarning, match="All-NaN slice encountered"):
        scaler = IndicatorScaler(method="quantile").fit(train)
    assert scaler._quantile_map is None  # NaN quantiles: scikit-learn's own transform
    new = np.array([[3.0, 1.0], [NAN, NAN]])
    np.testing.assert_array_equal(scaler.transform(new), scaler.scaler_.transform(new))


def test_quantile_scaler_survives_pickling_without_its_lookup_table():
    train, new = _quantile_data(0)
    scaler = IndicatorScaler(method="quantile", random_state=0).fit(train)
    state = scaler.__getstate__()
    assert "_quantile_map" not in state
    assert "_quantile_map" in vars(scaler)
    loaded = pickle.loads(pickle.dumps(scaler))
    np.testing.assert_array_equal(loaded.transform(new), scaler.transform(new))


def test_quantile_scaler_pickled_before_the_lookup_table_still_loads():
    train, new = _quantile_data(0)
    scaler = IndicatorScaler(method="quantile", random_state=0).fit(train)
    old = IndicatorScaler.__new__(IndicatorScaler)
    old.__dict__.update({k: v for k, v in vars(scaler).items() if k != "_quantile_map"})
    loaded = pickle.loads(pickle.dumps(old))
    np.testing.assert_allclose(loaded.transform(new), scaler.scaler_.transform(new), atol=1e-12)


def test_quantile_transform_refuses_the_wrong_number_of_columns():
    scaler = IndicatorScaler(method="quantile").fit(np.ones((5, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but IndicatorScaler is expecting 3"):
        scaler.transform(np.ones((1, 2)))


def test_quantile_transform_refuses_infinite_values():
    scaler = IndicatorScaler(method="quantile").fit(np.ones((5, 1)))
    with pytest.raises(ValueError, match="Input X contains infinity"):
        scaler.transform(np.array([[np.inf]]))


def test_quantile_transform_checks_column_names():
    X = pd.DataFrame({"roa": [1.0, 2.0, 3.0], "leverage": [0.5, 0.1, 0.9]})
    scaler = IndicatorScaler(method="quantile").fit(X)
    with pytest.raises(ValueError, match="Feature names must be in the same order as they were"):
        scaler.transform(X[["leverage", "roa"]])
