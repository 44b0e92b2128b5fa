"""Firms of your portfolios, their periods (the uploaded values) and their scores."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from finwarn.service._deps import SessionDep, get_firm, get_portfolio, portfolio_ids, require
from finwarn.service._frames import feature_values
from finwarn.service._scoring import active_model, latest_scores
from finwarn.service._tables import Firm, Observation, Score, User
from finwarn.service.routers._params import NO_NUL, Limit, Offset, PathId, QueryId, QueryText

__all__ = ["FirmSummary", "Level", "ScoreOut", "router", "score_out"]

router = APIRouter(prefix="/firms", tags=["firms"])
Reader = Annotated[User, Depends(require("read"))]

#: A warning level in a query (none, light, moderate, heavy).
Level = Annotated[str | None, Query(min_length=1, max_length=16, pattern=NO_NUL)]


class ScoreSummary(BaseModel):
    model_id: int
    period: int
    probability: float
    level: str
    rank: int
    created_at: datetime


class ScoreOut(ScoreSummary):
    id: int
    firm_id: int
    reasons: list[dict[str, Any]]
    indicators: dict[str, Any]


class FirmSummary(BaseModel):
    id: int
    portfolio_id: int
    code: str
    industry: str | None
    latest: ScoreSummary | None = None


class FirmPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[FirmSummary]


class FirmDetail(BaseModel):
    id: int
    portfolio_id: int
    code: str
    industry: str | None
    periods: list[int]
    latest: ScoreOut | None


class PeriodOut(BaseModel):
    period: int
    label: int | None
    industry: str | None
    upload_id: int
    values: dict[str, float | None]


def score_out(score: Score) -> ScoreOut:
    """The API form of a stored score."""
    return ScoreOut.model_validate(score, from_attributes=True)


def _summary(score: Score | None) -> ScoreSummary | None:
    return None if score is None else ScoreSummary.model_validate(score, from_attributes=True)


@router.get("", response_model=FirmPage)
def list_firms(
    user: Reader,
    session: SessionDep,
    portfolio_id: QueryId = None,
    q: QueryText = None,
    level: Level = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> FirmPage:
    """Firms of your portfolios, by code, each with its latest score by the active model.

    ``q`` finds codes containing it (any case); ``level`` keeps firms whose latest score
    by the active model has that level.
    """
    ids = portfolio_ids(session, user)
    if portfolio_id is not None:
        get_portfolio(session, user, portfolio_id)
        ids = [portfolio_id]
    query = select(Firm).where(Firm.portfolio_id.in_(ids))
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Firm.code).like(f"%{escaped}%", escape="\\"))
    model = active_model(session)
    if level is not None:
        if model is None:
            return FirmPage(total=0, limit=limit, offset=offset, items=[])
        latest = (
            select(Score.firm_id, func.max(Score.period).label("period"))
            .where(Score.model_id == model.id)
            .group_by(Score.firm_id)
            .subquery()
        )
        at_level = (
            select(Score.firm_id)
            .join(
                latest,
                (Score.firm_id == latest.c.firm_id) & (Score.period == latest.c.period),
            )
            .where(Score.model_id == model.id, Score.level == level)
        )
        query = query.where(Firm.id.in_(at_level))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    firms = list(session.scalars(query.order_by(Firm.code, Firm.id).limit(limit).offset(offset)))
    scores = latest_scores(session, model.id, [f.id for f in firms]) if model else {}
    items = [
        FirmSummary(
            id=f.id,
            portfolio_id=f.portfolio_id,
            code=f.code,
            industry=f.industry,
            latest=_summary(scores.get(f.id)),
        )
        for f in firms
    ]
    return FirmPage(total=total, limit=limit, offset=offset, items=items)


@router.get("/{firm_id}", response_model=FirmDetail)
def get_firm_detail(firm_id: PathId, user: Reader, session: SessionDep) -> FirmDetail:
    """A firm, its periods and its latest score by the active model (with reasons)."""
    firm = get_firm(session, user, firm_id)
    periods = list(
        session.scalars(
            select(Observation.period)
            .where(Observation.firm_id == firm.id)
            .order_by(Observation.period)
        )
    )
    model = active_model(session)
    latest = latest_scores(session, model.id, [firm.id]).get(firm.id) if model else None
    return FirmDetail(
        id=firm.id,
        portfolio_id=firm.portfolio_id,
        code=firm.code,
        industry=firm.industry,
        periods=periods,
        latest=None if latest is None else score_out(latest),
    )


@router.get("/{firm_id}/periods", response_model=list[PeriodOut])
def list_periods(firm_id: PathId, user: Reader, session: SessionDep) -> list[PeriodOut]:
    """The firm's observations: the validated values of each period (null = missing).

    ``values`` can be sent as they are to ``POST /scores/single`` (``values``, and the
    previous period's as ``previous``).
    """
    firm = get_firm(session, user, firm_id)
    found = session.scalars(
        select(Observation).where(Observation.firm_id == firm.id).order_by(Observation.period)
    )
    return [
        PeriodOut(
            period=obs.period,
            label=obs.label,
            industry=obs.values.get("industry", firm.industry),
            upload_id=obs.upload_id,
            values=feature_values(obs.values),
        )
        for obs in found
    ]


@router.get("/{firm_id}/scores", response_model=list[ScoreOut])
def list_firm_scores(
    firm_id: PathId,
    user: Reader,
    session: SessionDep,
    model_id: QueryId = None,
) -> list[ScoreOut]:
    """The firm's scores by one model (``model_id``; default: the active one), oldest first."""
    firm = get_firm(session, user, firm_id)
    if model_id is None:
        model = active_model(session)
        if model is None:
            return []
        model_id = model.id
    found = session.scalars(
        select(Score)
        .where(Score.firm_id == firm.id, Score.model_id == model_id)
        .order_by(Score.period)
    )
    return [score_out(score) for score in found]
