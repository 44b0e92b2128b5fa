"""Binary classification metrics of a warning model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    roc_auc_score,
    roc_curve,
)

__all__ = ["METRICS", "binary_metrics", "calibration_table"]

# Reported metrics, in the order tables show them.
METRICS = (
    "roc_auc",
    "pr_auc",
    "ks",
    "brier",
    "f1",
    "recall",
    "specificity",
    "precision",
    "accuracy",
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
        ``roc_auc``, ``pr_auc`` (average precision), ``ks`` (Kolmogorov-Smirnov
        statistic), ``brier``, and at the decision: ``f1``, ``recall`` (sensitivity),
        ``specificity``, ``precision``, ``accuracy``; plus the confusion counts
        ``tp, fp, tn, fn``. Metrics that are undefined on the data (e.g. AUC with
        one class) are NaN.

    Examples
    --------
    >>> m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], [0, 1, 0, 1])
    >>> round(m["roc_auc"], 2), m["recall"], m["precision"]
    (0.75, 0.5, 0.5)
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
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "recall": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "precision": _ratio(tp, tp + fp),
        "accuracy": _ratio(tp + tn, tp + tn + fp + fn),
    }
    out.update({"tp": float(tp), "fp": float(fp), "tn": float(tn), "fn": float(fn)})
    return out


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
