"""Tests of BPGrader: k-level risk grading with bits, softmax and ordinal outputs."""

from __future__ import annotations

import io
import logging
import pickle
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from finwarn.models import ENCODINGS, BPGrader
from finwarn.models._grader import _class_proba_from_outputs, _level_codes

torch = pytest.importorskip("torch")

SMALL = {"hidden_layer_sizes": (16,), "max_epochs": 40, "batch_size": 32, "learning_rate": 0.02}


def _levels(k: int = 5, n: int = 300, seed: int = 0):
    """k well-separated clusters, labelled 0..k-1."""
    X, y = make_blobs(n_samples=n, centers=k, cluster_std=0.6, random_state=seed)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("k", [4, 5])
def test_every_encoding_learns_a_separable_k_level_problem(encoding, k):
    X, y = _levels(k)
    grader = BPGrader(encoding=encoding, random_state=0, **SMALL).fit(X, y)
    assert grader.classes_.tolist() == list(range(k))
    assert grader.score(X, y) > 0.95
    proba = grader.predict_proba(X)
    assert proba.shape == (len(X), k)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(grader.predict(X), grader.classes_[proba.argmax(axis=1)])


def test_bits_encoding_learns_with_cross_entropy_and_full_batches():
    X, y = _levels(4)
    params = {**SMALL, "batch_size": None, "max_epochs": 200}
    grader = BPGrader(encoding="bits", bit_loss="bce", random_state=0, **params).fit(X, y)
    assert grader.score(X, y) > 0.95


def test_paper_004_code_has_three_bits_from_000_lowest_to_111_highest():
    X, y = _levels(8, n=160)
    grader = BPGrader(encoding="bits", random_state=0, **{**SMALL, "max_epochs": 2}).fit(X, y)
    assert grader.n_outputs_ == 3
    assert grader.codes_[0].tolist() == [0, 0, 0]
    assert grader.codes_[5].tolist() == [1, 0, 1]
    assert grader.codes_[7].tolist() == [1, 1, 1]
    assert grader.module_[-1].out_features == 3


@pytest.mark.parametrize(("encoding", "width"), [("softmax", 6), ("ordinal", 5), ("bits", 3)])
def test_output_layer_width_follows_the_encoding(encoding, width):
    X, y = _levels(6, n=120)
    grader = BPGrader(encoding=encoding, random_state=0, **{**SMALL, "max_epochs": 1}).fit(X, y)
    assert grader.n_outputs_ == width
    assert grader.codes_.shape == (6, width)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("k", [2, 3, 5, 7, 8, 9])
def test_codes_decode_back_to_their_level(encoding, k):
    codes = _level_codes(k, encoding)
    proba = _class_proba_from_outputs(codes, encoding, codes)
    np.testing.assert_array_equal(proba.argmax(axis=1), np.arange(k))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_bits_are_the_level_index_in_binary_most_significant_first():
    codes = _level_codes(5, "bits")
    assert codes.tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0]]
    assert _level_codes(5, "bits", n_bits=4)[4].tolist() == [0, 1, 0, 0]
    assert _level_codes(2, "bits").tolist() == [[0], [1]]


def test_an_out_of_range_bit_code_goes_to_the_most_probable_valid_level():
    codes = _level_codes(5, "bits")  # codes 101, 110 and 111 are not levels
    outputs = np.array(
        [
            [0.9, 0.8, 0.1],  # rounds to 110: 100 (level 4) flips only the weak middle bit
            [0.6, 0.9, 0.9],  # rounds to 111 with a weak first bit: 011 (level 3)
            [0.2, 0.7, 0.1],  # rounds to 010, a valid code, which wins
        ]
    )
    proba = _class_proba_from_outputs(outputs, "bits", codes)
    assert proba.argmax(axis=1).tolist() == [4, 3, 2]


