"""Portfolios and who may see them: a user sees only the firms of portfolios granted to them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from finwarn.service._audit import record, snapshot
from finwarn.service._deps import CurrentUser, SessionDep, get_portfolio, portfolio_ids, require
from finwarn.service._tables import Firm, Grant, Portfolio, User
from finwarn.service.routers._params import NO_NUL, PathId
from finwarn.service.routers.users import grant

__all__ = ["router"]

router = APIRouter(prefix="/portfolios", tags=["portfolios"])
Admin = Annotated[User, Depends(require("users"))]


class PortfolioCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=NO_NUL)


class PortfolioOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    firms: int


def _out(session: SessionDep, portfolio: Portfolio) -> PortfolioOut:
    firms = session.scalar(select(func.count()).where(Firm.portfolio_id == portfolio.id)) or 0
    return PortfolioOut(
        id=portfolio.id, name=portfolio.name, created_at=portfolio.created_at, firms=firms
    )


@router.get("", response_model=list[PortfolioOut])
def list_portfolios(user: CurrentUser, session: SessionDep) -> list[PortfolioOut]:
    """The portfolios granted to you."""
    ids = portfolio_ids(session, user)
    found = session.scalars(select(Portfolio).where(Portfolio.id.in_(ids)).order_by(Portfolio.id))
    return [_out(session, p) for p in found]


@router.post("", response_model=PortfolioOut, status_code=status.HTTP_201_CREATED)
def create_portfolio(body: PortfolioCreate, admin: Admin, session: SessionDep) -> PortfolioOut:
    """Create a portfolio; it is granted to you."""
    if session.scalar(select(Portfolio).where(Portfolio.name == body.name)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="A portfolio with this name exists")
    portfolio = Portfolio(name=body.name)
    session.add(portfolio)
    session.flush()
    grant(session, admin.id, portfolio.id)
    record(session, admin, "create", "portfolio", portfolio.id, after=snapshot(portfolio))
    session.commit()
    return _out(session, portfolio)


@router.put("/{portfolio_id}/grants/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def grant_portfolio(
    portfolio_id: PathId, user_id: PathId, admin: Admin, session: SessionDep
) -> None:
    """Let a user see this portfolio's firms."""
    get_portfolio(session, admin, portfolio_id)
    if session.get(User, user_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="User not found")
    if grant(session, user_id, portfolio_id) is not None:
        after = {"user_id": user_id, "portfolio_id": portfolio_id}
        record(session, admin, "grant", "portfolio", portfolio_id, after=after)
        session.commit()


@router.delete("/{portfolio_id}/grants/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_portfolio(
    portfolio_id: PathId, user_id: PathId, admin: Admin, session: SessionDep
) -> None:
    """Stop a user seeing this portfolio's firms."""
    get_portfolio(session, admin, portfolio_id)
    found = session.scalar(
        select(Grant).where(Grant.user_id == user_id, Grant.portfolio_id == portfolio_id)
    )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Grant not found")
    session.delete(found)
    before = {"user_id": user_id, "portfolio_id": portfolio_id}
    record(session, admin, "revoke", "portfolio", portfolio_id, before=before)
    session.commit()
