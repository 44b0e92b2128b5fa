"""Scoring with the active model: a cache of loaded models, batch and single-record scoring.

Batch scoring (:func:`batch_score`) rebuilds the portfolios' table from the database and
runs the core's ``score`` and ``explain_warnings`` on it, then stores a
:class:`~finwarn.service._tables.Score` per firm-period and lets
:func:`finwarn.service._alerting.raise_alerts` raise the alerts.

Single-record scoring (:func:`score_record`) is the hot path of the API (benchmarked at
hundreds of requests a second): it writes nothing, takes the model from the
:class:`ModelCache`, and builds the record's features with :class:`RecordFeatures`. The
core's ``build_features`` costs about 6 ms for one row (pandas overhead per indicator);
``RecordFeatures`` (in ``_record_features``) evaluates the same indicator formulas on
plain floats in about 0.02 ms.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from finwarn._io import atomic_write
from finwarn.cleaning import sparse_rows
from finwarn.exceptions import ModelCompatibilityError
from finwarn.explain import (
    REASON_COLUMNS,
    explain_model,
    peer_groups,
    peer_percentiles,
    reason_codes,
)
from finwarn.service._audit import record
from finwarn.service._domain_errors import ConflictError, InvalidRequestError
from finwarn.service._frames import NO_PERIOD, json_number, load_portfolios
from finwarn.service._record_features import RecordFeatures
from finwarn.service._tables import ModelRecord, Score, User, utcnow
from finwarn.workflow import (
    Prepared,
    TrainedModel,
    build_features,
    explain_warnings,
    latest_rows,
    load_model,
    score,
)
from finwarn.workflow._explain import feature_labels
from finwarn.workflow._jobs import DEFAULT_MAX_SAMPLE_MISSING

__all__ = [
    "BACKGROUND_ROWS",
    "NO_ACTIVE_MODEL",
    "N_REASONS",
    "BatchResult",
    "LoadedModel",
    "ModelCache",
    "RecordFeatures",
    "RecordScore",
    "activate",
    "active_model",
    "background_file",
    "batch_score",
    "latest_scores",
    "model_cache",
    "reason_dicts",
    "save_background",
    "score_record",
]

logger = logging.getLogger(__name__)

NO_ACTIVE_MODEL = "No active model; train one and activate it"
#: Reasons kept per scored firm.
N_REASONS = 5
#: Reference firms saved with a model: "an average firm" for the reasons of single
#: records, and the peers their percentiles are taken among (as the core's 2,000).
BACKGROUND_ROWS = 2_000
_NAN = float("nan")
# what a stored reason holds: the core's reason columns but the firm-period it is about
_REASON_KEYS = tuple(c for c in REASON_COLUMNS if c not in ("entity", "period"))


# --------------------------------------------------------------------------- model cache


def background_file(model_path: str | Path) -> Path:
    """The reference firms saved beside a model file: ``3.joblib`` -> ``3.background.parquet``."""
    return Path(model_path).with_suffix(".background.parquet")


def save_background(prepared: Prepared, rows: np.ndarray, model_path: Path) -> Path:
    """Save up to :data:`BACKGROUND_ROWS` of the training rows as the model's reference firms."""
    X = prepared.X[rows]
    frame = X.reset_index(drop=True)
    if "industry" in prepared.ids.columns:
        industry = prepared.ids.loc[rows, "industry"].astype(str).to_numpy()
        frame.insert(0, "industry", industry)
    if len(frame) > BACKGROUND_ROWS:
        frame = frame.sample(BACKGROUND_ROWS, random_state=0).reset_index(drop=True)
    return atomic_write(background_file(model_path), lambda tmp: frame.to_parquet(tmp))


