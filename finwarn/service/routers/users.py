"""Users and their API keys (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from finwarn.service._audit import record, snapshot
from finwarn.service._deps import SessionDep, SettingsDep, require
from finwarn.service._security import hash_password, keyed_digest, new_api_key
from finwarn.service._tables import ApiKey, Grant, User
from finwarn.service.routers._params import NO_NUL, PathId

__all__ = ["MIN_PASSWORD_LENGTH", "router"]

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[User, Depends(require("users"))]

MIN_PASSWORD_LENGTH = 12
SELF_LOCKOUT = "You cannot demote or deactivate yourself; ask another admin."
Role = Literal["viewer", "analyst", "approver", "admin"]


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)
    role: Role


class UserUpdate(BaseModel):
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=256)


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    created_at: datetime
    portfolio_ids: list[int]


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=NO_NUL)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked: bool


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown only now, store it safely.")


def _out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        active=user.active,
        created_at=user.created_at,
        portfolio_ids=sorted(g.portfolio_id for g in user.grants),
    )


def _user(session: SessionDep, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="User not found")
    return user


@router.get("", response_model=list[UserOut])
def list_users(admin: Admin, session: SessionDep) -> list[UserOut]:
    """Every user."""
    return [_out(u) for u in session.scalars(select(User).order_by(User.id))]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, admin: Admin, session: SessionDep) -> UserOut:
    """Create a user (grant portfolios to them under portfolios)."""
    if session.scalar(select(User).where(User.username == body.username)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="A user with this name exists")
    user = User(username=body.username, password_hash=hash_password(body.password), role=body.role)
    session.add(user)
    session.flush()
    record(session, admin, "create", "user", user.id, after=snapshot(user))
    session.commit()
    return _out(user)


@router.patch("/{user_id}", response_model=UserOut)
def update_user(user_id: PathId, body: UserUpdate, admin: Admin, session: SessionDep) -> UserOut:
    """Change a user's role, deactivate them, or set a new password.

    Admins cannot demote or deactivate themselves, so the service always keeps an admin.
    """
    user = _user(session, user_id)
    if user.id == admin.id and (
        (body.role is not None and body.role != "admin") or body.active is False
    ):
        raise HTTPException(status.HTTP_409_CONFLICT, detail=SELF_LOCKOUT)
    before = snapshot(user)
    if body.role is not None:
        user.role = body.role
    if body.active is not None:
        user.active = body.active
    if body.password is not None:
        user.password_hash = hash_password(body.password)
    after = snapshot(user)
    if body.password is not None:
        after["password"] = "changed"
    record(session, admin, "update", "user", user.id, before=before, after=after)
    session.commit()
    return _out(user)


@router.get("/{user_id}/api-keys", response_model=list[ApiKeyOut])
def list_api_keys(user_id: PathId, admin: Admin, session: SessionDep) -> list[ApiKeyOut]:
    """A user's API keys (without the keys themselves)."""
    _user(session, user_id)
    keys = session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id))
    return [ApiKeyOut.model_validate(k, from_attributes=True) for k in keys]


@router.post(
    "/{user_id}/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED
)
def create_api_key(
    user_id: PathId, body: ApiKeyCreate, admin: Admin, session: SessionDep, settings: SettingsDep
) -> ApiKeyCreated:
    """A new API key acting as this user; send it as the ``X-API-Key`` header."""
    _user(session, user_id)
    key, prefix = new_api_key()
    api_key = ApiKey(
        prefix=prefix, digest=keyed_digest(settings.secret, key), name=body.name, user_id=user_id
    )
    session.add(api_key)
    session.flush()
    record(session, admin, "create", "api_key", api_key.id, after=snapshot(api_key))
    session.commit()
    return ApiKeyCreated(
        **ApiKeyOut.model_validate(api_key, from_attributes=True).model_dump(), key=key
    )


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: PathId, admin: Admin, session: SessionDep) -> None:
    """Revoke an API key; it stops working at once."""
    api_key = session.get(ApiKey, key_id)
    if api_key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="API key not found")
    before = snapshot(api_key)
    api_key.revoked = True
    record(session, admin, "revoke", "api_key", key_id, before=before, after=snapshot(api_key))
    session.commit()


def grant(session: SessionDep, user_id: int, portfolio_id: int) -> Grant | None:
    """Grant a portfolio to a user (None if already granted)."""
    exists = session.scalar(
        select(Grant).where(Grant.user_id == user_id, Grant.portfolio_id == portfolio_id)
    )
    if exists is not None:
        return None
    new = Grant(user_id=user_id, portfolio_id=portfolio_id)
    session.add(new)
    return new
