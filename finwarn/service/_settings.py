"""The service's settings: one pydantic ``Settings`` read from ``FINWARN_*`` variables."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MIN_SECRET_LENGTH", "Settings", "SettingsError", "load_settings"]

logger = logging.getLogger(__name__)

#: Secrets shorter than this are refused outside development mode.
MIN_SECRET_LENGTH = 32
# Values that appear in examples and templates; a server started with one is not secure.
_DEFAULT_SECRETS = {"changethis", "change-me", "changeme", "secret", "finwarn", "dev"}


class SettingsError(ValueError):
    """The settings cannot run a server (e.g. a missing or default secret)."""


class Settings(BaseSettings):
    """Everything the service reads from its environment.

    Each field is read from ``FINWARN_<NAME>`` (e.g. ``FINWARN_DATABASE_URL``), or given
    directly. Outside development mode the secret must be set, at least 32 characters
    long and not a placeholder such as ``changethis``.
    """

    model_config = SettingsConfigDict(env_prefix="FINWARN_", extra="ignore", frozen=True)

    secret_key: str | None = Field(
        default=None,
        description="Keys the stored hashes of session tokens and API keys and the CSRF "
        "tokens; e.g. `openssl rand -hex 32`.",
    )
    dev: bool = Field(default=False, description="Development mode: a missing secret is generated.")
    data_dir: Path = Field(
        default=Path("finwarn-data"),
        description="Where the database file (SQLite), models and reports are kept.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db; default: "
        "a SQLite file in data_dir.",
    )
    session_hours: float = Field(default=12.0, gt=0)
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="Limit of JSON/form bodies.")
    max_upload_bytes: int = Field(default=50_000_000, gt=0, description="Limit of data uploads.")
    login_attempts: int = Field(
        default=5, gt=0, description="Failed logins allowed per user name and per client..."
    )
    login_window_seconds: float = Field(default=300.0, gt=0, description="...in this window.")
    threads: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Threads that run requests (database and scoring work) per process.",
    )
    secure_cookies: bool = Field(
        default=False, description="Send the dashboard's cookie over HTTPS only."
    )
    admin_username: str = Field(default="admin")
    admin_password: str | None = Field(
        default=None, description="Creates the admin user at start if it does not exist."
    )

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        secret = self.secret_key
        if self.dev:
            if not secret:
                # frozen model: set the generated secret through the instance dict
                object.__setattr__(self, "secret_key", secrets.token_hex(32))
                logger.warning(
                    "development mode: a random secret was generated; sessions and API keys "
                    "end when the server stops"
                )
            return self
        if not secret:
            raise ValueError(
                "FINWARN_SECRET_KEY is not set. Set it to a long random value (e.g. "
                "`export FINWARN_SECRET_KEY=$(openssl rand -hex 32)`), or start in "
                "development mode (--dev)."
            )
        if secret.lower() in _DEFAULT_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"FINWARN_SECRET_KEY is a placeholder or shorter than {MIN_SECRET_LENGTH} "
                "characters. Use a long random value (e.g. `openssl rand -hex 32`)."
            )
        return self

    @property
    def url(self) -> str:
        """The database URL in use."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'finwarn.db').resolve()}"

    @property
    def secret(self) -> bytes:
        """The secret as bytes (always set after validation)."""
        assert self.secret_key is not None
        return self.secret_key.encode()


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``overrides``; problems raise :class:`SettingsError`.

    The error's message lists each problem in one line, for the command line.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise SettingsError("; ".join(problems)) from None
