"""Between the core's tables and the database: ingest a validated file, rebuild a portfolio.

:func:`ingest` stores a :class:`finwarn.data.LoadResult` in a portfolio: a
:class:`~finwarn.service._tables.Firm` per company, one
:class:`~finwarn.service._tables.Observation` per firm-period (the upload's row replaces an
earlier one of the same firm and period), every quarantined row with its reason, and the
:class:`~finwarn.service._tables.Upload` itself, all in the caller's transaction: either
everything is stored or nothing.

:func:`load_portfolios` turns the observations back into a ``LoadResult`` the core's
workflow functions (``train``, ``score``, ``explain_warnings``, ``report``) read. Values
survive the round trip exactly: floats are stored as JSON numbers (their shortest
``repr``), and a missing value (NaN) as ``null``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from finwarn.data import QUARANTINE_COLUMNS, LoadResult
from finwarn.service._tables import Firm, Observation, Portfolio, QuarantinedRow, Upload

__all__ = [
    "NO_PERIOD",
    "PortfolioData",
    "feature_values",
    "ingest",
    "json_number",
    "load_portfolios",
]

logger = logging.getLogger(__name__)

#: ``Observation.period`` of data without a period column (one row per firm).
NO_PERIOD = -1
# Lengths of the columns the rows go into (see _tables.py).
_CODE_LENGTH = 100
_PERIOD_LENGTH = 40
_PROBLEM_LENGTH = 255
_FILENAME_LENGTH = 255
# Id columns kept inside Observation.values next to the features: the canonical names
# of the row's industry and report text (validation refuses features of these names).
_ROW_KEYS = ("industry", "text")
_BAD_ENTITY = "bad_entity"


def json_number(value: Any) -> float | None:
    """A float for JSON: NaN, infinity (and None) become ``None``, numpy scalars floats."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def feature_values(values: dict[str, Any]) -> dict[str, Any]:
    """The features of an ``Observation.values`` (without the row's industry and text)."""
    return {key: value for key, value in values.items() if key not in _ROW_KEYS}


@dataclass(frozen=True)
class PortfolioData:
    """The observations of some portfolios as the core's canonical table.

    Attributes
    ----------
    loaded : LoadResult
        ``data`` has ``entity`` (the firm code; ``code@portfolio`` when two of the
        portfolios hold the same code), ``period`` (unless no row has one),
        ``industry`` (when known), ``label`` (when any row has one) and the features.
    firm_ids : numpy.ndarray
        The firm of each row of ``loaded.data``.
    firms : dict of str to int
        Entity -> firm id.
    """

    loaded: LoadResult
    firm_ids: np.ndarray
    firms: dict[str, int]

    @property
    def empty(self) -> bool:
        """Whether there are no observations at all."""
        return len(self.loaded.data) == 0


def _entity_problems(loaded: LoadResult) -> list[str | None]:
    """Why each accepted row's company id cannot be stored (None where it can)."""
    problems: list[str | None] = []
    for entity in loaded.data["entity"].astype(str):
        if len(entity) > _CODE_LENGTH:
            problems.append(
                f"company id of {len(entity)} characters is longer than the {_CODE_LENGTH} "
                "the service stores; shorten it"
            )
        elif "\x00" in entity:
            problems.append("company id contains a NUL character; remove it")
        else:
            problems.append(None)
    return problems


def _quarantine_records(loaded: LoadResult, problems: list[str | None]) -> list[dict[str, Any]]:
    records = [
        {str(key): value for key, value in found.items()}
        for found in loaded.quarantine.to_dict(orient="records")
    ]
    for position, reason in enumerate(problems):
        if reason is None:
            continue
        period = loaded.data["period"].iloc[position] if loaded.has("period") else None
        records.append(
            {
                "row": int(loaded.rows[position]),
                "entity": str(loaded.data["entity"].iloc[position]),
                "period": None if period is None else int(period),
                "problem": _BAD_ENTITY,
                "reason": reason,
            }
        )
    return sorted(records, key=lambda r: r["row"])


