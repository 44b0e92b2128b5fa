"""Fixtures of the service tests: settings, databases (SQLite and PostgreSQL), a seeded world
of users, portfolios and firms, an in-process client and a real uvicorn server.

PostgreSQL: set ``FINWARN_TEST_POSTGRES_URL`` to a server where the user may create
databases (``.ci/run`` installs and starts Debian's PostgreSQL and sets it); each test gets
its own new database. Without it the PostgreSQL cases skip, except in CI, where they fail.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from finwarn.service import Settings, create_app
from finwarn.service._db import Database
from finwarn.service._security import hash_password, keyed_digest, new_token
from finwarn.service._tables import ROLES, Firm, Grant, Portfolio, SessionToken, User

with warnings.catch_warnings():
    # starlette's TestClient warns that it still uses httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

POSTGRES_ENV = "FINWARN_TEST_POSTGRES_URL"
SECRET = "test-secret-" + "x" * 40
PASSWORD = "a long test password"


@functools.cache
def password_hash() -> str:
    """The argon2 hash of :data:`PASSWORD`, computed once (hashing costs ~0.1-0.3 s)."""
    return hash_password(PASSWORD)


def _postgres_database() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {POSTGRES_ENV} is not: .ci/run starts PostgreSQL.")
        pytest.skip(
            f"PostgreSQL not configured: set {POSTGRES_ENV} (see tests/service/conftest.py)"
        )
    name = f"finwarn_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A new empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'finwarn.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new empty SQLite database (for tests that need not run on both)."""
    return f"sqlite:///{tmp_path / 'finwarn.db'}"


def make_settings(tmp_path: Path, url: str, **overrides) -> Settings:
    return Settings(secret_key=SECRET, data_dir=tmp_path / "data", database_url=url, **overrides)


@dataclass
class World:
    """Users of every role, two portfolios and their firms, seeded straight into a database.

    ``own`` is granted to every seeded user; ``foreign`` to nobody (its firms must look
    to everyone as if they did not exist).
    """

    db: Database
    settings: Settings
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    own: Portfolio | None = None
    foreign: Portfolio | None = None
    own_firm: Firm | None = None
    foreign_firm: Firm | None = None

    def headers(self, role: str) -> dict[str, str]:
        """Bearer headers of the seeded user of ``role`` (or of any user name added)."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def add_user(self, name: str, role: str, *, grant: bool = True) -> User:
        """A new user with a session token stored under ``name``."""
        token = new_token()
        with self.db.session() as session:
            user = User(username=name, password_hash=password_hash(), role=role)
            session.add(user)
            session.flush()
            if grant and self.own is not None:
                session.add(Grant(user_id=user.id, portfolio_id=self.own.id))
            session.add(
                SessionToken(
                    digest=keyed_digest(self.settings.secret, token),
                    user_id=user.id,
                    expires_at=datetime.now(UTC) + timedelta(hours=1),
                )
            )
        self.users[name] = user
        self.tokens[name] = token
        return user


def seed_world(db: Database, settings: Settings) -> World:
    world = World(db=db, settings=settings)
    with db.session() as session:
        world.own = Portfolio(name="own")
        world.foreign = Portfolio(name="foreign")
        session.add_all([world.own, world.foreign])
        session.flush()
        world.own_firm = Firm(portfolio_id=world.own.id, code="OWN1", industry="retail")
        world.foreign_firm = Firm(portfolio_id=world.foreign.id, code="FOR1", industry="retail")
        session.add_all([world.own_firm, world.foreign_firm])
    for role in ROLES:
        world.add_user(role, role)
    return world


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path, sqlite_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An in-process client of a new app on SQLite (the schema migrated at start)."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def world(client: TestClient) -> World:
    """The seeded world in the database of ``client``."""
    app = client.app
    return seed_world(app.state.db, app.state.settings)  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
