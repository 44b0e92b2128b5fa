"""Shared FastAPI dependencies: the database session, the current user, permissions, scope.

Routers declare what they need with the ``Annotated`` aliases below, e.g.
``def read(session: SessionDep, user: CurrentUser)``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from finwarn.service._domain_errors import PermissionDeniedError, as_http, need
from finwarn.service._security import keyed_digest, split_api_key
from finwarn.service._settings import Settings
from finwarn.service._tables import ApiKey, Firm, Grant, Portfolio, SessionToken, User

__all__ = [
    "FIRM_NOT_FOUND",
    "NOT_AUTHENTICATED",
    "PORTFOLIO_NOT_FOUND",
    "SESSION_COOKIE",
    "CurrentUser",
    "SessionDep",
    "SettingsDep",
    "check_permission",
    "get_firm",
    "get_portfolio",
    "portfolio_ids",
    "require",
    "user_from_token",
]

NOT_AUTHENTICATED = "Not authenticated"
FIRM_NOT_FOUND = "Firm not found"
PORTFOLIO_NOT_FOUND = "Portfolio not found"
#: The dashboard's session cookie (people only; the API takes a bearer token or API key).
SESSION_COOKIE = "finwarn_session"


# Dependencies that do no I/O are ``async``: a sync one costs a hop to the thread pool.
async def _settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _session(request: Request) -> Iterator[Session]:
    # Routers commit their own writes (with the audit event in the same transaction);
    # anything left uncommitted is rolled back when the request ends.
    with request.app.state.db.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


def user_from_token(session: Session, settings: Settings, token: str) -> User | None:
    """The active user of a session token, or None (unknown or expired token)."""
    digest = keyed_digest(settings.secret, token)
    found = session.scalar(
        select(SessionToken)
        .options(joinedload(SessionToken.user))
        .where(SessionToken.digest == digest)
    )
    if found is None or found.expires_at <= datetime.now(UTC):
        return None
    return found.user if found.user.active else None


def _user_from_api_key(session: Session, settings: Settings, key: str) -> User | None:
    prefix = split_api_key(key)
    if prefix is None:
        return None
    found = session.scalar(
        select(ApiKey).options(joinedload(ApiKey.user)).where(ApiKey.prefix == prefix)
    )
    if found is None or found.revoked:
        return None
    if not hmac.compare_digest(found.digest, keyed_digest(settings.secret, key)):
        return None
    return found.user if found.user.active else None


def _current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    user = None
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        user = user_from_token(session, settings, credentials.strip())
    elif key := request.headers.get("x-api-key"):
        user = _user_from_api_key(session, settings, key.strip())
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=NOT_AUTHENTICATED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


def require(permission: str) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets through only users whose role holds ``permission``."""

    async def check(user: CurrentUser) -> User:
        return check_permission(user, permission)

    return check


def check_permission(user: User, permission: str) -> User:
    """``user``, if their role holds ``permission``; otherwise a 403 with the reason."""
    try:
        need(user.role, permission)
    except PermissionDeniedError as error:
        raise as_http(error) from None
    return user


def portfolio_ids(session: Session, user: User) -> list[int]:
    """The portfolios whose firms ``user`` may see (granted to them)."""
    return list(session.scalars(select(Grant.portfolio_id).where(Grant.user_id == user.id)))


def get_firm(session: Session, user: User, firm_id: int) -> Firm:
    """The firm, if it exists and is in the user's portfolios; otherwise 404.

    A firm outside the user's portfolios answers exactly as one that does not exist.
    """
    firm = session.get(Firm, firm_id)
    if firm is None or firm.portfolio_id not in portfolio_ids(session, user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=FIRM_NOT_FOUND)
    return firm


def get_portfolio(session: Session, user: User, portfolio_id: int) -> Portfolio:
    """The portfolio, if granted to the user; otherwise 404 (as if it did not exist)."""
    portfolio = session.get(Portfolio, portfolio_id)
    if portfolio is None or portfolio.id not in portfolio_ids(session, user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=PORTFOLIO_NOT_FOUND)
    return portfolio
