"""Tests of EntropyWeighter: hand-computed weights, directions, missing values, levels."""

from __future__ import annotations

import logging
import math
import re

import numpy as np
import pandas as pd
import pytest

from finwarn.exceptions import ConfigError
from finwarn.weighting import EntropyWeighter, Hierarchy, load_hierarchy

NAN = np.nan


def hierarchy(spec: dict[str, dict[str, dict[str, str]]]) -> Hierarchy:
    """``{dimension: {element: {indicator: direction}}}`` as a Hierarchy."""
    return Hierarchy.from_dict(
        {
            "name": "test",
            "dimensions": {
                dim: {"elements": {el: {"indicators": inds} for el, inds in elements.items()}}
                for dim, elements in spec.items()
            },
        }
    )


ONE_ELEMENT = hierarchy({"d": {"e": {"a": "riskier", "b": "safer", "c": "riskier"}}})
# 4 firms x 3 indicators; b is "safer"
TABLE = pd.DataFrame(
    {"a": [0.0, 1.0, 2.0, 5.0], "b": [10.0, 20.0, 30.0, 40.0], "c": [1.0, 1.0, 3.0, 5.0]}
)

TWO_DIMENSIONS = hierarchy(
    {
        "solvency": {"liquidity": {"cr": "safer", "qr": "safer"}, "leverage": {"dr": "riskier"}},
        "profitability": {"returns": {"roa": "safer"}},
    }
)


def two_dimension_data(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "cr": rng.lognormal(0.3, 0.5, n),
            "qr": rng.lognormal(0.0, 0.7, n),
            "dr": rng.uniform(0.1, 1.2, n),
            "roa": rng.normal(0.03, 0.08, n),
        }
    )


def plogp(p: float) -> float:
    return p * math.log(p) if p > 0 else 0.0


# --------------------------------------------------------------------------- the formula


def test_weights_match_a_hand_computation_on_a_4x3_table():
    # min-max normalised in the risk orientation (1 = riskiest):
    #   a riskier, range 0..5:   b = (x - 0) / 5    = 0, 1/5, 2/5, 1    sum 8/5
    #   b safer,   range 10..40: b = (40 - x) / 30  = 1, 2/3, 1/3, 0    sum 2
    #   c riskier, range 1..5:   b = (x - 1) / 4    = 0, 0, 1/2, 1      sum 3/2
    p = {
        "a": [0.0, 1 / 8, 2 / 8, 5 / 8],
        "b": [1 / 2, 1 / 3, 1 / 6, 0.0],
        "c": [0.0, 0.0, 1 / 3, 2 / 3],
    }
    entropy = {j: -sum(plogp(v) for v in p[j]) / math.log(4) for j in p}
    # e_a = 0.9002561 / 1.3862944 = 0.6493975, e_b = 1.0114043 / 1.3862944 = 0.7295740,
    # e_c = 0.6365142 / 1.3862944 = 0.4591479
    assert entropy["a"] == pytest.approx(0.6493975, abs=1e-7)
    assert entropy["b"] == pytest.approx(0.7295740, abs=1e-7)
    assert entropy["c"] == pytest.approx(0.4591479, abs=1e-7)
    divergence = {j: 1 - e for j, e in entropy.items()}
    total = sum(divergence.values())  # 0.3506025 + 0.2704260 + 0.5408521 = 1.1618806
    expected = {j: d / total for j, d in divergence.items()}
    assert list(expected.values()) == pytest.approx([0.3017543, 0.2327486, 0.4654971], abs=1e-7)

    weighter = EntropyWeighter(hierarchy=ONE_ELEMENT, clip=None).fit(TABLE)
    assert weighter.entropy_.to_dict() == pytest.approx(entropy, abs=1e-12)
    assert weighter.weights_.to_dict() == pytest.approx(expected, abs=1e-12)
    # risk quantity of the element: sum_j w_j b_ij
    b = np.array([[0, 1, 0], [1 / 5, 2 / 3, 0], [2 / 5, 1 / 3, 1 / 2], [1, 0, 1]])
    np.testing.assert_allclose(
        weighter.transform(TABLE).ravel(), b @ np.array(list(expected.values()))
    )
    np.testing.assert_allclose(
        weighter.transform(TABLE).ravel(), [0.2327486, 0.2155166, 0.4310331, 0.7672514], atol=1e-7
    )