def _text(value: Any, limit: int) -> str | None:
    """Text for a text column: at most ``limit`` characters, NUL (refused by PostgreSQL)
    shown as U+FFFD."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value).replace("\x00", "\ufffd")[:limit]


def ingest(
    session: Session,
    *,
    portfolio: Portfolio,
    user_id: int,
    loaded: LoadResult,
    filename: str,
) -> tuple[Upload, list[QuarantinedRow]]:
    """Add a validated file's rows to ``portfolio`` in ``session`` (flushed, not committed).

    Firms are created as needed (code = entity) and take the industry of their latest
    row; each accepted row becomes the observation of its firm-period (replacing an
    earlier one); rejected rows are stored with their reasons. The caller commits, with
    its audit event, so that a failure anywhere stores nothing.

    A company id the database cannot hold (longer than 100 characters, or with a NUL
    character) is quarantined here (problem ``bad_entity``) rather than changed.

    Returns
    -------
    (Upload, list of QuarantinedRow)
    """
    data = loaded.data
    problems = _entity_problems(loaded)
    quarantined = _quarantine_records(loaded, problems)
    keep = np.array([problem is None for problem in problems], dtype=bool)
    upload = Upload(
        filename=filename[:_FILENAME_LENGTH],
        portfolio_id=portfolio.id,
        user_id=user_id,
        rows_read=loaded.n_read,
        rows_accepted=int(keep.sum()),
        rows_quarantined=len(quarantined),
    )
    session.add(upload)
    session.flush()

    rows = [
        QuarantinedRow(
            upload_id=upload.id,
            row=int(record["row"]),
            entity=_text(record.get("entity"), _CODE_LENGTH),
            period=_text(record.get("period"), _PERIOD_LENGTH),
            problem=_text(record["problem"], _PROBLEM_LENGTH) or "",
            reason=_text(record["reason"], 100_000) or "",
        )
        for record in quarantined
    ]
    session.add_all(rows)

    accepted = data[keep]
    if len(accepted):
        firms = _firms(session, portfolio, accepted)
        _observations(session, upload, loaded, accepted, firms)
    session.flush()
    logger.info(
        "upload %s into portfolio %s: %d rows read, %d accepted, %d quarantined",
        upload.id,
        portfolio.name,
        upload.rows_read,
        upload.rows_accepted,
        upload.rows_quarantined,
    )
    return upload, rows


def _firms(session: Session, portfolio: Portfolio, accepted: pd.DataFrame) -> dict[str, Firm]:
    """The portfolio's firm of each entity, created where new; industry updated."""
    codes = list(dict.fromkeys(accepted["entity"].astype(str)))
    existing = {
        firm.code: firm
        for firm in session.scalars(select(Firm).where(Firm.portfolio_id == portfolio.id))
    }
    industry: dict[str, str | None] = {}
    if "industry" in accepted.columns:
        order = accepted.sort_values("period") if "period" in accepted.columns else accepted
        industry = {
            code: _text(value, _CODE_LENGTH)
            for code, value in zip(order["entity"].astype(str), order["industry"], strict=True)
        }
    firms: dict[str, Firm] = {}
    for code in codes:
        firm = existing.get(code)
        if firm is None:
            firm = Firm(portfolio_id=portfolio.id, code=code, industry=industry.get(code))
            session.add(firm)
        elif code in industry:
            firm.industry = industry[code]
        firms[code] = firm
    session.flush()
    return firms


def _observations(
    session: Session,
    upload: Upload,
    loaded: LoadResult,
    accepted: pd.DataFrame,
    firms: dict[str, Firm],
) -> None:
    ids = [firm.id for firm in firms.values()]
    existing = {
        (obs.firm_id, obs.period): obs
        for obs in session.scalars(select(Observation).where(Observation.firm_id.in_(ids)))
    }
    features = list(loaded.features)
    extras = [key for key in _ROW_KEYS if key in accepted.columns]
    entity = accepted["entity"].astype(str).to_numpy()
    period = (
        accepted["period"].to_numpy(dtype=np.int64)
        if "period" in accepted.columns
        else np.full(len(accepted), NO_PERIOD, dtype=np.int64)
    )
    label = accepted["label"].to_numpy(dtype=float) if "label" in accepted.columns else None
    matrix = accepted[features].to_numpy(dtype=float)
    extra_values = {key: accepted[key].to_numpy(dtype=object) for key in extras}
    for i in range(len(accepted)):
        values: dict[str, Any] = {
            name: None if math.isnan(x) else float(x)
            for name, x in zip(features, matrix[i], strict=True)
        }
        for key in extras:
            value = extra_values[key][i]
            # JSON holds any text (NUL included): kept exactly
            values[key] = None if value is None or value is pd.NA else str(value)
        firm_id = firms[entity[i]].id
        row_label = None if label is None or math.isnan(label[i]) else int(label[i])
        firm_period = (firm_id, int(period[i]))
        found = existing.get(firm_period)
        if found is None:
            found = Observation(firm_id=firm_id, period=firm_period[1])
            session.add(found)
            existing[firm_period] = found
        found.values = values
        found.label = row_label
        found.upload_id = upload.id


