"""Per-firm, per-feature contributions to a model's log-odds of distress.

One entry point, :func:`explain_model`, picks the method by the final estimator of
the model's pipeline:

=================  ==================  =================================================
final estimator    ``method``          contributions
=================  ==================  =================================================
LightGBM           ``"tree_shap"``     LightGBM's own exact TreeSHAP (``pred_contrib``)
LogisticRegression ``"linear"``        ``coef * (x - background mean)``, exact
BPNetClassifier    ``"gradients"``     gradient x (input - baseline), the gradient
                                       averaged along the path from the baseline
                                       (integrated gradients)
text models        ``"text_model"``    the text branch's exact share of the log-odds
                                       against the background's mean, and occlusion of
                                       each number in the financial branch alone
anything else      ``"occlusion"``     log-odds change when one feature at a time is
                                       set to its background median
=================  ==================  =================================================

The first three work in the cleaned space the estimator sees; contributions of
columns a cleaner derives from a feature (the ``<feature>_missing`` flags of
:class:`finwarn.cleaning.Imputer`) are added back to that feature, so every method
answers in the space of the original features. Features the cleaner dropped get 0.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import DataValidationError

__all__ = ["EXACT_METHODS", "METHODS", "Attribution", "explain_model"]

logger = logging.getLogger(__name__)

#: Attribution methods, by the final estimator they serve (see the module docstring).
METHODS: tuple[str, ...] = ("tree_shap", "linear", "gradients", "text_model", "occlusion")
#: Methods whose contributions plus ``base_value`` give the model's log-odds exactly.
EXACT_METHODS: frozenset[str] = frozenset({"tree_shap", "linear"})

# Probabilities are clipped this far from 0 and 1 before taking log-odds.
_EPS = 1e-12
# Rows of X x steps (gradients) or x features (occlusion) evaluated in one batch.
_BATCH_ROWS = 65_536
# Suffix of the missing-value flags of finwarn.cleaning.Imputer.
_MISSING_SUFFIX = "_missing"


@dataclass(frozen=True)
class Attribution:
    """Contributions of every feature to every firm's log-odds of distress.

    Attributes
    ----------
    values : pandas.DataFrame
        Firms (the index of the explained ``X``) x features (its columns). A positive
        value raises the firm's risk, a negative one lowers it.
    base_value : float
        The log-odds at the baseline: the expected log-odds of the training data
        (``tree_shap``), the log-odds of the background mean (``linear``,
        ``gradients``) or of the background median (``occlusion``).
    method : str
        One of :data:`METHODS`.
    log_odds : pandas.Series
        The model's log-odds of distress (before calibration) of every firm. For the
        exact methods ``values.sum(axis=1) + base_value`` equals it; for
        ``gradients`` it does up to the integration error.

    Examples
    --------
    >>> import pandas as pd
    >>> a = Attribution(
    ...     values=pd.DataFrame({"debt_ratio": [0.8, -0.2], "roa": [0.1, -0.4]}, index=["A", "B"]),
    ...     base_value=-2.0,
    ...     method="linear",
    ...     log_odds=pd.Series([-1.1, -2.6], index=["A", "B"]),
    ... )
    >>> a.by_dimension({"debt_ratio": "solvency", "roa": "profitability"})
       solvency  profitability
    A       0.8            0.1
    B      -0.2           -0.4
    >>> a.table().head(2)
      row     feature  contribution
    0   A  debt_ratio           0.8
    1   A         roa           0.1
    """

    values: pd.DataFrame
    base_value: float
    method: str
    log_odds: pd.Series

    @property
    def exact(self) -> bool:
        """Whether contributions plus ``base_value`` reproduce ``log_odds`` exactly."""
        return self.method in EXACT_METHODS

    def table(self) -> pd.DataFrame:
        """Tidy contributions: one row per firm and feature.

        Columns ``row``, ``feature`` and ``contribution``.

        ``row`` is the firm's label in the explained ``X``; rows keep the order of
        ``X`` and, within a firm, the order of the features.
        """
        values = self.values
        return pd.DataFrame(
            {
                "row": np.repeat(values.index.to_numpy(), values.shape[1]),
                "feature": np.tile(values.columns.to_numpy(dtype=object), values.shape[0]),
                "contribution": values.to_numpy(dtype=float).ravel(),
            }
        )

    def by_dimension(self, dimensions: Mapping[str, str]) -> pd.DataFrame:
        """Sum the contributions over the features of each dimension.

        Parameters
        ----------
        dimensions : mapping of str to str
            Feature -> dimension (e.g. ``FeatureSpec.dimensions``); features it does not
            name count as ``other``.

        Returns
        -------
        pandas.DataFrame
            Firms x dimensions, dimensions in the order they first appear among the
            features.
        """
        keys = [dimensions.get(str(c), "other") for c in self.values.columns]
        order = list(dict.fromkeys(keys))
        summed = self.values.T.groupby(np.asarray(keys, dtype=object), sort=False).sum().T
        summed = summed[order]
        summed.columns = pd.Index(order, dtype=object)
        return summed


# --------------------------------------------------------------------------- entry point


def explain_model(
    model: Any,
    X: pd.DataFrame | np.ndarray,
    *,
    background: pd.DataFrame | np.ndarray | None = None,
    n_steps: int = 16,
) -> Attribution:
    """Explain every firm's risk: the contribution of each feature to its log-odds.

    Contributions are to the log-odds of distress of the uncalibrated model (the
    estimator inside a :class:`~finwarn.warning.WarningClassifier`). Calibration is
    monotone, so a feature that raises the log-odds raises the calibrated probability.
    The method is chosen by the final estimator (see :data:`METHODS`):

    * LightGBM: exact TreeSHAP as computed by LightGBM itself
      (``booster_.predict(..., pred_contrib=True)``); ``background`` is not used,
      the base value is the expected log-odds over the training data.
    * Logistic regression: the exact linear contribution
      ``coef_ * (x - mean)`` in the cleaned space, ``mean`` over ``background``.
    * :class:`~finwarn.models.BPNetClassifier`: gradient x (input - baseline) of the
      log-odds of the networks' averaged probability, baseline = the background mean
      in the cleaned space. The gradient is averaged over ``n_steps`` points on the
      straight path from the baseline to the input (integrated gradients), so the
      contributions add up to the change in log-odds from the baseline up to a small
      integration error, where a single gradient would not on a saturating network.
    * Any other classifier with ``predict_proba``: occlusion. Each feature in turn is
      set to its median over ``background`` (all firms at once, batched) and the
      contribution is the log-odds lost by doing so. Interactions are not shared out,
      so the contributions need not add up to the log-odds; the base value is the
      log-odds of the all-median firm.

    Parameters
    ----------
    model : WarningClassifier, Pipeline or classifier
        A fitted :class:`~finwarn.warning.WarningClassifier`, a fitted Pipeline whose
        last step is a binary classifier with ``predict_proba`` (cleaning steps
        before it), or such a classifier alone. Distress is ``classes_[1]``.
    X : pandas.DataFrame or numpy.ndarray of shape (n_firms, n_features)
        The firms to explain, with the columns the model was trained on; NaN allowed
        where the model's cleaner handles it.
    background : DataFrame or ndarray, optional
        Reference firms that define the baseline ("an average firm"), ideally the
        training rows; default: ``X`` itself.
    n_steps : int, default=16
        Integration points of the ``gradients`` method (ignored by the others).

    Returns
    -------
    Attribution
        ``values`` has the index and columns of ``X``.

    Raises
    ------
    ValueError
        If the model is not fitted, has no ``predict_proba`` or is not binary, or if
        ``background`` lacks a column of ``X``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["debt_ratio", "roa"])
    >>> y = (X["debt_ratio"] - X["roa"] + rng.normal(size=200) > 1).astype(int)
    >>> attribution = explain_model(LogisticRegression().fit(X, y), X)
    >>> attribution.method
    'linear'
    >>> total = attribution.values.sum(axis=1) + attribution.base_value
    >>> bool(np.allclose(total, attribution.log_odds))
    True
    """
    if not isinstance(n_steps, Integral) or isinstance(n_steps, bool) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}; e.g. 16.")
    preprocess, estimator = _unwrap(model)
    X = _as_frame(X, estimator if preprocess is None else preprocess)
    # an empty X explains nothing: only a background passed in must have rows
    background = X if background is None else _align_background(background, X)
    if len(background) == 0 and len(X) > 0:
        raise ValueError(
            "background has no rows; pass reference firms (ideally the training rows) "
            "or leave background=None to use X."
        )
    start = time.perf_counter()
    method = _choose_method(estimator)
    columns = list(X.columns)
    own_space = method in ("occlusion", "text_model")
    folding = None if own_space else _folding(preprocess, columns)
    if folding is None and not own_space:
        logger.warning(
            "cannot map the columns the cleaner of %s outputs back to the features; "
            "explaining by occlusion instead of %s",
            type(estimator).__name__,
            method,
        )
        method = "occlusion"
    if len(X) == 0:
        empty = pd.DataFrame(np.zeros((0, len(columns))), index=X.index, columns=X.columns)
        log_odds = pd.Series([], index=X.index, dtype=float, name="log_odds")
        return Attribution(empty, float("nan"), method, log_odds)
    if method == "occlusion":
        contrib, base, log_odds = _occlusion(model, X, background)
    elif method == "text_model":
        contrib, base, log_odds = _text_model(estimator, X, background)
    else:
        assert folding is not None
        Xc = _transform(preprocess, X)
        if method == "tree_shap":
            clean_contrib, base, log_odds = _tree_shap(estimator, Xc)
        else:
            reference = _transform(preprocess, background).mean(axis=0)
            if method == "linear":
                clean_contrib, base, log_odds = _linear(estimator, Xc, reference)
            else:
                clean_contrib, base, log_odds = _gradients(estimator, Xc, reference, n_steps)
        contrib = _fold(clean_contrib, folding, len(columns))
    logger.info(
        "explained %d firms x %d features by %s in %.2f s",
        len(X),
        len(columns),
        method,
        time.perf_counter() - start,
    )
    return Attribution(
        values=pd.DataFrame(contrib, index=X.index, columns=X.columns),
        base_value=float(base),
        method=method,
        log_odds=pd.Series(log_odds, index=X.index, name="log_odds"),
    )


# --------------------------------------------------------------------------- model access


def _unwrap(model: Any) -> tuple[Pipeline | None, Any]:
    """(cleaning steps or None, final estimator) of a fitted model."""
    from finwarn.warning import WarningClassifier

    inner = model
    if isinstance(model, WarningClassifier):
        check_is_fitted(model, "estimator_")
        inner = model.estimator_
    preprocess: Pipeline | None = None
    estimator = inner
    if isinstance(inner, Pipeline):
        estimator = inner.steps[-1][1]
        if len(inner.steps) > 1:
            preprocess = inner[:-1]
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(
            f"explain_model needs a classifier with predict_proba as the model's last step; "
            f"got {type(estimator).__name__}. Pass a fitted WarningClassifier or a Pipeline "
            "ending in a classifier."
        )
    check_is_fitted(estimator)
    classes = getattr(estimator, "classes_", None)
    if classes is None or len(classes) != 2:
        n = "no" if classes is None else str(len(classes))
        raise ValueError(
            f"explain_model explains binary classifiers (distress or not); "
            f"{type(estimator).__name__} has {n} classes."
        )
    return preprocess, estimator


def _as_frame(X: Any, fitted: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"X must be two-dimensional (firms x features), got shape {array.shape}.")
    names = getattr(fitted, "feature_names_in_", None)
    if names is None or len(names) != array.shape[1]:
        names = [f"x{i}" for i in range(array.shape[1])]
    return pd.DataFrame(array, columns=[str(n) for n in names])


def _align_background(background: Any, X: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(background, pd.DataFrame):
        array = np.asarray(background, dtype=float)
        if array.ndim != 2 or array.shape[1] != X.shape[1]:
            raise ValueError(
                f"background must have the {X.shape[1]} columns of X, got shape {array.shape}."
            )
        return pd.DataFrame(array, columns=X.columns)
    missing = [c for c in X.columns if c not in background.columns]
    if missing:
        others = [str(c) for c in background.columns if c not in X.columns]
        raise DataValidationError(
            f"background lacks {len(missing)} column(s) of X: {preview(missing)}."
            f"{did_you_mean(str(missing[0]), others)} Pass reference firms with the "
            "model's features."
        )
    return background[list(X.columns)]


def _choose_method(estimator: Any) -> str:
    from finwarn.models import BPNetClassifier

    if type(estimator).__module__.startswith("lightgbm") and hasattr(estimator, "booster_"):
        return "tree_shap"
    if isinstance(estimator, LogisticRegression) and np.ndim(estimator.coef_) == 2:
        return "linear"
    if isinstance(estimator, BPNetClassifier):
        return "gradients"
    if hasattr(estimator, "margins") and getattr(estimator, "text_column", None) is not None:
        return "text_model"
    return "occlusion"


def _transform(preprocess: Pipeline | None, X: pd.DataFrame) -> np.ndarray:
    if preprocess is None:
        return X.to_numpy(dtype=np.float64)
    return np.asarray(preprocess.transform(_as_fitted(preprocess, X)), dtype=np.float64)


def _as_fitted(fitted: Any, X: pd.DataFrame) -> pd.DataFrame | np.ndarray:
    """``X`` as a frame for a model fitted on named columns, else as an array."""
    if getattr(fitted, "feature_names_in_", None) is None:
        return X.to_numpy(dtype=np.float64)
    return X


def _folding(preprocess: Pipeline | None, columns: list[str]) -> np.ndarray | None:
    """Original-feature position of every cleaned column, or None if unknown."""
    if preprocess is None:
        return np.arange(len(columns))
    try:
        if hasattr(preprocess[0], "feature_names_in_"):
            out = preprocess.get_feature_names_out()
        else:
            out = preprocess.get_feature_names_out([str(c) for c in columns])
    except (AttributeError, ValueError, TypeError) as exc:
        logger.info("cleaner output names unavailable: %s", exc)
        return None
    position = {str(c): i for i, c in enumerate(columns)}
    mapped = []
    for name in map(str, out):
        if name in position:
            mapped.append(position[name])
        elif name.endswith(_MISSING_SUFFIX) and name[: -len(_MISSING_SUFFIX)] in position:
            mapped.append(position[name[: -len(_MISSING_SUFFIX)]])
        else:
            logger.info("cleaned column %r has no source feature", name)
            return None
    return np.asarray(mapped, dtype=int)


def _fold(clean: np.ndarray, folding: np.ndarray, n_features: int) -> np.ndarray:
    """Add each cleaned column's contributions to its source feature."""
    out = np.zeros((clean.shape[0], n_features))
    for j, source in enumerate(folding):
        out[:, source] += clean[:, j]
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