def test_fitted_bounds_are_the_clip_quantiles():
    X = pd.DataFrame({"a": np.arange(101.0), "b": np.arange(101.0) ** 2, "c": np.ones(101)})
    X.loc[3, "c"] = 2.0
    weighter = EntropyWeighter(hierarchy=ONE_ELEMENT, clip=(0.05, 0.9)).fit(X)
    assert weighter.min_.to_dict() == pytest.approx(
        {"a": 5.0, "b": np.quantile(X["b"], 0.05), "c": 1.0}
    )
    assert weighter.max_.to_dict() == pytest.approx(
        {"a": 90.0, "b": np.quantile(X["b"], 0.9), "c": 1.0}
    )


def test_upper_levels_are_entropy_weighted_sums_of_the_training_quantities():
    X = two_dimension_data()
    weighter = EntropyWeighter(hierarchy=TWO_DIMENSIONS, output="all", level_weights="entropy").fit(
        X
    )
    out = pd.DataFrame(weighter.transform(X), columns=weighter.get_feature_names_out())

    def entropy_weights(frame: pd.DataFrame) -> np.ndarray:
        p = frame / frame.sum()
        e = -(p * np.log(p.where(p > 0, 1.0))).sum() / np.log(len(frame))
        return ((1 - e) / (1 - e).sum()).to_numpy()

    liquidity_leverage = out[["solvency__liquidity", "solvency__leverage"]]
    np.testing.assert_allclose(
        weighter.element_weights_[["liquidity", "leverage"]], entropy_weights(liquidity_leverage)
    )
    assert weighter.element_weights_["returns"] == 1.0
    np.testing.assert_allclose(
        out["solvency"],
        liquidity_leverage.to_numpy() @ weighter.element_weights_[["liquidity", "leverage"]],
    )
    np.testing.assert_allclose(
        weighter.dimension_weights_, entropy_weights(out[["solvency", "profitability"]])
    )
    dimensions = out[["solvency", "profitability"]].to_numpy()
    np.testing.assert_allclose(out["composite"], dimensions @ weighter.dimension_weights_)


def test_equal_level_weights():
    X = two_dimension_data()
    weighter = EntropyWeighter(hierarchy=TWO_DIMENSIONS, output="all", level_weights="equal")
    out = pd.DataFrame(weighter.fit_transform(X), columns=weighter.get_feature_names_out())
    assert weighter.element_weights_.tolist() == [0.5, 0.5, 1.0]
    assert weighter.dimension_weights_.tolist() == [0.5, 0.5]
    np.testing.assert_allclose(out["composite"], (out["solvency"] + out["profitability"]) / 2)
    # indicator weights stay entropy weights
    assert weighter.weights_["cr"] != weighter.weights_["qr"]


def test_table_lists_every_level_and_global_weights_multiply_down_the_tree():
    weighter = EntropyWeighter(hierarchy=TWO_DIMENSIONS).fit(two_dimension_data())
    table = weighter.table()
    assert list(table.columns) == [
        "level",
        "dimension",
        "element",
        "indicator",
        "direction",
        "entropy",
        "divergence",
        "weight",
        "global_weight",
    ]
    assert table["level"].tolist() == [
        "dimension",
        "element",
        "indicator",
        "indicator",
        "element",
        "indicator",
        "dimension",
        "element",
        "indicator",
    ]
    indicators = table[table["level"] == "indicator"].set_index("indicator")
    assert indicators["global_weight"].sum() == pytest.approx(1.0)
    assert indicators.loc["cr", "global_weight"] == pytest.approx(
        weighter.dimension_weights_["solvency"]
        * weighter.element_weights_["liquidity"]
        * weighter.weights_["cr"]
    )
    assert indicators.loc["qr", "direction"] == "safer"
    np.testing.assert_allclose(indicators["divergence"], 1 - indicators["entropy"])


# --------------------------------------------------------------------------- directions


