"""Passwords, tokens, API keys, CSRF tokens and roles."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "API_KEY_PREFIX",
    "PERMISSIONS",
    "csrf_token",
    "hash_password",
    "keyed_digest",
    "new_api_key",
    "new_token",
    "role_can",
    "split_api_key",
    "verify_password",
]

_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters

#: What each role may do. Approving a risk-register change is for approvers only (never
#: the proposer: that is checked where the approval happens); managing users and grants,
#: activating models and reading the audit log are for admins only.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "analyst": frozenset(
        {"read", "upload", "train", "score", "rules", "alerts", "propose", "report"}
    ),
    "approver": frozenset({"read", "alerts", "propose", "approve"}),
    "admin": frozenset(
        {
            "read",
            "upload",
            "train",
            "score",
            "rules",
            "alerts",
            "propose",
            "report",
            "models",
            "users",
            "audit",
        }
    ),
}

API_KEY_PREFIX = "fwk"


def role_can(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (see :data:`PERMISSIONS`)."""
    return permission in PERMISSIONS.get(role, frozenset())


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a malformed hash)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def keyed_digest(secret: bytes, token: str) -> str:
    """HMAC-SHA256 of a random token: how session tokens and API keys are stored.

    The tokens are 256-bit random values, so a fast keyed hash is enough (a slow
    password hash protects guessable passwords, not random keys).
    """
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def new_token() -> str:
    """A new random session token."""
    return secrets.token_urlsafe(32)


def new_api_key() -> tuple[str, str]:
    """A new API key and its public prefix: ``fwk_<prefix>_<secret>``."""
    prefix = secrets.token_hex(6)
    return f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def split_api_key(key: str) -> str | None:
    """The prefix of an API key, or None if it is not shaped like one."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 12:
        return None
    return parts[1]


def csrf_token(secret: bytes, session_token: str) -> str:
    """The CSRF token of a dashboard session (bound to the session, never stored)."""
    return hmac.new(secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()
