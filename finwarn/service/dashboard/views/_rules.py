"""The alert-rules page: the rules of the viewer's portfolios, each condition in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from finwarn.report import _format as fmt
from finwarn.service._rule_params import OPS, RULE_KINDS, indicator_name
from finwarn.service._rules import list_rules
from finwarn.service._security import role_can
from finwarn.service._tables import AlertRule, User
from finwarn.service.dashboard.views._common import Scope, scope_of

__all__ = ["RuleRow", "RulesView", "describe_rule", "rules_view"]


@dataclass
class RuleRow:
    rule: AlertRule
    portfolio: str
    creator: str
    condition: str


def describe_rule(kind: str, params: dict[str, Any]) -> str:
    """An alert rule's condition in words.

    >>> describe_rule("threshold", {"indicator": "current_ratio", "op": "<", "value": 1,
    ...                             "level": "heavy"})
    'Current ratio (current_ratio) < 1: a heavy alert'
    >>> describe_rule("migration", {"direction": "downgrade", "min_steps": 2})
    'a downgrade by at least 2 levels since the previous period'
    """
    if kind == "threshold":
        indicator = str(params.get("indicator", "?"))
        name = indicator_name(indicator)
        shown = f"{name} ({indicator})" if name != indicator else indicator
        condition = f"{shown} {params.get('op', '?')} {fmt.number(params.get('value'))}"
        level = params.get("level")
        return f"{condition}: a {level} alert" if level else condition
    if kind == "level":
        return f"level {params.get('at_least', '?')} or riskier"
    if kind == "migration":
        direction = params.get("direction", "any")
        steps = params.get("min_steps", 1)
        moved = "a level change" if direction == "any" else f"a {direction}"
        unit = "level" if steps == 1 else "levels"
        return f"{moved} by at least {steps} {unit} since the previous period"
    return ", ".join(f"{k}={v}" for k, v in params.items())


@dataclass
class RulesView:
    scope: Scope
    rules: list[RuleRow]
    can_create: bool
    kinds: tuple[str, ...] = RULE_KINDS
    ops: tuple[str, ...] = OPS


def rules_view(session: Session, user: User) -> RulesView:
    """The alert rules of the user's portfolios (:func:`~finwarn.service._rules.list_rules`)."""
    scope = scope_of(session, user)
    rules = sorted(
        list_rules(session, user),
        key=lambda r: (scope.names.get(r.portfolio_id, ""), r.name.lower(), r.id),
    )
    creators = dict(
        session.execute(
            select(User.id, User.username).where(User.id.in_({r.created_by for r in rules}))
        ).all()
    )
    names = scope.names
    return RulesView(
        scope=scope,
        rules=[
            RuleRow(
                rule=r,
                portfolio=names.get(r.portfolio_id, ""),
                creator=creators.get(r.created_by, f"user {r.created_by}"),
                condition=describe_rule(r.kind, r.params or {}),
            )
            for r in rules
        ],
        can_create=role_can(user.role, "rules"),
    )
