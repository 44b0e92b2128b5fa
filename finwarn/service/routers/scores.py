"""Scores: batch-score your firms with the active model, score one record, list scores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from finwarn.service._audit import record
from finwarn.service._deps import SessionDep, get_firm, get_portfolio, portfolio_ids, require
from finwarn.service._domain_errors import ConflictError, GovernanceError, as_http
from finwarn.service._scoring import batch_score, model_cache, score_record
from finwarn.service._tables import Firm, Score, User
from finwarn.service.routers._params import NO_NUL, BodyId, Limit, Offset, QueryId
from finwarn.service.routers.firms import Level, ScoreOut, score_out

__all__ = ["router"]

router = APIRouter(prefix="/scores", tags=["scores"])
Reader = Annotated[User, Depends(require("read"))]
Scorer = Annotated[User, Depends(require("score"))]
# a batch scoring that collides with a concurrent one runs once more, then answers 409
_ATTEMPTS = 2


def _collision(error: IntegrityError | OperationalError) -> bool:
    """Whether ``error`` means a concurrent transaction stored the same rows first."""
    if isinstance(error, IntegrityError):
        return True
    message = str(error.orig).lower()
    return any(
        sign in message
        for sign in ("database is locked", "deadlock detected", "could not serialize")
    )


class BatchRequest(BaseModel):
    portfolio_id: BodyId | None = Field(
        default=None, description="Score this portfolio only; default: all of yours."
    )
    all_periods: bool = Field(
        default=False, description="Score every period, not only each firm's latest."
    )


class BatchResponse(BaseModel):
    model_id: int
    scored: int
    by_level: dict[str, int]
    alerts: int


class SingleRequest(BaseModel):
    values: dict[str, float | None] = Field(
        max_length=1000,
        description="Raw statement items (total_assets, revenue, ...) or the model's "
        "features; null where unknown.",
        examples=[{"total_assets": 1000.0, "total_liabilities": 700.0, "revenue": 900.0}],
    )
    previous: dict[str, float | None] | None = Field(
        default=None,
        max_length=1000,
        description="The same items of the previous period, for the growth indicators.",
    )
    industry: str | None = Field(
        default=None,
        max_length=100,
        pattern=NO_NUL,
        description="Peers of the reasons' percentiles.",
    )
    reasons: bool = Field(default=True, description="Explain the warning (slower).")


class SingleResponse(BaseModel):
    model_id: int
    probability: float
    level: str
    note: str
    reasons: list[dict[str, Any]] | None


class ScorePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ScoreOut]


@router.post("/batch", response_model=BatchResponse)
def score_batch(
    body: BatchRequest, user: Scorer, session: SessionDep, request: Request
) -> BatchResponse:
    """Score every firm of your portfolios (or of one) with the active model.

    Stores each firm's score with its five strongest reasons and its indicators, and
    raises the alerts of the model and of the portfolios' alert rules.
    """
    if body.portfolio_id is not None:
        ids = [get_portfolio(session, user, body.portfolio_id).id]
    else:
        ids = portfolio_ids(session, user)
    # Another scoring of the same firms may commit first: its new scores or alerts then
    # collide with this one's (unique constraints; on SQLite, a stale snapshot). The
    # second attempt starts after that commit and updates what it stored instead.
    for attempt in range(_ATTEMPTS):
        try:
            result = batch_score(
                session, model_cache(request.app.state), ids, all_periods=body.all_periods
            )
            after = {
                "model_id": result.model_id,
                "portfolio_ids": ids,
                "all_periods": body.all_periods,
                "scored": result.scored,
                "by_level": result.by_level,
                "alerts": result.alerts,
            }
            record(session, user, "score", "scores", body.portfolio_id, after=after)
            session.commit()
            break
        except GovernanceError as error:
            raise as_http(error) from None
        except (IntegrityError, OperationalError) as error:
            session.rollback()
            if not _collision(error):
                raise
            if attempt + 1 == _ATTEMPTS:
                raise as_http(
                    ConflictError(
                        "Another scoring of these firms was stored at the same time; score again."
                    )
                ) from None
    return BatchResponse(
        model_id=result.model_id,
        scored=result.scored,
        by_level=result.by_level,
        alerts=result.alerts,
    )


@router.post("/single", response_model=SingleResponse)
def score_single(
    body: SingleRequest, user: Scorer, session: SessionDep, request: Request
) -> SingleResponse:
    """Score one record with the active model: probability, level and (optionally) reasons.

    Nothing is stored. Reasons compare the record with the model's training firms.
    """
    try:
        result = score_record(
            session,
            model_cache(request.app.state),
            body.values,
            previous=body.previous,
            industry=body.industry,
            reasons=body.reasons,
        )
    except GovernanceError as error:
        raise as_http(error) from None
    return SingleResponse(
        model_id=result.model_id,
        probability=result.probability,
        level=result.level,
        note=result.note,
        reasons=result.reasons,
    )


@router.get("", response_model=ScorePage)
def list_scores(
    user: Reader,
    session: SessionDep,
    firm_id: QueryId = None,
    level: Level = None,
    model_id: QueryId = None,
    period: Annotated[int | None, Query(ge=-1, le=2**31 - 1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ScorePage:
    """Scores of the firms of your portfolios, riskiest first (newest model first)."""
    query = select(Score).join(Firm, Firm.id == Score.firm_id)
    query = query.where(Firm.portfolio_id.in_(portfolio_ids(session, user)))
    if firm_id is not None:
        query = query.where(Score.firm_id == get_firm(session, user, firm_id).id)
    if level is not None:
        query = query.where(Score.level == level)
    if model_id is not None:
        query = query.where(Score.model_id == model_id)
    if period is not None:
        query = query.where(Score.period == period)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = session.scalars(
        query.order_by(Score.model_id.desc(), Score.probability.desc(), Score.id)
        .limit(limit)
        .offset(offset)
    )
    return ScorePage(total=total, limit=limit, offset=offset, items=[score_out(s) for s in found])
