"""Word2vec embeddings of report text, trained from scratch (paper 001).

Paper 001 represents the cleaned annual-report text with skip-gram word2vec: a window of
5 words, negative sampling, subsampling of frequent words, 100 or 200 dimensions, and
documents cut to their first 1,200 words. :class:`Word2VecEmbedder` trains those vectors
with gensim (the ``finwarn[text]`` extra) and turns documents into the padded index
matrices the LSTM of :mod:`finwarn.text._lstm` reads.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zlib
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import DataValidationError, ModelCompatibilityError
from finwarn.text._clean import LANGUAGES, tokenize

__all__ = ["PAD", "UNKNOWN", "Word2VecEmbedder"]

logger = logging.getLogger(__name__)

#: Vocabulary entries 0 and 1: padding (a zero vector) and words unseen in training.
PAD, UNKNOWN = "<pad>", "<unk>"
_PAD_INDEX, _UNKNOWN_INDEX = 0, 1
_SEED_BOUND = 2**31 - 1
# gensim trains on at most 10,000 words of a "sentence" and ignores the rest silently;
# longer reports are fed in chunks
_CHUNK = 10_000
_FORMAT = "finwarn-word2vec"
_FORMAT_VERSION = 1


def _stable_hash(text: str) -> int:
    """A hash that does not depend on PYTHONHASHSEED (gensim's default is ``hash``)."""
    return zlib.crc32(text.encode("utf-8"))


def _import_gensim(owner: str = "Word2VecEmbedder"):
    """Import gensim's Word2Vec, or say how to install it."""
    try:
        from gensim.models import Word2Vec
    except ImportError as exc:
        raise ImportError(
            f"{owner} needs gensim, which is not installed. "
            "Install it with: pip install 'finwarn[text]'"
        ) from exc
    return Word2Vec


def check_documents(docs: Any, owner: str) -> list[Any]:
    """The documents of a 1-D array-like or Series as a list; None and NaN stand for "".

    Raises a :class:`~finwarn.exceptions.DataValidationError` naming the rows that hold
    something other than a string.
    """
    if isinstance(docs, str):
        raise DataValidationError(
            f"{owner} expects a list of documents, got one string; wrap it in a list."
        )
    if getattr(docs, "ndim", 1) != 1:
        raise DataValidationError(
            f"{owner} expects a 1-D list of documents, got an array of shape {docs.shape}; "
            "pass one column of text."
        )
    if not isinstance(docs, Iterable):
        raise DataValidationError(
            f"{owner} expects a list of documents, got {type(docs).__name__}."
        )
    labels = list(docs.index) if hasattr(docs, "index") and hasattr(docs, "iloc") else None
    values = list(docs)
    bad = [
        i
        for i, doc in enumerate(values)
        if not (doc is None or isinstance(doc, str) or (isinstance(doc, float) and doc != doc))
    ]
    if bad:
        shown = [
            f"row {labels[i] if labels is not None else i}: "
            f"{type(values[i]).__name__} {values[i]!r:.40}"
            for i in bad
        ]
        raise DataValidationError(
            f"{owner} expects documents as strings (None or NaN for no text), but "
            f"{len(bad)} are not: {preview(shown)}. Convert the text column to str."
        )
    return values


class Word2VecEmbedder(TransformerMixin, BaseEstimator):
    """Skip-gram word2vec trained on the report text, and documents as index matrices.

    ``fit`` cleans and tokenises the documents with :func:`finwarn.text.tokenize` (no
    punctuation, numbers, dates or amounts, as in paper 001) and trains a skip-gram model
    with negative sampling and frequent-word subsampling from scratch. ``transform`` maps
    each document's first ``max_words`` tokens to vocabulary indices, right-padded with 0.

    Training is deterministic for a given ``random_state``: gensim runs one worker thread
    and hashes words with CRC-32 instead of Python's salted ``hash``, so the vectors do not
    depend on ``PYTHONHASHSEED``.

    Parameters
    ----------
    vector_size : int, default=100
        Dimension of the word vectors (paper 001 compares 100 and 200).
    window : int, default=5
        Words on each side of the centre word that the skip-gram predicts (paper 001: 5).
    negative : int, default=5
        Noise words drawn per positive pair by negative sampling.
    sample : float, default=1e-3
        Subsampling threshold: words more frequent than this share of the corpus are
        randomly dropped during training (0 disables subsampling).
    min_count : int, default=2
        Words seen fewer times in training are left out of the vocabulary and map to the
        unknown index 1.
    epochs : int, default=10
        Passes over the corpus.
    max_words : int, default=1200
        Tokens kept per document by ``transform`` and ``tokens`` (paper 001: 1,200).
    language : {"en", "zh"}, default="en"
        Tokeniser of :func:`finwarn.text.tokenize`; ``"zh"`` segments with jieba.
    random_state : int, RandomState instance or None, default=0
        Seeds the vector initialisation, negative sampling and subsampling.

    Attributes
    ----------
    vocabulary_ : list of str
        Index -> word: ``"<pad>"`` (0), ``"<unk>"`` (1), then the words by descending
        training frequency.
    vectors_ : ndarray of shape (len(vocabulary_), vector_size)
        Word vectors (float32); the padding and unknown rows are zeros.
    index_ : dict of str to int
        Word -> index (the inverse of ``vocabulary_``).
    n_documents_ : int
        Number of documents seen in ``fit``.
    n_tokens_ : int
        Number of tokens seen in ``fit``.

    Examples
    --------
    >>> from finwarn.text._word2vec import Word2VecEmbedder
    >>> docs = ["Net profit rose, profit rose again."] * 5 + ["Impairment loss widened."] * 5
    >>> w2v = Word2VecEmbedder(vector_size=8, max_words=4, epochs=2).fit(docs)
    >>> w2v.vocabulary_[:2], w2v.vectors_.shape
    (['<pad>', '<unk>'], (9, 8))
    >>> w2v.tokens(["Profit rose by 5% in March 2024, a record."])
    [['profit', 'rose', 'by', 'in']]
    >>> w2v.transform(["Profit rose by 5%."])
    array([[3, 2, 1, 0]])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "vector_size": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "negative": [Interval(Integral, 1, None, closed="left")],
        "sample": [Interval(Real, 0, None, closed="left")],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "max_words": [Interval(Integral, 1, None, closed="left")],
        "language": [StrOptions(set(LANGUAGES))],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        vector_size: int = 100,
        window: int = 5,
        negative: int = 5,
        sample: float = 1e-3,
        min_count: int = 2,
        epochs: int = 10,
        max_words: int = 1200,
        language: str = "en",
        random_state=0,
    ) -> None:
        self.vector_size = vector_size
        self.window = window
        self.negative = negative
        self.sample = sample
        self.min_count = min_count
        self.epochs = epochs
        self.max_words = max_words
        self.language = language
        self.random_state = random_state

    def fit(self, X, y=None) -> Word2VecEmbedder:
        """Train word2vec on the documents ``X``.

        Parameters
        ----------
        X : 1-D array-like of str
            Training documents (None or NaN count as empty).
        y : None
            Ignored.

        Returns
        -------
        self : Word2VecEmbedder
            The fitted embedder.

        Raises
        ------
        DataValidationError
            If a document is not a string, or no word occurs ``min_count`` times.
        ImportError
            If gensim is not installed.
        """
        self._validate_params()
        return self._fit_tokens(self._tokenize(check_documents(X, type(self).__name__)))

    def _fit_tokens(self, token_lists: Sequence[Sequence[str]]) -> Word2VecEmbedder:
        """Train on already tokenised documents (the classifiers tokenise only once)."""
        Word2Vec = _import_gensim()
        corpus = [
            tokens[start : start + _CHUNK]
            for tokens in token_lists
            for start in range(0, len(tokens), _CHUNK)
        ]
        n_tokens = sum(len(tokens) for tokens in token_lists)
        model = Word2Vec(
            vector_size=self.vector_size,
            window=self.window,
            negative=self.negative,
            sample=self.sample,
            min_count=self.min_count,
            sg=1,
            hs=0,
            workers=1,
            seed=int(check_random_state(self.random_state).randint(_SEED_BOUND)),
            hashfxn=_stable_hash,
        )
        model.build_vocab(corpus)
        if len(model.wv) == 0:
            raise DataValidationError(
                f"{type(self).__name__}: no word occurs at least min_count={self.min_count} "
                f"times in the {len(token_lists)} training documents ({n_tokens} tokens after "
                "cleaning). Give more text or lower min_count."
            )
        model.train(corpus, total_examples=len(corpus), epochs=self.epochs)
        words = list(model.wv.index_to_key)
        vectors = np.zeros((len(words) + 2, self.vector_size), dtype=np.float32)
        vectors[2:] = model.wv.vectors
        self._set_vocabulary([PAD, UNKNOWN, *words], vectors)
        self.n_documents_ = len(token_lists)
        self.n_tokens_ = n_tokens
        logger.debug(
            "word2vec: %d words of %d tokens in %d documents",
            len(words),
            n_tokens,
            len(token_lists),
        )
        return self

    def transform(self, X) -> np.ndarray:
        """Vocabulary indices of each document's first ``max_words`` tokens.

        Parameters
        ----------
        X : 1-D array-like of str
            Documents (None or NaN count as empty).

        Returns
        -------
        indices : ndarray of int64, shape (n_documents, max_words)
            Index of each token in ``vocabulary_`` (1 for unknown words), right-padded
            with 0.
        """
        check_is_fitted(self)
        return self._indices(self.tokens(X), self.max_words)

    def tokens(self, X, max_words: int | None = None) -> list[list[str]]:
        """Cleaned tokens of each document, cut to the first ``max_words``.

        Token ``i`` of a document is the word behind column ``i`` of ``transform``, so
        attention weights can be matched to words. Unknown words are kept as they are.

        Parameters
        ----------
        X : 1-D array-like of str
            Documents (None or NaN count as empty).
        max_words : int, optional
            Tokens kept per document; defaults to the ``max_words`` parameter.

        Returns
        -------
        tokens : list of list of str
        """
        width = self.max_words if max_words is None else max_words
        tokens = self._tokenize(check_documents(X, type(self).__name__))
        return [doc[:width] for doc in tokens]

    def most_similar(self, word: str, topn: int = 5) -> list[tuple[str, float]]:
        """The ``topn`` words closest to ``word`` by cosine similarity of their vectors.

        Parameters
        ----------
        word : str
            A word of the vocabulary (as cleaned: lower case).
        topn : int, default=5

        Returns
        -------
        neighbours : list of (str, float)
            Words and cosine similarities, most similar first.
        """
        check_is_fitted(self)
        if word not in self.index_ or self.index_[word] < 2:
            raise KeyError(
                f"{word!r} is not in the vocabulary of {len(self.vocabulary_) - 2} words."
                + did_you_mean(word, self.vocabulary_[2:])
            )
        vectors = self.vectors_[2:].astype(np.float64)
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1.0
        target = vectors[self.index_[word] - 2] / norms[self.index_[word] - 2]
        similarity = vectors @ target / norms
        similarity[self.index_[word] - 2] = -np.inf
        order = np.argsort(-similarity, kind="stable")[:topn]
        return [(self.vocabulary_[i + 2], float(similarity[i])) for i in order]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the vocabulary, vectors and parameters to one ``.npz`` file.

        The write is atomic (a temporary file renamed into place). Reload with
        :meth:`load`; no gensim is needed for either.

        Parameters
        ----------
        path : str or path-like
            File to write (conventionally ending in ``.npz``).

        Returns
        -------
        path : pathlib.Path
        """
        check_is_fitted(self)
        path = Path(path)
        meta: dict[str, Any] = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "params": self.get_params(),
            "n_documents": self.n_documents_,
            "n_tokens": self.n_tokens_,
        }
        if not isinstance(meta["params"]["random_state"], int | None):
            meta["params"]["random_state"] = None  # a RandomState is not JSON; it was used
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(
                    handle,
                    vectors=self.vectors_,
                    vocabulary=np.asarray(self.vocabulary_, dtype=str),
                    meta=np.asarray(json.dumps(meta)),
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Word2VecEmbedder:
        """Read an embedder written by :meth:`save`, ready to ``transform``.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        embedder : Word2VecEmbedder
            A fitted embedder with the saved parameters.

        Raises
        ------
        ModelCompatibilityError
            If the file is not a saved word2vec embedder.
        """
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                vectors = np.asarray(data["vectors"], dtype=np.float32)
                vocabulary = [str(word) for word in data["vocabulary"]]
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelCompatibilityError(
                f"{path}: not a word2vec embedder saved by Word2VecEmbedder.save ({exc})."
            ) from exc
        if meta.get("format") != _FORMAT or meta.get("version") != _FORMAT_VERSION:
            raise ModelCompatibilityError(
                f"{path}: format {meta.get('format')!r} version {meta.get('version')!r}; "
                f"this finwarn reads {_FORMAT!r} version {_FORMAT_VERSION}."
            )
        if vectors.shape[0] != len(vocabulary) or vocabulary[:2] != [PAD, UNKNOWN]:
            raise ModelCompatibilityError(
                f"{path}: {len(vocabulary)} words but {vectors.shape[0]} vectors, or no "
                "padding and unknown entries; the file is damaged, save the embedder again."
            )
        embedder = cls(**meta["params"])
        embedder._set_vocabulary(vocabulary, vectors)
        embedder.n_documents_ = int(meta["n_documents"])
        embedder.n_tokens_ = int(meta["n_tokens"])
        return embedder

    # -- helpers used by the classifiers of this package ---------------------------------------

    def _tokenize(self, docs: Sequence[Any]) -> list[list[str]]:
        return [tokenize(doc, language=self.language) for doc in docs]

    def _indices(
        self, token_lists: Sequence[Sequence[str]], width: int, dtype: Any = np.int64
    ) -> np.ndarray:
        """Index matrix of already tokenised (and cut) documents, right-padded to ``width``."""
        check_is_fitted(self)
        out = np.full((len(token_lists), width), _PAD_INDEX, dtype=dtype)
        lookup = self.index_.get
        for row, tokens in enumerate(token_lists):
            n = min(len(tokens), width)
            out[row, :n] = [lookup(token, _UNKNOWN_INDEX) for token in tokens[:n]]
        return out

    def _set_vocabulary(self, vocabulary: list[str], vectors: np.ndarray) -> None:
        vectors = np.array(vectors, dtype=np.float32, copy=True)
        vectors[[_PAD_INDEX, _UNKNOWN_INDEX]] = 0.0
        self.vocabulary_ = vocabulary
        self.vectors_ = vectors
        self.index_ = {word: i for i, word in enumerate(vocabulary)}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
