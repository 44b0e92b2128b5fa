"""Metrics of a k-level risk grading (paper 004): accuracy, misjudgment and its deviation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from finwarn._text import preview

__all__ = ["GradingResult", "grading_metrics"]


@dataclass(frozen=True)
class GradingResult:
    """How well records were graded into k ordered levels.

    Every figure derives from the confusion matrix. With ``d`` the distance
    ``|predicted level - true level|`` counted in levels (positions in ``levels``)
    and ``n`` records:

    * ``accuracy``: share of records graded to their true level;
    * ``misjudgment_rate`` E = 1 - accuracy, the share graded wrongly;
    * ``deviation_rate`` ε = mean of ``d / (k - 1)`` over all records, in [0, 1]:
      0 when every record is graded right, 1 when every one is graded at the
      opposite end of the scale;
    * ``deviation_rate_misjudged`` = mean of ``d / (k - 1)`` over the misjudged
      records only (NaN when none is), i.e. how far off the wrong grades are;
    * ``mean_abs_level_error`` = mean of ``d``, in levels.

    Paper 004 reports a misjudgment rate E and a misjudgment deviation rate ε
    whose formulas did not survive in its text; these are finwarn's definitions.

    Attributes
    ----------
    confusion : pandas.DataFrame
        k x k counts, rows the true level and columns the predicted level, both in
        the order of the levels (lowest risk first).
    """

    confusion: pd.DataFrame

    @property
    def levels(self) -> list:
        """The levels, lowest risk first."""
        return self.confusion.index.tolist()

    @property
    def n(self) -> int:
        """Number of graded records."""
        return int(self._counts.sum())

    @property
    def accuracy(self) -> float:
        """Share of records graded to their true level."""
        return float(np.trace(self._counts) / self.n)

    @property
    def misjudgment_rate(self) -> float:
        """E: share of records graded to a wrong level (1 - accuracy)."""
        return float(1.0 - self.accuracy)

    @property
    def mean_abs_level_error(self) -> float:
        """Mean distance in levels between the predicted and the true level."""
        return float((self._counts * self._distance).sum() / self.n)

    @property
    def deviation_rate(self) -> float:
        """ε: mean distance between predicted and true level over all records, / (k - 1)."""
        return self.mean_abs_level_error / (len(self.levels) - 1)

    @property
    def deviation_rate_misjudged(self) -> float:
        """Mean distance / (k - 1) over the misjudged records only; NaN if none is."""
        wrong = self.n - int(np.trace(self._counts))
        if wrong == 0:
            return float("nan")
        total = (self._counts * self._distance).sum()
        return float(total / wrong / (len(self.levels) - 1))

    @property
    def _counts(self) -> np.ndarray:
        return self.confusion.to_numpy()

    @property
    def _distance(self) -> np.ndarray:
        index = np.arange(len(self.levels))
        return np.abs(index[:, None] - index[None, :])

    def table(self) -> pd.DataFrame:
        """One row per true level.

        Returns
        -------
        pandas.DataFrame
            ``level``; ``n`` (records of that level); ``accuracy`` (the share
            graded right, i.e. the recall of the level); ``misjudgment_rate``
            (1 - accuracy); ``deviation_rate`` (mean distance / (k - 1) over the
            level's records); ``graded_higher`` and ``graded_lower`` (shares graded
            above and below the true level); ``n_predicted`` (records graded to the
            level) and ``precision`` (share of those that truly belong to it).
            Rates of a level without records are NaN.
        """
        counts = self._counts.astype(float)
        k = counts.shape[0]
        n_true = counts.sum(axis=1)
        n_pred = counts.sum(axis=0)
        correct = np.diag(counts)
        upper = np.triu(counts, k=1).sum(axis=1)
        lower = np.tril(counts, k=-1).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = correct / n_true
            return pd.DataFrame(
                {
                    "level": self.levels,
                    "n": n_true.astype(int),
                    "accuracy": accuracy,
                    "misjudgment_rate": 1.0 - accuracy,
                    "deviation_rate": (counts * self._distance).sum(axis=1) / n_true / (k - 1),
                    "graded_higher": upper / n_true,
                    "graded_lower": lower / n_true,
                    "n_predicted": n_pred.astype(int),
                    "precision": correct / n_pred,
                }
            )

    def summary(self) -> dict[str, Any]:
        """The overall figures.

        Returns
        -------
        dict
            ``n``, ``n_levels``, ``accuracy``, ``misjudgment_rate``,
            ``deviation_rate``, ``deviation_rate_misjudged``,
            ``mean_abs_level_error`` and ``min_level_accuracy`` (the worst level's
            accuracy, over levels that have records).
        """
        per_level = self.table()["accuracy"]
        return {
            "n": self.n,
            "n_levels": len(self.levels),
            "accuracy": self.accuracy,
            "misjudgment_rate": self.misjudgment_rate,
            "deviation_rate": self.deviation_rate,
            "deviation_rate_misjudged": self.deviation_rate_misjudged,
            "mean_abs_level_error": self.mean_abs_level_error,
            "min_level_accuracy": float(per_level.min()),
        }


def grading_metrics(y_true, y_pred, *, levels=None) -> GradingResult:
    """Accuracy, misjudgment rate and misjudgment deviation of a k-level grading.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True levels.
    y_pred : array-like of shape (n_samples,)
        Predicted levels.
    levels : array-like or None, default=None
        Every level from the lowest risk to the highest; it fixes the order (and
        so the distances) and the size k of the scale, including levels that no
        record has. None takes the sorted labels found in ``y_true`` and
        ``y_pred``, which suits integer levels 0..k-1 when each occurs.

    Returns
    -------
    GradingResult
        Overall figures as attributes and :meth:`~GradingResult.summary`, per-level
        figures in :meth:`~GradingResult.table`, the k x k ``confusion`` matrix.

    Raises
    ------
    ValueError
        If the inputs differ in length or are empty, a label is not in
        ``levels``, ``levels`` repeats a label, or there are fewer than two levels.

    Examples
    --------
    >>> from finwarn.evaluation import grading_metrics
    >>> result = grading_metrics([0, 1, 2, 3], [0, 1, 3, 1], levels=[0, 1, 2, 3])
    >>> result.misjudgment_rate, round(result.deviation_rate, 4)
    (0.5, 0.25)
    >>> result.table()[["level", "accuracy", "graded_higher"]]
       level  accuracy  graded_higher
    0      0       1.0            0.0
    1      1       1.0            0.0
    2      2       0.0            1.0
    3      3       0.0            0.0
    """
    true = np.asarray(y_true).ravel()
    pred = np.asarray(y_pred).ravel()
    if true.size != pred.size:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {true.size} and {pred.size}."
        )
    if true.size == 0:
        raise ValueError("grading_metrics needs at least one graded record, got none.")
    if levels is None:
        order = sorted(set(true.tolist()) | set(pred.tolist()))
    else:
        order = list(np.asarray(levels).ravel().tolist())
        repeated = sorted({str(v) for v in order if order.count(v) > 1})
        if repeated:
            raise ValueError(
                f"levels repeats {preview(repeated)}; list every level once, from the lowest "
                "risk to the highest."
            )
    if len(order) < 2:
        raise ValueError(
            f"Grading needs at least two levels, got {order!r}; pass every level of the "
            "scale with levels=."
        )
    position = {level: i for i, level in enumerate(order)}
    for name, values in (("y_true", true), ("y_pred", pred)):
        unknown = sorted({str(v) for v in values.tolist() if v not in position})
        if unknown:
            raise ValueError(
                f"{name} holds labels that are not in levels: {preview(unknown)}; the levels "
                f"are {preview(order)}. Add them to levels or correct the labels."
            )
    t = np.array([position[v] for v in true.tolist()])
    p = np.array([position[v] for v in pred.tolist()])
    k = len(order)
    counts = np.bincount(t * k + p, minlength=k * k).reshape(k, k)
    labels = pd.Index(order)
    confusion = pd.DataFrame(
        counts,
        index=labels.rename("true_level"),
        columns=labels.rename("predicted_level"),
    )
    return GradingResult(confusion=confusion)
