"""``finwarn serve``: the HTTP API and dashboard on uvicorn (optionally with the demo loaded)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["serve"]

logger = logging.getLogger(__name__)


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder of the SQLite database, models and reports "
            "(default: FINWARN_DATA_DIR, else ./finwarn-data).",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db "
            "(default: FINWARN_DATABASE_URL, else a SQLite file in the data folder).",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the SIMULATED demo portfolio, train and activate a model, score it "
            "(once; skipped when already there). Needs FINWARN_ADMIN_PASSWORD.",
        ),
    ] = False,
    demo_model: Annotated[
        str | None,
        typer.Option(
            "--demo-model",
            help="The model --demo trains (a name of finwarn.models.MODEL_NAMES; "
            "default: finwarn's default model, bp).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes. More use more cores for scoring; each keeps its own "
            "login rate limit, model cache and background-job queue.",
        ),
    ] = 1,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development mode: without FINWARN_SECRET_KEY a random secret is used "
            "(sessions and API keys end with the server).",
        ),
    ] = False,
) -> None:
    """Start the finwarn service: the HTTP API (with OpenAPI docs) and the dashboard.

    Settings come from FINWARN_* environment variables.

    FINWARN_SECRET_KEY: required outside --dev, at least 32 random characters
    (e.g. `openssl rand -hex 32`).

    FINWARN_ADMIN_PASSWORD: creates the admin user (FINWARN_ADMIN_USERNAME, default admin).

    Also FINWARN_DATA_DIR, FINWARN_DATABASE_URL and the limits of finwarn.service.Settings.
    """
    from finwarn.cli._app import console, out_console
    from finwarn.service import SettingsError, load_settings

    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    if dev:
        overrides["dev"] = True
    try:
        settings = load_settings(**overrides)
    except SettingsError as error:
        console.print(f"[bold red]error:[/bold red] {error}", highlight=False)
        raise typer.Exit(2) from None
    if demo and not settings.admin_password:
        console.print(
            "[bold red]error:[/bold red] --demo loads the demo portfolio for the admin user, "
            "but FINWARN_ADMIN_PASSWORD is not set. Set it (e.g. `export "
            "FINWARN_ADMIN_PASSWORD='a long passphrase'`) and start again.",
            highlight=False,
        )
        raise typer.Exit(2)

    import uvicorn

    from finwarn.service import Database, create_app, ensure_admin
    from finwarn.service._demo import seed_demo
    from finwarn.service._jobs import fail_interrupted

    # the service's own progress (migrations, demo seeding, jobs) is worth seeing
    logging.getLogger("finwarn.service").setLevel(logging.INFO)
    db = Database(settings.url)
    try:
        db.migrate()
        if settings.admin_password:
            ensure_admin(db, settings.admin_username, settings.admin_password)
        fail_interrupted(db)
        if demo:
            with console.status("loading the demo (simulated data, training, scoring)"):
                if demo_model is None:
                    seed = seed_demo(db, settings, settings.admin_username)
                else:
                    seed = seed_demo(db, settings, settings.admin_username, model=demo_model)
            if seed.changed:
                console.print(
                    f"[bold]SIMULATED demo[/bold] loaded into portfolio 'demo': "
                    f"{seed.scored:,} firm-periods scored, {seed.alerts:,} alerts raised."
                )
            else:
                console.print("The demo portfolio is already loaded.")
    finally:
        db.dispose()

    shown = "localhost" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    out_console.print(f"Dashboard: {base}/")
    out_console.print(f"API docs:  {base}/docs  (OpenAPI: {base}/openapi.json)")
    if settings.admin_password:
        out_console.print(f"Log in as '{settings.admin_username}' with FINWARN_ADMIN_PASSWORD.")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    # each worker process builds its app from the environment: hand it the same settings
    # (in development mode too, so all workers share one generated secret)
    for name, value in settings.model_dump(exclude_none=True).items():
        os.environ[f"FINWARN_{name.upper()}"] = str(value)
    uvicorn.run(
        "finwarn.service:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