@dataclass
class LoadedModel:
    """A model loaded from its file, with what single-record scoring needs precomputed."""

    id: int
    path: Path
    trained: TrainedModel
    features: RecordFeatures
    levels: tuple[str, ...]
    _background: pd.DataFrame | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, record: ModelRecord) -> LoadedModel:
        if not record.path:
            raise ConflictError(f"Model {record.id} has no model file; train it again.")
        try:
            trained = load_model(record.path)
        except ModelCompatibilityError as error:
            raise ConflictError(f"Model {record.id} cannot be loaded: {error}") from error
        if trained.spec.text:
            raise ConflictError(f"Model {record.id} reads report text; the service scores data.")
        return cls(
            id=record.id,
            path=Path(record.path),
            trained=trained,
            features=RecordFeatures(trained.spec),
            levels=tuple(str(level) for level in trained.classifier.levels_),
        )

    def background(self) -> pd.DataFrame:
        """The model's reference firms (read once)."""
        with self._lock:
            if self._background is None:
                path = background_file(self.path)
                if not path.exists():
                    raise ConflictError(
                        f"Model {self.id} has no reference firms ({path.name}) for the "
                        "reasons of a single record; train it again."
                    )
                self._background = pd.read_parquet(path)
            return self._background


class ModelCache:
    """Loaded models by id, shared by the request threads (least recently used dropped).

    A model file never changes under its id, so a cached model stays valid.
    """

    def __init__(self, max_models: int = 4) -> None:
        self.max_models = max_models
        self._lock = threading.Lock()
        self._models: OrderedDict[int, LoadedModel] = OrderedDict()

    def get(self, record: ModelRecord) -> LoadedModel:
        """The loaded model of ``record``, loading it on first use."""
        with self._lock:
            found = self._models.get(record.id)
            if found is not None:
                self._models.move_to_end(record.id)
                return found
        # load outside the lock: scoring with other cached models goes on meanwhile
        loaded = LoadedModel.load(record)
        with self._lock:
            found = self._models.setdefault(record.id, loaded)
            self._models.move_to_end(record.id)
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
        logger.info("model %s loaded from %s", record.id, record.path)
        return found

    def __contains__(self, model_id: object) -> bool:
        with self._lock:
            return model_id in self._models


def model_cache(state: Any) -> ModelCache:
    """The :class:`ModelCache` of an application's ``state`` (made by ``create_app``)."""
    return cast(ModelCache, state.models)


# --------------------------------------------------------------------------- queries


def active_model(session: Session) -> ModelRecord | None:
    """The model that scores every firm (None before one is activated)."""
    return session.scalar(select(ModelRecord).where(ModelRecord.active).limit(1))


