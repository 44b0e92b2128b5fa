"""LSTM with attention over report text (paper 001), behind the scikit-learn API.

Paper 001 predicts financial risk from the annual-report text with word2vec vectors fed
to an LSTM whose outputs are pooled by attention; the attention weights show which
passages drove a prediction. :class:`LSTMAttentionClassifier` is that model. The
machinery it shares with the fused text + data model (:mod:`finwarn.text._fusion`)
lives in ``_AttentionNetBase`` here and, for the torch side, in
:mod:`finwarn.text._torch`.
"""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import DataValidationError
from finwarn.models._bp import _import_torch
from finwarn.text._word2vec import Word2VecEmbedder, check_documents

__all__ = ["LSTMAttentionClassifier"]

logger = logging.getLogger(__name__)

_SEED_BOUND = 2**31 - 1
Inputs = dict[str, np.ndarray | None]

#: Parameters of the text branch, shared with FusedClassifier.
_TEXT_CONSTRAINTS: dict[str, list] = {
    "embedder": [Word2VecEmbedder, FrozenEstimator, None],
    "text_column": [str, None],
    "max_words": [Interval(Integral, 1, None, closed="left")],
    "hidden_size": [Interval(Integral, 1, None, closed="left")],
    "bidirectional": ["boolean"],
    "attention_size": [Interval(Integral, 1, None, closed="left")],
    "score_words": ["boolean"],
    "freeze_embeddings": ["boolean"],
}
#: Parameters of the training, shared with FusedClassifier.
_TRAINING_CONSTRAINTS: dict[str, list] = {
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "class_weight": [StrOptions({"balanced"}), dict, None],
    "random_state": ["random_state"],
    "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    "verbose": ["verbose"],
}


def _torch_parts(owner: str):
    """The torch module of this package, after checking that torch is installed."""
    _import_torch(owner)
    from finwarn.text import _torch

    return _torch


def columns_message(columns) -> str:
    return f"its columns are {preview([str(c) for c in columns])}"


def text_of(X: Any, text_column: str | None, owner: str) -> list[Any]:
    """The documents of ``X``: a DataFrame's ``text_column``, or a 1-D array-like."""
    if isinstance(X, pd.DataFrame):
        if text_column is None:
            if X.shape[1] != 1:
                raise DataValidationError(
                    f"{owner} got a DataFrame of {X.shape[1]} columns and text_column=None; "
                    "set text_column to the column holding the text "
                    f"({columns_message(X.columns)})."
                )
            return check_documents(X.iloc[:, 0], owner)
        if text_column not in X.columns:
            raise DataValidationError(
                f"{owner}: X has no text column {text_column!r}; "
                f"{columns_message(X.columns)}. Set text_column to the column holding the "
                "text." + did_you_mean(text_column, [str(c) for c in X.columns])
            )
        return check_documents(X[text_column], owner)
    if getattr(X, "ndim", 1) == 2 and X.shape[1] == 1:
        X = np.asarray(X)[:, 0]
    return check_documents(X, owner)


def class_weights(class_weight, classes: np.ndarray, y_index: np.ndarray) -> np.ndarray:
    """Loss weight per class index: ``"balanced"``, a dict label -> weight, or ones."""
    weights = np.ones(classes.size)
    if class_weight is None:
        return weights
    if isinstance(class_weight, str):  # "balanced"
        return compute_class_weight("balanced", classes=np.arange(classes.size), y=y_index)
    known = set(classes.tolist())
    unknown = [label for label in class_weight if label not in known]
    if unknown:
        raise ValueError(
            f"class_weight names labels that are not in y: {preview(unknown)}; "
            f"the classes are {preview(classes.tolist())}."
        )
    for i, label in enumerate(classes.tolist()):
        weights[i] = float(class_weight.get(label, 1.0))
    return weights


