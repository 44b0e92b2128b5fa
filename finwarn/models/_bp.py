"""Backpropagation (BP) network with an adaptive learning rate (papers 000, 002, 004).

PyTorch is imported only inside ``fit`` and the prediction methods, so
``finwarn.models`` imports without it; torch is the optional ``finwarn[nn]`` extra.
The network building and training loop live in ``_BaseBPNet``, shared with the
k-level grader of paper 004 (:class:`finwarn.models.BPGrader`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from finwarn._validation import is_valid_float_array

__all__ = ["BPNetClassifier"]

logger = logging.getLogger(__name__)

_SEED_BOUND = 2**31 - 1
_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "elu": "ELU"}
_HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "learning_rate"]


def _import_torch(owner: str = "BPNetClassifier"):
    """Import torch, or say how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{owner} needs PyTorch, which is not installed. "
            "Install it with: pip install 'finwarn[nn]'"
        ) from exc
    return torch


@contextmanager
def _torch_threads(torch, n_threads: int | None):
    """Run a block with ``n_threads`` torch threads, then restore the previous count."""
    previous = torch.get_num_threads()
    if n_threads is not None and n_threads != previous:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


#: Parameters of the network and its training, shared by every ``_BaseBPNet`` subclass.
_NETWORK_CONSTRAINTS: dict[str, list] = {
    "hidden_layer_sizes": [tuple, list],
    "activation": [StrOptions(set(_ACTIVATIONS))],
    "batch_norm": ["boolean"],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "optimizer": [StrOptions({"adam", "sgd"})],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "lr_schedule": [StrOptions({"plateau", "bold_driver", "constant"})],
    "lr_decay": [Interval(Real, 0, 1, closed="neither")],
    "lr_growth": [Interval(Real, 1, None, closed="left")],
    "lr_patience": [Interval(Integral, 0, None, closed="left")],
    "min_learning_rate": [Interval(Real, 0, None, closed="left")],
    "max_learning_rate": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "class_weight": [StrOptions({"balanced"}), dict, None],
    "n_networks": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    "callbacks": [callable, list, None],
}


