"""The login rate limit: failed logins allowed per user name and per client in a window.

The failures are rows of the ``login_failures`` table, written in the login's own
transaction, so every server process (``finwarn serve --workers N``) counts the same
ones and the limit holds for the whole service, not per process.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from finwarn.service._tables import LoginFailure

__all__ = ["LoginLimiter"]

_KEY_LENGTH = 128  # the column's length; longer keys are stored as their digest


def _stored(key: str) -> str:
    if len(key) <= _KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class LoginLimiter:
    """At most ``attempts`` failed logins per key within ``window_seconds``.

    Parameters
    ----------
    attempts : int
        Failures allowed in the window; the next login for that key waits.
    window_seconds : float
        Length of the sliding window.
    """

    def __init__(self, attempts: int, window_seconds: float) -> None:
        self.attempts = attempts
        self.window = timedelta(seconds=window_seconds)

    def retry_after(self, session: Session, *keys: str) -> float:
        """Seconds until a login for these keys may be tried again (0: now)."""
        now = datetime.now(UTC)
        wait = 0.0
        for key in keys:
            times = session.scalars(
                select(LoginFailure.at)
                .where(LoginFailure.key == _stored(key), LoginFailure.at > now - self.window)
                .order_by(LoginFailure.at)
            ).all()
            if len(times) >= self.attempts:
                # the window must slide past enough failures to leave fewer than attempts
                frees_at = times[len(times) - self.attempts] + self.window
                wait = max(wait, (frees_at - now).total_seconds())
        return wait

    def failed(self, session: Session, *keys: str) -> None:
        """Count a failure for each key (committed with the caller's transaction)."""
        now = datetime.now(UTC)
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))
        session.add_all(LoginFailure(key=_stored(key), at=now) for key in keys)

    def succeeded(self, session: Session, *keys: str) -> None:
        """Forget the failures of each key."""
        session.execute(
            delete(LoginFailure).where(LoginFailure.key.in_([_stored(key) for key in keys]))
        )
