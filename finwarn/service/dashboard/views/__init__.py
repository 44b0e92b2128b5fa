"""What each dashboard page shows, read from the database within the viewer's portfolios.

Each ``*_view`` function takes a SQLAlchemy session and the user and returns a plain
dataclass for its template; nothing here renders HTML except the charts. Every query is
limited to :func:`~finwarn.service._deps.portfolio_ids` of the user, and a firm outside
them answers like a missing one (through :func:`~finwarn.service._deps.get_firm`).

One module a page: ``_alerts`` (the alert view), ``_firm`` (a firm's page), ``_rules``
(alert rules), ``_register`` (the risk register) and ``_audit`` (the audit log);
``_common`` holds the viewer's :class:`Scope` and the helpers the pages share.
"""

from finwarn.service.dashboard.views._alerts import AlertView, alert_view
from finwarn.service.dashboard.views._audit import AUDIT_PAGE_SIZE, AuditView, audit_view
from finwarn.service.dashboard.views._common import DEMO_PORTFOLIO, Scope, scope_of
from finwarn.service.dashboard.views._firm import FirmView, firm_view
from finwarn.service.dashboard.views._register import RegisterView, register_view
from finwarn.service.dashboard.views._rules import RulesView, rules_view

__all__ = [
    "AUDIT_PAGE_SIZE",
    "DEMO_PORTFOLIO",
    "AlertView",
    "AuditView",
    "FirmView",
    "RegisterView",
    "RulesView",
    "Scope",
    "alert_view",
    "audit_view",
    "firm_view",
    "register_view",
    "rules_view",
    "scope_of",
]
