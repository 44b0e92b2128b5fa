"""The jobs behind the CLI (and later the service): train, score, evaluate."""

from __future__ import annotations

import hashlib
import logging
import platform
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

import finwarn
from finwarn._text import did_you_mean
from finwarn.cleaning import sparse_rows
from finwarn.data import LoadResult
from finwarn.data._validate import ROLE_SYNONYMS
from finwarn.evaluation import binary_metrics, calibration_table
from finwarn.exceptions import DataValidationError
from finwarn.models import SEARCH_SPACES, TEXT_MODELS, make_model, make_text_model, make_tuned_model
from finwarn.warning import WarningClassifier, WarningConfig, Warnings, load_warning_config
from finwarn.warning import make_warnings as _make_warnings
from finwarn.workflow._features import FeatureSpec, Prepared, build_features

__all__ = [
    "DEFAULT_MAX_SAMPLE_MISSING",
    "DEFAULT_MODEL",
    "SCOPES",
    "TrainedModel",
    "decision_metrics",
    "labelled_rows",
    "latest_rows",
    "score",
    "train",
]

logger = logging.getLogger(__name__)

#: Model trained when none is named, also when the data has a text column: on the
#: semi-synthetic benchmark (docs/benchmarks/text_fusion.md) the fused text + data
#: model scored below the data-only models, so reading the text is opt-in.
DEFAULT_MODEL = "bp"

# Paper 001: samples missing more than half of their indicators are not used for training.
DEFAULT_MAX_SAMPLE_MISSING = 0.5


@dataclass
class TrainedModel:
    """A fitted warning model with the recipe of its features and its metadata.

    Attributes
    ----------
    classifier : WarningClassifier
    spec : FeatureSpec
    metadata : dict
        finwarn version, model name, features, training-data hash, metrics, cut-offs,
        library versions; saved as JSON next to the model file.
    excluded : pandas.DataFrame
        Training rows not used, with the reason (``entity``, ``period``, ``reason``).
    """

    classifier: WarningClassifier
    spec: FeatureSpec
    metadata: dict[str, Any]
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)


def _require_label(loaded: LoadResult, prepared: Prepared) -> np.ndarray:
    if prepared.y is None:
        columns = list(loaded.features)
        hint = ""
        for synonym in ROLE_SYNONYMS["label"]:
            hint = did_you_mean(synonym, columns)
            if hint:
                break
        raise DataValidationError(
            f"{loaded.source}: no label column found (looked for "
            f"{', '.join(ROLE_SYNONYMS['label'][:6])}, ...).{hint} Name it in a mapping file "
            "(label: <your column>) to train or evaluate."
        )
    return prepared.y


