"""Tests of make_cleaner: the composed cleaning pipeline, fitted on training data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finwarn.cleaning import (
    DropSparseColumns,
    Imputer,
    IndicatorScaler,
    Winsorizer,
    make_cleaner,
)

NAN = np.nan


def _data(seed: int = 0) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(rng.lognormal(size=(100, 4)), columns=["roa", "lev", "cur", "sparse"])
    X.loc[::3, "roa"] = NAN  # 34% missing: dropped at 0.3
    X.loc[::5, "lev"] = NAN  # 20% missing: kept
    X.loc[:50, "sparse"] = NAN
    return X


def test_default_steps_in_order():
    cleaner = make_cleaner()
    assert [name for name, _ in cleaner.steps] == ["drop_sparse", "winsorize", "impute", "scale"]
    assert isinstance(cleaner.named_steps["drop_sparse"], DropSparseColumns)
    assert isinstance(cleaner.named_steps["winsorize"], Winsorizer)
    assert isinstance(cleaner.named_steps["impute"], Imputer)
    assert isinstance(cleaner.named_steps["scale"], IndicatorScaler)


@pytest.mark.parametrize(
    ("kwargs", "steps"),
    [
        ({"winsorize": None}, ["drop_sparse", "impute", "scale"]),
        ({"scaler": None}, ["drop_sparse", "winsorize", "impute"]),
        ({"imputer": None, "winsorize": None, "scaler": None}, ["drop_sparse"]),
    ],
)
def test_steps_can_be_skipped(kwargs, steps):
    assert [name for name, _ in make_cleaner(**kwargs).steps] == steps


def test_cleaner_output_is_complete_scaled_and_named():
    out = make_cleaner().set_output(transform="pandas").fit_transform(_data())
    assert list(out.columns) == ["lev", "cur"]
    assert not out.isna().any().any()
    assert out.min().min() >= 0.0
    assert out.max().max() <= 1.0


def test_missing_indicator_adds_named_flags():
    cleaner = make_cleaner(missing_indicator=True).set_output(transform="pandas")
    out = cleaner.fit_transform(_data())
    assert list(out.columns) == ["lev", "cur", "lev_missing"]


def test_cleaner_fitted_on_train_applies_training_statistics_to_test():
    train, test = _data(0), _data(1) * 1000.0
    cleaner = make_cleaner(scaler=None, winsorize=None).fit(train)
    out = cleaner.transform(test)
    median_lev = train["lev"].median()
    missing_in_test = test["lev"].isna().to_numpy()
    np.testing.assert_allclose(out[missing_in_test, 0], median_lev)


def test_random_state_reaches_stochastic_steps():
    cleaner = make_cleaner(imputer="mean_noise", scaler="quantile", random_state=3)
    assert cleaner.named_steps["impute"].random_state == 3
    assert cleaner.named_steps["scale"].random_state == 3
    a = cleaner.fit_transform(_data())
    b = make_cleaner(imputer="mean_noise", scaler="quantile", random_state=3).fit_transform(_data())
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"imputer": "medain"},
            r"Unknown imputer 'medain'; use one of median, mean_noise or "
            r"None\. Did you mean 'median'\?",
        ),
        (
            {"scaler": "min_max"},
            r"Unknown scaler 'min_max'; use one of minmax, standard, "
            r"quantile or None\. Did you mean 'minmax'\?",
        ),
        (
            {"imputer": None, "missing_indicator": True},
            r"missing_indicator=True needs an "
            r"imputer; set imputer='median' or missing_indicator=False\.",
        ),
    ],
)
def test_bad_arguments_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_cleaner(**kwargs)
