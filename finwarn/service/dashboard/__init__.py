"""The web dashboard of the finwarn service: server-rendered pages for people.

Log in, the alert view (warnings by level and dimension, migrations, riskiest firms,
open alerts), firm pages (probability, level, reasons, trends), alert rules, the risk
register with its approvals and the audit log (admins). Jinja2 templates, one stylesheet,
inline SVG charts and no JavaScript; nothing is fetched from the network.

``create_app`` includes :data:`router` at ``/`` and mounts :func:`static_files` at
:data:`STATIC_URL`.
"""

from finwarn.service.dashboard._pages import router
from finwarn.service.dashboard._web import (
    CSRF_FAILED,
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SECURITY_HEADERS,
    STATIC_DIR,
    STATIC_URL,
    DashboardStatic,
)

__all__ = [
    "CSRF_FAILED",
    "CSRF_FIELD",
    "LOGIN_CSRF_COOKIE",
    "SECURITY_HEADERS",
    "STATIC_DIR",
    "STATIC_URL",
    "router",
    "static_files",
]


def static_files() -> DashboardStatic:
    """The dashboard's stylesheet as an ASGI app (with the pages' security headers)."""
    return DashboardStatic(directory=STATIC_DIR)
