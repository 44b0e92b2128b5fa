"""What the dashboard's views share: the viewer's portfolios, levels and reasons.

:func:`scope_of` gives the portfolios granted to the viewer (and the one a page is
narrowed to); the level and reason helpers keep every page's tables and charts in the
same order and wording.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from finwarn.report import _format as fmt
from finwarn.service._deps import PORTFOLIO_NOT_FOUND, portfolio_ids
from finwarn.service._tables import Portfolio, User
from finwarn.service.dashboard._web import level_order

__all__ = [
    "DEMO_PORTFOLIO",
    "LIST_LIMIT",
    "Scope",
    "all_levels",
    "aware",
    "level_rank",
    "reason_row",
    "scope_of",
    "top_reasons",
]

#: The portfolio ``finwarn serve --demo`` fills with simulated firms (shown with a banner).
DEMO_PORTFOLIO = "demo"
#: Risk-register entries and changes listed on a page.
LIST_LIMIT = 500


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """The portfolios granted to the viewer and those the page shows."""

    portfolios: list[Portfolio]
    shown: list[int]
    selected: int | None

    @property
    def names(self) -> dict[int, str]:
        return {p.id: p.name for p in self.portfolios}

    @property
    def simulated(self) -> bool:
        """Whether a shown portfolio holds the simulated demo firms."""
        return any(p.name == DEMO_PORTFOLIO and p.id in self.shown for p in self.portfolios)


def scope_of(session: Session, user: User, portfolio_id: int | None = None) -> Scope:
    """The user's portfolios; ``portfolio_id`` narrows to one of them (404 if not granted)."""
    granted = portfolio_ids(session, user)
    portfolios = list(
        session.scalars(select(Portfolio).where(Portfolio.id.in_(granted)).order_by(Portfolio.name))
    )
    if portfolio_id is None:
        return Scope(portfolios, [p.id for p in portfolios], None)
    if portfolio_id not in granted:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=PORTFOLIO_NOT_FOUND)
    return Scope(portfolios, [portfolio_id], portfolio_id)


def aware(moment: datetime | None) -> datetime:
    """``moment`` as an aware datetime (naive ones, e.g. parsed from old text, are UTC);
    None sorts first."""
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def level_rank(levels: Sequence[str], level: str) -> int:
    return levels.index(level) if level in levels else -1


def all_levels(seen: Iterable[str]) -> list[str]:
    """The configured levels, then any other level found in the data (kept visible)."""
    levels = list(level_order())
    levels += sorted(set(seen) - set(levels))
    return levels


def top_reasons(reasons: Any, n: int = 3) -> list[dict[str, Any]]:
    """The ``n`` strongest reasons of a score (by their ``order``), as stored."""
    items = [r for r in (reasons or []) if isinstance(r, dict)]

    def order(reason: dict[str, Any]) -> float:
        value = reason.get("order")
        return float(value) if isinstance(value, int | float) else math.inf

    items.sort(key=order)
    return items[:n]


def reason_row(reason: dict[str, Any]) -> dict[str, Any]:
    """A reason as the templates show it (formatted numbers, a known effect)."""
    effect = reason.get("effect")
    return {
        "order": reason.get("order"),
        "name": reason.get("name") or reason.get("feature") or fmt.MISSING,
        "feature": reason.get("feature"),
        "dimension": fmt.label(reason.get("dimension") or "other"),
        "value": fmt.number(reason.get("value")),
        "percentile": fmt.percentile(reason.get("percentile")),
        "contribution": fmt.signed(reason.get("contribution")),
        "effect": effect if effect in ("raises", "lowers") else "neutral",
        "text": reason.get("text") or "",
    }
