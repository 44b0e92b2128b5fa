"""``finwarn serve``: refuses a missing secret, needs the admin for --demo, prints its URLs."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from finwarn.cli import app
from finwarn.service import _demo
from tests.service.conftest import PASSWORD, SECRET

runner = CliRunner()


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No FINWARN_* variable from the caller's environment; uvicorn.run recorded, not run."""
    import uvicorn

    for name in (
        "FINWARN_SECRET_KEY",
        "FINWARN_DEV",
        "FINWARN_ADMIN_PASSWORD",
        "FINWARN_ADMIN_USERNAME",
        "FINWARN_DATABASE_URL",
        "FINWARN_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    runs: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: runs.append(kwargs))
    service_logger = logging.getLogger("finwarn.service")
    level = service_logger.level
    yield runs
    service_logger.setLevel(level)  # serve shows the service's progress (INFO)


def test_missing_secret_exits_2_with_one_line(env):
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: FINWARN_SECRET_KEY is not set. Set it to a long random value (e.g. `export "
        "FINWARN_SECRET_KEY=$(openssl rand -hex 32)`), or start in development mode (--dev).\n"
    )
    assert env == []


def test_placeholder_secret_is_refused(env, monkeypatch):
    monkeypatch.setenv("FINWARN_SECRET_KEY", "changethis")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: FINWARN_SECRET_KEY is a placeholder or shorter than 32 characters. Use a long "
        "random value (e.g. `openssl rand -hex 32`).\n"
    )


def test_demo_without_admin_password_exits_2(env, monkeypatch):
    monkeypatch.setenv("FINWARN_SECRET_KEY", SECRET)
    result = runner.invoke(app, ["serve", "--demo"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --demo loads the demo portfolio for the admin user, but FINWARN_ADMIN_PASSWORD "
        "is not set. Set it (e.g. `export FINWARN_ADMIN_PASSWORD='a long passphrase'`) and "
        "start again.\n"
    )
    assert env == []


def test_dev_mode_starts_without_a_secret(env, tmp_path):
    result = runner.invoke(
        app, ["serve", "--dev", "--data-dir", str(tmp_path / "data"), "--port", "8123"]
    )
    assert result.exit_code == 0, result.output
    assert env == [{"host": "127.0.0.1", "port": 8123, "log_level": "info"}]
    assert "Dashboard: http://127.0.0.1:8123/\n" in result.stdout
    assert (
        "API docs:  http://127.0.0.1:8123/docs  (OpenAPI: http://127.0.0.1:8123/openapi.json)"
        in (result.stdout)
    )
    assert (tmp_path / "data" / "finwarn.db").exists()


def test_demo_is_seeded_for_the_admin(env, monkeypatch, tmp_path):
    monkeypatch.setenv("FINWARN_SECRET_KEY", SECRET)
    monkeypatch.setenv("FINWARN_ADMIN_PASSWORD", PASSWORD)
    seeded = []

    def fake_seed(db, settings, admin_username, **options):
        seeded.append((settings.url, admin_username, options))
        return _demo.DemoSeed(portfolio_id=1, upload_id=1, model_id=1, scored=5, alerts=2)

    monkeypatch.setattr(_demo, "seed_demo", fake_seed)
    url = f"sqlite:///{tmp_path / 'other.db'}"
    result = runner.invoke(
        app,
        ["serve", "--demo", "--demo-model", "logit", "--database-url", url, "--host", "0.0.0.0"],
    )
    assert result.exit_code == 0, result.output
    assert seeded == [(url, "admin", {"model": "logit"})]
    assert "SIMULATED demo loaded into portfolio 'demo': 5 firm-periods scored, 2 alerts" in (
        result.stderr
    )
    assert "Dashboard: http://localhost:8000/" in result.stdout
    assert "Log in as 'admin' with FINWARN_ADMIN_PASSWORD." in result.stdout
    assert env[0]["host"] == "0.0.0.0"


def test_several_workers_share_the_settings(env, monkeypatch, tmp_path):
    """Each worker builds its app from the environment, with the CLI's settings and one
    secret (also the one generated in development mode)."""
    import os

    runs: list[tuple] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: runs.append((app, kwargs)))
    environ = dict(os.environ)  # what serve exports stays out of the other tests
    monkeypatch.setattr(os, "environ", environ)
    data = tmp_path / "service-data"
    result = runner.invoke(app, ["serve", "--dev", "--workers", "2", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    [(target, options)] = runs
    assert target == "finwarn.service:create_app"
    assert options["factory"] is True and options["workers"] == 2
    assert environ["FINWARN_DATA_DIR"] == str(data)
    assert environ["FINWARN_DEV"] == "True"
    assert len(environ["FINWARN_SECRET_KEY"]) >= 32
