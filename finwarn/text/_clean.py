"""Text cleaning and tokenisation as in paper 001: no punctuation, numbers, dates or amounts.

Paper 001 cleans annual-report text before word2vec: punctuation, numbers, dates and
amounts are removed, so that the embeddings learn from words. Every step is a switch of
:class:`CleaningConfig`; English text is split on letters, Chinese text is segmented by
jieba (an optional dependency).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["LANGUAGES", "CleaningConfig", "TextCleaner", "clean_text", "tokenize"]

#: Languages :func:`tokenize` knows: English (default) and Chinese (needs jieba).
LANGUAGES = ("en", "zh")

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# "12 March 2024", "March 12, 2024", "2024-03-12", "12/03/2024", "Q3 2010", 年月日 dates
_DATE = re.compile(
    rf"\b\d{{1,2}}\s+(?:{_MONTHS})\.?,?\s+\d{{2,4}}\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}}\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{4}}\b"
    r"|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"
    r"|\bq[1-4]\s*\d{2,4}\b"
    r"|\d{2,4}\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?",
    re.IGNORECASE,
)
# "EUR 205.5 mn", "$1.2 billion", "USD1,000", "131m euros", "5 000 元", "3.5亿元"
_CURRENCY = r"(?:eur|euro|euros|usd|us\$|\$|€|£|gbp|sek|rmb|cny|yuan|jpy|¥|元)"
_SCALE = r"(?:mn|m|bn|b|k|million|millions|billion|billions|thousand|thousands|亿|万)"
_NUMBER = r"\d[\d\s,.]*"
_AMOUNT = re.compile(
    rf"{_CURRENCY}\s*{_NUMBER}(?:\s*{_SCALE}\b)?"
    rf"|{_NUMBER}\s*{_SCALE}?\s*{_CURRENCY}\b"
    rf"|{_NUMBER}\s*(?:亿|万)?\s*元",
    re.IGNORECASE,
)
_NUMBER_TOKEN = re.compile(r"[+-]?\d+(?:[.,]\d+)*\s*%?")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CleaningConfig:
    """What :func:`clean_text` removes (paper 001 removes all four) and how it folds case.

    Attributes
    ----------
    dates, amounts, numbers, punctuation : bool, default True
        Remove dates, money amounts (a currency with a number), other numbers
        (percentages included), and punctuation and symbols.
    lowercase : bool, default True
        Fold English text to lower case.
    """

    dates: bool = True
    amounts: bool = True
    numbers: bool = True
    punctuation: bool = True
    lowercase: bool = True


def clean_text(text: Any, config: CleaningConfig | None = None, **switches: bool) -> str:
    """Clean one document as paper 001 does before word2vec.

    Dates go first (so "12 March 2024" leaves no "March"), then amounts (so "EUR 205.5 mn"
    leaves no "EUR" or "mn"), then other numbers, then punctuation; runs of white space
    become one space. A missing document (None or NaN) gives "".

    Parameters
    ----------
    text : str or None
    config : CleaningConfig, optional
    **switches : bool
        Override single fields of ``config``, e.g. ``numbers=False``.

    Examples
    --------
    >>> clean_text("In Q3 2010, net sales rose 5.2 % to EUR 205.5 mn on 12 March 2011!")
    'in net sales rose to on'
    >>> clean_text("Operating profit fell to EUR 3.1 mn .", numbers=False, amounts=False)
    'operating profit fell to eur 3 1 mn'
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    if not isinstance(text, str):
        raise TypeError(f"clean_text expects a str, got {type(text).__name__}: {text!r:.60}")
    config = replace(config or CleaningConfig(), **switches)
    out = unicodedata.normalize("NFKC", text)
    if config.dates:
        out = _DATE.sub(" ", out)
    if config.amounts:
        out = _AMOUNT.sub(" ", out)
    if config.numbers:
        out = _NUMBER_TOKEN.sub(" ", out)
    if config.punctuation:
        out = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in out)
    if config.lowercase:
        out = out.lower()
    return _SPACES.sub(" ", out).strip()


def tokenize(
    text: Any, *, language: str = "en", config: CleaningConfig | None = None, clean: bool = True
) -> list[str]:
    """Cleaned tokens of one document.

    English is split on white space after cleaning. Chinese is segmented with jieba
    (``pip install jieba``, in the ``finwarn[text]`` extra); its tokens that are only
    white space are dropped.

    Examples
    --------
    >>> tokenize("Net sales doubled to EUR131m from EUR76m.")
    ['net', 'sales', 'doubled', 'to', 'from']
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}.")
    cleaned = clean_text(text, config) if clean else ("" if text is None else str(text))
    if language == "en":
        return cleaned.split()
    try:
        import jieba
    except ImportError as exc:
        raise ImportError(
            "Chinese text needs the jieba segmenter: pip install 'finwarn[text]' (or jieba)."
        ) from exc
    jieba.setLogLevel(60)
    return [token for token in jieba.lcut(cleaned) if token.strip()]


class TextCleaner(TransformerMixin, BaseEstimator):
    """Clean a column of documents (paper 001), as a scikit-learn transformer.

    Stateless: ``fit`` learns nothing. ``transform`` takes a 1-D array-like of documents
    (or a one-column frame) and returns a 1-D object array of cleaned strings.

    Parameters
    ----------
    dates, amounts, numbers, punctuation, lowercase : bool, default True
        See :class:`CleaningConfig`.

    Examples
    --------
    >>> TextCleaner().fit_transform(["Profit fell 12 % .", None]).tolist()
    ['profit fell', '']
    """

    def __init__(
        self,
        *,
        dates: bool = True,
        amounts: bool = True,
        numbers: bool = True,
        punctuation: bool = True,
        lowercase: bool = True,
    ) -> None:
        self.dates = dates
        self.amounts = amounts
        self.numbers = numbers
        self.punctuation = punctuation
        self.lowercase = lowercase

    def fit(self, X: Any, y: Any = None) -> TextCleaner:
        _documents(X)
        self.n_features_in_ = 1
        return self

    def transform(self, X: Any) -> np.ndarray:
        config = CleaningConfig(
            dates=self.dates,
            amounts=self.amounts,
            numbers=self.numbers,
            punctuation=self.punctuation,
            lowercase=self.lowercase,
        )
        return np.asarray([clean_text(doc, config) for doc in _documents(X)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags


def _documents(X: Any) -> list[Any]:
    """The documents of a 1-D array-like, Series or one-column frame, as a list."""
    if hasattr(X, "ndim") and X.ndim == 2:
        if X.shape[1] != 1:
            raise ValueError(
                f"expected one column of documents, got {X.shape[1]} columns; select the "
                "text column first."
            )
        X = X.iloc[:, 0] if hasattr(X, "iloc") else np.asarray(X)[:, 0]
    if isinstance(X, str):
        raise TypeError("expected a list of documents, got one string; wrap it in a list.")
    if not isinstance(X, Iterable):
        raise TypeError(f"expected a list of documents, got {type(X).__name__}.")
    return list(X)
