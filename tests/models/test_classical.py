"""Tests of ClassicalScoreClassifier: Altman Z, Altman Z'' and Ohlson O."""

from __future__ import annotations

import logging
import pickle
import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from finwarn.datasets import make_demo_panel
from finwarn.exceptions import DataValidationError
from finwarn.indicators import compute_indicators, load_ratio_set
from finwarn.models import CLASSICAL_SCORES, ClassicalScoreClassifier

LOGGER = "finwarn.models._classical"

# Altman's five ratios in the Polish data's names: X1..X5 = Attr3, 6, 7, 8, 9
ALTMAN = pd.DataFrame(
    {
        "Attr3": [0.10, -0.20, 0.30, 0.05],
        "Attr6": [0.20, -0.50, 0.40, 0.00],
        "Attr7": [0.05, -0.10, 0.15, 0.02],
        "Attr8": [1.50, 0.20, 3.00, 0.80],
        "Attr9": [1.10, 0.60, 1.40, 0.90],
    }
)
# Ohlson's inputs in the Polish data's names (Attr29 is log10 of total assets)
OHLSON = pd.DataFrame(
    {
        "Attr1": [0.05, -0.15, 0.10, 0.01],
        "Attr2": [0.50, 1.20, 0.30, 0.90],
        "Attr3": [0.10, -0.20, 0.30, 0.05],
        "Attr4": [2.00, 0.50, 4.00, 1.00],
        "Attr26": [0.30, -0.10, 0.60, 0.05],
        "Attr29": [4.00, 3.50, 5.00, 4.20],
    }
)
Y = np.array([0, 1, 0, 1])


