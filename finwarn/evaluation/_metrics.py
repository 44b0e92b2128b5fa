"""Binary classification metrics of a warning model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    roc_auc_score,
    roc_curve,
)

__all__ = ["ALERT_BUDGETS", "METRICS", "binary_metrics", "calibration_table"]

# Shares of firms an analyst can review: the alert-budget metrics flag that many of the
# highest predictions, whatever the model's own alert level.
ALERT_BUDGETS = (0.05, 0.10)


def _budget_name(budget: float) -> str:
    return f"{round(budget * 100, 6):g}".replace(".", "_")


# Reported metrics, in the order tables show them.
METRICS = (
    "roc_auc",
    "pr_auc",
    "ks",
    "brier",
    *(
        f"{kind}_top{_budget_name(budget)}"
        for budget in ALERT_BUDGETS
        for kind in ("recall", "precision")
    ),
    "f1",
    "f2",
    "recall",
    "specificity",
    "precision",
    "accuracy",
    "type_i_error",
    "type_ii_error",
)


def binary_metrics(y_true, proba, y_pred) -> dict[str, float]:
    """Ranking, calibration and decision metrics of one set of predictions.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = distressed.
    proba : array-like of float
        Predicted probability of distress.
    y_pred : array-like of {0, 1}
        The decision (1 = warned) at the model's alert level.

    Returns
    -------
    dict
        Every name of :data:`METRICS`, plus the confusion counts ``tp, fp, tn, fn``
        (positive = distressed, predicted positive = warned):

        - ranking and calibration of ``proba``: ``roc_auc``, ``pr_auc`` (average
          precision), ``ks`` (Kolmogorov-Smirnov statistic), ``brier``;
        - alert budgets, for each share ``b`` of :data:`ALERT_BUDGETS` (``recall_top5``,
          ``precision_top5``, ``recall_top10``, ``precision_top10``): the ``ceil(b * n)``
          rows with the highest ``proba`` are flagged (ties keep the row order: a stable
          sort on descending ``proba``), whatever ``y_pred`` says. ``recall_top*`` is
          the share of all distressed firms that are flagged, ``precision_top*`` the
          share of flagged firms that are distressed;
        - at the decision ``y_pred``: ``f1``, ``f2`` (F-beta with beta = 2, which weighs
          recall four times as much as precision), ``recall`` (sensitivity),
          ``specificity``, ``precision``, ``accuracy``, ``type_i_error`` and
          ``type_ii_error``. These follow the bankruptcy-prediction convention (Altman,
          1968), not hypothesis testing: a type I error misses a failing firm,
          ``FN / (TP + FN)`` = 1 - recall, and a type II error warns a healthy one,
          ``FP / (FP + TN)`` = 1 - specificity.

        Metrics that are undefined on the data are NaN: the ranking metrics with one
        class, ``recall``, ``type_i_error`` and ``recall_top*`` without distressed rows,
        ``specificity`` and ``type_ii_error`` without healthy rows, ``precision``
        without warnings.

    Examples
    --------
    >>> m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], [0, 1, 0, 1])
    >>> round(m["roc_auc"], 2), m["recall"], m["precision"], m["f2"]
    (0.75, 0.5, 0.5, 0.5)
    >>> m["type_i_error"], m["type_ii_error"]
    (0.5, 0.5)

    With 4 rows, a 5% budget flags ``ceil(0.2) = 1`` row, the highest (0.8, distressed):

    >>> m["recall_top5"], m["precision_top5"]
    (0.5, 1.0)
    """
    y = np.asarray(y_true).astype(int)
    p = np.asarray(proba, dtype=float)
    d = np.asarray(y_pred).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, d, labels=[0, 1]).ravel()
    both = len(np.unique(y)) == 2
    out: dict[str, float] = {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "ks": float(np.max(np.subtract(*roc_curve(y, p)[1::-1]))) if both else float("nan"),
        "brier": float(brier_score_loss(y, p, labels=[0, 1])),
    }
    # highest predictions first; a stable sort keeps tied rows in their data order
    ranked = y[np.argsort(-p, kind="stable")]
    for budget in ALERT_BUDGETS:
        flagged = ranked[: _budget_size(budget, len(y))]
        name = _budget_name(budget)
        out[f"recall_top{name}"] = _ratio(flagged.sum(), y.sum())
        out[f"precision_top{name}"] = _ratio(flagged.sum(), len(flagged))
    out.update(
        {
            "f1": _ratio(2 * tp, 2 * tp + fp + fn),
            "f2": _ratio(5 * tp, 5 * tp + 4 * fn + fp),
            "recall": _ratio(tp, tp + fn),
            "specificity": _ratio(tn, tn + fp),
            "precision": _ratio(tp, tp + fp),
            "accuracy": _ratio(tp + tn, tp + tn + fp + fn),
            "type_i_error": _ratio(fn, tp + fn),
            "type_ii_error": _ratio(fp, fp + tn),
        }
    )
    out.update({"tp": float(tp), "fp": float(fp), "tn": float(tn), "fn": float(fn)})
    return out


def _budget_size(budget: float, n: int) -> int:
    # round first so that floating error (0.07 * 100 = 7.000000000000001) does not add a row
    return min(n, math.ceil(round(budget * n, 9)))


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def calibration_table(y_true, proba, *, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed distress rates, by quantile bin of the prediction.

    Parameters
    ----------
    y_true : array-like of {0, 1}
    proba : array-like of float
    bins : int
        Number of equal-count bins (deciles by default); ties may merge bins.

    Returns
    -------
    pandas.DataFrame
        ``bin`` (1 = lowest predictions), ``predicted`` (mean probability), ``observed``
        (share distressed) and ``n`` per bin.

    Examples
    --------
    >>> table = calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], bins=2)
    >>> table.to_dict(orient="list")
    {'bin': [1, 2], 'predicted': [0.15, 0.8], 'observed': [0.0, 1.0], 'n': [2, 2]}
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(proba, dtype=float)
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, min(bins, len(p)))
    rows = [
        {
            "bin": i + 1,
            "predicted": round(float(p[g].mean()), 6),
            "observed": round(float(y[g].mean()), 6),
            "n": len(g),
        }
        for i, g in enumerate(groups)
        if len(g)
    ]
    return pd.DataFrame(rows, columns=["bin", "predicted", "observed", "n"])