def test_high_values_of_a_safer_indicator_lower_the_risk():
    safer = hierarchy({"d": {"e": {"x": "safer"}}})
    riskier = hierarchy({"d": {"e": {"x": "riskier"}}})
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 4.0]})
    new = pd.DataFrame({"x": [0.5, 3.0]})
    low_risk = EntropyWeighter(hierarchy=safer, clip=None).fit(X).transform(new).ravel()
    high_risk = EntropyWeighter(hierarchy=riskier, clip=None).fit(X).transform(new).ravel()
    assert low_risk[1] < low_risk[0]
    assert high_risk[1] > high_risk[0]
    np.testing.assert_allclose(low_risk, [0.875, 0.25])
    np.testing.assert_allclose(low_risk, 1 - high_risk)


# --------------------------------------------------------------------------- edge cases


def test_constant_indicator_gets_weight_zero_with_a_warning(caplog):
    X = TABLE.assign(c=7.0)
    with caplog.at_level(logging.WARNING, logger="finwarn.weighting"):
        weighter = EntropyWeighter(hierarchy=ONE_ELEMENT, clip=None).fit(X)
    assert weighter.weights_["c"] == 0.0
    assert weighter.weights_[["a", "b"]].sum() == pytest.approx(1.0)
    assert (
        "indicator 'c' is constant in the training data (value 7 after clipping); it gets "
        "weight 0. Check the column, or remove it from the hierarchy." in caplog.messages
    )
    assert np.isfinite(weighter.transform(X)).all()


def test_element_of_constant_indicators_gets_equal_weights_with_a_warning(caplog):
    X = pd.DataFrame({"a": [1.0] * 4, "b": [2.0] * 4, "c": [NAN, 3.0, 3.0, 3.0]})
    with caplog.at_level(logging.WARNING, logger="finwarn.weighting"):
        weighter = EntropyWeighter(hierarchy=ONE_ELEMENT).fit(X)
    np.testing.assert_allclose(weighter.weights_, [1 / 3] * 3)
    assert (
        "every one of the 3 indicators of element 'e' is constant in the training data; "
        "they get equal weights." in caplog.messages
    )
    # a constant indicator sits at the neutral mid-point, whatever the new value
    np.testing.assert_allclose(weighter.transform(X.assign(a=[0.0, 5.0, 9.0, 1.0])).ravel(), 0.5)


def test_missing_values_are_ignored_when_fitting():
    with_nan = pd.concat([TABLE, pd.DataFrame({"a": [NAN], "b": [NAN], "c": [NAN]})])
    with_nan.loc[:, "b"] = [NAN, 10.0, 20.0, 30.0, 40.0]
    with_nan.loc[:, "a"] = [0.0, 1.0, 2.0, 5.0, NAN]
    with_nan.loc[:, "c"] = [1.0, NAN, 1.0, 3.0, 5.0]
    weighter = EntropyWeighter(hierarchy=ONE_ELEMENT, clip=None).fit(with_nan)
    reference = EntropyWeighter(hierarchy=ONE_ELEMENT, clip=None).fit(TABLE)
    # every column holds the same four observed values as TABLE, so n = 4 and the same weights
    np.testing.assert_allclose(weighter.weights_, reference.weights_)
    np.testing.assert_allclose(weighter.entropy_, reference.entropy_)


def test_missing_indicator_is_left_out_and_the_other_weights_renormalised():
    weighter = EntropyWeighter(hierarchy=ONE_ELEMENT, clip=None).fit(TABLE)
    w = weighter.weights_
    new = pd.DataFrame({"a": [5.0, NAN, NAN], "b": [NAN, 10.0, NAN], "c": [3.0, 5.0, NAN]})
    out = weighter.transform(new).ravel()
    # row 0: a (b=1) and c (b=1/2) present; row 1: b (b=1) and c (b=1); row 2: nothing
    assert out[0] == pytest.approx((w["a"] * 1.0 + w["c"] * 0.5) / (w["a"] + w["c"]))
    assert out[1] == pytest.approx(1.0)
    assert np.isnan(out[2])


def test_transform_uses_the_training_bounds():
    weighter = EntropyWeighter(hierarchy=ONE_ELEMENT, clip=None).fit(TABLE)
    assert weighter.min_.to_dict() == {"a": 0.0, "b": 10.0, "c": 1.0}
    assert weighter.max_.to_dict() == {"a": 5.0, "b": 40.0, "c": 5.0}
    # beyond the training range: clipped to the riskiest / safest end, not refitted
    riskiest = pd.DataFrame({"a": [50.0], "b": [-100.0], "c": [9.0]})
    safest = pd.DataFrame({"a": [-3.0], "b": [99.0], "c": [0.0]})
    assert weighter.transform(riskiest).item() == pytest.approx(1.0)
    assert weighter.transform(safest).item() == pytest.approx(0.0)
    # a firm in the middle of the training range keeps its training-based value
    middle = pd.DataFrame({"a": [2.5], "b": [25.0], "c": [3.0]})
    assert weighter.transform(middle).item() == pytest.approx(0.5)
    assert weighter.transform(pd.concat([middle, riskiest])).ravel()[0] == pytest.approx(0.5)


# --------------------------------------------------------------------------- outputs


@pytest.mark.parametrize(
    ("output", "names"),
    [
        ("elements", ["solvency__liquidity", "solvency__leverage", "profitability__returns"]),
        ("dimensions", ["solvency", "profitability"]),
        ("composite", ["composite"]),
        (
            "all",
            [
                "solvency__liquidity",
                "solvency__leverage",
                "profitability__returns",
                "solvency",
                "profitability",
                "composite",
            ],
        ),
    ],
)
def test_output_levels_and_feature_names(output, names):
    X = two_dimension_data()
    weighter = EntropyWeighter(hierarchy=TWO_DIMENSIONS, output=output).set_output(
        transform="pandas"
    )
    out = weighter.fit_transform(X)
    assert weighter.get_feature_names_out().tolist() == names
    assert list(out.columns) == names
    assert out.index.equals(X.index)
    assert ((out >= 0) & (out <= 1)).all().all()
    everything = EntropyWeighter(hierarchy=TWO_DIMENSIONS, output="all").fit(X)
    all_out = pd.DataFrame(everything.transform(X), columns=everything.get_feature_names_out())
    np.testing.assert_allclose(out.to_numpy(), all_out[names].to_numpy())


def test_without_hierarchy_every_column_is_one_riskier_element():
    X = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [10.0, 40.0]])
    weighter = EntropyWeighter(output="all", clip=None).fit(X)
    assert weighter.get_feature_names_out().tolist() == ["all__all", "all", "composite"]
    assert weighter.hierarchy_.directions == {"x0": "riskier", "x1": "riskier"}
    out = weighter.transform(X)
    np.testing.assert_allclose(out[:, 0], out[:, 2])
    assert out[3, 2] == 1.0
    frame = pd.DataFrame(X, columns=["p", "q"])
    assert list(EntropyWeighter().fit(frame).weights_.index) == ["p", "q"]


def test_builtin_hierarchy_by_name_and_by_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "dimensions:\n  solvency:\n    elements:\n      leverage:\n        indicators:\n"
        "          dr: riskier\n",
        encoding="utf-8",
    )
    X = two_dimension_data()
    assert EntropyWeighter(hierarchy=path).fit(X).hierarchy_.name == "mine"
    assert EntropyWeighter(hierarchy=str(path)).fit(X).weights_.to_dict() == {"dr": 1.0}
    with pytest.raises(ConfigError, match=r"^polsh: no built-in hierarchy has this name"):
        EntropyWeighter(hierarchy="polsh").fit(X)


def test_hierarchy_is_restricted_to_the_data_and_other_columns_are_ignored():
    X = two_dimension_data().drop(columns=["dr"]).assign(entity="firm", label=0)
    weighter = EntropyWeighter(hierarchy=TWO_DIMENSIONS, output="elements").fit(X)
    assert list(weighter.hierarchy_.elements) == ["liquidity", "returns"]
    assert weighter.feature_names_in_.tolist() == ["cr", "qr", "roa"]
    assert weighter.n_features_in_ == 3
    assert weighter.transform(X[["roa", "qr", "cr"]]).shape == (60, 2)


def test_builtin_hierarchies_are_unchanged_by_fitting():
    before = load_hierarchy("catalog")
    EntropyWeighter(hierarchy="catalog").fit(pd.DataFrame({"roa": [0.1, 0.2, 0.3]}))
    assert load_hierarchy("catalog") == before
    assert len(before) == 41


# --------------------------------------------------------------------------- errors


