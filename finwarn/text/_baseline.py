"""A bag-of-words baseline for text: TF-IDF n-grams into a logistic regression.

Any text model (word2vec, LSTM with attention) should beat this; it is cheap, strong
on sentence-level financial sentiment, and its coefficients can be read word by word.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from finwarn.text._clean import TextCleaner
from finwarn.text._lexicon import _text_documents

__all__ = ["TextColumn", "make_tfidf_logit"]

logger = logging.getLogger(__name__)


class TextColumn(TransformerMixin, BaseEstimator):
    """Take the documents out of one column of a DataFrame, as a 1-D object array.

    Parameters
    ----------
    column : str
        The column holding the documents.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"firm": ["A", "B"], "text": ["Sales rose .", "Loss widened ."]})
    >>> TextColumn(column="text").fit_transform(frame).tolist()
    ['Sales rose .', 'Loss widened .']
    """

    def __init__(self, *, column: str) -> None:
        self.column = column

    def fit(self, X: Any, y: Any = None) -> TextColumn:
        _text_documents(X, self.column)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        return np.asarray(_text_documents(X, self.column), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags


def make_tfidf_logit(
    *,
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int | float = 2,
    max_features: int | None = 50_000,
    C: float = 4.0,
    class_weight: str | dict[Any, float] | None = "balanced",
    text_column: str | None = None,
    random_state: int | None = 0,
) -> Pipeline:
    """TF-IDF n-grams and a logistic regression, as one scikit-learn pipeline.

    Steps: :class:`~finwarn.text.TextCleaner` (numbers, dates, amounts and
    punctuation removed, lower case) -> :class:`~sklearn.feature_extraction.text.
    TfidfVectorizer` (sublinear term frequency) -> :class:`~sklearn.linear_model.
    LogisticRegression`. Works for two classes and for more (multinomial). With
    ``text_column`` the pipeline starts with a :class:`TextColumn` step and takes a
    DataFrame; without it, a 1-D array-like of documents.

    Parameters
    ----------
    ngram_range : tuple of int, default (1, 2)
        Word n-grams used, as in TfidfVectorizer.
    min_df : int or float, default 2
        Drop n-grams in fewer documents (int) or a smaller share of them (float).
    max_features : int or None, default 50000
        Keep the most frequent n-grams only.
    C : float, default 4.0
        Inverse L2 regularisation strength of the logistic regression.
    class_weight : "balanced", dict or None, default "balanced"
        Class weights; "balanced" offsets rare classes (distress, negative news).
    text_column : str, optional
        The DataFrame column holding the documents.
    random_state : int or None, default 0
        Seed of the logistic regression's solver.

    Returns
    -------
    Pipeline
        Steps ``clean``, ``tfidf``, ``logit`` (preceded by ``select`` with
        ``text_column``); tune them as ``tfidf__min_df``, ``logit__C``...

    Examples
    --------
    >>> docs = ["profit rose", "profit rose again", "loss widened", "loss widened again"]
    >>> model = make_tfidf_logit(min_df=1).fit(docs, [1, 1, 0, 0])
    >>> model.predict(["profit rose sharply", "a loss widened"]).tolist()
    [1, 0]
    """
    steps: list[tuple[str, Any]] = [
        ("clean", TextCleaner()),
        (
            "tfidf",
            TfidfVectorizer(
                ngram_range=ngram_range,
                min_df=min_df,
                max_features=max_features,
                sublinear_tf=True,
            ),
        ),
        (
            "logit",
            LogisticRegression(
                C=C, class_weight=class_weight, max_iter=1000, random_state=random_state
            ),
        ),
    ]
    if text_column is not None:
        steps.insert(0, ("select", TextColumn(column=text_column)))
    return Pipeline(steps)
