"""Report text fused with financial indicators in one network (paper 001, section 2.9).

Paper 001's best model reads the annual-report text with an LSTM and attention and the
financial indicators with either a single-layer network (the financial vector) or a CNN
(the financial matrix), concatenates the two and classifies them in one fully connected
layer, trained end to end. :class:`FusedClassifier` is that model; with
``text_column=None`` it is the financial branch alone, for the data-only arm of an
ablation.
"""

from __future__ import annotations

import logging
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from finwarn._text import did_you_mean, preview
from finwarn.cleaning import Imputer, IndicatorScaler
from finwarn.exceptions import DataValidationError
from finwarn.text._lstm import (
    _TEXT_CONSTRAINTS,
    _TRAINING_CONSTRAINTS,
    Inputs,
    _AttentionNetBase,
    columns_message,
    text_of,
)
from finwarn.text._word2vec import Word2VecEmbedder

__all__ = ["FINANCIAL_BRANCHES", "FusedClassifier"]

logger = logging.getLogger(__name__)

#: Forms of the financial branch: paper 001's financial vector and financial matrix.
FINANCIAL_BRANCHES = ("dense", "cnn")
#: Row of the CNN matrix that holds the features ``dimensions`` does not name.
OTHER_DIMENSION = "other"
#: Row name of the single-row matrix built without ``dimensions``.
ALL_FEATURES = "all"


