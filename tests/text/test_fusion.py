"""Tests of FusedClassifier: report text and financial indicators in one network."""

from __future__ import annotations

import logging
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted

from finwarn.exceptions import DataValidationError
from finwarn.text._fusion import FusedClassifier
from finwarn.text._lstm import LSTMAttentionClassifier
from finwarn.text._word2vec import Word2VecEmbedder

torch = pytest.importorskip("torch")
pytest.importorskip("gensim")

NEG = "loss decline impairment default writedown shortfall deficit downgrade".split()
POS = "growth profit record increase expansion surplus upgrade gain".split()
FILLER = (
    "company reported quarter board annual period results market sales operations "
    "management statement group business report said"
).split()
SIGNAL = set(NEG + POS)
SMALL = {
    "embedder": Word2VecEmbedder(vector_size=16, epochs=5),
    "max_words": 40,
    "hidden_size": 16,
    "attention_size": 16,
    "epochs": 15,
    "learning_rate": 0.01,
}
DIMENSIONS = {"roa": "profitability", "margin": "profitability", "leverage": "solvency"}


def _table(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Firms whose distress depends on both the report's tone and their return on assets.

    Distress is ``tone - roa > 0`` with tone +1 for a negative report and -1 for a
    positive one, so neither the text nor the numbers alone can tell every firm apart.
    """
    rng = np.random.RandomState(seed)
    negative = rng.randint(2, size=n)
    docs = []
    for is_negative in negative:
        words = list(rng.choice(FILLER, rng.randint(6, 20)))
        words.insert(rng.randint(len(words) + 1), rng.choice(NEG if is_negative else POS))
        docs.append(" ".join(words))
    roa = rng.normal(size=n)
    X = pd.DataFrame(
        {
            "text": docs,
            "roa": roa,
            "margin": rng.normal(size=n),
            "leverage": rng.normal(size=n),
            "cash": rng.normal(size=n),
        }
    )
    X.loc[rng.rand(n) < 0.15, "leverage"] = np.nan
    y = ((2 * negative - 1) - roa > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def data():
    return _table(600, seed=0), _table(300, seed=1)


@pytest.fixture(scope="module")
def fused_cnn(data):
    (X, y), _ = data
    return FusedClassifier(financial="cnn", dimensions=DIMENSIONS, **SMALL).fit(X, y)


def _auc(model, X, y) -> float:
    return roc_auc_score(y, model.predict_proba(X)[:, 1])


@pytest.mark.parametrize("financial", ["dense", "cnn"])
def test_fused_model_beats_data_only_and_text_only(data, financial):
    (X, y), (X_test, y_test) = data
    numbers = ["roa", "margin", "leverage", "cash"]
    data_only = FusedClassifier(financial=financial, text_column=None, **SMALL)
    text_only = LSTMAttentionClassifier(**SMALL)
    fused = FusedClassifier(financial=financial, dimensions=DIMENSIONS, **SMALL)
    auc_data = _auc(data_only.fit(X[numbers], y), X_test[numbers], y_test)
    auc_text = _auc(text_only.fit(X, y), X_test, y_test)
    auc_fused = _auc(fused.fit(X, y), X_test, y_test)
    assert auc_fused >= 0.95
    assert auc_fused >= max(auc_data, auc_text) + 0.05


def test_cnn_matrix_has_a_row_per_dimension_in_order(fused_cnn, data):
    (X, _), _ = data
    assert fused_cnn.dimension_layout_ == {
        "profitability": ["roa", "margin"],
        "solvency": ["leverage"],
        "other": ["cash"],
    }
    # channel 0: scaled values; channel 1: missing flags (only leverage had NaN)
    assert fused_cnn.financial_input_shape_ == (2, 3, 2)
    matrix = fused_cnn.financial_input(X)
    assert matrix.shape == (600, 2, 3, 2)
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[:, 0, 1:, 1], 0.0)  # padding of short rows
    np.testing.assert_array_equal(matrix[:, 1, 1, 0], X["leverage"].isna().to_numpy())
    np.testing.assert_array_equal(np.delete(matrix[:, 1].reshape(600, -1), 2, axis=1), 0.0)
    # roa keeps its order: the scaled value rises with the raw one
    order = np.argsort(X["roa"].to_numpy())
    assert np.all(np.diff(matrix[order, 0, 0, 0]) >= 0)


def test_without_dimensions_the_matrix_is_one_row_of_all_features(data):
    (X, y), _ = data
    model = FusedClassifier(financial="cnn", **{**SMALL, "epochs": 1}).fit(X, y)
    assert model.dimension_layout_ == {"all": ["roa", "margin", "leverage", "cash"]}
    assert model.financial_input_shape_ == (2, 1, 4)


def test_dense_input_is_the_values_then_the_flags(data):
    (X, y), _ = data
    model = FusedClassifier(**{**SMALL, "epochs": 1}).fit(X, y)
    assert model.financial_input_shape_ == (5,)
    vector = model.financial_input(X)
    np.testing.assert_array_equal(vector[:, 4], X["leverage"].isna().to_numpy())
    assert model.module_.financial.out_features == 16  # as wide as the text branch


def test_missing_values_are_filled_and_flagged_also_where_training_had_none(fused_cnn, data):
    _, (X_test, _) = data
    X = X_test.head(3).copy()
    X.loc[X.index[0], "roa"] = np.nan  # roa had no NaN in training
    X.loc[X.index[1], ["roa", "margin", "leverage", "cash"]] = np.nan
    proba = fused_cnn.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(np.isfinite(fused_cnn.financial_input(X)))


def test_feature_names_in_are_the_numeric_columns(fused_cnn):
    assert fused_cnn.feature_names_in_.tolist() == ["roa", "margin", "leverage", "cash"]
    assert fused_cnn.n_features_in_ == 4


def test_a_missing_feature_at_prediction_is_named(fused_cnn, data):
    _, (X_test, _) = data
    with pytest.raises(
        DataValidationError,
        match=r"X lacks 1 feature column\(s\) seen in fit: 'margin'; its columns are 'text', "
        r"'roa', 'margn', 'leverage', 'cash'\. Did you mean 'margn'\?",
    ):
        fused_cnn.predict(X_test.rename(columns={"margin": "margn"}))


def test_a_missing_text_column_is_named_with_the_columns_there_are(data):
    (X, y), _ = data
    with pytest.raises(
        DataValidationError,
        match=r"X has no text column 'report'; its columns are 'text', 'roa', 'margin', "
        r"'leverage', 'cash'\. Set text_column",
    ):
        FusedClassifier(text_column="report", **SMALL).fit(X, y)


def test_text_in_a_data_only_model_is_refused_with_the_rule(data):
    (X, y), _ = data
    with pytest.raises(
        DataValidationError,
        match=r"feature column\(s\) 'text' are not numeric \(e\.g\. .*\); with "
        r"text_column=None \(no text\) every column is a feature",
    ):
        FusedClassifier(text_column=None, **SMALL).fit(X, y)


def test_infinite_values_are_refused_with_their_column(data):
    (X, y), _ = data
    X = X.copy()
    X.loc[X.index[:2], "cash"] = np.inf
    with pytest.raises(
        DataValidationError, match=r"'cash' hold infinite values in 2 row\(s\); replace them"
    ):
        FusedClassifier(**SMALL).fit(X, y)


def test_x_must_be_a_dataframe_with_numeric_features():
    with pytest.raises(DataValidationError, match=r"expects a DataFrame .* got list"):
        FusedClassifier(**SMALL).fit(["loss", "profit"], [0, 1])
    with pytest.raises(DataValidationError, match="no numeric feature column beside the text"):
        FusedClassifier(**SMALL).fit(pd.DataFrame({"text": ["loss", "profit"]}), [0, 1])


def test_documents_that_are_not_strings_are_refused(data):
    (X, y), _ = data
    X = X.copy()
    X["text"] = X["text"].astype(object)
    X.loc[X.index[3], "text"] = 12
    with pytest.raises(DataValidationError, match=r"1 are not: 'row 3: int 12'"):
        FusedClassifier(**SMALL).fit(X, y)


def test_dimensions_naming_unknown_features_are_logged(data, caplog):
    # info, not a warning: inside a model pipeline the cleaner routinely drops sparse
    # columns that the dimension map still names
    (X, y), _ = data
    model = FusedClassifier(
        financial="cnn", dimensions={**DIMENSIONS, "ebit": "profitability"}, **SMALL
    )
    with caplog.at_level(logging.INFO, logger="finwarn.text._fusion"):
        model.set_params(epochs=1).fit(X, y)
    assert "dimensions names 1 feature(s) that are not columns of X: 'ebit'" in caplog.text


def test_attention_and_top_passages_come_from_the_text_branch(fused_cnn, data):
    _, (X_test, _) = data
    attention = fused_cnn.attention(X_test)
    assert len(attention) == 300
    for (tokens, weights), doc in zip(attention, X_test["text"], strict=True):
        assert tokens == doc.split()
        assert weights.sum() == pytest.approx(1.0)
    strongest = [found[0][0] for found in fused_cnn.top_passages(X_test, k=1, width=3)]
    holds_signal = np.array([bool(SIGNAL & set(text.split())) for text in strongest])
    negative = np.array([bool(set(NEG) & set(doc.split())) for doc in X_test["text"]])
    # with two classes the network need only find one tone's words (the other tone is
    # their absence), so the passages hold the signal word for at least one tone
    assert max(holds_signal[negative].mean(), holds_signal[~negative].mean()) >= 0.95


def test_a_data_only_model_has_no_attention(data):
    (X, y), _ = data
    numbers = X.drop(columns="text")
    model = FusedClassifier(text_column=None, **{**SMALL, "epochs": 2}).fit(numbers, y)
    assert model.embedder_ is None
    assert model.feature_names_in_.tolist() == ["roa", "margin", "leverage", "cash"]
    with pytest.raises(ValueError, match=r"no text branch \(text_column=None\), so no attention"):
        model.attention(numbers)


def test_same_random_state_gives_the_same_model_and_another_does_not(data):
    (X, y), _ = data
    params = {**SMALL, "epochs": 2, "financial": "cnn"}
    a = FusedClassifier(random_state=5, **params).fit(X, y)
    b = FusedClassifier(random_state=5, **params).fit(X, y)
    c = FusedClassifier(random_state=6, **params).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    pd.testing.assert_frame_equal(a.history_, b.history_)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_an_unfitted_model_refuses_to_predict(data):
    (X, _), _ = data
    model = FusedClassifier()
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    for method in (model.predict_proba, model.financial_input, model.attention):
        with pytest.raises(NotFittedError):
            method(X)


def test_clone_get_params_and_pickle(fused_cnn, data):
    _, (X_test, _) = data
    check_is_fitted(fused_cnn)
    copy = clone(fused_cnn)
    assert copy.get_params()["financial"] == "cnn"
    assert copy.get_params()["dimensions"] == DIMENSIONS
    assert not hasattr(copy, "module_")
    restored = pickle.loads(pickle.dumps(fused_cnn))
    np.testing.assert_array_equal(restored.predict_proba(X_test), fused_cnn.predict_proba(X_test))
