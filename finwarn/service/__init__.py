"""The finwarn service (C9, C10): HTTP API and web dashboard over the core.

An edge layer: it imports the core, never the reverse. Start it with ``finwarn serve``.
"""

from finwarn.service._app import API_PREFIX, create_app, ensure_admin
from finwarn.service._db import Database, migrate
from finwarn.service._settings import Settings, SettingsError, load_settings

__all__ = [
    "API_PREFIX",
    "Database",
    "Settings",
    "SettingsError",
    "create_app",
    "ensure_admin",
    "load_settings",
    "migrate",
]