def labelled_rows(
    loaded: LoadResult,
    prepared: Prepared,
    *,
    max_sample_missing: float = DEFAULT_MAX_SAMPLE_MISSING,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows usable for training: labelled and not too sparse.

    Returns
    -------
    mask : ndarray of bool
        Rows to use.
    excluded : DataFrame
        The labelled rows left out, each with its reason (nothing is dropped silently);
        indexed by position in the data.
    """
    y = _require_label(loaded, prepared)
    labelled = ~np.isnan(y)
    sparse, reasons = sparse_rows(prepared.X, max_missing=max_sample_missing)
    use = labelled & ~sparse
    out = prepared.ids.loc[labelled & sparse].copy()
    out["row"] = loaded.rows[labelled & sparse]
    out["reason"] = reasons.reindex(out.index).to_numpy()
    n_unlabelled = int((~labelled).sum())
    if n_unlabelled:
        logger.info("%d rows have no label (outcome unknown): scored, not trained on", n_unlabelled)
    if len(out):
        logger.warning("%d labelled rows left out of training: too many missing values", len(out))
    if use.sum() == 0:
        raise DataValidationError(f"{loaded.source}: no labelled rows left to train on.")
    classes = np.unique(y[use])
    if len(classes) < 2:
        raise DataValidationError(
            f"{loaded.source}: every labelled row has label {int(classes[0])}; training needs "
            "both distressed (1) and healthy (0) firms."
        )
    return use, out


def _data_hash(X: pd.DataFrame, y: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update("\x1f".join(X.columns).encode())
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(y, dtype=float).tobytes())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    import lightgbm
    import sklearn

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "lightgbm": lightgbm.__version__,
    }
    try:
        import torch

        versions["torch"] = torch.__version__
    except ImportError:  # torch is optional (finwarn[nn])
        pass
    return versions


def decision_metrics(model: WarningClassifier, y: np.ndarray, proba: np.ndarray) -> dict:
    """Metrics of probabilities ``proba``, warned at the model's alert level."""
    warned = model.level_index(proba) >= model.alert_index_
    return {k: round(v, 6) for k, v in binary_metrics(y, proba, warned).items()}


def train(
    loaded: LoadResult,
    *,
    model: str | None = None,
    config: WarningConfig | None = None,
    random_state: int | None = 0,
    prepared: Prepared | None = None,
    rows: np.ndarray | None = None,
) -> TrainedModel:
    """Train a calibrated warning model on the labelled rows of a loaded file.

    Parameters
    ----------
    loaded : LoadResult
        The training data.
    model : str, optional
        A name of :data:`finwarn.models.MODEL_NAMES` (e.g. ``bp``, ``lightgbm``,
        ``ensemble``, ``altman_z``) or a text model: ``fused``, ``fused_cnn``, ``lstm``.
        Default: ``bp``, also when the data has a text column (text models are opt-in;
        see :data:`DEFAULT_MODEL`).
    config : WarningConfig, optional
        Warning levels and calibration (default: the packaged settings).
    random_state : int or None
        Seeds the model and the calibration folds.
    prepared : Prepared, optional
        Features already built from ``loaded`` (built here otherwise).
    rows : ndarray of bool, optional
        Restrict training to these rows (e.g. the training firms of a hold-out split).
    """
    config = config or load_warning_config()
    prepared = prepared or build_features(loaded)
    model, prepared = _with_model(model, prepared, loaded.source)
    use, excluded = labelled_rows(loaded, prepared)
    if rows is not None:
        use &= rows
        excluded = excluded[rows[excluded.index]] if len(excluded) else excluded
    X = prepared.model_input(use)
    y = prepared.y[use].astype(int)  # type: ignore[index]
    estimator = _estimator(model, prepared, random_state)
    classifier = WarningClassifier(estimator, config=config, random_state=random_state)
    logger.info("training %s on %d rows (%d distressed)", model, len(y), int(y.sum()))
    classifier.fit(X, y)
    metadata = {
        "finwarn_version": finwarn.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "random_state": random_state,
        "features": list(prepared.spec.features),
        "feature_spec": prepared.spec.to_dict(),
        "training_data": {
            "source": loaded.source,
            "sha256": _data_hash(X, y),
            "rows": len(y),
            "distressed": int(y.sum()),
            "base_rate": round(classifier.base_rate_, 6),
            "excluded_rows": len(excluded),
        },
        "metrics": {
            "protocol": (
                f"out-of-fold predictions of the {config.calibration.folds} stratified "
                "calibration folds of the training data (the calibrator itself was fitted "
                "on these predictions, so calibration metrics are slightly optimistic)"
            ),
            **decision_metrics(classifier, y, classifier.oof_proba_),
        },
        "calibration": calibration_table(y, classifier.oof_proba_).to_dict(orient="records"),
        "warning": {
            "levels": list(config.levels),
            "cutoffs": [round(float(c), 6) for c in classifier.cutoffs_],
            "cutoff_rule": config.cutoffs.model_dump(),
            "alert_level": config.alert_level,
            "calibration": config.calibration.model_dump(),
        },
        "versions": _versions(),
    }
    return TrainedModel(classifier, prepared.spec, metadata, excluded)


SCOPES = ("latest_per_firm", "latest_period", "all")


def _with_model(model: str | None, prepared: Prepared, source: str) -> tuple[str, Prepared]:
    """The model name to train (default by the data) and the features it reads."""
    name = model or DEFAULT_MODEL
    if name not in TEXT_MODELS:
        if prepared.text is not None:
            logger.warning(
                "%s has a text column, which model %s does not read; choose a text model "
                "(%s) to use it",
                source,
                name,
                ", ".join(TEXT_MODELS),
            )
        return name, prepared
    if prepared.text is None:
        raise DataValidationError(
            f"{source}: model {name!r} reads report text, but the data has no text column. "
            "Name it under 'text:' in a mapping file (e.g. text: annual_report), or choose "
            "bp, logit or lightgbm."
        )
    return name, replace(prepared, spec=replace(prepared.spec, text=True))


def _estimator(
    name: str,
    prepared: Prepared,
    random_state: int | None,
    *,
    imbalance: str = "weights",
    tune_seconds: float | None = None,
) -> Any:
    dimensions = prepared.spec.dimensions
    if name in TEXT_MODELS:
        return make_text_model(name, random_state=random_state, dimensions=dimensions)
    if tune_seconds is not None and name in SEARCH_SPACES:
        return make_tuned_model(
            name,
            budget_seconds=tune_seconds,
            random_state=random_state,
            imbalance=imbalance,
            dimensions=dimensions,
        )
    return make_model(name, random_state=random_state, imbalance=imbalance, dimensions=dimensions)


def latest_rows(ids: pd.DataFrame, scope: str) -> np.ndarray:
    """Mask of the rows a scope selects (see :func:`score`)."""
    if scope not in SCOPES:
        raise ValueError(
            f"scope must be one of {SCOPES}, got {scope!r}.{did_you_mean(scope, SCOPES)}"
        )
    if scope == "all" or "period" not in ids.columns:
        return np.ones(len(ids), dtype=bool)
    period = ids["period"]
    if scope == "latest_period":
        return (period == period.max()).to_numpy()
    return (period == period.groupby(ids["entity"]).transform("max")).to_numpy()


def score(
    trained: TrainedModel,
    loaded: LoadResult,
    *,
    scope: str = "latest_per_firm",
    prepared: Prepared | None = None,
    max_sample_missing: float = DEFAULT_MAX_SAMPLE_MISSING,
) -> Warnings:
    """Score a loaded file: probability, level and rank of every firm.

    Parameters
    ----------
    trained : TrainedModel
    loaded : LoadResult
    scope : {"latest_per_firm", "latest_period", "all"}
        With a period column: score each firm's latest period (default), only the
        rows of the data's latest period (firms still reporting), or every row.
        Without a period column every row is scored.
    prepared : Prepared, optional
        Features already built with ``trained.spec``.
    max_sample_missing : float
        Rows missing more than this share of features are still scored, with a note.
    """
    prepared = prepared or build_features(loaded, spec=trained.spec)
    keep = latest_rows(prepared.ids, scope)
    X = prepared.model_input(keep)
    ids = prepared.ids[keep]
    model = trained.classifier
    proba = model.predict_proba(X)[:, 1]
    raw = model.score_raw(X)
    _, reasons = sparse_rows(prepared.X[keep], max_missing=max_sample_missing)
    notes = pd.Series("", index=ids.index, dtype=object)
    notes[reasons.index] = reasons + "; warning less reliable"
    levels = model.levels_[model.level_index(proba)]
    warnings = _make_warnings(ids, proba, raw, levels, tuple(model.levels_), notes)
    logger.info("scored %d firm-periods", len(warnings.frame))
    return warnings
