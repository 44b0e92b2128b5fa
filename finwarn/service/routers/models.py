"""Warning models: train in the background with progress, list, activate the one that scores."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from finwarn._text import did_you_mean
from finwarn.models import MODEL_NAMES
from finwarn.service._audit import record, snapshot
from finwarn.service._deps import SessionDep, get_portfolio, portfolio_ids, require
from finwarn.service._domain_errors import GovernanceError, as_http
from finwarn.service._jobs import run_training, submit
from finwarn.service._scoring import activate
from finwarn.service._tables import ModelRecord, User
from finwarn.service.routers._params import BodyId, PathId

__all__ = ["MODEL_NOT_FOUND", "router"]

router = APIRouter(prefix="/models", tags=["models"])
Reader = Annotated[User, Depends(require("read"))]
Trainer = Annotated[User, Depends(require("train"))]
Admin = Annotated[User, Depends(require("models"))]

MODEL_NOT_FOUND = "Model not found"


class ModelCreate(BaseModel):
    name: str = Field(
        min_length=1,
        max_length=40,
        description=f"One of {', '.join(MODEL_NAMES)}.",
        examples=["lightgbm"],
    )
    portfolio_ids: list[BodyId] | None = Field(
        default=None,
        max_length=1000,
        description="The portfolios to train on; default: all of yours.",
    )


class ModelOut(BaseModel):
    id: int
    name: str
    status: str
    progress: float
    message: str
    metrics: dict[str, Any]
    portfolio_ids: list[int]
    active: bool
    created_by: int
    created_at: datetime
    finished_at: datetime | None


def _out(model: ModelRecord) -> ModelOut:
    return ModelOut.model_validate(model, from_attributes=True)


def _model(session: SessionDep, model_id: int) -> ModelRecord:
    model = session.get(ModelRecord, model_id)
    if model is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=MODEL_NOT_FOUND)
    return model


@router.post("", response_model=ModelOut, status_code=status.HTTP_202_ACCEPTED)
def create_model(
    body: ModelCreate, user: Trainer, session: SessionDep, request: Request
) -> ModelOut:
    """Train a model on the labelled firm-periods of portfolios, in the background.

    The answer is the queued model; follow ``status`` (queued, running, done, failed),
    ``progress`` (0 to 1) and ``message`` with ``GET /models/{id}``.
    """
    if body.name not in MODEL_NAMES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"Unknown model '{body.name}'; choose one of {', '.join(MODEL_NAMES)}."
            + did_you_mean(body.name, MODEL_NAMES),
        )
    if body.portfolio_ids is None:
        ids = portfolio_ids(session, user)
        if not ids:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail="You have no portfolios to train on; ask an admin to grant you one.",
            )
    else:
        if not body.portfolio_ids:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail="Give at least one portfolio id, or leave portfolio_ids out to train "
                "on all of yours.",
            )
        for portfolio_id in body.portfolio_ids:
            get_portfolio(session, user, portfolio_id)
        ids = sorted(set(body.portfolio_ids))
    model = ModelRecord(
        name=body.name,
        status="queued",
        progress=0.0,
        message="queued behind other background jobs",
        metrics={},
        portfolio_ids=ids,
        active=False,
        created_by=user.id,
    )
    session.add(model)
    session.flush()
    record(session, user, "create", "model", model.id, after=snapshot(model))
    session.commit()
    app = request.app
    submit(app.state.jobs, run_training, app.state.db, app.state.settings, model.id)
    return _out(model)


@router.get("", response_model=list[ModelOut])
def list_models(user: Reader, session: SessionDep) -> list[ModelOut]:
    """Every model of the service, newest first (one of them is active)."""
    return [_out(m) for m in session.scalars(select(ModelRecord).order_by(ModelRecord.id.desc()))]


@router.get("/{model_id}", response_model=ModelOut)
def get_model(model_id: PathId, user: Reader, session: SessionDep) -> ModelOut:
    """A model's status, progress and (when done) its out-of-fold metrics."""
    return _out(_model(session, model_id))


@router.post("/{model_id}/activate", response_model=ModelOut)
def activate_model(model_id: PathId, admin: Admin, session: SessionDep) -> ModelOut:
    """Make this (trained) model the one that scores every firm."""
    model = _model(session, model_id)
    try:
        activate(session, admin, model)
    except GovernanceError as error:
        raise as_http(error) from None
    session.commit()
    return _out(model)