def activate(session: Session, user: User | None, model: ModelRecord) -> int | None:
    """Make ``model`` the only active model, with its audit event (no commit).

    Returns the id of the model active before (None if none was).

    Raises
    ------
    ConflictError
        If the model is not trained (``status`` other than ``done``).
    """
    if model.status != "done":
        raise ConflictError(
            f"Model {model.id} is {model.status}; only a trained (done) model can be activated."
        )
    previous = session.scalar(select(ModelRecord.id).where(ModelRecord.active).limit(1))
    # one statement over every row: concurrent activations cannot leave two models active
    session.execute(
        update(ModelRecord)
        .values(active=ModelRecord.id == model.id)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(model)
    record(
        session,
        user,
        "activate",
        "model",
        model.id,
        before={"active_model_id": previous},
        after={"active_model_id": model.id},
    )
    logger.info("model %s activated (before: %s)", model.id, previous)
    return previous


def _require_active(session: Session) -> ModelRecord:
    record = active_model(session)
    if record is None:
        raise ConflictError(NO_ACTIVE_MODEL)
    return record


def latest_scores(session: Session, model_id: int, firm_ids: Sequence[int]) -> dict[int, Score]:
    """Each firm's score of its latest scored period by ``model_id``."""
    if not firm_ids:
        return {}
    latest = (
        select(Score.firm_id, func.max(Score.period).label("period"))
        .where(Score.model_id == model_id, Score.firm_id.in_(list(firm_ids)))
        .group_by(Score.firm_id)
        .subquery()
    )
    found = session.scalars(
        select(Score)
        .join(latest, (Score.firm_id == latest.c.firm_id) & (Score.period == latest.c.period))
        .where(Score.model_id == model_id)
    )
    return {score.firm_id: score for score in found}


# --------------------------------------------------------------------------- batch


def reason_dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Reason rows (``finwarn.explain.REASON_COLUMNS``) as JSON-ready dicts."""
    out = []
    for reason in frame.to_dict(orient="records"):
        item: dict[str, Any] = {}
        for key in _REASON_KEYS:
            value = reason.get(key)
            if key in ("value", "percentile", "contribution"):
                item[key] = json_number(value)
            elif key == "order":
                item[key] = int(reason[key])
            else:
                item[key] = None if value is None or value is pd.NA else str(value)
        out.append(item)
    return out


@dataclass(frozen=True)
class BatchResult:
    """What a batch scoring stored."""

    model_id: int
    scored: int
    by_level: dict[str, int]
    alerts: int
    scores: list[Score]


def batch_score(
    session: Session,
    cache: ModelCache,
    portfolio_ids: Sequence[int],
    *,
    all_periods: bool = False,
) -> BatchResult:
    """Score the firms of ``portfolio_ids`` with the active model; add scores and alerts.

    Each firm's latest period is scored (every period with ``all_periods``), with
    :data:`N_REASONS` reasons and the model's input indicators; then
    :func:`finwarn.service._alerting.raise_alerts` adds the alerts of each firm's latest
    scored period (past periods get scores, not alerts). Nothing is
    committed: the caller commits (with its audit event).

    Raises
    ------
    ConflictError
        Without an active model, or when the data lacks the model's features.
    """
    from finwarn.service._alerting import raise_alerts

    record = _require_active(session)
    model = cache.get(record)
    data = load_portfolios(session, portfolio_ids)
    levels = list(model.levels)
    if data.empty:
        return BatchResult(record.id, 0, dict.fromkeys(levels, 0), 0, [])
    trained = model.trained
    try:
        prepared = build_features(data.loaded, spec=trained.spec)
    except ModelCompatibilityError as error:
        raise ConflictError(f"Model {record.id} cannot score this data: {error}") from error
    scope = "all" if all_periods else "latest_per_firm"
    keep = latest_rows(prepared.ids, scope)
    warnings = score(trained, data.loaded, prepared=prepared, scope=scope)
    explanation = explain_warnings(trained, prepared, keep, n_reasons=N_REASONS)

    has_period = "period" in prepared.ids.columns
    X = prepared.X[keep].reset_index(drop=True)
    ids = prepared.ids[keep].reset_index(drop=True)
    firm_ids = data.firm_ids[keep]
    periods = ids["period"].to_numpy(dtype=np.int64) if has_period else None
    row_of = {
        (entity, int(periods[i]) if periods is not None else NO_PERIOD): i
        for i, entity in enumerate(ids["entity"])
    }
    reasons = explanation.reasons.frame
    reason_key = (
        reasons["period"].astype("int64") if has_period else pd.Series(NO_PERIOD, reasons.index)
    )
    grouped: dict[tuple[str, int], pd.DataFrame] = {}
    for key, part in reasons.groupby([reasons["entity"], reason_key], sort=False):
        entity, period = cast(tuple[str, int], key)
        grouped[(entity, int(period))] = part
    existing = {
        (s.firm_id, s.period): s
        for s in session.scalars(
            select(Score).where(
                Score.model_id == record.id, Score.firm_id.in_(sorted(set(firm_ids.tolist())))
            )
        )
    }
    features = list(X.columns)
    matrix = X.to_numpy(dtype=float)
    scores: list[Score] = []
    now = utcnow()
    frame = warnings.frame
    for entity, warned_period, probability, level, rank in zip(
        frame["entity"],
        frame["period"] if has_period else [NO_PERIOD] * len(frame),
        frame["probability"].to_numpy(dtype=float),
        frame["level"].astype(str),
        frame["rank"].to_numpy(dtype=np.int64),
        strict=True,
    ):
        period = int(warned_period)
        i = row_of[(entity, period)]
        firm_id = int(firm_ids[i])
        found = existing.get((firm_id, period))
        if found is None:
            found = Score(firm_id=firm_id, period=period, model_id=record.id)
            session.add(found)
        found.probability = float(probability)
        found.level = level
        found.rank = int(rank)
        reasons_of = grouped.get((entity, period))
        found.reasons = reason_dicts(reasons_of) if reasons_of is not None else []
        found.indicators = {
            name: json_number(value) for name, value in zip(features, matrix[i], strict=True)
        }
        found.created_at = now
        scores.append(found)
    session.flush()
    # Alerts are about each firm's present: scoring its past periods too (all_periods)
    # fills in the history that migrations and trends read, without stale alerts about it.
    latest: dict[int, Score] = {}
    for scored in scores:
        if scored.firm_id not in latest or scored.period > latest[scored.firm_id].period:
            latest[scored.firm_id] = scored
    alerts = raise_alerts(session, record, list(latest.values()))
    counts = warnings.frame["level"].value_counts()
    by_level = {level: int(counts.get(level, 0)) for level in levels}
    logger.info(
        "scored %d firm-periods with model %s: %s; %d alerts",
        len(scores),
        record.id,
        by_level,
        len(alerts),
    )
    return BatchResult(record.id, len(scores), by_level, len(alerts), scores)


# --------------------------------------------------------------------------- single


@dataclass(frozen=True)
class RecordScore:
    """The warning of one record (no rank: it is not scored among others)."""

    model_id: int
    probability: float
    level: str
    note: str
    reasons: list[dict[str, Any]] | None


def score_record(
    session: Session,
    cache: ModelCache,
    values: Mapping[str, float | None],
    *,
    previous: Mapping[str, float | None] | None = None,
    industry: str | None = None,
    reasons: bool = True,
) -> RecordScore:
    """Score one record with the active model; nothing is written.

    Parameters
    ----------
    values : mapping of str to float or None
        Raw statement items (or the model's features), ``None`` where unknown.
    previous : mapping, optional
        The same firm's raw items of the previous period, for the growth indicators
        (NaN without them, as for a firm's first period in a batch).
    industry : str, optional
        The peers the reasons' percentiles compare the record with.
    reasons : bool, default True
        Explain the warning against the model's reference firms (slower).

    Raises
    ------
    ConflictError
        Without an active model.
    InvalidRequestError
        For an unknown column or an impossible amount.
    """
    record = _require_active(session)
    model = cache.get(record)
    features = model.features
    features.check(values)
    if previous:
        features.check(previous)
    X = features.frame(values, previous)
    classifier = model.trained.classifier
    proba = classifier.predict_proba(X)[:, 1]
    if not np.isfinite(proba[0]):
        raise InvalidRequestError(
            f"Model {record.id} gives no probability for this record (its amounts are too "
            "extreme to compute with); check them."
        )
    # as the core's score(): the level of the exact probability, which is shown rounded
    level = model.levels[int(classifier.level_index(proba)[0])]
    probability = float(np.round(proba, 6)[0])
    note = _note(X)
    explained = _explain_record(model, X, industry) if reasons else None
    return RecordScore(record.id, probability, level, note, explained)


def _note(X: pd.DataFrame) -> str:
    missing = int(np.isnan(X.to_numpy()).sum())
    if missing <= DEFAULT_MAX_SAMPLE_MISSING * X.shape[1]:
        return ""
    _, why = sparse_rows(X, max_missing=DEFAULT_MAX_SAMPLE_MISSING)
    return f"{why.iloc[0]}; warning less reliable"


def _explain_record(model: LoadedModel, X: pd.DataFrame, industry: str | None) -> list[dict]:
    """The record's reasons, against the model's reference firms.

    As :func:`finwarn.workflow.explain_warnings` does for a scored file, with one
    difference: the record's percentiles are taken among the reference firms (its
    industry's, when it names one with enough firms), since a lone record has no peers
    of its own.
    """
    background = model.background()
    features = list(model.features.features)
    reference = background[features]
    trained = model.trained
    attribution = explain_model(trained.classifier, X, background=reference)
    if "industry" in background.columns:
        groups = pd.Series([*background["industry"].astype(str), industry], dtype=object)
    else:
        groups = pd.Series([None] * (len(reference) + 1), dtype=object)
    combined = pd.concat([reference, X], ignore_index=True)
    percentiles = peer_percentiles(combined, groups).iloc[-1:].reset_index(drop=True)
    group = peer_groups(groups).iloc[-1:].reset_index(drop=True)
    names, directions, dimensions = feature_labels(trained)
    reasons = reason_codes(
        attribution,
        X,
        pd.DataFrame({"entity": ["record"]}),
        names=names,
        directions=directions,
        dimensions=dimensions,
        percentiles=percentiles,
        peer_group_names=group,
        n_reasons=N_REASONS,
    )
    return reason_dicts(reasons.frame)
