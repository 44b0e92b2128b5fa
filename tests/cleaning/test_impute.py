"""Tests of Imputer: training statistics, paper 001's mean-plus-noise fill, flags."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from finwarn.cleaning import Imputer

NAN = np.nan


def _train() -> np.ndarray:
    return np.array([[1.0, 10.0], [2.0, NAN], [3.0, 30.0], [10.0, 20.0]])


def test_median_fill_uses_training_medians():
    imp = Imputer().fit(_train())
    np.testing.assert_allclose(imp.statistics_, [2.5, 20.0])
    out = imp.transform(np.array([[NAN, NAN], [100.0, 5.0]]))
    np.testing.assert_allclose(out, [[2.5, 20.0], [100.0, 5.0]])


def test_transform_does_not_refit_on_new_data():
    imp = Imputer().fit(_train())
    before = imp.statistics_.copy()
    imp.transform(np.array([[1000.0, NAN], [NAN, -1000.0]]))
    np.testing.assert_array_equal(imp.statistics_, before)


def test_transform_does_not_mutate_input():
    X = np.array([[NAN, 1.0]])
    Imputer().fit(_train()).transform(X)
    assert np.isnan(X[0, 0])


@pytest.mark.parametrize("noise", [0.0, 0.1, 0.5])
def test_mean_noise_fill_is_bounded_around_the_training_mean(noise):
    rng = np.random.RandomState(0)
    train = rng.normal(5.0, 2.0, size=(200, 3))
    imp = Imputer(strategy="mean_noise", noise=noise, random_state=0).fit(train)
    # rows differ in their observed last column, so each gets its own noise
    test = np.column_stack([np.full((500, 2), NAN), np.arange(500.0)])
    out = imp.transform(test)[:, :2]
    mean, sd = train.mean(axis=0)[:2], train.std(axis=0)[:2]
    assert np.all(np.abs(out - mean) <= noise * sd + 1e-12)
    if noise > 0:
        # the noise actually spreads the fills (500 rows, so over half the bound is reached)
        assert np.all(np.abs(out - mean).max(axis=0) > 0.5 * noise * sd)


def test_mean_noise_fill_of_identical_rows_is_identical():
    train = np.random.RandomState(0).normal(size=(50, 2))
    out = (
        Imputer(strategy="mean_noise", random_state=0)
        .fit(train)
        .transform(np.array([[NAN, 1.0], [NAN, 1.0]]))
    )
    assert out[0, 0] == out[1, 0]


def test_mean_noise_fill_is_seeded():
    train = np.random.RandomState(0).normal(size=(50, 2))
    test = np.array([[NAN, 1.0], [NAN, 2.0], [3.0, NAN]])
    first = Imputer(strategy="mean_noise", random_state=7).fit(train).transform(test)
    again = Imputer(strategy="mean_noise", random_state=7).fit(train).transform(test)
    other = Imputer(strategy="mean_noise", random_state=8).fit(train).transform(test)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_mean_noise_fill_of_a_row_does_not_depend_on_its_batch():
    train = np.random.RandomState(0).normal(size=(50, 2))
    imp = Imputer(strategy="mean_noise", random_state=0).fit(train)
    batch = np.array([[NAN, 1.0], [NAN, 2.0], [5.0, NAN]])
    np.testing.assert_array_equal(imp.transform(batch)[1], imp.transform(batch[1:2])[0])


def test_entirely_missing_training_column_is_filled_with_zero(caplog):
    train = np.array([[1.0, NAN], [2.0, NAN]])
    with caplog.at_level(logging.WARNING, logger="finwarn.cleaning._impute"):
        imp = Imputer(strategy="mean_noise", random_state=0).fit(
            pd.DataFrame(train, columns=["a", "b"])
        )
    assert imp.empty_features_ == ["b"]
    assert "1 column(s) have no value in the training data and are filled with 0: 'b'" in (
        caplog.text
    )
    out = imp.transform(pd.DataFrame([[NAN, NAN]], columns=["a", "b"]))
    assert out[0, 1] == 0.0
    assert np.isfinite(out).all()


def test_add_indicator_flags_columns_missing_in_training():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [NAN, 1.0, 2.0], "c": [NAN, NAN, 1.0]})
    imp = Imputer(add_indicator=True).set_output(transform="pandas").fit(X)
    out = imp.transform(pd.DataFrame({"a": [NAN, 1.0], "b": [NAN, 1.0], "c": [1.0, NAN]}))
    # "a" had no missing training value, so it gets no flag even when missing later
    assert list(out.columns) == ["a", "b", "c", "b_missing", "c_missing"]
    assert out[["b_missing", "c_missing"]].to_numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert out["a"].tolist() == [2.0, 1.0]


def test_feature_names_are_kept_with_pandas_output():
    X = pd.DataFrame({"roa": [1.0, NAN], "leverage": [NAN, 2.0]}, index=[5, 6])
    out = Imputer().set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["roa", "leverage"]
    assert list(out.index) == [5, 6]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"strategy": "mode"}, r"The 'strategy' parameter of Imputer must be a str among"),
        ({"noise": -0.1}, r"The 'noise' parameter of Imputer must be a float in the range"),
    ],
)
def test_invalid_parameters_are_rejected(params, message):
    with pytest.raises(ValueError, match=message):
        Imputer(**params).fit(_train())


def test_transform_checks_the_number_of_columns():
    imp = Imputer().fit(_train())
    with pytest.raises(ValueError, match="X has 3 features, but Imputer is expecting 2 features"):
        imp.transform(np.ones((1, 3)))
