"""Logging in, tokens, API keys, the login rate limit, body limits and the secret check."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from finwarn.service import Settings, SettingsError, create_app, load_settings
from finwarn.service._db import Database
from finwarn.service._login_limit import LoginLimiter
from finwarn.service._tables import AuditEvent, LoginFailure
from tests.service.conftest import PASSWORD, SECRET, TestClient, make_settings, seed_world


def test_login_me_logout(client, world):
    answer = client.post("/api/v1/auth/login", json={"username": "analyst", "password": PASSWORD})
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.json() == {
        "id": world.users["analyst"].id,
        "username": "analyst",
        "role": "analyst",
        "portfolio_ids": [world.own.id],
    }
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    again = client.get("/api/v1/auth/me", headers=headers)
    assert again.status_code == 401
    assert again.json() == {"detail": "Not authenticated"}


@pytest.mark.parametrize(
    ("username", "password"), [("analyst", "wrong password"), ("nobody", PASSWORD)]
)
def test_bad_login_answers_the_same(client, world, username, password):
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Incorrect username or password"}


def test_login_rate_limit(client, world):
    bad = {"username": "viewer", "password": "wrong password"}
    for _ in range(5):
        assert client.post("/api/v1/auth/login", json=bad).status_code == 401
    limited = client.post("/api/v1/auth/login", json={"username": "viewer", "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.json()["detail"].startswith("Too many failed logins; try again in ")
    assert int(limited.headers["retry-after"]) > 0


def test_login_rate_limit_holds_across_server_processes(tmp_path, database_url):
    """Two apps on one database stand for two ``--workers`` processes: one limit."""
    settings = make_settings(tmp_path, database_url)
    bad = {"username": "viewer", "password": "wrong password"}
    good = {"username": "viewer", "password": PASSWORD}
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        seed_world(first.app.state.db, settings)  # type: ignore[attr-defined]
        for attempt in range(settings.login_attempts):
            client = (first, second)[attempt % 2]
            assert client.post("/api/v1/auth/login", json=bad).status_code == 401
        for client in (first, second):
            assert client.post("/api/v1/auth/login", json=good).status_code == 429


def test_login_failures_slide_out_of_the_window(sqlite_url):
    db = Database(sqlite_url)
    db.migrate()
    limiter = LoginLimiter(attempts=2, window_seconds=60)
    now = datetime.now(UTC)
    try:
        with db.session() as session:
            session.add_all(
                LoginFailure(key="user:a", at=now - timedelta(seconds=ago)) for ago in (90, 50, 20)
            )
        with db.session() as session:
            wait = limiter.retry_after(session, "user:a", "client:x")
        # two failures are in the window; the older (50 s ago) leaves it in about 10 s
        assert 9 < wait <= 10
        long_name = "user:" + "x" * 300  # stored as its digest, still counted
        digest = "sha256:" + hashlib.sha256(long_name.encode()).hexdigest()
        with db.session() as session:
            limiter.failed(session, "user:b", long_name)  # also prunes the 90 s old row
        with db.session() as session:
            keys = sorted(session.scalars(select(LoginFailure.key)))
            assert keys == [digest, "user:a", "user:a", "user:b"]
            assert limiter.retry_after(session, long_name) == 0  # one failure of two
            limiter.succeeded(session, "user:a")
        with db.session() as session:
            assert limiter.retry_after(session, "user:a") == 0
            assert sorted(session.scalars(select(LoginFailure.key))) == [digest, "user:b"]
    finally:
        db.dispose()


def test_inactive_user_cannot_log_in(client, world):
    admin = world.headers("admin")
    user_id = world.users["viewer"].id
    client.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=admin)
    assert client.get("/api/v1/auth/me", headers=world.headers("viewer")).status_code == 401
    answer = client.post("/api/v1/auth/login", json={"username": "viewer", "password": PASSWORD})
    assert answer.status_code == 401


def test_api_key_acts_as_its_user_until_revoked(client, world):
    admin = world.headers("admin")
    user_id = world.users["analyst"].id
    created = client.post(
        f"/api/v1/users/{user_id}/api-keys", json={"name": "loader"}, headers=admin
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("fwk_")
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert me.json()["username"] == "analyst"
    listed = client.get(f"/api/v1/users/{user_id}/api-keys", headers=admin).json()
    assert "key" not in listed[0]
    client.delete(f"/api/v1/users/api-keys/{created.json()['id']}", headers=admin)
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401
    forged = key[:-4] + "abcd"
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": forged}).status_code == 401


def test_only_admins_manage_users(client, world):
    body = {"username": "new", "password": "x" * 12, "role": "viewer"}
    answer = client.post("/api/v1/users", json=body, headers=world.headers("analyst"))
    assert answer.status_code == 403
    assert answer.json() == {"detail": "The analyst role may not do this (it needs 'users')."}
    assert (
        client.post("/api/v1/users", json=body, headers=world.headers("admin")).status_code == 201
    )


def test_short_password_refused(client, world):
    body = {"username": "new", "password": "short", "role": "viewer"}
    answer = client.post("/api/v1/users", json=body, headers=world.headers("admin"))
    assert answer.status_code == 422


def test_body_limit(tmp_path, sqlite_url):
    settings = make_settings(tmp_path, sqlite_url, max_body_bytes=1_000)
    with TestClient(create_app(settings)) as client:
        world = seed_world(client.app.state.db, settings)
        answer = client.post(
            "/api/v1/portfolios",
            content=b'{"name": "' + b"x" * 2_000 + b'"}',
            headers={**world.headers("admin"), "content-type": "application/json"},
        )
    assert answer.status_code == 413
    assert answer.json() == {"detail": "Request body too large (limit 1,000 bytes)"}


@pytest.mark.parametrize("secret", [None, "changethis", "short"])
def test_server_refuses_missing_or_default_secret(tmp_path, secret):
    with pytest.raises(SettingsError, match="FINWARN_SECRET_KEY"):
        load_settings(secret_key=secret, data_dir=tmp_path)


def test_development_mode_generates_a_secret(tmp_path):
    settings = Settings(dev=True, data_dir=tmp_path)
    assert settings.secret_key is not None and len(settings.secret_key) >= 32


def test_migrations_and_append_only_audit_log(tmp_path, database_url):
    """The schema migrates on both databases, and the audit log refuses changes."""
    settings = make_settings(tmp_path, database_url, admin_password=PASSWORD)
    with TestClient(create_app(settings)) as client:
        answer = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
        assert answer.status_code == 200
    db = Database(database_url)
    try:
        with db.session() as session:
            actions = session.query(AuditEvent.action).order_by(AuditEvent.id).all()
        assert [a for (a,) in actions] == ["create", "login"]
        for statement in ("UPDATE audit_log SET username = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(statement))
        with db.session() as session:
            assert session.query(AuditEvent).count() == 2
    finally:
        db.dispose()


def test_secret_is_used(tmp_path, sqlite_url):
    """Tokens stored under one secret do not open sessions under another."""
    first = make_settings(tmp_path, sqlite_url)
    with TestClient(create_app(first)) as client:
        world = seed_world(client.app.state.db, first)
        token = world.tokens["viewer"]
    other = Settings(secret_key=SECRET + "y", data_dir=tmp_path, database_url=sqlite_url)
    with TestClient(create_app(other)) as client:
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


@pytest.mark.parametrize("change", [{"role": "viewer"}, {"active": False}])
def test_admin_cannot_lock_themselves_out(client, world, change):
    admin_id = world.users["admin"].id
    answer = client.patch(f"/api/v1/users/{admin_id}", json=change, headers=world.headers("admin"))
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "You cannot demote or deactivate yourself; ask another admin."
    }


def test_validation_error_with_non_finite_input_is_a_422(client, world):
    answer = client.post(
        "/api/v1/scores/single",
        content=b'{"values": {"total_assets": NaN}, "reasons": Infinity}',
        headers={**world.headers("analyst"), "content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["input"] == "inf"


def test_timestamps_read_back_with_their_zone(client, world):
    """SQLite stores no zone; the API still answers in UTC with the zone named."""
    users = client.get("/api/v1/users", headers=world.headers("admin")).json()
    assert users and all(u["created_at"].endswith(("Z", "+00:00")) for u in users)