class _BaseBPNet(ClassifierMixin, BaseEstimator):
    """Network building and training loop shared by the BP estimators.

    A subclass stores the parameters of ``_NETWORK_CONSTRAINTS``, sets ``classes_``
    in ``fit`` and then calls ``_fit_networks``; it says how class indices become
    training targets and how network outputs become class probabilities by
    overriding the hooks below. Subclasses may also define ``epoch_fraction``
    (share of training rows drawn for each epoch) and ``target_error`` (stop once
    the training loss falls below it); without them every epoch sees every row
    and training runs to ``max_epochs``.
    """

    hidden_layer_sizes: Sequence[int]

    # -- hooks ------------------------------------------------------------------------------

    def _n_outputs(self) -> int:
        """Width of the output layer."""
        return int(self.classes_.size)

    def _targets(self, torch, y_index: np.ndarray):
        """Training targets of the rows with class indices ``y_index``."""
        return torch.from_numpy(y_index.astype(np.int64))

    def _sample_loss(self, torch) -> Callable:
        """``loss(outputs, targets)`` -> one unweighted loss per row."""
        return torch.nn.CrossEntropyLoss(reduction="none")

    def _output_proba(self, torch, outputs) -> np.ndarray:
        """Probabilities of one network's raw outputs (float64 tensor)."""
        return torch.softmax(outputs, dim=1).numpy()

    # -- shared machinery -------------------------------------------------------------------

    def _check_two_classes(self) -> None:
        if self.classes_.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes in y, got only one class: "
                f"{self.classes_.tolist()[0]!r}. Check the labels of the training data."
            )

    def _fit_networks(self, X: np.ndarray, y_index: np.ndarray, sizes, callbacks) -> None:
        """Train ``n_networks`` networks on ``X`` and the class indices ``y_index``."""
        torch = _import_torch(type(self).__name__)
        rng = check_random_state(self.random_state)
        seeds = rng.randint(_SEED_BOUND, size=(self.n_networks, 2))
        X32 = torch.from_numpy(np.array(X, dtype=np.float32, copy=True))
        targets = self._targets(torch, y_index)
        self.modules_, self.histories_, best_epochs = [], [], []
        with _torch_threads(torch, self.n_threads):
            for network, (split_seed, torch_seed) in enumerate(seeds):
                # each network holds out its own validation rows, so together they see all rows
                train_idx, val_idx = self._split(y_index, int(split_seed))
                class_weights = torch.as_tensor(
                    self._class_weights(y_index[train_idx]), dtype=torch.float32
                )
                row_weights = class_weights[torch.from_numpy(y_index.astype(np.int64))]
                data = {
                    "X_train": X32[train_idx],
                    "y_train": targets[train_idx],
                    "w_train": row_weights[train_idx],
                    "X_val": None if val_idx is None else X32[val_idx],
                    "y_val": None if val_idx is None else targets[val_idx],
                    "w_val": None if val_idx is None else row_weights[val_idx],
                }
                module, history, best_epoch = self._train_one(
                    torch, sizes, data, int(torch_seed), network, callbacks
                )
                self.modules_.append(module)
                self.histories_.append(history)
                best_epochs.append(best_epoch)
        self.validation_used_ = val_idx is not None
        self.module_ = self.modules_[0]
        self.history_ = self.histories_[0]
        self.n_iter_ = len(self.history_)
        self.best_epoch_ = best_epochs[0]

    def _mean_output_proba(self, X) -> np.ndarray:
        """Output probabilities of ``X``, averaged over the trained networks."""
        check_is_fitted(self)
        if not is_valid_float_array(self, X, allow_nan=False):
            X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        torch = _import_torch(type(self).__name__)
        inputs = torch.from_numpy(np.array(X, dtype=np.float32, copy=True))
        proba = np.zeros((X.shape[0], self._n_outputs()))
        with _torch_threads(torch, self.n_threads), torch.inference_mode():
            for module in self.modules_:
                if module.training:  # eval() walks every layer: 15 us of a 0.1 ms call
                    module.eval()
                proba += self._output_proba(torch, module(inputs).double())
        return proba / len(self.modules_)

    # -- training ---------------------------------------------------------------------------

    def _train_one(self, torch, sizes, data, seed, network, callbacks):
        """Train one network; torch's global RNG is restored afterwards."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(seed)
            module = self._build(torch, data["X_train"].shape[1], sizes)
            return self._loop(torch, module, generator, data, network, callbacks)

    def _loop(self, torch, module, generator, data, network, callbacks):
        X_train, y_train, w_train = data["X_train"], data["y_train"], data["w_train"]
        X_val, y_val, w_val = data["X_val"], data["y_val"], data["w_val"]
        has_val = X_val is not None
        n_train = X_train.shape[0]
        # rows drawn (without replacement) for each epoch; paper 004 draws 10%
        n_epoch = max(1, math.ceil(getattr(self, "epoch_fraction", 1.0) * n_train))
        batch_size = n_epoch if self.batch_size is None else self.batch_size
        n_batches = max(1, math.ceil(n_epoch / batch_size))
        target_error = getattr(self, "target_error", None)
        optimizer = self._make_optimizer(torch, module)
        loss_fn = self._sample_loss(torch)

        def weighted_loss(outputs, target, row_weights):
            return (row_weights * loss_fn(outputs, target)).mean()

        lr = float(self.learning_rate)
        rows: list[dict[str, float]] = []
        best_loss, best_epoch, best_state = math.inf, 0, None
        plateau_best, stale = math.inf, 0
        previous_train = math.inf
        for epoch in range(1, self.max_epochs + 1):
            for group in optimizer.param_groups:
                group["lr"] = lr
            module.train()
            order = torch.randperm(n_train, generator=generator)[:n_epoch]
            total = 0.0
            for batch in torch.tensor_split(order, n_batches):
                optimizer.zero_grad(set_to_none=True)
                loss = weighted_loss(module(X_train[batch]), y_train[batch], w_train[batch])
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * batch.numel()
            train_loss = total / n_epoch
            val_loss = math.nan
            if has_val:
                module.eval()
                with torch.no_grad():
                    val_loss = float(weighted_loss(module(X_val), y_val, w_val))
            if not math.isfinite(train_loss):
                if best_state is None:
                    raise ValueError(
                        f"{type(self).__name__} training diverged: the training loss of network "
                        f"{network} is {train_loss} at epoch {epoch}. Lower learning_rate "
                        f"(it is {self.learning_rate}) or scale the inputs with "
                        "finwarn.cleaning.make_cleaner."
                    )
                logger.warning(
                    "Network %d: training loss is %s at epoch %d; stopping and keeping "
                    "epoch %d. Lower learning_rate or scale the inputs.",
                    network,
                    train_loss,
                    epoch,
                    best_epoch,
                )
                break
            rows.append(
                {
                    "epoch": epoch,
                    "train_loss": train_loss,
                    "val_loss": val_loss,
                    "learning_rate": lr,
                }
            )
            monitored = val_loss if has_val else train_loss
            if monitored < best_loss - self.tol:
                best_loss, best_epoch = monitored, epoch
                if has_val and self.early_stopping:
                    best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            logger.debug(
                "network %d epoch %d: train_loss=%.5f val_loss=%.5f lr=%.3g",
                network,
                epoch,
                train_loss,
                val_loss,
                lr,
            )
            info = {
                "network": network,
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "learning_rate": lr,
                "best_epoch": best_epoch,
            }
            if any([callback(info) is True for callback in callbacks]):  # call every one
                logger.info("Network %d: a callback stopped training at epoch %d", network, epoch)
                break
            if has_val and self.early_stopping and epoch - best_epoch >= self.patience:
                break
            if target_error is not None and train_loss < target_error:
                logger.info(
                    "Network %d: training loss %.3g fell below target_error %.3g at epoch %d",
                    network,
                    train_loss,
                    target_error,
                    epoch,
                )
                break
            if monitored < plateau_best - self.tol:
                plateau_best, stale = monitored, 0
            else:
                stale += 1
            lr, stale = self._next_learning_rate(lr, train_loss, previous_train, stale)
            previous_train = train_loss
        if best_state is not None:
            module.load_state_dict(best_state)
        else:
            best_epoch = len(rows)
        module.eval()
        history = pd.DataFrame(rows, columns=_HISTORY_COLUMNS)
        logger.debug("network %d: kept epoch %d of %d", network, best_epoch, len(rows))
        return module, history, best_epoch

    def _next_learning_rate(
        self, lr: float, train_loss: float, previous_train: float, stale: int
    ) -> tuple[float, int]:
        """Learning rate of the next epoch, and the updated count of stale epochs."""
        if self.lr_schedule == "bold_driver":
            lr *= self.lr_growth if train_loss < previous_train else self.lr_decay
        elif self.lr_schedule == "plateau" and stale >= self.lr_patience:
            lr, stale = lr * self.lr_decay, 0
        return float(min(max(lr, self.min_learning_rate), self.max_learning_rate)), stale

    # -- helpers ----------------------------------------------------------------------------

    def _build(self, torch, n_features: int, sizes: list[int]):
        nn = torch.nn
        layers: list[Any] = []
        width = n_features
        for size in sizes:
            layers.append(nn.Linear(width, size))
            if self.batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(getattr(nn, _ACTIVATIONS[self.activation])())
            if self.dropout > 0:
                layers.append(nn.Dropout(self.dropout))
            width = size
        layers.append(nn.Linear(width, self._n_outputs()))
        return nn.Sequential(*layers)

    def _make_optimizer(self, torch, module):
        if self.optimizer == "adam":
            return torch.optim.AdamW(
                module.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
            )
        return torch.optim.SGD(
            module.parameters(),
            lr=self.learning_rate,
            momentum=self.momentum,
            nesterov=self.momentum > 0,
            weight_decay=self.weight_decay,
        )

    def _split(self, y_index: np.ndarray, seed: int):
        """Stratified inner split, or (all rows, None) when it cannot be made."""
        all_rows = np.arange(y_index.size)
        if not self.early_stopping:
            return all_rows, None
        n_classes = self.classes_.size
        n_val = math.ceil(self.validation_fraction * y_index.size)
        smallest = np.bincount(y_index).min()
        if smallest < 2 or n_val < n_classes or y_index.size - n_val < n_classes:
            logger.info(
                "Too few samples for an inner validation split (%d rows, smallest class %d); "
                "training %d epochs on all rows without early stopping.",
                y_index.size,
                smallest,
                self.max_epochs,
            )
            return all_rows, None
        train_idx, val_idx = train_test_split(
            all_rows, test_size=n_val, stratify=y_index, random_state=seed
        )
        return np.sort(train_idx), np.sort(val_idx)

    def _class_weights(self, y_index: np.ndarray) -> np.ndarray:
        """Loss weight per class index, from the rows the network trains on."""
        weights = np.ones(self.classes_.size)
        if self.class_weight is None:
            return weights
        if isinstance(self.class_weight, str):  # "balanced"
            present = np.unique(y_index)
            weights[present] = compute_class_weight("balanced", classes=present, y=y_index)
            return weights
        given: dict = dict(self.class_weight)
        known = set(self.classes_.tolist())
        unknown = [label for label in given if label not in known]
        if unknown:
            raise ValueError(
                f"class_weight names labels that are not in y: {unknown[:5]!r}; "
                f"the classes are {self.classes_.tolist()[:5]!r}."
            )
        for i, label in enumerate(self.classes_.tolist()):
            weights[i] = float(given.get(label, 1.0))
        return weights

    def _check_hidden_layer_sizes(self) -> list[int]:
        sizes = list(self.hidden_layer_sizes)
        if not sizes or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a non-empty tuple of positive integers, "
                f"got {self.hidden_layer_sizes!r}; for example (128,) or (64, 32)."
            )
        return [int(s) for s in sizes]

    def _check_callbacks(self) -> list[Callable]:
        if self.callbacks is None:
            return []
        callbacks = self.callbacks if isinstance(self.callbacks, list) else [self.callbacks]
        not_callable = [c for c in callbacks if not callable(c)]
        if not_callable:
            raise ValueError(
                f"callbacks must be callables taking one dict, got {not_callable[:5]!r}."
            )
        return callbacks


class BPNetClassifier(_BaseBPNet):
    """Multilayer perceptron trained by backpropagation, with an adaptive learning rate.

    The "improved BP" network of papers 000, 002 and 004: a fully connected
    network trained by gradient descent on the (class-weighted) cross-entropy,
    whose learning rate adapts during training. It is built for the small,
    imbalanced and noisy tables of financial distress data, where an
    off-the-shelf MLP swings from fold to fold. Class weights in the loss,
    decoupled weight decay, dropout and a learning rate that adapts to the
    loss keep it stable; optional early stopping on a stratified inner
    validation split (restoring the best weights) and an average over
    ``n_networks`` independently seeded networks are there for data where
    they help.

    It expects finite numeric inputs on comparable scales and refuses NaN:
    put it behind :func:`finwarn.cleaning.make_cleaner`. For financial ratios,
    quantile scaling plus missing-value flags works far better than min-max
    scaling; ``finwarn.models.make_model("bp")`` builds that pipeline.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(128,)
        Width of each hidden layer.
    activation : {"tanh", "relu", "sigmoid", "elu"}, default="tanh"
        Activation of the hidden layers (``"sigmoid"`` is the classic BP choice;
        ``"tanh"`` scored best and steadiest in ``benchmarks/bp_tuning.py``).
    batch_norm : bool, default=False
        Batch-normalise each hidden layer before its activation.
    dropout : float, default=0.1
        Dropout probability after each hidden layer.
    optimizer : {"adam", "sgd"}, default="adam"
        ``"adam"`` is AdamW (decoupled weight decay); ``"sgd"`` is stochastic
        gradient descent with Nesterov ``momentum``.
    learning_rate : float, default=1e-3
        Initial learning rate.
    momentum : float, default=0.9
        Momentum of ``"sgd"``.
    lr_schedule : {"plateau", "bold_driver", "constant"}, default="plateau"
        How the learning rate adapts after each epoch. ``"plateau"`` multiplies
        it by ``lr_decay`` when the monitored loss (validation loss, or training
        loss without a validation split) has not improved for ``lr_patience``
        epochs. ``"bold_driver"`` multiplies it by ``lr_growth`` after an epoch
        that lowered the training loss and by ``lr_decay`` after one that raised
        it. ``"constant"`` keeps it.
    lr_decay : float, default=0.5
        Factor (in ``(0, 1)``) by which the learning rate is cut.
    lr_growth : float, default=1.05
        Factor (``>= 1``) by which ``"bold_driver"`` grows the learning rate.
    lr_patience : int, default=5
        Epochs without improvement before ``"plateau"`` cuts the learning rate.
    min_learning_rate : float, default=1e-6
        Floor of the adapted learning rate.
    max_learning_rate : float, default=0.1
        Ceiling of the adapted learning rate.
    weight_decay : float, default=1e-4
        L2 penalty (decoupled for ``"adam"``).
    batch_size : int, default=256
        Mini-batch size; the training rows are split into equal batches of at
        most this size.
    max_epochs : int, default=60
        Maximum number of passes over the training data.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (stratified), stop
        when the validation loss has not improved by ``tol`` for ``patience``
        epochs, and restore the weights of the best epoch. With too few rows
        for a split (a class with fewer than two rows), train for
        ``max_epochs`` on all rows instead. Off by default: on the Polish and
        Taiwan data, 60 epochs on all training rows ranked distressed firms
        better (ROC-AUC +0.5 to +1.1 points) than stopping on the validation
        loss, which rises with over-confidence while the ranking still improves.
    validation_fraction : float, default=0.2
        Share of training rows held out for early stopping.
    patience : int, default=20
        Epochs without validation improvement before training stops.
    tol : float, default=1e-4
        Smallest decrease of the monitored loss that counts as an improvement.
    class_weight : "balanced", dict or None, default="balanced"
        Weights of the classes in the loss. ``"balanced"`` weights each class
        inversely to its frequency in the training rows, so the rare distressed
        firms count as much as the healthy ones; a dict maps labels to weights.
    n_networks : int, default=1
        Number of networks whose predicted probabilities are averaged. Each has
        its own seed and its own inner validation split, so together they learn
        from every training row; more networks, steadier scores.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the weight initialisation, the batch order
        and dropout. Fitting is deterministic for a fixed seed; torch's global
        random state is saved and restored around training.
    n_threads : int or None, default=1
        Torch intra-op threads while fitting and predicting; torch's previous
        setting is restored afterwards. One thread is fastest for networks this
        small (more threads only wait on each other, badly so on a busy machine)
        and gives the same numbers on any machine. None leaves torch's setting alone.
    callbacks : callable, list of callables or None, default=None
        Called after every epoch with a dict holding ``network``, ``epoch``,
        ``train_loss``, ``val_loss`` (NaN without validation), ``learning_rate``
        and ``best_epoch``. A callback that returns True stops the training of
        that network. An estimator holding a lambda cannot be pickled.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen in ``fit``, when ``X`` was a DataFrame with string names.
    module_ : torch.nn.Sequential
        The (first) trained network, in evaluation mode.
    modules_ : list of torch.nn.Sequential
        All ``n_networks`` trained networks.
    history_ : pandas.DataFrame
        One row per epoch of the first network: ``epoch``, ``train_loss``,
        ``val_loss`` (NaN without validation) and ``learning_rate`` (the rate
        used during that epoch).
    histories_ : list of pandas.DataFrame
        ``history_`` of every network.
    n_iter_ : int
        Epochs run by the first network.
    best_epoch_ : int
        Epoch of the first network whose weights were kept (the last epoch
        without early stopping).
    validation_used_ : bool
        Whether an inner validation split was used.

    See Also
    --------
    finwarn.models.make_model : The network behind its cleaning pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from finwarn.models import BPNetClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = np.where(X[:, 0] * X[:, 1] > 0, "distress", "healthy")
    >>> net = BPNetClassifier(batch_size=32, learning_rate=0.01, random_state=0).fit(X, y)
    >>> net.classes_
    array(['distress', 'healthy'], dtype='<U8')
    >>> bool(net.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list]] = dict(_NETWORK_CONSTRAINTS)

    def __init__(
        self,
        *,
        hidden_layer_sizes: Sequence[int] = (128,),
        activation: str = "tanh",
        batch_norm: bool = False,
        dropout: float = 0.1,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        momentum: float = 0.9,
        lr_schedule: str = "plateau",
        lr_decay: float = 0.5,
        lr_growth: float = 1.05,
        lr_patience: int = 5,
        min_learning_rate: float = 1e-6,
        max_learning_rate: float = 0.1,
        weight_decay: float = 1e-4,
        batch_size: int = 256,
        max_epochs: int = 60,
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
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.class_weight = class_weight
        self.n_networks = n_networks
        self.random_state = random_state
        self.n_threads = n_threads
        self.callbacks = callbacks

    def fit(self, X, y) -> BPNetClassifier:
        """Train the network(s) on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite, scaled features.
        y : array-like of shape (n_samples,)
            Class labels of any type (strings included); at least two classes.

        Returns
        -------
        self : BPNetClassifier
            The fitted classifier.

        Raises
        ------
        ValueError
            If a parameter is invalid, ``X`` holds NaN or infinity, or ``y`` has
            a single class.
        ImportError
            If PyTorch is not installed.
        """
        self._validate_params()
        sizes = self._check_hidden_layer_sizes()
        callbacks = self._check_callbacks()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        self._check_two_classes()
        self._fit_networks(X, y_index, sizes, callbacks)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class, averaged over the trained networks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Finite, scaled features.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in the order of ``classes_``.
        """
        return self._mean_output_proba(X)

    def predict(self, X) -> np.ndarray:
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Finite, scaled features.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, of the type of ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
