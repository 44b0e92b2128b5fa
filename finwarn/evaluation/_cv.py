"""Evaluation protocols: repeated stratified k-fold and a fixed hold-out split."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import RepeatedStratifiedKFold

from finwarn.evaluation._metrics import METRICS, binary_metrics, calibration_table

__all__ = ["EvaluationResult", "cross_validate"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# the rows and columns of EvaluationResult.confusion()
_ACTUAL = ("distressed", "healthy")
_DECISION = ("warned", "not warned")


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics of every test fold, and their summary.

    Attributes
    ----------
    folds : pandas.DataFrame
        One row per test fold: the fold's labels (``repeat`` and ``fold`` for
        :func:`cross_validate`, ``train_until`` and ``test_period`` for
        :func:`~finwarn.evaluation.temporal_evaluate`), sizes, the confusion counts
        ``tp, fp, tn, fn``, ``fit_seconds`` and every metric of
        :data:`finwarn.evaluation.METRICS`.
    protocol : dict
        How the figures were obtained (protocol, folds, repeats, seed, rows, base rate).
    oof : pandas.DataFrame
        Out-of-fold predictions: the fold's labels, ``row`` (position in the data), ``y``,
        ``proba``, ``warned``.
    """

    folds: pd.DataFrame
    protocol: dict[str, Any]
    oof: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Mean, sd (across folds and repeats), min and max of each metric.

        Folds where a metric is undefined (NaN, e.g. ROC-AUC of a test period without
        a distressed firm) are left out of that metric's figures; a metric undefined in
        every fold is NaN throughout.

        Returns
        -------
        pandas.DataFrame
            ``metric`` (:data:`~finwarn.evaluation.METRICS` in order, then
            ``fit_seconds``), ``mean``, ``sd``, ``min``, ``max``.
        """
        rows = []
        for metric in (*METRICS, "fit_seconds"):
            values = self.folds[metric].astype(float).dropna()
            if len(values) > 1:
                sd = float(values.std(ddof=1))
            else:
                sd = 0.0 if len(values) else float("nan")
            rows.append(
                {
                    "metric": metric,
                    "mean": values.mean() if len(values) else float("nan"),
                    "sd": sd,
                    "min": values.min() if len(values) else float("nan"),
                    "max": values.max() if len(values) else float("nan"),
                }
            )
        return pd.DataFrame(rows, columns=["metric", "mean", "sd", "min", "max"])

    def confusion(self) -> pd.DataFrame:
        """Confusion counts at the model's warning decision.

        The counts are summed over the test folds of each repeat, which together hold
        every row once, then averaged over the repeats (so they may be fractional). A
        temporal evaluation has no repeats: its counts are summed over the test
        periods.

        Returns
        -------
        pandas.DataFrame
            Rows ``distressed`` and ``healthy`` (the actual outcome, index name
            ``actual``), columns ``warned`` and ``not warned`` (the decision).
        """
        y = self.oof["y"].to_numpy().astype(int)
        warned = self.oof["warned"].to_numpy().astype(int)
        counts = pd.DataFrame(
            {
                "tp": (y == 1) & (warned == 1),
                "fn": (y == 1) & (warned == 0),
                "fp": (y == 0) & (warned == 1),
                "tn": (y == 0) & (warned == 0),
            }
        ).astype(float)
        if "repeat" in self.oof:
            totals = counts.groupby(self.oof["repeat"].to_numpy()).sum().mean()
        else:
            totals = counts.sum()
        table = pd.DataFrame(
            [[totals["tp"], totals["fn"]], [totals["fp"], totals["tn"]]],
            index=pd.Index(_ACTUAL, name="actual"),
            columns=pd.Index(_DECISION, name="decision"),
        )
        return table

    def calibration(self, bins: int = 10) -> pd.DataFrame:
        """Calibration of the pooled out-of-fold predictions.

        Every out-of-fold prediction counts, from all repeats together (a row predicted
        in two repeats counts twice).

        Parameters
        ----------
        bins : int
            Number of equal-count bins of the prediction.

        Returns
        -------
        pandas.DataFrame
            See :func:`~finwarn.evaluation.calibration_table`.
        """
        return calibration_table(self.oof["y"], self.oof["proba"], bins=bins)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: protocol, summary, per-fold metrics, confusion and calibration."""
        table = self.table()
        summary = {
            str(metric): {"mean": _num(float(mean)), "sd": _num(float(sd))}
            for metric, mean, sd in zip(table["metric"], table["mean"], table["sd"], strict=True)
        }
        confusion = self.confusion().to_numpy(dtype=float)
        return {
            "protocol": self.protocol,
            "summary": summary,
            "folds": [
                {k: _plain(v) for k, v in row.items()}
                for row in self.folds.to_dict(orient="records")
            ],
            "confusion": {
                actual: {d: _num(float(confusion[i, j])) for j, d in enumerate(_DECISION)}
                for i, actual in enumerate(_ACTUAL)
            },
            "calibration": [
                {k: _plain(v) for k, v in row.items()}
                for row in self.calibration().to_dict(orient="records")
            ],
        }