def test_ordinal_outputs_that_are_not_decreasing_still_give_probabilities():
    codes = _level_codes(4, "ordinal")
    proba = _class_proba_from_outputs(np.array([[0.9, 0.2, 0.6]]), "ordinal", codes)
    # P(level = 2) = P(>1) - P(>2) would be negative; it is set to 0 and the row renormalised
    np.testing.assert_allclose(proba, [[0.1, 0.7, 0.0, 0.6]] / np.float64(1.4))


def test_too_few_bits_for_the_levels_is_explained():
    X, y = _levels(5, n=100)
    with pytest.raises(
        ValueError,
        match=r"encoding='bits' with n_bits=2 can grade at most 4 levels, but there are 5\. "
        r"Set n_bits to at least 3, or leave it None to use the fewest bits that hold every "
        r"level\.",
    ):
        BPGrader(encoding="bits", n_bits=2, **SMALL).fit(X, y)


def test_same_seed_gives_the_same_grader_and_other_seeds_differ():
    X, y = _levels(4)
    a = BPGrader(random_state=3, **SMALL).fit(X, y)
    b = BPGrader(random_state=3, **SMALL).fit(X, y)
    c = BPGrader(random_state=4, **SMALL).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    pd.testing.assert_frame_equal(a.history_, b.history_)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_target_error_stops_training_once_the_loss_falls_below_it():
    X, y = _levels(4)
    grader = BPGrader(target_error=0.05, random_state=0, **{**SMALL, "max_epochs": 300}).fit(X, y)
    losses = grader.history_["train_loss"]
    assert grader.n_iter_ < 300
    assert losses.iloc[-1] < 0.05
    assert (losses.iloc[:-1] >= 0.05).all()


def test_target_error_stop_is_logged(caplog):
    X, y = _levels(4)
    with caplog.at_level(logging.INFO, logger="finwarn.models._bp"):
        BPGrader(target_error=0.5, random_state=0, **SMALL).fit(X, y)
    assert "fell below target_error 0.5 at epoch" in caplog.text


def test_epoch_fraction_draws_part_of_the_rows_each_epoch():
    X, y = _levels(4)
    params = {**SMALL, "batch_size": None, "random_state": 0, "max_epochs": 150}
    full = BPGrader(**params).fit(X, y)
    tenth = BPGrader(epoch_fraction=0.1, **params).fit(X, y)
    again = BPGrader(epoch_fraction=0.1, **params).fit(X, y)
    np.testing.assert_array_equal(tenth.predict_proba(X), again.predict_proba(X))
    assert not np.allclose(tenth.predict_proba(X), full.predict_proba(X))
    assert tenth.score(X, y) > 0.9


def test_string_labels_are_sorted_unless_levels_give_the_order():
    X, y = _levels(3)
    names = np.array(["low", "medium", "high"])[y]
    by_name = BPGrader(random_state=0, **SMALL).fit(X, names)
    assert by_name.classes_.tolist() == ["high", "low", "medium"]
    ordered = BPGrader(levels=["low", "medium", "high"], random_state=0, **SMALL).fit(X, names)
    assert ordered.classes_.tolist() == ["low", "medium", "high"]
    assert ordered.codes_.tolist() == [[0, 0], [1, 0], [1, 1]]  # ordinal: above low, above medium
    assert ordered.score(X, names) > 0.95
    assert set(ordered.predict(X)) == {"low", "medium", "high"}


def test_levels_may_name_a_level_without_training_rows(caplog):
    X, y = _levels(3)
    with caplog.at_level(logging.INFO, logger="finwarn.models._grader"):
        grader = BPGrader(levels=[0, 1, 2, 3], encoding="bits", random_state=0, **SMALL).fit(X, y)
    assert grader.predict_proba(X).shape == (len(X), 4)
    assert "Levels 3 have no training rows" in caplog.text