def passages(tokens: list[str], weights: np.ndarray, k: int, width: int) -> list[tuple[str, float]]:
    """The ``k`` strongest non-overlapping windows of ``width`` tokens of one document.

    Windows are centred on the most-attended tokens in turn (shifted to stay inside the
    document); a window overlapping one already taken is skipped. Each window's weight
    is its attention mass. Strongest first.
    """
    n = len(tokens)
    if n == 0 or k == 0:
        return []
    span = min(width, n)
    taken: list[tuple[int, int]] = []
    for peak in np.argsort(-weights, kind="stable"):
        start = int(min(max(peak - (span - 1) // 2, 0), n - span))
        stop = start + span
        if any(start < other_stop and other_start < stop for other_start, other_stop in taken):
            continue
        taken.append((start, stop))
        if len(taken) == k:
            break
    found = [(" ".join(tokens[a:b]), float(weights[a:b].sum())) for a, b in taken]
    return sorted(found, key=lambda item: -item[1])


class _AttentionNetBase(ClassifierMixin, BaseEstimator):
    """Fitting and prediction shared by the text classifiers.

    A subclass turns ``X`` into the network inputs (``_fit_inputs`` in ``fit``,
    ``_inputs`` afterwards) and builds the network (``_build``). Text parameters
    (``embedder``, ``max_words``, ``text_column``, ...) and training parameters
    (``epochs``, ``batch_size``, ...) are named alike in every subclass.
    """

    embedder: Word2VecEmbedder | FrozenEstimator | None
    text_column: str | None
    max_words: int
    hidden_size: int
    bidirectional: bool
    attention_size: int
    score_words: bool
    freeze_embeddings: bool
    dropout: float
    epochs: int
    batch_size: int
    learning_rate: float
    class_weight: str | dict | None
    random_state: Any
    n_threads: int | None
    verbose: bool

    # -- hooks ------------------------------------------------------------------------------

    def _fit_inputs(self, X: Any, seed: int) -> Inputs:
        """Fit the preprocessing on ``X`` and return its network inputs."""
        raise NotImplementedError

    def _inputs(self, X: Any) -> tuple[Inputs, list[list[str]] | None]:
        """Network inputs of ``X`` and its (cut) token lists, None without text."""
        raise NotImplementedError

    def _build(self, nets, n_outputs: int):
        """A new, untrained network (called under the training seed)."""
        raise NotImplementedError

    def __sklearn_is_fitted__(self) -> bool:
        # the network is made last: a fit that failed halfway leaves no fitted model
        return hasattr(self, "module_")

    # -- fit and predict --------------------------------------------------------------------

    def fit(self, X, y):
        """Train the network on ``X`` and the labels ``y``.

        Parameters
        ----------
        X : array-like or DataFrame
            Documents, or a DataFrame (see the class description).
        y : array-like of shape (n_samples,)
            Class labels of any type (strings included); at least two classes.

        Returns
        -------
        self
            The fitted classifier.

        Raises
        ------
        DataValidationError
            If the text column is missing, a document is not a string, or a numeric
            feature is not numeric.
        ValueError
            If a parameter is invalid, ``y`` has one class or another length than ``X``.
        ImportError
            If PyTorch or gensim is not installed.
        """
        self._validate_params()
        owner = type(self).__name__
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if len(X) != len(y):
            raise ValueError(
                f"{owner}: X has {len(X)} rows but y has {len(y)} labels; give one label per row."
            )
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(
                f"{owner} needs at least two classes in y, got only one class: "
                f"{self.classes_.tolist()[0]!r}. Check the labels of the training data."
            )
        weights = class_weights(self.class_weight, self.classes_, y_index)
        nets = _torch_parts(owner)
        embedder_seed, torch_seed = check_random_state(self.random_state).randint(
            _SEED_BOUND, size=2
        )
        inputs = self._fit_inputs(X, int(embedder_seed))
        self.module_, self.history_ = nets.train_network(
            lambda: self._build(nets, int(self.classes_.size)),
            inputs,
            y_index,
            weights,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            seed=int(torch_seed),
            n_threads=self.n_threads,
            owner=owner,
            verbose=bool(self.verbose),
        )
        self.n_iter_ = len(self.history_)
        return self

    def _forward(self, X) -> tuple[np.ndarray, list[np.ndarray] | None, list[list[str]] | None]:
        check_is_fitted(self)
        owner = type(self).__name__
        inputs, tokens = self._inputs(X)
        if next(v for v in inputs.values() if v is not None).shape[0] == 0:
            raise ValueError(f"{owner} got 0 samples; give at least one row.")
        proba, weights = _torch_parts(owner).predict(self.module_, inputs, n_threads=self.n_threads)
        return proba, weights, tokens

    def margins(self, X, *, text: bool = True) -> dict[str, Any]:
        """Each branch's share of the log-odds of ``classes_[1]`` (binary models only).

        The output layer is linear, so ``text + financial + bias`` is exactly the
        log-odds ``log(p1 / p0)`` of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or DataFrame
            As in ``fit``.
        text : bool, default True
            Compute the text branch (``False`` skips the LSTM, e.g. to vary only the
            numbers; ``text`` is then None).

        Returns
        -------
        dict
            ``text``, ``financial`` (ndarray of shape (n_samples,) or None) and
            ``bias`` (float).
        """
        check_is_fitted(self)
        owner = type(self).__name__
        if len(self.classes_) != 2:
            raise ValueError(
                f"{owner}.margins needs two classes, the model has {len(self.classes_)}."
            )
        inputs, _ = self._inputs(X) if text else (self._numeric_inputs(X), None)
        parts = _torch_parts(owner).branch_margins(self.module_, inputs, n_threads=self.n_threads)
        if not text:
            parts["text"] = None
        return parts

    def _numeric_inputs(self, X) -> Inputs:
        raise ValueError(f"{type(self).__name__} has no financial branch to score alone.")

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class.

        Parameters
        ----------
        X : array-like or DataFrame
            As in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in the order of ``classes_``.
        """
        return self._forward(X)[0]

    def predict(self, X) -> np.ndarray:
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like or DataFrame
            As in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, of the type of ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def attention(self, X) -> list[tuple[list[str], np.ndarray]]:
        """Attention weight of every token the network read, per document.

        Parameters
        ----------
        X : array-like or DataFrame
            As in ``fit``.

        Returns
        -------
        attention : list of (list of str, ndarray)
            Per document, its cleaned tokens (cut to ``max_words``) and their weights,
            which sum to 1 (an empty document has no tokens and no weights).
        """
        _, weights, tokens = self._forward(X)
        if weights is None or tokens is None:
            raise ValueError(
                f"{type(self).__name__} has no text branch (text_column=None), so no "
                "attention; fit it with a text column."
            )
        return list(zip(tokens, weights, strict=True))

    def top_passages(self, X, k: int = 3, width: int = 12) -> list[list[tuple[str, float]]]:
        """The ``k`` most-attended passages of each document.

        A passage is a window of ``width`` consecutive tokens centred on one of the
        most-attended tokens; windows do not overlap. Its weight is the attention mass
        it holds, so it reads as the share of the document's evidence.

        Parameters
        ----------
        X : array-like or DataFrame
            As in ``fit``.
        k : int, default=3
            Passages per document (fewer if the document is short).
        width : int, default=12
            Tokens per passage (the whole document if it is shorter).

        Returns
        -------
        passages : list of list of (str, float)
            Per document, the passages' text (cleaned tokens joined by spaces) and
            weights, strongest first.
        """
        if not isinstance(k, Integral) or k < 0 or not isinstance(width, Integral) or width < 1:
            raise ValueError(
                f"top_passages needs k >= 0 and width >= 1 (integers), got k={k!r} and "
                f"width={width!r}."
            )
        return [passages(t, w, int(k), int(width)) for t, w in self.attention(X)]

    # -- text branch ------------------------------------------------------------------------

    def _fit_text(self, docs: list[Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Fit (or take) the embedder and return the token matrix and lengths of ``docs``."""
        embedder = self.embedder
        if isinstance(embedder, FrozenEstimator):
            embedder = embedder.estimator
        if embedder is None:
            embedder = Word2VecEmbedder(max_words=self.max_words, random_state=seed)
        if not isinstance(embedder, Word2VecEmbedder):
            raise ValueError(f"embedder must be a Word2VecEmbedder, got {type(embedder).__name__}.")
        try:
            check_is_fitted(embedder)
            fitted = True
        except NotFittedError:
            if isinstance(self.embedder, FrozenEstimator):
                raise
            fitted = False
        if fitted:
            token_lists = embedder._tokenize(docs)
        else:
            embedder = clone(embedder)
            embedder._validate_params()
            token_lists = embedder._tokenize(docs)
            embedder._fit_tokens(token_lists)
        self.embedder_ = embedder
        return self._token_arrays([tokens[: self.max_words] for tokens in token_lists])

    def _text_inputs(self, docs: list[Any]) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
        tokens = self.embedder_.tokens(docs, max_words=self.max_words)
        return (*self._token_arrays(tokens), tokens)

    def _token_arrays(self, token_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
        width = max(1, int(lengths.max(initial=0)))
        # int32 halves the memory of many long reports; nn.Embedding takes either
        return self.embedder_._indices(token_lists, width, dtype=np.int32), lengths

    def _text_encoder(self, nets):
        return nets.TextEncoder(
            self.embedder_.vectors_,
            hidden_size=self.hidden_size,
            bidirectional=self.bidirectional,
            attention_size=self.attention_size,
            freeze_embeddings=self.freeze_embeddings,
            score_words=self.score_words,
        )


class LSTMAttentionClassifier(_AttentionNetBase):
    """Classify documents with word2vec, an LSTM and attention (paper 001).

    Each document is cleaned and cut to its first ``max_words`` tokens, embedded with
    skip-gram word2vec vectors trained on the training documents (or a given embedder),
    read by an LSTM, and pooled by additive attention over the LSTM outputs (padding is
    masked, so it never receives weight). A linear layer on the pooled vector gives the
    class scores; the embeddings, LSTM, attention and output layer are trained together
    on the class-weighted cross-entropy. Binary and multiclass labels of any type work.

    Parameters
    ----------
    embedder : Word2VecEmbedder, FrozenEstimator or None, default=None
        Word vectors. None trains ``Word2VecEmbedder(max_words=max_words)`` (100
        dimensions) on the training documents, seeded from ``random_state``. An unfitted
        embedder is cloned and fitted on them; a fitted one is used as it is. Cloning the
        classifier (``GridSearchCV``, ``cross_validate``) clones a fitted embedder into
        an unfitted one: wrap a pre-trained embedder in
        :class:`sklearn.frozen.FrozenEstimator` to keep it.
    text_column : str or None, default="text"
        Column holding the documents when ``X`` is a DataFrame; None takes the only
        column. Other columns are ignored.
    max_words : int, default=1200
        Tokens read per document (paper 001: 1,200).
    hidden_size : int, default=64
        Units of the LSTM (per direction).
    bidirectional : bool, default=False
        Run a second LSTM backwards and concatenate the outputs.
    attention_size : int, default=64
        Hidden units of the attention scorer.
    score_words : bool, default=True
        Let the attention scorer see each token's word vector beside the LSTM output
        at that token. Paper 001 scores the LSTM output alone (False); but an LSTM output
        still remembers a signal word several tokens later, so its weight drifts off the
        word onto the tokens after it. Scoring the word too keeps the weight, and the
        passages of ``top_passages``, on the words that carry the signal.
    dropout : float, default=0.2
        Dropout on the pooled document vector during training.
    epochs : int, default=10
        Passes over the training data.
    batch_size : int, default=64
        Documents per mini-batch.
    learning_rate : float, default=2e-3
        Learning rate of Adam.
    class_weight : "balanced", dict or None, default="balanced"
        Class weights in the loss; ``"balanced"`` weights each class inversely to its
        frequency (paper 001 weights the rare ST firms up). A dict maps labels to weights.
    freeze_embeddings : bool, default=False
        Keep the word vectors fixed instead of fine-tuning them.
    random_state : int, RandomState instance or None, default=0
        Seeds word2vec, the weight initialisation, the batch order and dropout; the same
        seed gives the same model. Torch's global random state is restored after ``fit``.
    n_threads : int or None, default=1
        Torch threads while fitting and predicting (restored afterwards). One thread is
        fastest for networks this small and gives the same numbers on any machine.
    verbose : bool, default=False
        Log the training loss of each epoch at INFO level (DEBUG otherwise).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    embedder_ : Word2VecEmbedder
        The fitted embedder.
    module_ : torch.nn.Module
        The trained network (``finwarn.text._torch.FusionNet``), in evaluation mode.
    history_ : pandas.DataFrame
        ``epoch`` and ``train_loss`` (class-weighted cross-entropy) per epoch.
    n_iter_ : int
        Epochs run.

    See Also
    --------
    finwarn.text._fusion.FusedClassifier : The same text branch fused with financial data.

    Examples
    --------
    >>> from finwarn.text._lstm import LSTMAttentionClassifier
    >>> docs = ["profit growth record", "loss impairment default"] * 30
    >>> labels = ["healthy", "distressed"] * 30
    >>> model = LSTMAttentionClassifier(
    ...     hidden_size=8, attention_size=8, epochs=20, learning_rate=0.01
    ... ).fit(docs, labels)
    >>> model.predict(["record profit", "default loss"]).tolist()
    ['healthy', 'distressed']
    >>> tokens, weights = model.attention(["Profit: record growth!"])[0]
    >>> tokens, round(float(weights.sum()), 6)
    (['profit', 'record', 'growth'], 1.0)
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **_TEXT_CONSTRAINTS,
        **_TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        embedder: Word2VecEmbedder | FrozenEstimator | None = None,
        text_column: str | None = "text",
        max_words: int = 1200,
        hidden_size: int = 64,
        bidirectional: bool = False,
        attention_size: int = 64,
        score_words: bool = True,
        dropout: float = 0.2,
        epochs: int = 10,
        batch_size: int = 64,
        learning_rate: float = 2e-3,
        class_weight: str | dict | None = "balanced",
        freeze_embeddings: bool = False,
        random_state=0,
        n_threads: int | None = 1,
        verbose: bool = False,
    ) -> None:
        self.embedder = embedder
        self.text_column = text_column
        self.max_words = max_words
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        self.attention_size = attention_size
        self.score_words = score_words
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.class_weight = class_weight
        self.freeze_embeddings = freeze_embeddings
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose

    def _fit_inputs(self, X, seed: int) -> Inputs:
        tokens, lengths = self._fit_text(text_of(X, self.text_column, type(self).__name__), seed)
        return {"tokens": tokens, "lengths": lengths}

    def _inputs(self, X) -> tuple[Inputs, list[list[str]]]:
        docs = text_of(X, self.text_column, type(self).__name__)
        tokens, lengths, token_lists = self._text_inputs(docs)
        return {"tokens": tokens, "lengths": lengths}, token_lists

    def _build(self, nets, n_outputs: int):
        return nets.FusionNet(
            text=self._text_encoder(nets), financial=None, n_outputs=n_outputs, dropout=self.dropout
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.non_deterministic = False
        return tags