def _polish_like(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """All 64 Polish columns, random, with distress more likely at a low Altman Z."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        rng.lognormal(0.0, 0.5, size=(n, 64)), columns=[f"Attr{i}" for i in range(1, 65)]
    )
    X["Attr3"] = rng.normal(0.2, 0.3, n)
    X["Attr6"] = rng.normal(0.1, 0.3, n)
    X["Attr7"] = rng.normal(0.08, 0.1, n)
    X["Attr1"] = rng.normal(0.03, 0.1, n)
    X["Attr2"] = rng.uniform(0.1, 1.3, n)
    X["Attr26"] = rng.normal(0.2, 0.3, n)
    X["Attr29"] = rng.normal(4.0, 0.6, n)
    z = 1.2 * X["Attr3"] + 1.4 * X["Attr6"] + 3.3 * X["Attr7"] + 0.6 * X["Attr8"] + X["Attr9"]
    y = (rng.random(n) < 1 / (1 + np.exp(3 * (z - 2.0)))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def demo():
    panel = make_demo_panel(n_firms=80, n_years=4, random_state=0)
    panel = panel[panel["label"].notna()]
    return panel.drop(columns="label"), panel["label"].to_numpy(dtype=int)


# --------------------------------------------------------------------------- formulas


def test_altman_z_equals_a_hand_computation_from_the_published_coefficients():
    model = ClassicalScoreClassifier("altman_z", clip=None).fit(ALTMAN, Y)
    x = ALTMAN
    expected = 1.2 * x.Attr3 + 1.4 * x.Attr6 + 3.3 * x.Attr7 + 0.6 * x.Attr8 + 1.0 * x.Attr9
    frame = model.score_frame(ALTMAN)
    np.testing.assert_allclose(frame["score"], expected)
    # row 0: 0.12 + 0.28 + 0.165 + 0.9 + 1.1
    assert frame["score"].iloc[0] == pytest.approx(2.565)
    np.testing.assert_allclose(model.decision_function(ALTMAN), 1.81 - expected)
    assert frame["zone"].tolist() == ["grey", "distress", "safe", "distress"]
    assert frame.columns.tolist() == ["X1", "X2", "X3", "X4", "X5", "n_filled", "score", "zone"]


def test_altman_z2_equals_a_hand_computation_without_the_emerging_market_constant():
    model = ClassicalScoreClassifier("altman_z2", clip=None).fit(ALTMAN, Y)
    x = ALTMAN
    expected = 6.56 * x.Attr3 + 3.26 * x.Attr6 + 6.72 * x.Attr7 + 1.05 * x.Attr8
    np.testing.assert_allclose(model.score_frame(ALTMAN)["score"], expected)
    np.testing.assert_allclose(model.decision_function(ALTMAN), 1.10 - expected)
    assert model.terms_ == ["X1", "X2", "X3", "X4"]


def test_ohlson_o_equals_a_hand_computation_from_model_1():
    model = ClassicalScoreClassifier("ohlson_o", clip=None).fit(OHLSON, Y)
    x = OHLSON
    size = np.log(10.0) * x.Attr29
    oeneg = (x.Attr2 > 1).astype(float)
    expected = (
        -1.32
        - 0.407 * size
        + 6.03 * x.Attr2
        - 1.43 * x.Attr3
        + 0.0757 / x.Attr4
        - 1.72 * oeneg
        - 2.37 * x.Attr1
        - 1.83 * x.Attr26
    )
    frame = model.score_frame(OHLSON)
    np.testing.assert_allclose(frame["score"], expected)
    np.testing.assert_allclose(model.decision_function(OHLSON), expected)
    assert frame["OENEG"].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_the_packaged_config_lists_the_three_scores():
    assert CLASSICAL_SCORES == ("altman_z", "altman_z2", "ohlson_o")
    assert resources.files("finwarn.models").joinpath("classical.yaml").is_file()


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("altman_z", {"X1": "Attr3", "X2": "Attr6", "X3": "Attr7", "X4": "Attr8", "X5": "Attr9"}),
        ("altman_z2", {"X1": "Attr3", "X2": "Attr6", "X3": "Attr7", "X4": "Attr8"}),
        (
            "ohlson_o",
            {
                "SIZE": "Attr29 * log(10)",
                "TLTA": "Attr2",
                "WCTA": "Attr3",
                "CLCA": "1 / Attr4",
                "OENEG": "TLTA > 1",
                "NITA": "Attr1",
                "FUTL": "Attr26",
            },
        ),
    ],
)
def test_inputs_are_found_among_the_polish_columns(formula, expected):
    X, y = _polish_like()
    model = ClassicalScoreClassifier(formula).fit(X, y)
    assert model.inputs_ == expected


def test_altman_z_uses_book_equity_with_a_note_where_no_market_value_is_found(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        model = ClassicalScoreClassifier("altman_z").fit(ALTMAN, Y)
    note = (
        "X4 reads book value of equity / total liabilities from 'Attr8' (Polish bankruptcy "
        "data): no market value of equity / total liabilities was found"
    )
    assert model.notes_ == [note]
    assert f"altman_z: {note}" in caplog.text


def test_inputs_are_found_among_the_demo_catalog_indicators(demo):
    X, y = demo
    indicators = compute_indicators(X).values
    altman = ClassicalScoreClassifier("altman_z").fit(indicators, y)
    assert altman.inputs_ == {
        "X1": "working_capital_to_assets",
        "X2": "retained_earnings_to_assets",
        "X3": "ebit_to_assets",
        "X4": "market_equity_to_liabilities",
        "X5": "asset_turnover",
    }
    assert altman.notes_ == []
    z2 = ClassicalScoreClassifier("altman_z2").fit(indicators, y)
    assert z2.inputs_["X4"] == "book_equity_to_liabilities"


def test_ohlson_reads_every_term_from_the_raw_demo_panel_with_previous_periods(demo):
    X, y = demo
    model = ClassicalScoreClassifier("ohlson_o").fit(X, y)
    assert model.terms_missing_ == []
    assert model.inputs_["SIZE"] == "log(total_assets)"
    assert model.inputs_["INTWO"] == "max(net_income, prev(net_income)) < 0"
    assert model.inputs_["CHIN"] == (
        "(net_income - prev(net_income)) / (abs(net_income) + abs(prev(net_income)))"
    )
    frame = model.score_frame(X)
    assert set(frame["INTWO"].unique()) <= {0.0, 1.0}
    # the demo panel's first year has no previous period: INTWO and CHIN were filled
    first = (X["period"] == X["period"].min()).to_numpy()
    assert (frame.loc[first, "n_filled"] == 2).all()


def test_optional_terms_without_any_training_value_are_left_out(demo):
    X, y = demo
    first = (X["period"] == X["period"].min()).to_numpy()
    model = ClassicalScoreClassifier("ohlson_o").fit(X[first], y[first])
    assert model.terms_missing_ == ["INTWO", "CHIN"]
    assert model.notes_[0] == (
        "INTWO (1 if net income was negative in this and the previous period), read from "
        f"'max(net_income, prev(net_income)) < 0', has no value in any of the {first.sum()} "
        "training rows; INTWO is left out of the score"
    )


def test_ohlson_on_catalog_indicators_alone_names_the_missing_raw_inputs(demo):
    X, y = demo
    indicators = compute_indicators(X).values
    message = (
        "Ohlson O-score ('ohlson_o') cannot be computed: 2 of its 8 inputs were not found in X: "
        "SIZE (natural log of total assets): looked for 'Attr29 * log(10)' (Polish bankruptcy "
        "data), 'log(total_assets)' (raw statement items); FUTL ((net income + depreciation) / "
        "total liabilities): looked for 'Attr26' (Polish bankruptcy data), '(net_income + "
        "depreciation) / total_liabilities' (raw statement items). Name the columns that hold "
        "them, e.g. ClassicalScoreClassifier('ohlson_o', inputs={'SIZE': <column>, 'FUTL': "
        "<column>})."
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        ClassicalScoreClassifier("ohlson_o").fit(indicators, y)


def test_ohlson_terms_without_a_previous_year_are_left_out_and_listed(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        model = ClassicalScoreClassifier("ohlson_o").fit(OHLSON, Y)
    assert model.terms_missing_ == ["INTWO", "CHIN"]
    assert "INTWO" not in model.terms_
    note = (
        "INTWO (1 if net income was negative in this and the previous period) not found "
        "(looked for 'max(net_income, prev(net_income)) < 0' (raw statement items) with the "
        "previous period (columns 'entity' and 'period')); INTWO is left out of the score"
    )
    assert note in model.notes_
    assert f"ohlson_o: {note}" in caplog.text
    table = model.table().set_index("term")
    assert table.loc["INTWO", "status"] == "left out"
    assert table.loc["CHIN", "coefficient"] == -0.521
    assert table.loc["SIZE", "input"] == "Attr29 * log(10)"


def test_user_inputs_by_name_override_detection_and_the_rest_is_found():
    X = ALTMAN.rename(columns={"Attr3": "wc_ta"})
    model = ClassicalScoreClassifier(inputs={"X1": "wc_ta"}).fit(X, Y)
    assert model.inputs_["X1"] == "wc_ta"
    assert model.inputs_["X2"] == "Attr6"


def test_inputs_by_position_work_on_arrays():
    by_name = ClassicalScoreClassifier(clip=None).fit(ALTMAN, Y)
    positions = {"X1": 0, "X2": 1, "X3": 2, "X4": 3, "X5": 4}
    by_position = ClassicalScoreClassifier(inputs=positions, clip=None).fit(ALTMAN.to_numpy(), Y)
    np.testing.assert_allclose(
        by_position.decision_function(ALTMAN.to_numpy()), by_name.decision_function(ALTMAN)
    )


def test_missing_required_inputs_name_each_one_and_the_columns_looked_for():
    message = (
        "Altman Z-score ('altman_z') cannot be computed: 2 of its 5 inputs were not found in X: "
        "X2 (retained earnings / total assets): looked for 'Attr6' (Polish bankruptcy data), "
        "'retained_earnings_to_assets' (finwarn indicators), 'retained_earnings / total_assets' "
        "(raw statement items); X5 (sales / total assets): looked for 'Attr9' (Polish "
        "bankruptcy data), 'asset_turnover' (finwarn indicators), 'revenue / total_assets' (raw "
        "statement items). Name the columns that hold them, e.g. "
        "ClassicalScoreClassifier('altman_z', inputs={'X2': <column>, 'X5': <column>})."
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        ClassicalScoreClassifier("altman_z").fit(ALTMAN.drop(columns=["Attr6", "Attr9"]), Y)


def test_the_taiwan_subset_gets_a_note_on_why_nothing_is_found():
    X = pd.DataFrame(np.random.default_rng(0).random((4, 22)), columns=load_ratio_set("taiwan").ids)
    note = (
        "X looks like the Taiwan bankruptcy data: the 22-column Taiwan subset holds none of the "
        "inputs of the classical scores: no working capital, retained earnings, EBIT, sales or "
        "total assets ratio; its 'Equity to Liability' (F96) is min-max scaled by the publisher, "
        "so published coefficients cannot be applied to it, and its 'Net Income Flag' (F95) is 1 "
        "for every company."
    )
    with pytest.raises(DataValidationError, match=re.escape(note)):
        ClassicalScoreClassifier("altman_z2").fit(X, Y)


def test_a_misspelled_user_column_gets_did_you_mean():
    message = (
        "inputs['X1'] names column 'attr_3', which X does not have. Did you mean 'Attr3'? X1 of "
        "Altman Z-score ('altman_z') is working capital / total assets; X has 5 column(s): "
        "'Attr3', 'Attr6', 'Attr7', 'Attr8', 'Attr9'."
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        ClassicalScoreClassifier(inputs={"X1": "attr_3"}).fit(ALTMAN, Y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"formula": "altmanz"},
            "formula='altmanz' is not a classical score; choose one of 'altman_z', "
            "'altman_z2', 'ohlson_o'. Did you mean 'altman_z'?",
        ),
        (
            {"inputs": {"x1": "Attr3"}},
            "inputs names 'x1', which is not an input of Altman Z-score ('altman_z'). Did you "
            "mean 'X1'? Its inputs: X1, X2, X3, X4, X5.",
        ),
        (
            {"inputs": {"X1": 0, "X2": "Attr6"}},
            "inputs must map every input to a column name (str) or every input to a column "
            "position (int), not a mix; got {'X1': 0, 'X2': 'Attr6'}.",
        ),
        (
            {"clip": (0.9, 0.1)},
            "clip must be None or two quantiles (low, high) with 0 <= low < high <= 1, got "
            "(0.9, 0.1). Use e.g. clip=(0.01, 0.99), or clip=None not to clip.",
        ),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ClassicalScoreClassifier(**params).fit(ALTMAN, Y)


def test_an_array_without_inputs_is_refused_with_the_fix():
    message = (
        "X is a numpy array without column names, so the inputs of Altman Z''-score "
        "('altman_z2') cannot be found by name (X1 = working capital / total assets, X2 = "
        "retained earnings / total assets, X3 = EBIT / total assets, X4 = book value of equity / "
        "total liabilities). Pass a pandas DataFrame with named columns, or map every input to "
        "a column position: inputs={'X1': 0, 'X2': 1, 'X3': 2, 'X4': 3}."
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        ClassicalScoreClassifier("altman_z2").fit(ALTMAN.to_numpy(), Y)


def test_positions_must_cover_every_required_input_and_exist():
    message = (
        "Altman Z''-score ('altman_z2') cannot be computed: inputs maps no column position to "
        "X3 (EBIT / total assets), X4 (book value of equity / total liabilities). Map every "
        "input to a position, e.g. inputs={..., 'X3': <position>, 'X4': <position>}."
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        ClassicalScoreClassifier("altman_z2", inputs={"X1": 0, "X2": 1}).fit(ALTMAN.to_numpy(), Y)
    message = (
        "inputs['X4'] = 7 is not a column position of X, which has 5 feature(s) (positions 0 to "
        "4). Map X4 (book value of equity / total liabilities) to one of them."
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        ClassicalScoreClassifier("altman_z2", inputs={"X1": 0, "X2": 1, "X3": 2, "X4": 7}).fit(
            ALTMAN.to_numpy(), Y
        )


def test_y_must_hold_two_classes():
    message = (
        "Altman Z-score ('altman_z') needs distressed and healthy rows in y, but y has one "
        "class (0) in 4 rows."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        ClassicalScoreClassifier().fit(ALTMAN, [0, 0, 0, 0])
    message = (
        "Only binary classification is supported. The type of the target is 'multiclass': y "
        "has 3 classes (0, 1, 2); label distress 1 and every other row 0."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        ClassicalScoreClassifier().fit(ALTMAN, [0, 1, 2, 1])


def test_a_required_input_without_any_training_value_is_refused():
    message = (
        "Altman Z-score ('altman_z'): X2 (retained earnings / total assets), read from 'Attr6', "
        "has no value in any of the 4 training rows. Map the input to a column that holds "
        "values with inputs={'X2': ...}."
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        ClassicalScoreClassifier().fit(ALTMAN.assign(Attr6=np.nan), Y)


def test_columns_are_selected_by_name_when_scoring():
    model = ClassicalScoreClassifier().fit(ALTMAN, Y)
    shuffled = ALTMAN[ALTMAN.columns[::-1]].assign(other=1.0)
    np.testing.assert_allclose(model.decision_function(shuffled), model.decision_function(ALTMAN))
    message = (
        "X lacks columns that Altman Z-score ('altman_z') was fitted to read: X3 (EBIT / total "
        "assets) reads 'Attr7'. Score a table with the training columns, or refit on this "
        "table's columns."
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        model.predict(ALTMAN.drop(columns="Attr7"))


# --------------------------------------------------------------------------- fitted parts


def test_missing_inputs_are_filled_with_the_training_median():
    model = ClassicalScoreClassifier().fit(ALTMAN, Y)
    row = ALTMAN.iloc[[0]].copy()
    row["Attr6"] = np.nan
    row["Attr9"] = np.inf  # not finite: missing too
    frame = model.score_frame(row)
    assert frame["X2"].iloc[0] == pytest.approx(np.median(ALTMAN["Attr6"]))
    assert frame["X5"].iloc[0] == pytest.approx(np.median(ALTMAN["Attr9"]))
    assert frame["n_filled"].iloc[0] == 2
    np.testing.assert_allclose(model.fill_values_, np.median(ALTMAN, axis=0))


def test_inputs_are_clipped_at_the_training_quantiles_but_flags_are_not():
    X, y = _polish_like()
    X.loc[0, "Attr2"] = 1.5  # total liabilities above total assets
    model = ClassicalScoreClassifier("ohlson_o", clip=(0.05, 0.95)).fit(X, y)
    extreme = X.iloc[[0]].assign(Attr3=1e6)
    frame = model.score_frame(extreme)
    assert frame["WCTA"].iloc[0] == pytest.approx(np.quantile(X["Attr3"], 0.95))
    assert frame["OENEG"].iloc[0] == 1.0
    oeneg = model.terms_.index("OENEG")
    assert model.clip_bounds_[oeneg].tolist() == [-np.inf, np.inf]


@pytest.mark.parametrize(
    ("formula", "published"),
    [
        ("altman_z", lambda score: score < 1.81),
        ("altman_z2", lambda score: score < 1.10),
        ("ohlson_o", lambda score: score > 0.0),
    ],
)
def test_predict_is_the_published_cut_off(formula, published):
    X, y = _polish_like()
    model = ClassicalScoreClassifier(formula).fit(X, y)
    score = model.score_frame(X)["score"].to_numpy()
    distress = model.predict(X) == 1
    np.testing.assert_array_equal(distress, published(score))
    assert 0 < distress.sum() < len(X)
    np.testing.assert_array_equal(distress, model.score_frame(X)["zone"] == "distress")
    # the decision does not depend on the training labels
    flipped = ClassicalScoreClassifier(formula).fit(X, 1 - y)
    np.testing.assert_array_equal(flipped.predict(X), model.predict(X))


def test_the_altman_cut_off_is_strict_at_1_81():
    model = ClassicalScoreClassifier(clip=None).fit(ALTMAN, Y)
    # Z = X5 when the other ratios are 0
    rows = pd.DataFrame({c: 0.0 for c in ALTMAN.columns}, index=range(3))
    rows["Attr9"] = [1.80, 1.81, 1.82]
    assert model.predict(rows).tolist() == [1, 0, 0]


def test_probabilities_increase_with_risk():
    X, y = _polish_like()
    model = ClassicalScoreClassifier("altman_z").fit(X, y)
    assert model.direction_holds_
    margin = model.decision_function(X)
    proba = model.predict_proba(X)[:, 1]
    order = np.argsort(margin)
    assert np.all(np.diff(proba[order]) >= 0)
    assert np.all(np.diff(proba[order])[np.diff(margin[order]) > 1e-9] > 0)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    assert roc_auc_score(y, proba) == pytest.approx(roc_auc_score(y, margin))


def test_a_score_against_the_published_direction_warns_and_keeps_the_ranking(caplog):
    X, y = _polish_like()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        model = ClassicalScoreClassifier("altman_z").fit(X, 1 - y)
    assert not model.direction_holds_
    assert re.search(
        r"Altman Z-score \('altman_z'\) does not separate the training classes in the "
        r"published direction: rows of class 1 do not score riskier \(fitted slope -[0-9.]+ per "
        r"standard deviation of the score\)\. predict_proba keeps the published ranking with a "
        r"slope of 0\.01 per standard deviation, so every probability stays close to the "
        r"training base rate [0-9.]+%; predict still uses the published cut-off\.",
        caplog.text,
    )
    assert model.calibration_slope_ > 0
    margin = model.decision_function(X)
    proba = model.predict_proba(X)[:, 1]
    assert roc_auc_score(1 - y, proba) == pytest.approx(roc_auc_score(1 - y, margin))
    assert np.abs(proba - model.base_rate_).max() < 0.05


def test_table_describes_every_term():
    model = ClassicalScoreClassifier("altman_z").fit(ALTMAN, Y)
    table = model.table()
    assert table.columns.tolist() == [
        "term",
        "meaning",
        "coefficient",
        "status",
        "input",
        "clip_low",
        "clip_high",
        "fill_value",
        "train_missing",
    ]
    assert table["coefficient"].tolist() == [1.2, 1.4, 3.3, 0.6, 1.0]
    assert table["input"].tolist() == ["Attr3", "Attr6", "Attr7", "Attr8", "Attr9"]


def test_a_fitted_model_pickles(demo):
    X, y = demo
    model = ClassicalScoreClassifier("ohlson_o").fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


# --------------------------------------------------------------------------- public data


@pytest.mark.shared_data
@pytest.mark.parametrize("formula", ["altman_z", "altman_z2", "ohlson_o"])
def test_scores_rank_polish_5year_better_than_chance(shared_data, formula):
    from finwarn.data import load_polish

    data = load_polish("5year").data
    X, y = data.drop(columns="label"), data["label"].to_numpy(dtype=int)
    model = ClassicalScoreClassifier(formula).fit(X, y)
    # in-sample ROC-AUC seen: Altman Z 0.72, Z'' 0.76, Ohlson O 0.79
    assert roc_auc_score(y, model.decision_function(X)) > 0.6
    assert model.direction_holds_
