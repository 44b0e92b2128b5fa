"""Temporal evaluation: train on the past, test on a later period (expanding window)."""

from __future__ import annotations

import logging
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from finwarn.evaluation._cv import (
    EvaluationResult,
    Progress,
    _data_protocol,
    _evaluate_split,
    _plain,
)
from finwarn.exceptions import DataValidationError

__all__ = ["temporal_evaluate"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Split:
    train_until: Any
    test_period: Any
    train: np.ndarray
    test: np.ndarray


def _positions(mask: np.ndarray, limit: int = 5) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (", ..." if len(rows) > limit else "")


def _label(period: Any) -> Any:
    """A period as a Python scalar (a Timestamp for datetimes), to label folds with."""
    if isinstance(period, np.datetime64):
        return pd.Timestamp(period)
    return period.item() if isinstance(period, np.generic) else period


def _whole_number(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _temporal_splits(
    y: np.ndarray, periods, *, horizon: int, min_train_periods: int
) -> tuple[list[_Split], list[Any]]:
    """Check the arguments and list every (train, test) split; nothing is fitted here."""
    if not _whole_number(horizon) or horizon < 1:
        raise ValueError(f"horizon must be a whole number of periods, 1 or more; got {horizon!r}.")
    if not _whole_number(min_train_periods) or min_train_periods < 1:
        raise ValueError(
            "min_train_periods must be a whole number of periods, 1 or more; "
            f"got {min_train_periods!r}."
        )
    series = pd.Series(periods).reset_index(drop=True)
    if len(series) != len(y):
        raise DataValidationError(
            f"periods has {len(series)} values but y has {len(y)}; "
            "give one period per row, in the order of the rows."
        )
    missing = series.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"periods is missing for {int(missing.sum())} rows (positions "
            f"{_positions(missing)}); give every row a period, or leave those rows out "
            "of X, y and periods."
        )
    values = series.to_numpy()
    unique = np.unique(values)
    needed = min_train_periods + horizon
    if len(unique) < needed:
        if len(unique) - min_train_periods >= 1:
            fix = f"use a smaller --horizon (at most {len(unique) - min_train_periods})"
        elif len(unique) >= 1 + horizon:
            fix = f"use a smaller min_train_periods (at most {len(unique) - horizon})"
        else:
            fix = "use data with more periods, or the stratified k-fold protocol"
        raise ValueError(
            f"temporal evaluation with horizon={horizon} and "
            f"min_train_periods={min_train_periods} needs at least {needed} distinct "
            f"periods; the data has {len(unique)} ({', '.join(str(_plain(p)) for p in unique)}). "
            f"{fix[0].upper()}{fix[1:]}."
        )
    splits = []
    for i in range(min_train_periods - 1, len(unique) - horizon):
        until, tested = unique[i], unique[i + horizon]
        splits.append(
            _Split(
                _label(until),
                _label(tested),
                np.flatnonzero(values <= until),
                np.flatnonzero(values == tested),
            )
        )
    return splits, [_plain(p) for p in unique]


def temporal_evaluate(
    model,
    X,
    y,
    periods,
    *,
    horizon: int = 1,
    min_train_periods: int = 2,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Evaluate a warning model on later periods than it was trained on.

    With the sorted distinct periods ``p_0 < p_1 < ...``, split ``i`` trains a clone
    of ``model`` on every row with period ``<= p_i`` (an expanding window) and tests
    it on the rows of period ``p_(i + horizon)``, for every ``i`` from
    ``min_train_periods - 1`` on while ``p_(i + horizon)`` exists. This is how the
    model would have been used: fitted on the past, warning about the future.

    ``horizon`` counts positions among the distinct periods present, not calendar
    units: with periods 2015, 2016, 2018 and ``horizon=1``, the model trained until
    2016 is tested on 2018. A gap in the years therefore does not break the protocol.

    Rows of the periods strictly between ``p_i`` and ``p_(i + horizon)`` (there are
    some when ``horizon > 1``) are in neither the training nor the test rows of split
    ``i``: a label looks ahead (distress in a later period), so at time ``p_i``, when
    the simulated forecast is made, their outcomes are not known yet; training on
    them would leak the future into the model.

    Parameters
    ----------
    model : classifier
        Usually a :class:`finwarn.warning.WarningClassifier`; ``predict`` gives the
        warning decision at the alert level. Every fitted step lives inside it and is
        refitted on each training window.
    X : array-like or DataFrame
    y : array-like of {0, 1}
    periods : array-like
        The period (e.g. fiscal year) of each row, in the order of the rows; any
        sortable values.
    horizon : int
        How many periods ahead the test period lies (1 or more).
    min_train_periods : int
        Distinct periods in the first training window (1 or more).
    progress : callable, optional
        Called as ``progress(done, total)`` after each split, skipped ones included.

    Returns
    -------
    EvaluationResult
        ``folds`` has one row per evaluated split, labelled ``train_until`` and
        ``test_period``; ``oof`` holds the test rows' predictions with the same labels;
        ``protocol`` is ``{"protocol": "temporal", "horizon", "min_train_periods",
        "rows", "distressed", "base_rate", "periods", "skipped_splits"}``.

    Raises
    ------
    ValueError
        If ``horizon`` or ``min_train_periods`` is below 1, if there are fewer than
        ``min_train_periods + horizon`` distinct periods, or if no split has both
        classes in its training rows.
    DataValidationError
        If ``periods`` does not have one value per row or some are missing.

    Notes
    -----
    A split whose training rows hold one class only is skipped, with a warning, and
    listed in ``protocol["skipped_splits"]``. A test period with one class keeps its
    row; its ranking metrics (ROC-AUC, PR-AUC, KS) are NaN and
    :meth:`EvaluationResult.table` leaves them out.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from finwarn.datasets import make_demo_panel
    >>> panel = make_demo_panel(n_firms=200, n_years=5, random_state=0)
    >>> panel = panel[panel["label"].notna()]  # the last year's outcome is not known yet
    >>> X = pd.DataFrame({
    ...     "roa": panel["net_income"] / panel["total_assets"],
    ...     "leverage": panel["total_liabilities"] / panel["total_assets"],
    ... })
    >>> result = temporal_evaluate(LogisticRegression(), X, panel["label"], panel["period"])
    >>> result.folds[["train_until", "test_period", "n_train", "n_test"]].values.tolist()
    [[2016, 2017, 301, 165], [2017, 2018, 466, 171]]
    """
    y = np.asarray(y).astype(int)
    splits, unique = _temporal_splits(
        y, periods, horizon=horizon, min_train_periods=min_train_periods
    )
    records, oof, skipped = [], [], []
    for done, split in enumerate(splits, start=1):
        classes = np.unique(y[split.train])
        if len(classes) < 2:
            reason = (
                f"its {len(split.train)} training rows (periods up to {split.train_until}) "
                f"are all of class {int(classes[0])}"
            )
            logger.warning(
                "temporal split training until %s, testing %s skipped: %s",
                split.train_until,
                split.test_period,
                reason,
            )
            skipped.append(
                {
                    "train_until": _plain(split.train_until),
                    "test_period": _plain(split.test_period),
                    "reason": reason,
                }
            )
        else:
            labels = {"train_until": split.train_until, "test_period": split.test_period}
            record, predictions = _evaluate_split(model, X, y, split.train, split.test, labels)
            records.append(record)
            oof.append(predictions)
        if progress is not None:
            progress(done, len(splits))
    if not records:
        raise ValueError(
            f"no temporal split could be evaluated: the training rows of all {len(splits)} "
            "splits hold one class only. Use a larger min_train_periods or data with "
            "distressed and healthy firms in the early periods."
        )
    protocol = {
        "protocol": "temporal",
        "horizon": horizon,
        "min_train_periods": min_train_periods,
        **_data_protocol(y),
        "periods": unique,
        "skipped_splits": skipped,
    }
    return EvaluationResult(
        pd.DataFrame.from_records(records), protocol, pd.concat(oof, ignore_index=True)
    )