# --------------------------------------------------------------------------- methods


def _tree_shap(estimator: Any, Xc: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """LightGBM's exact TreeSHAP in log-odds (raw score) space."""
    kwargs: dict[str, Any] = {}
    best = getattr(estimator, "best_iteration_", None)
    if best:
        kwargs["num_iteration"] = best
    contrib = np.asarray(estimator.booster_.predict(Xc, pred_contrib=True, **kwargs))
    base = contrib[:, -1]
    return contrib[:, :-1], float(base[0]), contrib.sum(axis=1)


def _linear(
    estimator: LogisticRegression, Xc: np.ndarray, reference: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray]:
    coef = np.asarray(estimator.coef_, dtype=float).ravel()
    intercept = float(np.ravel(estimator.intercept_)[0])
    contrib = (Xc - reference) * coef
    base = intercept + float(reference @ coef)
    return contrib, base, Xc @ coef + intercept


def _gradients(
    estimator: Any, Xc: np.ndarray, reference: np.ndarray, n_steps: int
) -> tuple[np.ndarray, float, np.ndarray]:
    """Integrated gradients of the log-odds of the networks' averaged probability."""
    from finwarn.models._bp import _import_torch, _torch_threads

    torch = _import_torch("explain_model")
    modules = list(getattr(estimator, "modules_", None) or [estimator.module_])
    log_k = float(np.log(len(modules)))

    def log_odds(inputs):
        # log(mean_k p_k) - log(mean_k (1 - p_k)) with p_k = sigmoid(z1 - z0); stable
        z = torch.stack([m(inputs) for m in modules])  # (k, n, 2)
        margin = z[..., 1] - z[..., 0]
        if len(modules) == 1:
            return margin[0]
        log_p = torch.logsumexp(torch.nn.functional.logsigmoid(margin), 0) - log_k
        log_q = torch.logsumexp(torch.nn.functional.logsigmoid(-margin), 0) - log_k
        return log_p - log_q

    n, m = Xc.shape
    alphas = torch.from_numpy((np.arange(n_steps) + 0.5) / n_steps).to(torch.float64)
    x = torch.from_numpy(Xc)
    base_x = torch.from_numpy(np.asarray(reference, dtype=np.float64))
    delta = x - base_x
    grads = np.empty((n, m))
    chunk = max(1, _BATCH_ROWS // n_steps)
    with _torch_threads(torch, getattr(estimator, "n_threads", None)):
        for module in modules:
            module.eval()
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            path = base_x + alphas[:, None, None] * delta[None, start:stop]  # (s, rows, m)
            path = path.reshape(-1, m).to(torch.float32).requires_grad_(True)
            with torch.enable_grad():
                (grad,) = torch.autograd.grad(log_odds(path).sum(), path)
            grads[start:stop] = grad.reshape(n_steps, stop - start, m).double().mean(0).numpy()
        with torch.inference_mode():
            base = float(log_odds(base_x[None].to(torch.float32)).double()[0])
            full = np.concatenate(
                [
                    log_odds(x[s : s + _BATCH_ROWS].to(torch.float32)).double().numpy()
                    for s in range(0, n, _BATCH_ROWS)
                ]
            )
    return grads * delta.numpy(), base, full


def _text_model(
    estimator: Any, X: pd.DataFrame, background: pd.DataFrame
) -> tuple[np.ndarray, float, np.ndarray]:
    """Text models (finwarn.text): the two branches add up in the log-odds.

    The text column gets the text branch's share of the log-odds minus its mean over
    the background (exact: the output layer is linear). Each number gets the change in
    the financial branch's share when it alone is set to its background median
    (occlusion, cheap: the LSTM is not run again). A model without a financial branch
    gives the numbers 0.
    """
    text_column = estimator.text_column
    numbers = [c for c in X.columns if c != text_column]
    parts = estimator.margins(X)
    reference = estimator.margins(background)
    text = parts["text"] - float(np.mean(reference["text"]))
    contrib = np.zeros(X.shape)
    contrib[:, list(X.columns).index(text_column)] = text
    base = parts["bias"] + float(np.mean(reference["text"]))
    log_odds = parts["text"] + parts["bias"]
    if parts["financial"] is not None:
        with np.errstate(all="ignore"):
            median = np.nanmedian(background[numbers].to_numpy(dtype=float), axis=0)
        values = X[numbers].to_numpy(dtype=float)
        n, d = values.shape
        financial = parts["financial"]
        log_odds = log_odds + financial
        typical = pd.DataFrame(median[None], columns=numbers)
        base += float(estimator.margins(typical, text=False)["financial"][0])
        per_batch = max(1, _BATCH_ROWS // max(n, 1))
        position = {c: list(X.columns).index(c) for c in numbers}
        for first in range(0, d, per_batch):
            features = range(first, min(d, first + per_batch))
            stacked = np.tile(values, (len(features), 1))
            for k, j in enumerate(features):
                stacked[k * n : (k + 1) * n, j] = median[j]
            frame = pd.DataFrame(stacked, columns=numbers)
            occluded = estimator.margins(frame, text=False)["financial"]
            for k, j in enumerate(features):
                contrib[:, position[numbers[j]]] = financial - occluded[k * n : (k + 1) * n]
    return contrib, base, log_odds


def _occlusion(
    model: Any, X: pd.DataFrame, background: pd.DataFrame
) -> tuple[np.ndarray, float, np.ndarray]:
    """Log-odds lost when each feature alone is set to its background median."""
    predict = _log_odds_function(model)
    values = X.to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        median = np.nanmedian(background.to_numpy(dtype=float), axis=0)
    n, d = values.shape
    full = predict(X)
    base = float(predict(pd.DataFrame(median[None], columns=X.columns))[0])
    contrib = np.empty((n, d))
    per_batch = max(1, _BATCH_ROWS // max(n, 1))
    for first in range(0, d, per_batch):
        features = range(first, min(d, first + per_batch))
        stacked = np.tile(values, (len(features), 1))
        for k, j in enumerate(features):
            stacked[k * n : (k + 1) * n, j] = median[j]
        occluded = predict(pd.DataFrame(stacked, columns=X.columns))
        for k, j in enumerate(features):
            contrib[:, j] = full - occluded[k * n : (k + 1) * n]
    return contrib, base, full


def _log_odds_function(model: Any) -> Callable[[pd.DataFrame], np.ndarray]:
    """Log-odds of distress of the uncalibrated model, on original features."""
    from finwarn.warning import WarningClassifier

    inner = model.estimator_ if isinstance(model, WarningClassifier) else model

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return _logit(inner.predict_proba(_as_fitted(inner, frame))[:, 1])

    return predict
