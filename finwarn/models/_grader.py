"""k-level risk grading with a BP network (paper 004).

Paper 004 grades records into 8 ordered risk levels with a backpropagation
network of 3 sigmoid outputs, the level index written in binary: (0, 0, 0) is
the lowest level, (1, 1, 1) the highest. :class:`BPGrader` offers that output
coding next to a softmax layer and an ordinal (cumulative) one, and shares the
network building and training loop of :class:`finwarn.models.BPNetClassifier`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.special import softmax
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from finwarn._text import preview
from finwarn.models._bp import _NETWORK_CONSTRAINTS, _BaseBPNet

__all__ = ["ENCODINGS", "BPGrader"]

logger = logging.getLogger(__name__)

#: Output codings of :class:`BPGrader`.
ENCODINGS: tuple[str, ...] = ("bits", "softmax", "ordinal")

# output probabilities are kept this far from 0 and 1 before taking logarithms
_EPS = 1e-12


def _level_codes(n_levels: int, encoding: str, n_bits: int | None = None) -> np.ndarray:
    """Target output vector of every level under an output coding.

    Parameters
    ----------
    n_levels : int
        Number of ordered levels k (at least 2); level 0 is the lowest risk.
    encoding : {"bits", "softmax", "ordinal"}
        ``"bits"``: the level index in binary, most significant bit first, over
        ``n_bits`` outputs; ``"softmax"``: one-hot over k outputs; ``"ordinal"``:
        k - 1 cumulative outputs, output j being 1 when the level is above j.
    n_bits : int or None, default=None
        Width of the binary code; None takes the fewest bits that hold k levels,
        ``ceil(log2 k)``. Only used by ``"bits"``.

    Returns
    -------
    codes : ndarray of shape (n_levels, n_outputs)
        Row i is the target output of level i, in 0/1.

    Raises
    ------
    ValueError
        If ``n_bits`` bits cannot write ``n_levels`` levels.

    Examples
    --------
    >>> _level_codes(8, "bits")[[0, 1, 6, 7]]
    array([[0., 0., 0.],
           [0., 0., 1.],
           [1., 1., 0.],
           [1., 1., 1.]])
    >>> _level_codes(3, "ordinal")
    array([[0., 0.],
           [1., 0.],
           [1., 1.]])
    """
    index = np.arange(n_levels)
    if encoding == "softmax":
        return np.eye(n_levels)
    if encoding == "ordinal":
        return (index[:, None] > np.arange(n_levels - 1)[None, :]).astype(float)
    needed = max(1, int(n_levels - 1).bit_length())
    width = needed if n_bits is None else int(n_bits)
    if width < needed:
        raise ValueError(
            f"encoding='bits' with n_bits={width} can grade at most {2**width} levels, "
            f"but there are {n_levels}. Set n_bits to at least {needed}, or leave it None "
            "to use the fewest bits that hold every level."
        )
    shifts = np.arange(width)[::-1]
    return ((index[:, None] >> shifts[None, :]) & 1).astype(float)


def _class_proba_from_outputs(
    output_proba: np.ndarray, encoding: str, codes: np.ndarray
) -> np.ndarray:
    """Level probabilities from the network's output probabilities.

    Parameters
    ----------
    output_proba : ndarray of shape (n_samples, n_outputs)
        Softmax outputs (``"softmax"``) or sigmoid outputs (``"bits"``, ``"ordinal"``).
    encoding : {"bits", "softmax", "ordinal"}
        The output coding.
    codes : ndarray of shape (n_levels, n_outputs)
        The level codes of :func:`_level_codes`.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_levels)
        Rows sum to 1.

    Notes
    -----
    ``"bits"``: the bits are read as independent Bernoulli outputs; the score of
    level i is the product of the probabilities of its bits, normalised over the
    k valid codes. Its argmax is the level whose code is most probable, which is
    the code obtained by rounding each bit whenever that code is a valid level.
    When k is not a power of two, a rounded code past the highest level (for
    example 110 or 111 with k = 5) goes to the valid code reached by flipping the
    least confident bits, not blindly to the top level. This is an approximation
    (the sigmoid outputs are not calibrated probabilities), good for ranking.

    ``"ordinal"``: the outputs estimate P(level > j); level i gets
    P(level > i - 1) - P(level > i), with negative differences (outputs that are
    not decreasing in j) set to 0 and the row renormalised.

    Examples
    --------
    >>> codes = _level_codes(5, "bits")
    >>> p = np.array([[0.9, 0.8, 0.1]])  # rounds to 110 = 6, not a level when k = 5
    >>> int(_class_proba_from_outputs(p, "bits", codes).argmax())
    4
    """
    if encoding == "softmax":
        return output_proba / output_proba.sum(axis=1, keepdims=True)
    if encoding == "ordinal":
        above = np.clip(output_proba, 0.0, 1.0)
        padded = np.hstack([np.ones((above.shape[0], 1)), above, np.zeros((above.shape[0], 1))])
        proba = np.clip(padded[:, :-1] - padded[:, 1:], 0.0, None)
        return proba / proba.sum(axis=1, keepdims=True)
    p = np.clip(output_proba, _EPS, 1.0 - _EPS)
    log_like = np.log(p) @ codes.T + np.log1p(-p) @ (1.0 - codes).T
    return softmax(log_like, axis=1)


class BPGrader(_BaseBPNet):
    """BP network that grades records into k ordered risk levels (paper 004).

    Paper 004 classifies each record into one of 8 risk levels with a
    backpropagation network whose 3 sigmoid outputs write the level index in
    binary, (0, 0, 0) for the lowest and (1, 1, 1) for the highest, trained by
    plain gradient descent on the squared error. This estimator keeps that
    coding (``encoding="bits"``) and adds two that respect the order of the
    levels better: a softmax layer over the k levels trained on cross-entropy,
    and an ordinal layer of k - 1 cumulative outputs P(level > j). The network
    building, the adaptive learning-rate schedules, class weights, seeding and
    thread handling are those of :class:`~finwarn.models.BPNetClassifier`.

    The levels are the sorted labels of ``y`` (lowest risk first) unless
    ``levels`` gives their order; they may be integers or strings.

    Parameters
    ----------
    encoding : {"ordinal", "softmax", "bits"}, default="ordinal"
        Output coding. ``"bits"``: ``n_bits`` sigmoid outputs holding the level
        index in binary, most significant bit first (paper 004), trained on
        ``bit_loss``. ``"softmax"``: k outputs, cross-entropy. ``"ordinal"``:
        k - 1 sigmoid outputs, output j trained (binary cross-entropy) to say
        whether the level is above j. How each decodes to levels is described
        in the Notes; ``predict`` is always the argmax of ``predict_proba``. On
        paper 004's simulated records the three codings grade equally well with
        Adam (``docs/benchmarks/paper004.md``); ``"ordinal"`` is the default
        because it is built on the order of the levels, with one output fewer.
    bit_loss : {"mse", "bce"}, default="mse"
        Loss of the ``"bits"`` coding: the squared error of the sigmoid outputs,
        as in paper 004, or binary cross-entropy.
    n_bits : int or None, default=None
        Outputs of the ``"bits"`` coding; None takes ``ceil(log2 k)`` (3 for 8
        levels). A value too small for the levels in ``y`` is an error.
    levels : array-like or None, default=None
        All levels from the lowest risk to the highest, for labels whose sorted
        order is not the risk order (``["low", "medium", "high"]``) or levels
        absent from the training rows. None takes the sorted labels of ``y``.
    hidden_layer_sizes : tuple of int, default=(32,)
        Width of each hidden layer.
    activation : {"tanh", "relu", "sigmoid", "elu"}, default="tanh"
        Activation of the hidden layers (paper 004: ``"sigmoid"``).
    batch_norm : bool, default=False
        Batch-normalise each hidden layer before its activation.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    optimizer : {"adam", "sgd"}, default="adam"
        ``"adam"`` is AdamW; ``"sgd"`` is gradient descent with Nesterov
        ``momentum`` (plain backpropagation with ``momentum=0``).
    learning_rate : float, default=0.01
        Initial learning rate (paper 004: 0.11 with plain SGD).
    momentum : float, default=0.9
        Momentum of ``"sgd"``.
    lr_schedule : {"plateau", "bold_driver", "constant"}, default="plateau"
        How the learning rate adapts after each epoch; see
        :class:`~finwarn.models.BPNetClassifier`.
    lr_decay : float, default=0.5
        Factor by which the learning rate is cut.
    lr_growth : float, default=1.05
        Factor by which ``"bold_driver"`` grows the learning rate.
    lr_patience : int, default=5
        Epochs without improvement before ``"plateau"`` cuts the learning rate.
    min_learning_rate : float, default=1e-6
        Floor of the adapted learning rate.
    max_learning_rate : float, default=1.0
        Ceiling of the adapted learning rate; ``learning_rate`` may not exceed it.
    weight_decay : float, default=0.0
        L2 penalty (decoupled for ``"adam"``).
    batch_size : int or None, default=128
        Mini-batch size; None trains on all rows of an epoch at once (full-batch
        gradient descent, as classic BP).
    epoch_fraction : float, default=1.0
        Share of the training rows drawn at random (without replacement) for each
        epoch. Paper 004 draws 10% of the training records in each round.
    max_epochs : int, default=100
        Maximum number of epochs (paper 004: 1,100).
    target_error : float or None, default=None
        Stop as soon as an epoch's training loss falls below this value (paper
        004: 1e-4 on the squared error). None trains for ``max_epochs``.
    early_stopping : bool, default=False
        Stop on the loss of a stratified inner validation split and keep the best
        epoch; see :class:`~finwarn.models.BPNetClassifier`.
    validation_fraction : float, default=0.2
        Share of training rows held out for early stopping.
    patience : int, default=20
        Epochs without validation improvement before training stops.
    tol : float, default=1e-4
        Smallest decrease of the monitored loss that counts as an improvement.
    class_weight : "balanced", dict or None, default="balanced"
        Weights of the levels in the loss; ``"balanced"`` weights each level
        inversely to its frequency, a dict maps labels to weights.
    n_networks : int, default=1
        Networks whose output probabilities are averaged.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the rows of each epoch, the batch order,
        dropout and the validation split. Fitting is deterministic for a fixed
        seed; torch's global random state is left as it was.
    n_threads : int or None, default=1
        Torch threads while fitting and predicting; None leaves torch's setting.
    callbacks : callable, list of callables or None, default=None
        Called after every epoch with a dict; returning True stops training.

    Attributes
    ----------
    classes_ : ndarray of shape (n_levels,)
        The levels, lowest risk first.
    codes_ : ndarray of shape (n_levels, n_outputs_)
        Target output vector of each level (row i for ``classes_[i]``).
    n_outputs_ : int
        Width of the output layer.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen in ``fit``, when ``X`` was a DataFrame with string names.
    module_, modules_ : torch.nn.Sequential, list
        The (first) trained network and all of them; their outputs are logits.
    history_, histories_ : pandas.DataFrame, list
        Per-epoch ``train_loss``, ``val_loss`` and ``learning_rate``.
    n_iter_ : int
        Epochs run by the first network (fewer than ``max_epochs`` when
        ``target_error`` or early stopping ended training).
    best_epoch_ : int
        Epoch of the first network whose weights were kept.
    validation_used_ : bool
        Whether an inner validation split was used.

    Notes
    -----
    How the outputs become level probabilities (``predict_proba``) and levels
    (``predict``, the most probable level):

    * ``"softmax"``: the softmax of the k outputs.
    * ``"ordinal"``: the sigmoid outputs estimate P(level > j); level i gets
      P(level > i - 1) - P(level > i), with negative differences (outputs not
      decreasing in j) set to 0 and the row renormalised. The predicted level is
      the most probable one, which can differ from the count of outputs above
      one half (the median level) when the implied distribution is wide.
    * ``"bits"``: each sigmoid output is read as the independent probability
      that its bit is 1, and level i scores the product of the probabilities of
      its code's bits, normalised over the k levels. This is an approximation
      (the outputs of a squared-error network are not calibrated probabilities,
      nor independent). Its most probable level is the one obtained by rounding
      each bit whenever that code is a level. When k is not a power of two, a
      rounded code past the highest level (110 or 111 with k = 5) goes to the
      valid code nearest to the outputs, the one reached by flipping the least
      confident bits, rather than always to the top level.

    See Also
    --------
    finwarn.evaluation.grading_metrics : Accuracy, misjudgment rate and deviation rate.
    finwarn.datasets.make_paper004_records : Paper 004's simulated records.

    Examples
    --------
    >>> import numpy as np
    >>> from finwarn.models import BPGrader
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(size=(400, 2))
    >>> y = 2 * (X[:, 0] > 0.5) + (X[:, 1] > 0.5)  # two risk flags make four levels
    >>> grader = BPGrader(encoding="bits", max_epochs=100, random_state=0).fit(X, y)
    >>> grader.codes_
    array([[0., 0.],
           [0., 1.],
           [1., 0.],
           [1., 1.]])
    >>> bool(grader.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **_NETWORK_CONSTRAINTS,
        "encoding": [StrOptions(set(ENCODINGS))],
        "bit_loss": [StrOptions({"mse", "bce"})],
        "n_bits": [Interval(Integral, 1, None, closed="left"), None],
        "levels": ["array-like", None],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "epoch_fraction": [Interval(Real, 0, 1, closed="right")],
        "target_error": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        encoding: str = "ordinal",
        bit_loss: str = "mse",
        n_bits: int | None = None,
        levels: Sequence | None = None,
        hidden_layer_sizes: Sequence[int] = (32,),
        activation: str = "tanh",
        batch_norm: bool = False,
        dropout: float = 0.0,
        optimizer: str = "adam",
        learning_rate: float = 0.01,
        momentum: float = 0.9,
        lr_schedule: str = "plateau",
        lr_decay: float = 0.5,
        lr_growth: float = 1.05,
        lr_patience: int = 5,
        min_learning_rate: float = 1e-6,
        max_learning_rate: float = 1.0,
        weight_decay: float = 0.0,
        batch_size: int | None = 128,
        epoch_fraction: float = 1.0,
        max_epochs: int = 100,
        target_error: float | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.2,
        patience: int = 20,
        tol: float = 1e-4,
        class_weight: str | dict | None = "balanced",
        n_networks: int = 1,
        random_state=None,
        n_threads: int | None = 1,
        callbacks: Callable | list[Callable] | None = None,
    ) -> None:
        self.encoding = encoding
        self.bit_loss = bit_loss
        self.n_bits = n_bits
        self.levels = levels
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.lr_schedule = lr_schedule
        self.lr_decay = lr_decay
        self.lr_growth = lr_growth
        self.lr_patience = lr_patience
        self.min_learning_rate = min_learning_rate
        self.max_learning_rate = max_learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epoch_fraction = epoch_fraction
        self.max_epochs = max_epochs
        self.target_error = target_error
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.class_weight = class_weight
        self.n_networks = n_networks
        self.random_state = random_state
        self.n_threads = n_threads
        self.callbacks = callbacks

    def fit(self, X, y) -> BPGrader:
        """Train the network(s) to grade ``X`` into the levels of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite, scaled features (for paper 004, the first-level element
            scores of :class:`finwarn.weighting.EntropyWeighter`).
        y : array-like of shape (n_samples,)
            Levels; at least two distinct ones.

        Returns
        -------
        self : BPGrader
            The fitted grader.

        Raises
        ------
        ValueError
            If a parameter is invalid, ``X`` holds NaN or infinity, ``y`` has a
            single level or labels missing from ``levels``, or ``n_bits`` is too
            small for the levels.
        ImportError
            If PyTorch is not installed.
        """
        self._validate_params()
        if self.learning_rate > self.max_learning_rate:
            raise ValueError(
                f"learning_rate={self.learning_rate} is above max_learning_rate="
                f"{self.max_learning_rate}, so the schedule would cut it after the first "
                "epoch. Raise max_learning_rate or lower learning_rate."
            )
        sizes = self._check_hidden_layer_sizes()
        callbacks = self._check_callbacks()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, y_index = self._level_index(y)
        self._check_two_classes()
        self.codes_ = _level_codes(self.classes_.size, self.encoding, self.n_bits)
        self.n_outputs_ = int(self.codes_.shape[1])
        missing = np.setdiff1d(np.arange(self.classes_.size), y_index)
        if missing.size:
            logger.info(
                "Levels %s have no training rows; the grader will rarely predict them.",
                preview(self.classes_[missing].tolist()),
            )
        self._fit_networks(X, y_index, sizes, callbacks)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each level, averaged over the trained networks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Finite, scaled features.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_levels)
            Level probabilities in the order of ``classes_``. For ``"bits"`` this
            is the normalised product of the bit probabilities, an approximation
            (see the Notes of :class:`BPGrader`).
        """
        return _class_proba_from_outputs(self._mean_output_proba(X), self.encoding, self.codes_)

    def predict(self, X) -> np.ndarray:
        """Most probable level of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Finite, scaled features.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted levels, of the type of ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # -- hooks of _BaseBPNet ----------------------------------------------------------------

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _targets(self, torch, y_index: np.ndarray):
        if self.encoding == "softmax":
            return torch.from_numpy(y_index.astype(np.int64))
        return torch.from_numpy(self.codes_[y_index].astype(np.float32))

    def _sample_loss(self, torch) -> Callable:
        if self.encoding == "softmax":
            return torch.nn.CrossEntropyLoss(reduction="none")
        if self.encoding == "bits" and self.bit_loss == "mse":

            def squared_error(outputs, targets):
                return ((torch.sigmoid(outputs) - targets) ** 2).mean(dim=1)

            return squared_error
        bce = torch.nn.BCEWithLogitsLoss(reduction="none")

        def cross_entropy(outputs, targets):
            return bce(outputs, targets).mean(dim=1)

        return cross_entropy

    def _output_proba(self, torch, outputs) -> np.ndarray:
        if self.encoding == "softmax":
            return torch.softmax(outputs, dim=1).numpy()
        return torch.sigmoid(outputs).numpy()

    # -- helpers ----------------------------------------------------------------------------

    def _level_index(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The levels (lowest first) and the level index of every label of ``y``."""
        if self.levels is None:
            return np.unique(y, return_inverse=True)
        levels = np.asarray(self.levels)
        if levels.ndim != 1:
            raise ValueError(
                f"levels must be a flat list of labels from the lowest risk to the highest, "
                f"got an array of shape {levels.shape}."
            )
        position: dict = {}
        for i, label in enumerate(levels.tolist()):
            if label in position:
                raise ValueError(
                    f"levels holds {label!r} twice; list every level once, from the lowest "
                    "risk to the highest."
                )
            position[label] = i
        labels = y.tolist()
        unknown = sorted({label for label in labels if label not in position}, key=str)
        if unknown:
            raise ValueError(
                f"y holds labels that are not in levels: {preview(unknown)}; the levels are "
                f"{preview(levels.tolist())}. Add them to levels or correct the labels."
            )
        return levels, np.array([position[label] for label in labels], dtype=np.int64)