class FusedClassifier(_AttentionNetBase):
    """Paper 001's fused model: report text and financial indicators in one network.

    The text branch is that of :class:`~finwarn.text._lstm.LSTMAttentionClassifier`
    (word2vec, LSTM, attention); the financial branch reads the numeric columns, cleaned
    inside ``fit``: scaled with training statistics (NaN left aside), missing values
    filled with the training median of the scaled column, and a 0/1 flag added for each
    column that had missing training values. The two branch outputs are concatenated and
    one output layer gives the class scores; everything is trained end to end on the
    class-weighted cross-entropy.

    The financial branch takes one of paper 001's two forms:

    - ``"dense"``: the financial vector (values, then flags) through a single layer.
    - ``"cnn"``: the financial matrix through a convolution. The matrix has one row per
      dimension of ``dimensions`` holding that dimension's features in column order,
      padded with zeros to the widest dimension; without ``dimensions`` it is one row of
      all features. Missing-value flags, when there are any, form a second channel at
      the positions of their features.

    Parameters
    ----------
    financial : {"dense", "cnn"}, default="dense"
        Form of the financial branch.
    dimensions : dict of str to str or None, default=None
        Feature -> dimension name (e.g. ``{"roa": "profitability"}``), for ``"cnn"``.
        Rows follow the order in which dimensions first appear in the dict; features it
        does not name form a last row, ``"other"``. Ignored by ``"dense"``.
    text_column : str or None, default="text"
        Column holding the report text; every other column is a numeric feature (at
        prediction, columns not seen in ``fit`` are ignored). None reads no text: the
        model is the financial branch alone, for the data-only arm of an ablation.
    embedder, max_words, hidden_size, bidirectional, attention_size, score_words, \
freeze_embeddings
        The text branch, as in :class:`~finwarn.text._lstm.LSTMAttentionClassifier`.
    financial_units : int or None, default=None
        Output width of the financial branch. None matches the text branch's output
        (``hidden_size``, doubled if bidirectional), as paper 001 does.
    channels : int, default=16
        Feature maps of the CNN.
    kernel_size : int, default=3
        Height and width of the CNN's kernel (capped at the matrix's size).
    scaler : {"quantile", "standard", "minmax"}, default="quantile"
        Scaling of the numeric features (:class:`finwarn.cleaning.IndicatorScaler`).
        Quantile scaling to a normal distribution is robust to the heavy tails of
        financial ratios; paper 001 uses min-max.
    dropout : float, default=0.2
        Dropout on the concatenated branch outputs during training.
    epochs, batch_size, learning_rate, class_weight, random_state, n_threads, verbose
        Training, as in :class:`~finwarn.text._lstm.LSTMAttentionClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    feature_names_in_ : ndarray of str
        The numeric feature columns seen in ``fit``, in order.
    n_features_in_ : int
        Number of numeric feature columns.
    scaler_ : IndicatorScaler
        Scaling of the numeric features.
    imputer_ : Imputer
        Median fill (of the scaled features) and missing-value flags.
    dimension_layout_ : dict of str to list of str
        Rows of the financial matrix: dimension -> its features (``"cnn"`` only; for
        ``"dense"``, one entry ``"all"``).
    financial_input_shape_ : tuple of int
        Shape of one row's financial input: ``(n_values + n_flags,)`` for ``"dense"``,
        ``(channels, n_dimensions, widest_dimension)`` for ``"cnn"``.
    embedder_ : Word2VecEmbedder or None
        The fitted embedder (None with ``text_column=None``).
    module_ : torch.nn.Module
        The trained network, in evaluation mode.
    history_ : pandas.DataFrame
        ``epoch`` and ``train_loss`` per epoch.
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from finwarn.text._fusion import FusedClassifier
    >>> X = pd.DataFrame({
    ...     "text": ["profit growth", "loss impairment"] * 20,
    ...     "roa": np.r_[np.linspace(0.1, 0.2, 20), np.linspace(-0.2, -0.1, 20)],
    ...     "leverage": [0.4, np.nan] * 20,
    ... })
    >>> y = [0, 1] * 20
    >>> model = FusedClassifier(financial="cnn", hidden_size=8, attention_size=8, epochs=2)
    >>> model = model.fit(X, y)
    >>> model.feature_names_in_.tolist(), model.financial_input_shape_
    (['roa', 'leverage'], (2, 1, 2))
    >>> model.predict_proba(X).shape
    (40, 2)
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "financial": [StrOptions(set(FINANCIAL_BRANCHES))],
        "dimensions": [dict, None],
        **_TEXT_CONSTRAINTS,
        "financial_units": [Interval(Integral, 1, None, closed="left"), None],
        "channels": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "scaler": [StrOptions({"quantile", "standard", "minmax"})],
        **_TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        financial: str = "dense",
        dimensions: dict[str, str] | None = None,
        text_column: str | None = "text",
        embedder: Word2VecEmbedder | FrozenEstimator | None = None,
        max_words: int = 1200,
        hidden_size: int = 64,
        bidirectional: bool = False,
        attention_size: int = 64,
        score_words: bool = True,
        freeze_embeddings: bool = False,
        financial_units: int | None = None,
        channels: int = 16,
        kernel_size: int = 3,
        scaler: str = "quantile",
        dropout: float = 0.2,
        epochs: int = 10,
        batch_size: int = 64,
        learning_rate: float = 2e-3,
        class_weight: str | dict | None = "balanced",
        random_state=0,
        n_threads: int | None = 1,
        verbose: bool = False,
    ) -> None:
        self.financial = financial
        self.dimensions = dimensions
        self.text_column = text_column
        self.embedder = embedder
        self.max_words = max_words
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        self.attention_size = attention_size
        self.score_words = score_words
        self.freeze_embeddings = freeze_embeddings
        self.financial_units = financial_units
        self.channels = channels
        self.kernel_size = kernel_size
        self.scaler = scaler
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.class_weight = class_weight
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose

    def financial_input(self, X: pd.DataFrame) -> np.ndarray:
        """The cleaned financial input of each row, as the financial branch reads it.

        Parameters
        ----------
        X : DataFrame
            As in ``fit``.

        Returns
        -------
        financial : ndarray of float32
            ``(n_samples, *financial_input_shape_)``: the vector of values and flags for
            ``"dense"``, the ``(channels, dimensions, features)`` matrix for ``"cnn"``.
        """
        check_is_fitted(self)
        return self._financial(self._numeric(X, fit=False), fit=False)

    # -- hooks of _AttentionNetBase -----------------------------------------------------------

    def _fit_inputs(self, X, seed: int) -> Inputs:
        docs = self._docs(X)
        numeric = self._numeric(X, fit=True)
        self.scaler_ = IndicatorScaler(method=self.scaler, random_state=seed)
        self.imputer_ = Imputer(strategy="median", add_indicator=True)
        self.imputer_.fit(self.scaler_.fit_transform(numeric))
        inputs: Inputs = {"numeric": self._financial(numeric, fit=True)}
        self.embedder_ = None
        if docs is not None:
            inputs["tokens"], inputs["lengths"] = self._fit_text(docs, seed)
        return inputs

    def _inputs(self, X) -> tuple[Inputs, list[list[str]] | None]:
        check_is_fitted(self)
        docs = self._docs(X)
        inputs: Inputs = {"numeric": self.financial_input(X)}
        if docs is None:
            return inputs, None
        inputs["tokens"], inputs["lengths"], tokens = self._text_inputs(docs)
        return inputs, tokens

    def _numeric_inputs(self, X) -> Inputs:
        return {"numeric": self.financial_input(X)}

    def _docs(self, X) -> list[Any] | None:
        """The documents of ``X`` (None without text), checked before the numbers."""
        if self.text_column is None or not isinstance(X, pd.DataFrame):
            return None  # _numeric refuses what is not a DataFrame
        return text_of(X, self.text_column, type(self).__name__)

    def _build(self, nets, n_outputs: int):
        text = None if self.text_column is None else self._text_encoder(nets)
        units = self.financial_units or self.hidden_size * (2 if self.bidirectional else 1)
        if self.financial == "cnn":
            financial = nets.CNNBranch(
                self.financial_input_shape_,
                channels=self.channels,
                kernel_size=self.kernel_size,
                units=units,
            )
        else:
            financial = nets.DenseBranch(self.financial_input_shape_[0], units)
        return nets.FusionNet(
            text=text, financial=financial, n_outputs=n_outputs, dropout=self.dropout
        )

    # -- numeric features ---------------------------------------------------------------------

    def _numeric(self, X: Any, *, fit: bool) -> np.ndarray:
        """The numeric feature columns of ``X`` as float64 (NaN for missing values)."""
        owner = type(self).__name__
        if not isinstance(X, pd.DataFrame):
            raise DataValidationError(
                f"{owner} expects a DataFrame with numeric feature columns"
                + ("" if self.text_column is None else f" and a text column {self.text_column!r}")
                + f", got {type(X).__name__}."
            )
        if fit:
            columns = [c for c in X.columns if c != self.text_column]
            if not columns:
                raise DataValidationError(
                    f"{owner}: X has no numeric feature column beside the text column "
                    f"{self.text_column!r}; for text alone use LSTMAttentionClassifier."
                )
            self.feature_names_in_ = np.asarray(columns, dtype=object)
            self.n_features_in_ = len(columns)
        else:
            columns = list(self.feature_names_in_)
            missing = [c for c in columns if c not in X.columns]
            if missing:
                hint = did_you_mean(str(missing[0]), [str(c) for c in X.columns])
                raise DataValidationError(
                    f"{owner}: X lacks {len(missing)} feature column(s) seen in fit: "
                    f"{preview(missing)}; {columns_message(X.columns)}.{hint}"
                )
        frame = X[columns]
        not_numeric = [
            str(c)
            for c in columns
            if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
        ]
        if not_numeric:
            example = [f"{v!r:.40}" for v in frame[not_numeric[0]].dropna().head(3)]
            rule = (
                "with text_column=None (no text) every column is a feature"
                if self.text_column is None
                else f"every column but the text column {self.text_column!r} is a feature"
            )
            raise DataValidationError(
                f"{owner}: feature column(s) {preview(not_numeric)} are not numeric "
                f"(e.g. {', '.join(example)}); {rule}. Convert them to numbers or drop them."
            )
        values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        infinite = np.isinf(values)
        if infinite.any():
            bad = [str(c) for c in np.asarray(columns, dtype=object)[infinite.any(axis=0)]]
            raise DataValidationError(
                f"{owner}: feature column(s) {preview(bad)} hold infinite values in "
                f"{int(infinite.any(axis=1).sum())} row(s); replace them with NaN (missing) or "
                "a finite value."
            )
        return values

    def _financial(self, numeric: np.ndarray, *, fit: bool) -> np.ndarray:
        """Clean the numeric features and arrange them for the financial branch."""
        filled = self.imputer_.transform(self.scaler_.transform(numeric))
        n_values = numeric.shape[1]
        values, flags = filled[:, :n_values], filled[:, n_values:]
        if self.financial == "dense":
            out = np.hstack([values, flags])
            if fit:
                self.dimension_layout_ = {ALL_FEATURES: list(self.feature_names_in_)}
                self.financial_input_shape_: tuple[int, ...] = (int(out.shape[1]),)
            return out.astype(np.float32)
        if fit:
            self.dimension_layout_ = self._layout()
        position = {name: i for i, name in enumerate(self.feature_names_in_)}
        rows = list(self.dimension_layout_.values())
        width = max(len(features) for features in rows)
        n_channels = 2 if flags.shape[1] else 1
        matrix = np.zeros((numeric.shape[0], n_channels, len(rows), width), dtype=np.float32)
        flag_of = {int(col): i for i, col in enumerate(self.imputer_.indicator_features_)}
        for r, features in enumerate(rows):
            for c, name in enumerate(features):
                col = position[name]
                matrix[:, 0, r, c] = values[:, col]
                if col in flag_of:
                    matrix[:, 1, r, c] = flags[:, flag_of[col]]
        if fit:
            self.financial_input_shape_ = tuple(int(d) for d in matrix.shape[1:])
        return matrix

    def _layout(self) -> dict[str, list[str]]:
        """Dimension -> features, in the order of the ``dimensions`` dict and of the columns."""
        features = list(self.feature_names_in_)
        if self.dimensions is None:
            return {ALL_FEATURES: features}
        layout: dict[str, list[str]] = {str(d): [] for d in self.dimensions.values()}
        unplaced = [name for name in features if name not in self.dimensions]
        for name in features:
            if name in self.dimensions:
                layout[str(self.dimensions[name])].append(name)
        if unplaced:
            logger.info(
                "%s: %d feature(s) without a dimension form the row %r: %s",
                type(self).__name__,
                len(unplaced),
                OTHER_DIMENSION,
                preview(unplaced),
            )
            layout.setdefault(OTHER_DIMENSION, []).extend(unplaced)
        unknown = [f for f in self.dimensions if f not in set(features)]
        if unknown:
            logger.info(
                "%s: dimensions names %d feature(s) that are not columns of X: %s",
                type(self).__name__,
                len(unknown),
                preview(unknown),
            )
        return {dimension: names for dimension, names in layout.items() if names}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags
