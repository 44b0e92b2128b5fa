"""Tests of paper 004's simulated risk records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finwarn.datasets import make_paper004_records


def _columns(hierarchy: dict) -> list[tuple[str, str, str]]:
    """(dimension, column, direction) of every indicator, in hierarchy order."""
    return [
        (dim, column, direction)
        for dim, spec in hierarchy["dimensions"].items()
        for element in spec["elements"].values()
        for column, direction in element["indicators"].items()
    ]


def _rule_levels(X: pd.DataFrame, hierarchy: dict) -> np.ndarray:
    """The generating rule: a dimension is at risk when more than half its signals are present;
    the level is the binary number of the at-risk flags, the first dimension most significant."""
    present = {}
    for dim, column, direction in _columns(hierarchy):
        signal = X[column] > 0.5 if direction == "riskier" else X[column] < 0.5
        present.setdefault(dim, []).append(signal.to_numpy())
    level = np.zeros(len(X), dtype=int)
    for signals in present.values():
        at_risk = 2 * np.sum(signals, axis=0) > len(signals)
        level = 2 * level + at_risk
    return level


def test_every_level_gets_n_per_level_records():
    X, y, hierarchy = make_paper004_records(n_per_level=30, random_state=0)
    assert X.shape == (240, 24)
    assert np.bincount(y).tolist() == [30] * 8
    assert list(hierarchy["dimensions"]) == ["F1", "F2", "F3"]
    assert X.columns.tolist() == [column for _, column, _ in _columns(hierarchy)]
    assert X.attrs["simulated"] is True
    assert "Simulated (not real) risk records" in X.attrs["description"]


def test_without_noise_the_level_is_the_binary_number_of_the_at_risk_dimensions():
    X, y, hierarchy = make_paper004_records(n_per_level=100, noise=0.0, random_state=1)
    np.testing.assert_array_equal(_rule_levels(X, hierarchy), y)
    assert set(np.unique(X.to_numpy())) == {0, 1}


def test_level_zero_has_few_signals_and_level_seven_many():
    X, y, _ = make_paper004_records(n_per_level=200, n_safer=0, noise=0.0, random_state=2)
    share = X.to_numpy().mean(axis=1)
    assert share[y == 0].max() < 0.5
    assert share[y == 7].min() > 0.5


def test_safeguards_are_recorded_the_other_way_round():
    X, y, hierarchy = make_paper004_records(n_per_level=200, noise=0.0, random_state=3)
    directions = {column: direction for _, column, direction in _columns(hierarchy)}
    assert directions["F1_L1_l4"] == "safer"
    assert directions["F1_L1_l3"] == "riskier"
    # the lowest level has signals mostly absent: safeguards mostly read 1, the rest 0
    lowest = X[y == 0]
    assert lowest["F1_L1_l4"].mean() > 0.5
    assert lowest["F1_L1_l1"].mean() < 0.5


def test_noise_flips_the_documented_share_of_signals_and_keeps_the_levels():
    clean, y_clean, _ = make_paper004_records(n_per_level=500, noise=0.0, random_state=4)
    noisy, y_noisy, hierarchy = make_paper004_records(n_per_level=500, noise=0.1, random_state=4)
    np.testing.assert_array_equal(y_clean, y_noisy)
    flipped = (clean.to_numpy() != noisy.to_numpy()).mean()
    assert flipped == pytest.approx(0.1, abs=0.005)
    rule = _rule_levels(noisy, hierarchy)
    assert 0.6 < np.mean(rule == y_noisy) < 0.95


def test_continuous_indicators_read_above_one_half_when_present():
    X, y, hierarchy = make_paper004_records(
        n_per_level=100, n_continuous=2, noise=0.0, random_state=5
    )
    continuous = X[["F1_L1_l1", "F1_L1_l2"]].to_numpy()
    assert ((continuous > 0) & (continuous < 1)).all()
    assert set(np.unique(X["F1_L1_l3"])) == {0.0, 1.0}
    np.testing.assert_array_equal(_rule_levels(X, hierarchy), y)


def test_levels_that_are_not_a_power_of_two_use_the_first_codes():
    X, y, hierarchy = make_paper004_records(n_per_level=50, n_levels=5, noise=0.0, random_state=6)
    assert np.bincount(y).tolist() == [50] * 5
    assert len(hierarchy["dimensions"]) == 3
    np.testing.assert_array_equal(_rule_levels(X, hierarchy), y)


def test_same_seed_same_records_and_other_seed_other_records():
    a = make_paper004_records(n_per_level=20, random_state=7)
    b = make_paper004_records(n_per_level=20, random_state=7)
    c = make_paper004_records(n_per_level=20, random_state=8)
    pd.testing.assert_frame_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not a[0].equals(c[0])
    generator = make_paper004_records(n_per_level=20, random_state=np.random.default_rng(7))
    pd.testing.assert_frame_equal(a[0], generator[0])


def test_hierarchy_is_read_by_the_entropy_weighter():
    from finwarn.weighting import EntropyWeighter, Hierarchy

    X, _, hierarchy = make_paper004_records(n_per_level=20, random_state=9)
    weighter = EntropyWeighter(hierarchy=Hierarchy.from_dict(hierarchy), clip=None).fit(X)
    assert weighter.transform(X).shape == (160, 6)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_levels": 1}, r"n_levels must be an integer of at least 2, got 1\."),
        ({"n_per_level": 0}, r"n_per_level must be an integer of at least 1, got 0\."),
        (
            {"n_safer": 5},
            r"n_safer=5 is more than the 4 indicators of an element; choose n_safer between 0 "
            r"and n_indicators\.",
        ),
        (
            {"noise": 0.5},
            r"noise must be a probability in \[0, 0\.5\), got 0\.5; at 0\.5 the recorded "
            r"signals would say nothing about the level\.",
        ),
        (
            {"random_state": "seed"},
            r"random_state must be an int, a numpy Generator or None, got 'seed'\.",
        ),
    ],
)
def test_bad_arguments_are_explained(params, message):
    with pytest.raises(ValueError, match=message):
        make_paper004_records(**params)
