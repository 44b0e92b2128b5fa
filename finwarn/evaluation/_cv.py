"""Evaluation protocols: repeated stratified k-fold and a fixed hold-out split."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import RepeatedStratifiedKFold

from finwarn.evaluation._metrics import METRICS, binary_metrics

__all__ = ["EvaluationResult", "cross_validate"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics of every test fold, and their summary.

    Attributes
    ----------
    folds : pandas.DataFrame
        One row per test fold: ``repeat``, ``fold``, sizes, ``fit_seconds`` and every
        metric of :data:`finwarn.evaluation.METRICS`.
    protocol : dict
        How the figures were obtained (protocol, folds, repeats, seed, rows, base rate).
    oof : pandas.DataFrame
        Out-of-fold predictions: ``repeat``, ``fold``, ``row`` (position in the data), ``y``,
        ``proba``, ``warned``.
    """

    folds: pd.DataFrame
    protocol: dict[str, Any]
    oof: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Mean, sd (across folds and repeats), min and max of each metric."""
        rows = []
        for metric in (*METRICS, "fit_seconds"):
            values = self.folds[metric].astype(float)
            rows.append(
                {
                    "metric": metric,
                    "mean": values.mean(),
                    "sd": values.std(ddof=1) if len(values) > 1 else 0.0,
                    "min": values.min(),
                    "max": values.max(),
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the protocol, the summary and the per-fold metrics."""
        table = self.table()
        summary = {
            str(metric): {"mean": _num(float(mean)), "sd": _num(float(sd))}
            for metric, mean, sd in zip(table["metric"], table["mean"], table["sd"], strict=True)
        }
        return {
            "protocol": self.protocol,
            "summary": summary,
            "folds": [
                {k: _num(v) if isinstance(v, float) else v for k, v in row.items()}
                for row in self.folds.to_dict(orient="records")
            ],
        }


def _num(value: float) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 6)


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
        metrics, proba, warned = _fit_and_score(
            model, _take(X, train), y[train], _take(X, test), y[test]
        )
        records.append(
            {
                "repeat": repeat + 1,
                "fold": fold + 1,
                "n_train": len(train),
                "n_test": len(test),
                "test_distressed": int(y[test].sum()),
                **metrics,
            }
        )
        oof.append(
            pd.DataFrame(
                {
                    "repeat": repeat + 1,
                    "fold": fold + 1,
                    "row": test,
                    "y": y[test],
                    "proba": proba,
                    "warned": warned,
                }
            )
        )
        logger.info(
            "repeat %d fold %d: ROC-AUC %.4f PR-AUC %.4f (%.1f s)",
            repeat + 1,
            fold + 1,
            metrics["roc_auc"],
            metrics["pr_auc"],
            metrics["fit_seconds"],
        )
        if progress is not None:
            progress(i + 1, total)
    protocol = {
        "protocol": "repeated stratified k-fold",
        "folds": folds,
        "repeats": repeats,
        "random_state": random_state,
        "rows": len(y),
        "distressed": int(y.sum()),
        "base_rate": round(float(y.mean()), 6),
    }
    return EvaluationResult(pd.DataFrame.from_records(records), protocol, pd.concat(oof))
