"""The ready-made loaders of the public data sets (need ../shared/data)."""

from __future__ import annotations

import pytest

from finwarn.data import POLISH_HORIZONS, load_polish, load_taiwan
from finwarn.exceptions import DataValidationError

pytestmark = pytest.mark.shared_data

# rows and bankrupt firms as published (../shared/data/polish/README.md)
POLISH = {"1year": (7027, 271, 5), "3year": (9977, 468, 3), "5year": (5910, 410, 1)}


@pytest.mark.parametrize("horizon", sorted(POLISH))
def test_polish_horizons_load_completely_with_their_horizon(shared_data, horizon):
    rows, bankrupt, years = POLISH[horizon]
    result = load_polish(horizon)
    assert len(result.data) == rows and len(result.quarantine) == 0
    assert int(result.data["label"].sum()) == bankrupt
    assert result.features == [f"Attr{i}" for i in range(1, 65)]
    assert result.meta["years_to_outcome"] == years == POLISH_HORIZONS[horizon][1]
    assert result.data[result.features].isna().to_numpy().sum() > 0  # '?' and null kept as NaN


def test_polish_json_keeps_its_company_ids(shared_data):
    result = load_polish("3year")
    assert result.data["entity"].iloc[0] != "row-1"
    assert result.data["entity"].is_unique


def test_taiwan_subset(shared_data):
    result = load_taiwan()
    assert len(result.data) == 6819 and int(result.data["label"].sum()) == 220
    assert len(result.features) == 22 and "F96" in result.features


def test_unknown_horizon_suggests_one():
    with pytest.raises(
        DataValidationError, match=r"unknown Polish horizon '5years'.*Did you mean '5year'\?"
    ):
        load_polish("5years")