def test_class_weight_dict_is_applied_by_level_label():
    X, y = _levels(3, seed=2)
    X = X + np.random.RandomState(0).normal(scale=1.0, size=X.shape)  # overlap the levels
    names = np.array(["low", "medium", "high"])[y]
    params = {**SMALL, "class_weight": None, "random_state": 0, "levels": ["low", "medium", "high"]}
    plain = BPGrader(**params).fit(X, names)
    heavy = BPGrader(**{**params, "class_weight": {"high": 20.0}}).fit(X, names)
    assert (heavy.predict(X) == "high").sum() > (plain.predict(X) == "high").sum()


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        (
            ["low", "high"],
            r"y holds labels that are not in levels: 'medium'; the levels are 'low', 'high'\. "
            r"Add them to levels or correct the labels\.",
        ),
        (
            ["low", "medium", "low", "high"],
            r"levels holds 'low' twice; list every level once, from the lowest risk to the "
            r"highest\.",
        ),
        (
            [["low", "medium", "high"]],
            r"levels must be a flat list of labels from the lowest risk to the highest, got an "
            r"array of shape \(1, 3\)\.",
        ),
    ],
)
def test_bad_levels_are_explained(levels, message):
    X, y = _levels(3, n=60)
    names = np.array(["low", "medium", "high"])[y]
    with pytest.raises(ValueError, match=message):
        BPGrader(levels=levels, **SMALL).fit(X, names)


def test_learning_rate_above_its_ceiling_is_refused():
    X, y = _levels(3, n=60)
    with pytest.raises(
        ValueError,
        match=r"learning_rate=0\.11 is above max_learning_rate=0\.1, so the schedule would cut "
        r"it after the first epoch\. Raise max_learning_rate or lower learning_rate\.",
    ):
        BPGrader(learning_rate=0.11, max_learning_rate=0.1).fit(X, y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"encoding": "onehot"}, "The 'encoding' parameter of BPGrader must be"),
        ({"bit_loss": "hinge"}, "The 'bit_loss' parameter of BPGrader must be"),
        ({"n_bits": 0}, "The 'n_bits' parameter of BPGrader must be"),
        ({"epoch_fraction": 0.0}, "The 'epoch_fraction' parameter of BPGrader must be"),
        ({"target_error": 0.0}, "The 'target_error' parameter of BPGrader must be"),
    ],
)
def test_bad_parameters_are_rejected(params, message):
    X, y = _levels(3, n=60)
    with pytest.raises(ValueError, match=message):
        BPGrader(**params).fit(X, y)


def test_single_level_is_rejected():
    X, _ = _levels(3, n=60)
    with pytest.raises(
        ValueError,
        match=r"BPGrader needs at least two classes in y, got only one class: 'high'\. Check "
        r"the labels of the training data\.",
    ):
        BPGrader(**SMALL).fit(X, np.full(len(X), "high"))


def test_diverging_training_names_the_grader():
    X, y = _levels(3, n=60)
    with pytest.raises(ValueError, match=r"BPGrader training diverged: the training loss"):
        BPGrader(
            encoding="softmax",
            activation="relu",
            optimizer="sgd",
            learning_rate=1.0,
            max_epochs=5,
            random_state=0,
        ).fit(X * 1e20, y)


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_pickle_round_trip_keeps_predictions(dump):
    X, y = _levels(5)
    grader = BPGrader(encoding="bits", n_networks=2, random_state=0, **SMALL).fit(X, y)
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(grader))
    else:
        buffer = io.BytesIO()
        joblib.dump(grader, buffer)
        buffer.seek(0)
        loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.predict_proba(X), grader.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), grader.predict(X))


def test_predict_before_fit_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="This BPGrader instance is not fitted yet"):
        BPGrader().predict(np.ones((1, 2)))


def test_missing_torch_names_the_grader(monkeypatch):
    X, y = _levels(3, n=60)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        ImportError,
        match=r"BPGrader needs PyTorch, which is not installed\. Install it with: pip install "
        r"'finwarn\[nn\]'",
    ):
        BPGrader(**SMALL).fit(X, y)