def test_hierarchy_needs_a_dataframe():
    with pytest.raises(
        ValueError,
        match=r"EntropyWeighter\(hierarchy='test'\) finds the indicators by column name, so X "
        r"must be a pandas DataFrame with columns such as 'a', 'b'; got ndarray\. Pass a "
        r"DataFrame, or hierarchy=None to weight every column \(by position\) as one element\.",
    ):
        EntropyWeighter(hierarchy=ONE_ELEMENT).fit(TABLE.to_numpy())
    weighter = EntropyWeighter(hierarchy=ONE_ELEMENT).fit(TABLE)
    with pytest.raises(ValueError, match=r"so X must be a pandas DataFrame"):
        weighter.transform(TABLE.to_numpy())


def test_missing_columns_at_transform_are_named_with_a_suggestion():
    weighter = EntropyWeighter(hierarchy=TWO_DIMENSIONS).fit(two_dimension_data())
    renamed = two_dimension_data().rename(columns={"roa": "ROA_", "dr": "debt"})
    with pytest.raises(
        ValueError,
        match=r"X lacks 2 of the 4 indicator columns the EntropyWeighter was fitted on: "
        r"'dr', 'roa'\. Pass the same indicator columns as in fit \(other columns are "
        r"ignored\)\.",
    ):
        weighter.transform(renamed)
    with pytest.raises(ValueError, match=r"'roa'\. Did you mean 'ROA_'\?"):
        weighter.transform(two_dimension_data().rename(columns={"roa": "ROA_"}))


def test_no_hierarchy_indicator_in_the_data():
    with pytest.raises(
        ValueError,
        match=r"none of the 4 indicators of hierarchy 'test' is a column of the data: missing "
        r"'cr', 'qr', 'dr', 'roa'\. Did you mean 'CR'\?",
    ):
        EntropyWeighter(hierarchy=TWO_DIMENSIONS).fit(pd.DataFrame({"CR": [1.0, 2.0]}))


@pytest.mark.parametrize("clip", [(0.5, 0.5), (0.9, 0.1), (0.1,), (-0.1, 0.9), ("a", "b")])
def test_clip_must_be_two_increasing_quantiles(clip):
    message = (
        "EntropyWeighter needs clip=(lower, upper) quantiles with 0 <= lower < upper <= 1, "
        f"got clip={clip!r}; for example clip=(0.01, 0.99), or clip=None for the raw "
        "minimum and maximum."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        EntropyWeighter(clip=clip).fit(np.ones((3, 1)))


def test_unknown_output_is_rejected():
    with pytest.raises(ValueError, match=r"The 'output' parameter of EntropyWeighter must be"):
        EntropyWeighter(output="element").fit(np.ones((3, 1)))


def test_table_needs_a_fitted_weighter():
    with pytest.raises(ValueError, match=r"This EntropyWeighter instance is not fitted yet"):
        EntropyWeighter().table()


# --------------------------------------------------------------------------- real data


@pytest.mark.shared_data
def test_composite_index_ranks_bankrupt_polish_firms_higher(shared_data):
    from sklearn.metrics import roc_auc_score

    from finwarn.data import load_polish

    data = load_polish("5year").data
    weighter = EntropyWeighter(hierarchy="polish", output="composite").fit(data)
    assert len(weighter.hierarchy_) == 60
    composite = weighter.transform(data).ravel()
    assert np.isfinite(composite).all()
    assert roc_auc_score(data["label"].astype(int), composite) > 0.65


def test_clone_pickle_and_grid_search_with_a_hierarchy():
    import pickle

    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    X = two_dimension_data(n=80)
    y = (X["dr"] > 0.6).astype(int)
    weighter = EntropyWeighter(hierarchy=TWO_DIMENSIONS, output="elements")
    assert clone(weighter).get_params()["hierarchy"] == TWO_DIMENSIONS
    fitted = pickle.loads(pickle.dumps(weighter.fit(X)))
    np.testing.assert_allclose(fitted.transform(X), weighter.transform(X))
    search = GridSearchCV(
        make_pipeline(weighter, LogisticRegression()),
        {"entropyweighter__clip": [None, (0.05, 0.95)]},
        cv=2,
    ).fit(X, y)
    assert search.best_score_ > 0.9
