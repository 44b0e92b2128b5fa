"""Several warning models evaluated on exactly the same splits."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from finwarn._text import did_you_mean
from finwarn.evaluation._cv import EvaluationResult, Progress, _num, cross_validate
from finwarn.evaluation._temporal import _temporal_splits, temporal_evaluate
from finwarn.exceptions import DataValidationError

__all__ = ["PROTOCOLS", "Comparison", "compare_models"]

logger = logging.getLogger(__name__)

# the evaluation protocols compare_models knows
PROTOCOLS = ("cv", "temporal")


@dataclass(frozen=True)
class Comparison:
    """Evaluation results of several models on the same splits.

    Attributes
    ----------
    results : dict of str to EvaluationResult
        One result per evaluated model, in the order the models were given.
    skipped : dict of str to str
        Models that could not be evaluated on the data, with the reason (the message
        of the :class:`~finwarn.exceptions.DataValidationError` they raised).
    protocol : dict
        The shared protocol (as in :attr:`EvaluationResult.protocol`) and ``models``,
        the names given, in order.
    """

    results: dict[str, EvaluationResult]
    skipped: dict[str, str]
    protocol: dict[str, Any]

    def table(self) -> pd.DataFrame:
        """Mean, sd, min and max of every metric of every model, one row each.

        Returns
        -------
        pandas.DataFrame
            ``model``, ``metric``, ``mean``, ``sd``, ``min``, ``max``: the models in
            the order they were given, within a model the metrics in
            :data:`~finwarn.evaluation.METRICS` order, then ``fit_seconds``.
        """
        columns = ["model", "metric", "mean", "sd", "min", "max"]
        parts = [result.table().assign(model=name) for name, result in self.results.items()]
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(parts, ignore_index=True)[columns]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the protocol, a summary by model, every result and the skipped."""
        summary: dict[str, dict[str, dict[str, float | None]]] = {}
        for row in self.table().itertuples(index=False):
            summary.setdefault(str(row.model), {})[str(row.metric)] = {
                stat: _num(float(getattr(row, stat))) for stat in ("mean", "sd", "min", "max")
            }
        return {
            "protocol": self.protocol,
            "summary": summary,
            "results": {name: result.to_dict() for name, result in self.results.items()},
            "skipped": dict(self.skipped),
        }


def compare_models(
    models: Mapping[str, Any],
    X,
    y,
    *,
    protocol: str = "cv",
    folds: int = 5,
    repeats: int = 2,
    random_state: int | None = 0,
    periods=None,
    horizon: int = 1,
    min_train_periods: int = 2,
    progress: Progress | None = None,
) -> Comparison:
    """Evaluate several models on exactly the same splits.

    Parameters
    ----------
    models : mapping of str to classifier
        Name -> unfitted estimator (usually a :class:`finwarn.warning.WarningClassifier`);
        each is cloned for every split.
    X : array-like or DataFrame
    y : array-like of {0, 1}
    protocol : {"cv", "temporal"}
        ``"cv"``: repeated stratified k-fold (:func:`~finwarn.evaluation.cross_validate`);
        ``"temporal"``: train on the past, test on a later period
        (:func:`~finwarn.evaluation.temporal_evaluate`).
    folds, repeats, random_state
        The k-fold splits (``protocol="cv"`` only). Every model gets the same seed, so
        the same splits; with ``random_state=None`` one seed is drawn for all of them
        and recorded in the protocol.
    periods : array-like, optional
        The period of each row (needed by ``protocol="temporal"``).
    horizon, min_train_periods : int
        The temporal splits (``protocol="temporal"`` only).
    progress : callable, optional
        Called as ``progress(done, total)`` after each fold, counting the folds of all
        models (a skipped model's remaining folds count as done).

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        If ``models`` is empty, ``protocol`` is unknown, ``protocol="temporal"`` is
        given without ``periods``, or the splits cannot be made (see
        :func:`~finwarn.evaluation.cross_validate` and
        :func:`~finwarn.evaluation.temporal_evaluate`).
    DataValidationError
        If every model raised one (the message lists each model's reason).

    Notes
    -----
    A model that raises :class:`~finwarn.exceptions.DataValidationError` (say a
    classical score whose input columns the data lacks) is skipped with a warning and
    its reason kept in :attr:`Comparison.skipped`; any other error propagates.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=200, weights=[0.8], random_state=0)
    >>> models = {"logit": LogisticRegression(), "prior": DummyClassifier()}
    >>> comparison = compare_models(models, X, y, folds=3, repeats=1)
    >>> roc = comparison.table().query("metric == 'roc_auc'").set_index("model")["mean"]
    >>> bool(roc["logit"] > 0.8), float(roc["prior"])
    (True, 0.5)
    """
    if not models:
        raise ValueError("models is empty; give at least one name -> estimator.")
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}."
            + did_you_mean(str(protocol), PROTOCOLS)
        )
    y = np.asarray(y).astype(int)
    if protocol == "temporal":
        if periods is None:
            raise ValueError(
                "protocol='temporal' needs periods: the period (e.g. fiscal year) of each row of X."
            )
        # check the periods before any model runs, so that a data error is not taken
        # for a model's own DataValidationError and every model skipped
        splits, _ = _temporal_splits(
            y, periods, horizon=horizon, min_train_periods=min_train_periods
        )
        per_model = len(splits)
    else:
        if random_state is None:
            random_state = int(np.random.default_rng().integers(2**31 - 1))
        per_model = folds * repeats
    total = per_model * len(models)

    results: dict[str, EvaluationResult] = {}
    skipped: dict[str, str] = {}
    for position, (name, model) in enumerate(models.items()):
        offset = position * per_model

        def report(done: int, _total: int, offset: int = offset) -> None:
            if progress is not None:
                progress(offset + done, total)

        try:
            if protocol == "temporal":
                result = temporal_evaluate(
                    model,
                    X,
                    y,
                    periods,
                    horizon=horizon,
                    min_train_periods=min_train_periods,
                    progress=report,
                )
            else:
                result = cross_validate(
                    model,
                    X,
                    y,
                    folds=folds,
                    repeats=repeats,
                    random_state=random_state,
                    progress=report,
                )
        except DataValidationError as err:
            logger.warning("model %s skipped: %s", name, err)
            skipped[name] = str(err)
            report(per_model, total)
            continue
        results[name] = result
    if not results:
        reasons = "; ".join(f"{name}: {reason}" for name, reason in skipped.items())
        raise DataValidationError(f"no model could be evaluated on this data. {reasons}")
    shared = dict(next(iter(results.values())).protocol)
    shared["models"] = list(models)
    return Comparison(results, skipped, shared)
