"""One router per resource; :data:`ROUTERS` lists them in the order the API documents them."""

from finwarn.service.routers import (
    alerts,
    audit,
    auth,
    firms,
    models,
    portfolios,
    register,
    reports,
    rules,
    scores,
    uploads,
    users,
)

__all__ = ["ROUTERS"]

ROUTERS = [
    # people, machines and what they may see
    auth.router,
    users.router,
    portfolios.router,
    # data in, models, warnings out
    uploads.router,
    firms.router,
    models.router,
    scores.router,
    reports.router,
    # governance: alert rules, alerts, the risk register, the audit log
    rules.router,
    alerts.router,
    register.router,
    audit.router,
]