def load_portfolios(
    session: Session,
    portfolio_ids: Sequence[int],
    *,
    source: str | None = None,
) -> PortfolioData:
    """The observations of ``portfolio_ids`` as a ``LoadResult`` for the core's workflow.

    Parameters
    ----------
    session : Session
    portfolio_ids : sequence of int
        The portfolios to read (the caller checked the user may see them).
    source : str, optional
        The name the core uses in its messages (default ``portfolio(s) <ids>``).
    """
    ids = sorted(set(portfolio_ids))
    rows = session.execute(
        select(
            Firm.id,
            Firm.code,
            Firm.portfolio_id,
            Firm.industry,
            Observation.period,
            Observation.label,
            Observation.values.label("row_values"),
        )
        .join(Observation, Observation.firm_id == Firm.id)
        .where(Firm.portfolio_id.in_(ids))
        .order_by(Firm.id, Observation.period)
    ).all()
    name = source or (f"portfolio {ids[0]}" if len(ids) == 1 else f"portfolios {ids}")
    return _frame(rows, name)


def _entities(rows: Iterable[Any]) -> dict[int, str]:
    """Firm id -> entity: the code, or ``code@portfolio`` where codes repeat."""
    firms = {row.id: (row.code, row.portfolio_id) for row in rows}
    portfolios_of: dict[str, set[int]] = {}
    for code, portfolio in firms.values():
        portfolios_of.setdefault(code, set()).add(portfolio)
    return {
        firm: code if len(portfolios_of[code]) == 1 else f"{code}@{portfolio}"
        for firm, (code, portfolio) in firms.items()
    }


def _frame(rows: Sequence[Any], source: str) -> PortfolioData:
    entity_of = _entities(rows)
    features: dict[str, None] = {}
    for row in rows:
        features.update(dict.fromkeys(k for k in row.row_values if k not in _ROW_KEYS))
    columns = list(features)
    n = len(rows)
    matrix = np.full((n, len(columns)), np.nan)
    position = {name: j for j, name in enumerate(columns)}
    industry: list[Any] = []
    text: list[Any] = []
    for i, row in enumerate(rows):
        values = row.row_values
        for key, value in values.items():
            j = position.get(key)
            if j is not None and value is not None:
                matrix[i, j] = value
        industry.append(values.get("industry", row.industry))
        text.append(values.get("text"))
    data = pd.DataFrame({"entity": pd.Series([entity_of[r.id] for r in rows], dtype=object)})
    periods = np.array([r.period for r in rows], dtype=np.int64)
    if n == 0 or (periods != NO_PERIOD).any():
        data["period"] = periods
    if any(value is not None for value in industry):
        data["industry"] = pd.Series(
            ["unknown" if v is None else v for v in industry], dtype=object
        )
    labels = [r.label for r in rows]
    if any(label is not None for label in labels):
        data["label"] = np.array([np.nan if v is None else float(v) for v in labels])
    if any(value is not None for value in text):
        data["text"] = pd.Series(["" if v is None else v for v in text], dtype=object)
    data = pd.concat([data, pd.DataFrame(matrix, columns=columns)], axis=1)
    loaded = LoadResult(
        data=data,
        quarantine=pd.DataFrame(columns=QUARANTINE_COLUMNS),
        source=source,
        rows=np.arange(1, n + 1),
        features=columns,
    )
    firm_ids = np.array([r.id for r in rows], dtype=np.int64)
    return PortfolioData(
        loaded=loaded,
        firm_ids=firm_ids,
        firms={entity: firm for firm, entity in entity_of.items()},
    )