def _num(value: float) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 6)


def _plain(value: Any) -> Any:
    """A JSON-ready form of one table cell: rounded floats, NaN as None, Python scalars."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, datetime.date):  # pandas.Timestamp included
        return value.isoformat()
    return _num(value) if isinstance(value, float) else value


def _fit_and_score(model, X_train, y_train, X_test, y_test) -> tuple[dict, np.ndarray, np.ndarray]:
    fitted = clone(model)
    start = time.perf_counter()
    fitted.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    proba = fitted.predict_proba(X_test)[:, 1]
    warned = fitted.predict(X_test)
    metrics = binary_metrics(y_test, proba, warned)
    metrics["fit_seconds"] = seconds
    return metrics, proba, np.asarray(warned)


def _take(X, index):
    return X.iloc[index] if isinstance(X, pd.DataFrame) else X[index]


def _evaluate_split(
    model, X, y: np.ndarray, train: np.ndarray, test: np.ndarray, labels: dict[str, Any]
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit a clone of ``model`` on the ``train`` rows and score it on the ``test`` rows.

    ``labels`` name the split (``repeat`` and ``fold``, or ``train_until`` and
    ``test_period``) and lead both the fold record and its out-of-fold rows.
    """
    metrics, proba, warned = _fit_and_score(
        model, _take(X, train), y[train], _take(X, test), y[test]
    )
    record = {
        **labels,
        "n_train": len(train),
        "n_test": len(test),
        "test_distressed": int(y[test].sum()),
        **metrics,
    }
    oof = pd.DataFrame(
        {**labels, "row": test, "y": y[test], "proba": proba, "warned": warned},
        index=pd.RangeIndex(len(test)),
    )
    logger.info(
        "%s: ROC-AUC %.4f PR-AUC %.4f (%.1f s)",
        " ".join(f"{k} {v}" for k, v in labels.items()),
        metrics["roc_auc"],
        metrics["pr_auc"],
        metrics["fit_seconds"],
    )
    return record, oof


def _data_protocol(y: np.ndarray) -> dict[str, Any]:
    return {
        "rows": len(y),
        "distressed": int(y.sum()),
        "base_rate": round(float(y.mean()), 6),
    }


def cross_validate(
    model,
    X,
    y,
    *,
    folds: int = 5,
    repeats: int = 2,
    random_state: int | None = 0,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Repeated stratified k-fold evaluation of a warning model.

    Every fitted step (cleaning, scaling, calibration, the level cut-offs) lives
    inside ``model`` and is refitted on each training fold, so the test fold is
    never seen before it is scored.

    Parameters
    ----------
    model : classifier
        Usually a :class:`finwarn.warning.WarningClassifier`; ``predict`` gives the
        warning decision at the alert level.
    X : array-like or DataFrame
    y : array-like of {0, 1}
    folds, repeats : int
        ``folds``-fold stratified splits, repeated ``repeats`` times with different
        shuffles.
    random_state : int or None
        Seeds the splits.
    progress : callable, optional
        Called as ``progress(done, total)`` after each fold.

    Returns
    -------
    EvaluationResult
    """
    y = np.asarray(y).astype(int)
    n_minority = int(min(y.sum(), len(y) - y.sum()))
    if n_minority < folds:
        raise ValueError(
            f"{folds}-fold stratified evaluation needs at least {folds} rows of each class; "
            f"the smaller class has {n_minority}. Use fewer folds (--folds)."
        )
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=random_state)
    total = folds * repeats
    records, oof = [], []
    for i, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        repeat, fold = divmod(i, folds)
        record, predictions = _evaluate_split(
            model, X, y, train, test, {"repeat": repeat + 1, "fold": fold + 1}
        )
        records.append(record)
        oof.append(predictions)
        if progress is not None:
            progress(i + 1, total)
    protocol = {
        "protocol": "repeated stratified k-fold",
        "folds": folds,
        "repeats": repeats,
        "random_state": random_state,
        **_data_protocol(y),
    }
    return EvaluationResult(pd.DataFrame.from_records(records), protocol, pd.concat(oof))
