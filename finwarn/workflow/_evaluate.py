"""Evaluation jobs: one model, or several on the same splits, under cv or temporal protocol."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from finwarn._text import did_you_mean
from finwarn.data import LoadResult
from finwarn.evaluation import PROTOCOLS, Comparison, EvaluationResult, compare_models
from finwarn.exceptions import DataValidationError
from finwarn.models import CLASSICAL, MODEL_NAMES, SEARCH_SPACES, TEXT_MODELS, check_imbalance
from finwarn.warning import WarningClassifier, WarningConfig, load_warning_config
from finwarn.workflow._features import build_features
from finwarn.workflow._jobs import DEFAULT_MODEL, _estimator, _with_model, labelled_rows

__all__ = ["PROTOCOLS", "compare", "evaluate", "model_names"]

logger = logging.getLogger(__name__)


def model_names(spec: str | Sequence[str] | None) -> list[str]:
    """The models a ``--model`` value names: one, a comma-separated list, or ``all``.

    ``all`` is every model of :data:`finwarn.models.MODEL_NAMES` (the text models are
    named one by one, as they need a text column).

    Examples
    --------
    >>> model_names("lightgbm,bp")
    ['lightgbm', 'bp']
    >>> model_names("all")[:3]
    ['altman_z', 'altman_z2', 'ohlson_o']
    """
    if spec is None:
        return [DEFAULT_MODEL]
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    names: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if part == "all":
            names.extend(MODEL_NAMES)
        elif part in MODEL_NAMES or part in TEXT_MODELS:
            names.append(part)
        else:
            known = (*MODEL_NAMES, *TEXT_MODELS, "all")
            raise ValueError(
                f"Unknown model {part!r}; choose one of {', '.join(known)}, or several "
                "separated by commas." + did_you_mean(part, known)
            )
    if not names:
        raise ValueError("No model named: give --model a name, a comma-separated list or all.")
    return list(dict.fromkeys(names))


def compare(
    loaded: LoadResult,
    *,
    models: str | Sequence[str] | None = "all",
    protocol: str = "cv",
    folds: int = 5,
    repeats: int = 2,
    horizon: int = 1,
    imbalance: str = "weights",
    tune_seconds: float | None = None,
    config: WarningConfig | None = None,
    random_state: int | None = 0,
    progress=None,
) -> Comparison:
    """Evaluate calibrated warning models on exactly the same splits of one data file.

    Every model is wrapped in a :class:`~finwarn.warning.WarningClassifier`, so its
    cleaning, resampling, tuning, calibration and level cut-offs are all fitted inside
    the training part of each split; the decision metrics are those of the alert level.

    Parameters
    ----------
    loaded : LoadResult
    models : str or sequence of str, default="all"
        See :func:`model_names`.
    protocol : {"cv", "temporal"}, default="cv"
        Repeated stratified k-fold, or train on periods up to t and test on period
        t + ``horizon`` (needs a period column).
    folds, repeats : int
        For ``cv``.
    horizon : int, default=1
        For ``temporal``: how many periods after the last training period the test
        period lies.
    imbalance : {"weights", "none", "undersample", "smote"}, default="weights"
        How the trained models handle the few distressed rows; the classical scores
        (published formulas, nothing to weigh or resample) are left as they are.
    tune_seconds : float or None, default=None
        If given, models with a search space (:data:`finwarn.models.SEARCH_SPACES`)
        search their hyperparameters for this long in every fit (nested inside the
        evaluation); the others keep their defaults.
    config : WarningConfig, optional
    random_state : int or None, default=0
    progress : callable, optional
        ``progress(done, total)`` after each fold of each model.

    Returns
    -------
    Comparison
        Rows without a label or too sparse to train on are left out of every split; the
        protocol says how many.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"Unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}."
            + did_you_mean(str(protocol), PROTOCOLS)
        )
    check_imbalance(imbalance)
    names = model_names(models)
    config = config or load_warning_config()
    base = build_features(loaded)
    use, excluded = labelled_rows(loaded, base)
    periods = None
    if protocol == "temporal":
        if "period" not in base.ids.columns:
            raise DataValidationError(
                f"{loaded.source}: the temporal protocol needs a period column (e.g. year), "
                "and the data has none. Name it under 'period:' in a mapping file, or use "
                "--protocol cv."
            )
        periods = base.ids["period"].to_numpy()[use]
    estimators: dict[str, Any] = {}
    recipes = []
    for name in names:
        name, prepared = _with_model(name, base, loaded.source)
        # a published formula has no training rows to weigh or resample (make_model
        # refuses any strategy but the no-op "weights" for it), so --model all works
        # with every --imbalance and the classical scores stay what they are
        strategy = "weights" if name in CLASSICAL else imbalance
        estimators[name] = WarningClassifier(
            _estimator(name, prepared, random_state, imbalance=strategy, tune_seconds=tune_seconds),
            config=config,
            random_state=random_state,
        )
        recipes.append(prepared)
    text_names = [n for n in names if n in TEXT_MODELS]
    if text_names and len(text_names) < len(names):
        raise ValueError(
            f"evaluate the text models ({', '.join(text_names)}) and the data models in "
            "separate runs; with the same --seed both runs use the same splits."
        )
    X = recipes[0].model_input(use)  # the same for every model (text and data models don't mix)
    y = base.y[use].astype(int)  # type: ignore[index]
    comparison = compare_models(
        estimators,
        X,
        y,
        protocol=protocol,
        folds=folds,
        repeats=repeats,
        random_state=random_state,
        periods=periods,
        horizon=horizon,
        progress=progress,
    )
    comparison.protocol.update(
        {
            "data": loaded.source,
            "features": base.X.shape[1],
            "rows_left_out": {
                "unlabelled": int(np.isnan(base.y).sum()),  # type: ignore[arg-type]
                "too_sparse": len(excluded),
            },
            "decision": f"warned = level {config.alert_level} or above "
            "(cut-offs from the training fold's base rate)",
            "calibration": config.calibration.model_dump(),
            "imbalance": imbalance,
            "tuning": _tuning_note(names, tune_seconds),
        }
    )
    return comparison


def _tuning_note(names: list[str], tune_seconds: float | None) -> str:
    if tune_seconds is None:
        return "none (shipped defaults)"
    tuned = [n for n in names if n in SEARCH_SPACES]
    return (
        f"{tune_seconds:g} s search in every fit of {', '.join(tuned) or 'no model'}; "
        "the others use the shipped defaults"
    )


def evaluate(
    loaded: LoadResult,
    *,
    model: str | None = None,
    protocol: str = "cv",
    folds: int = 5,
    repeats: int = 2,
    horizon: int = 1,
    imbalance: str = "weights",
    tune_seconds: float | None = None,
    config: WarningConfig | None = None,
    random_state: int | None = 0,
    progress=None,
) -> EvaluationResult:
    """Evaluate one calibrated warning model (see :func:`compare` for the arguments).

    Rows without a label or too sparse to train on (paper 001's rule) are left out of
    both training and test folds; the protocol says how many.
    """
    name = model or DEFAULT_MODEL
    comparison = compare(
        loaded,
        models=[name],
        protocol=protocol,
        folds=folds,
        repeats=repeats,
        horizon=horizon,
        imbalance=imbalance,
        tune_seconds=tune_seconds,
        config=config,
        random_state=random_state,
        progress=progress,
    )
    # a model that cannot run on the data makes compare_models raise: no model was left
    result = comparison.results[name]
    result.protocol.update({**comparison.protocol, "model": name, "text": name in TEXT_MODELS})
    result.protocol.pop("models", None)
    return result
