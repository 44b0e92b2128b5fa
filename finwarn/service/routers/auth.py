"""Log in and out: a session token for people (API keys for machines are under users)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from finwarn.service._audit import record
from finwarn.service._deps import CurrentUser, SessionDep, SettingsDep, portfolio_ids
from finwarn.service._security import keyed_digest, new_token, verify_password
from finwarn.service._settings import Settings
from finwarn.service._tables import SessionToken, User
from finwarn.service.routers._params import NO_NUL

__all__ = ["BAD_LOGIN", "login_user", "router"]

router = APIRouter(prefix="/auth", tags=["auth"])

BAD_LOGIN = "Incorrect username or password"


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class MeResponse(BaseModel):
    id: int
    username: str
    role: str
    portfolio_ids: list[int]


def login_user(
    request: Request, session: Session, settings: Settings, username: str, password: str
) -> tuple[User, str, datetime]:
    """Check a login under the rate limit and open a session; raises 401 or 429.

    Returns the user, the new session token and its expiry.
    """
    limiter = request.app.state.login_limiter
    client = request.client.host if request.client else "unknown"
    keys = (f"user:{username.lower()}", f"client:{client}")
    wait = limiter.retry_after(session, *keys)
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"Too many failed logins; try again in {int(wait) + 1} seconds.",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        limiter.failed(session, *keys)
        record(session, None, "login_failed", "user", None, after={"username": username})
        session.commit()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=BAD_LOGIN)
    limiter.succeeded(session, *keys)
    token = new_token()
    expires = datetime.now(UTC) + timedelta(hours=settings.session_hours)
    session.add(
        SessionToken(
            digest=keyed_digest(settings.secret, token), user_id=user.id, expires_at=expires
        )
    )
    record(session, user, "login", "user", user.id)
    session.commit()
    return user, token, expires


@router.post("/login", response_model=TokenResponse)
def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Exchange a user name and password for a bearer token."""
    _, token, expires = login_user(request, session, settings, body.username, body.password)
    return TokenResponse(access_token=token, expires_at=expires)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep):
    """End the session of the bearer token used (API keys are revoked under users)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        digest = keyed_digest(settings.secret, token.strip())
        session.execute(delete(SessionToken).where(SessionToken.digest == digest))
        record(session, user, "logout", "user", user.id)
        session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=MeResponse)
def me(user: CurrentUser, session: SessionDep) -> MeResponse:
    """Who the credentials belong to, their role and their portfolios."""
    return MeResponse(
        id=user.id,
        username=user.username,
        role=user.role,
        portfolio_ids=portfolio_ids(session, user),
    )
