"""The FastAPI application: settings, database, routers, dashboard and background jobs."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select

import finwarn
from finwarn.exceptions import FinwarnError
from finwarn.service._audit import record, snapshot
from finwarn.service._db import Database
from finwarn.service._domain_errors import GovernanceError
from finwarn.service._limits import BodyLimit
from finwarn.service._login_limit import LoginLimiter
from finwarn.service._scoring import ModelCache, active_model
from finwarn.service._security import hash_password
from finwarn.service._settings import Settings
from finwarn.service._tables import User
from finwarn.service.dashboard import STATIC_URL, static_files
from finwarn.service.dashboard import router as dashboard_router
from finwarn.service.routers import ROUTERS

__all__ = ["API_PREFIX", "create_app", "ensure_admin"]

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def ensure_admin(db: Database, username: str, password: str) -> bool:
    """Create the admin user if no user of that name exists; True if created."""
    with db.session() as session:
        if session.scalar(select(User).where(User.username == username)) is not None:
            return False
        user = User(username=username, password_hash=hash_password(password), role="admin")
        session.add(user)
        session.flush()
        record(session, None, "create", "user", user.id, after=snapshot(user))
    logger.info("created admin user %s", username)
    return True


def _preload_active_model(db: Database, cache: ModelCache) -> None:
    """Load the active model now, so that the first request does not wait for it."""
    with db.session() as session:
        record = active_model(session)
        if record is None:
            return
        try:
            cache.get(record)
        except (OSError, FinwarnError, GovernanceError) as error:
            logger.warning("active model %s not loaded at start: %s", record.id, error)


def _json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as text (JSON has no NaN or Infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 answer, also when the refused input holds NaN or Infinity.

    The default handler echoes the input and fails to encode a non-finite number,
    which would turn a client's mistake into a server error.
    """
    assert isinstance(error, RequestValidationError)
    detail = _json_safe(jsonable_encoder(error.errors()))
    return JSONResponse(status_code=422, content={"detail": detail})


def create_app(settings: Settings | None = None) -> FastAPI:
    """The finwarn service as an ASGI application.

    The database schema is migrated when the application starts, and the admin user is
    created from ``settings.admin_password`` if it does not exist yet.

    Parameters
    ----------
    settings : Settings, optional
        Default: read from the ``FINWARN_*`` environment variables (refused without a
        proper secret outside development mode).
    """
    settings = settings or Settings()
    db = Database(settings.url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.migrate()
        if settings.admin_password:
            ensure_admin(db, settings.admin_username, settings.admin_password)
        # Fewer request threads than anyio's 40: the work is CPU-bound under one GIL, and
        # many threads contending for it serve fewer requests, each more slowly.
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        _preload_active_model(db, app.state.models)
        yield
        app.state.jobs.shutdown(wait=False, cancel_futures=True)
        db.dispose()

    app = FastAPI(
        title="finwarn",
        version=finwarn.__version__,
        description="Financial-risk early warnings: firms, scores, alerts and the risk "
        "register, for the users and portfolios granted to them.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.login_limiter = LoginLimiter(settings.login_attempts, settings.login_window_seconds)
    # one worker: training and reports queue behind each other instead of starving scoring
    app.state.jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="finwarn-job")
    app.state.models = ModelCache()
    app.add_exception_handler(RequestValidationError, _validation_error)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(dashboard_router)
    app.mount(STATIC_URL, static_files(), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the server answers."""
        return {"status": "ok", "version": finwarn.__version__}

    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        uploads=settings.max_upload_bytes,
        upload_prefix=f"{API_PREFIX}/uploads",
    )
    return app
