from __future__ import annotations

import pandas as pd
import pytest

from finwarn.data import validate_frame
from finwarn.datasets import make_demo_panel
from finwarn.exceptions import ModelCompatibilityError
from finwarn.workflow import FeatureSpec, build_features, known_columns


@pytest.fixture(scope="module")
def panel_loaded():
    return validate_frame(make_demo_panel(n_firms=60, n_years=4, random_state=1), source="panel")


def test_raw_items_become_catalog_indicators(panel_loaded):
    prepared = build_features(panel_loaded)
    assert prepared.spec.source == "indicators"
    assert "debt_ratio" in prepared.X.columns and "total_assets" not in prepared.X.columns
    assert prepared.spec.dimensions["debt_ratio"] == "solvency"
    assert {d["id"] for d in prepared.spec.indicators} == set(prepared.X.columns)
    expected = panel_loaded.data["total_liabilities"] / panel_loaded.data["total_assets"]
    pd.testing.assert_series_equal(prepared.X["debt_ratio"], expected, check_names=False)
    assert not prepared.indicator_notes.empty  # growth in the first year has a reason


def test_ratios_are_used_as_given():
    loaded = validate_frame(
        pd.DataFrame({"Attr1": [0.1, 0.2], "Attr2": [0.5, 0.7], "class": [0, 1]})
    )
    prepared = build_features(loaded)
    assert prepared.spec.source == "columns"
    assert list(prepared.X.columns) == ["Attr1", "Attr2"]
    assert prepared.spec.dimensions == {"Attr1": "profitability", "Attr2": "solvency"}
    assert prepared.y.tolist() == [0.0, 1.0]


def test_a_spec_rebuilds_the_same_features(panel_loaded):
    first = build_features(panel_loaded)
    again = build_features(panel_loaded, spec=FeatureSpec.from_dict(first.spec.to_dict()))
    pd.testing.assert_frame_equal(first.X, again.X)


def test_missing_features_name_themselves():
    spec = FeatureSpec(source="columns", features=("Attr1", "Attr2", "Attr3"), dimensions={})
    loaded = validate_frame(pd.DataFrame({"Attr1": [0.1], "Atr2": [0.5]}), source="new.csv")
    with pytest.raises(
        ModelCompatibilityError,
        match=r"new\.csv: the model was trained on 3 features, and 2 of them are not in this "
        r"data: 'Attr2', 'Attr3'\. Did you mean 'Atr2'\?",
    ):
        build_features(loaded, spec=spec)


def test_indicator_model_needs_raw_items():
    spec = FeatureSpec(source="indicators", features=("debt_ratio",), dimensions={})
    loaded = validate_frame(pd.DataFrame({"Attr1": [0.1]}), source="ratios.csv")
    with pytest.raises(
        ModelCompatibilityError, match=r"ratios\.csv: the model computes indicators from raw"
    ):
        build_features(loaded, spec=spec)


def test_known_columns_cover_items_indicators_and_ratio_sets():
    names = set(known_columns())
    assert {"total_assets", "debt_ratio", "Attr64", "F96"} <= names
