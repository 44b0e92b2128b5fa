"""The grade jobs: train a k-level grader (entropy weighting + BP network) and apply it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

import finwarn
from finwarn._text import did_you_mean, preview
from finwarn.cleaning import Imputer
from finwarn.data import LoadResult
from finwarn.evaluation import GradingResult, grading_metrics
from finwarn.exceptions import DataValidationError
from finwarn.models import BPGrader
from finwarn.weighting import EntropyWeighter, Hierarchy, default_hierarchy, load_hierarchy
from finwarn.workflow._features import FeatureSpec, build_features
from finwarn.workflow._jobs import latest_rows
from finwarn.workflow._store import load_artifact, save_artifact

__all__ = ["GRADER", "TrainedGrader", "apply_grader", "load_grader", "save_grader", "train_grader"]

logger = logging.getLogger(__name__)

GRADER = "grader"


@dataclass
class TrainedGrader:
    """A fitted grading pipeline, its feature recipe and its metadata.

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
        ``EntropyWeighter`` (element quantities) → median imputation → ``BPGrader``.
    spec : FeatureSpec
    metadata : dict
        Levels, grade column, hierarchy, held-out metrics, versions.
    held_out : GradingResult or None
        Metrics on the held-out share of the training data.
    """

    pipeline: Pipeline
    spec: FeatureSpec
    metadata: dict[str, Any]
    held_out: GradingResult | None = None


def _grades(loaded: LoadResult, column: str) -> np.ndarray:
    if column not in loaded.data.columns:
        raise DataValidationError(
            f"{loaded.source}: no grade column '{column}'.{did_you_mean(column, loaded.features)} "
            f"Numeric columns: {preview(loaded.features, 10)}."
        )
    return loaded.data[column].to_numpy(dtype=float)


def _pipeline(hierarchy: Hierarchy, random_state: int | None, params: dict[str, Any]) -> Pipeline:
    return Pipeline(
        [
            ("weigh", EntropyWeighter(hierarchy=hierarchy, output="elements")),
            ("impute", Imputer()),
            ("grade", BPGrader(random_state=random_state, **params)),
        ]
    ).set_output(transform="pandas")


def train_grader(
    loaded: LoadResult,
    *,
    grades: str,
    hierarchy: str | Path | Hierarchy | None = None,
    test_share: float = 0.2,
    random_state: int | None = 0,
    **params: Any,
) -> TrainedGrader:
    """Train paper 004's grader: entropy-weighted element quantities into a BP network.

    ``test_share`` of the graded rows (stratified by grade) is held out to measure the
    grader; the saved pipeline is then refitted on every graded row.

    Parameters
    ----------
    loaded : LoadResult
    grades : str
        The numeric column holding each row's known grade (any ordered numbers, e.g.
        1..8); it is not used as a feature.
    hierarchy : name, path or Hierarchy, optional
        Default: the built-in hierarchy that covers the data's columns.
    test_share : float
        Share held out for the reported metrics (0 skips the measurement).
    **params
        Passed to :class:`finwarn.models.BPGrader` (e.g. ``encoding="bits"``).
    """
    y_all = _grades(loaded, grades)
    rest = [c for c in loaded.features if c != grades]
    loaded_features = LoadResult(
        data=loaded.data.drop(columns=[grades]),
        quarantine=loaded.quarantine,
        source=loaded.source,
        rows=loaded.rows,
        features=rest,
        notes=loaded.notes,
        meta=loaded.meta,
    )
    prepared = build_features(loaded_features)
    known = ~np.isnan(y_all)
    if known.sum() < 2:
        raise DataValidationError(f"{loaded.source}: column '{grades}' has fewer than 2 grades.")
    X, y = prepared.X[known], y_all[known]
    if np.all(y == np.round(y)):
        y = y.astype(int)
    if hierarchy is None:
        tree = default_hierarchy(list(X.columns))
    elif isinstance(hierarchy, Hierarchy):
        tree = hierarchy
    else:
        tree = load_hierarchy(hierarchy)
    tree = tree.restrict(X.columns)
    held_out = None
    if test_share > 0:
        X_fit, X_test, y_fit, y_test = train_test_split(
            X, y, test_size=test_share, stratify=y, random_state=random_state
        )
        probe = _pipeline(tree, random_state, params).fit(X_fit, y_fit)
        held_out = grading_metrics(y_test, probe.predict(X_test))
        logger.info("held-out accuracy %.3f on %d rows", held_out.accuracy, len(y_test))
    pipeline = _pipeline(tree, random_state, params).fit(X, y)
    levels = np.unique(y).tolist()
    metadata = {
        "finwarn_version": finwarn.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "grades_column": grades,
        "levels": levels,
        "features": list(prepared.spec.features),
        "feature_spec": prepared.spec.to_dict(),
        "hierarchy": tree.to_dict(),
        "grader": {
            k: v for k, v in pipeline.named_steps["grade"].get_params().items() if k != "callbacks"
        },
        "training_data": {"source": loaded.source, "rows": len(y)},
        "held_out": None
        if held_out is None
        else {
            "protocol": f"stratified {1 - test_share:.0%}/{test_share:.0%} split, "
            f"seed {random_state}",
            **held_out.summary(),
        },
    }
    return TrainedGrader(pipeline, prepared.spec, metadata, held_out)


def save_grader(trained: TrainedGrader, path: str | Path) -> tuple[Path, Path]:
    """Save a grader as ``path`` (joblib) plus its ``.json`` metadata."""
    payload = {"pipeline": trained.pipeline, "spec": trained.spec.to_dict()}
    return save_artifact(payload, _jsonable(trained.metadata), path, kind=GRADER)


def load_grader(path: str | Path) -> TrainedGrader:
    """Load a grader saved by :func:`save_grader`."""
    payload, metadata = load_artifact(path, kind=GRADER)
    return TrainedGrader(payload["pipeline"], FeatureSpec.from_dict(payload["spec"]), metadata)


def apply_grader(trained: TrainedGrader, loaded: LoadResult, *, scope: str = "latest_per_firm"):
    """Grade the rows of a loaded file.

    Returns
    -------
    grades : DataFrame
        ``entity``, ``period`` (when present) and ``grade``, riskiest first.
    metrics : GradingResult or None
        When the file has the grade column the grader was trained on.
    """
    column = trained.metadata["grades_column"]
    known = loaded.data[column].to_numpy(dtype=float) if column in loaded.data.columns else None
    prepared = build_features(loaded, spec=trained.spec)
    keep = latest_rows(prepared.ids, scope)
    predicted = trained.pipeline.predict(prepared.X[keep])
    out = prepared.ids[keep].reset_index(drop=True)
    out["grade"] = predicted
    metrics = None
    if known is not None:
        truth = known[keep]
        mask = ~np.isnan(truth)
        if mask.any():
            metrics = grading_metrics(
                truth[mask], predicted[mask], levels=trained.metadata["levels"]
            )
    return out.sort_values("grade", ascending=False, kind="stable").reset_index(drop=True), metrics


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.DataFrame):
        return value.to_dict(orient="records")
    return value
