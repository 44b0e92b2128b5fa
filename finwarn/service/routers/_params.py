"""Request parameter types shared by the governance routers (rules, alerts, register, audit).

Ids are bounded to what the databases can store (SQLite's INTEGER is 64-bit; a larger
number would make the driver fail before the query runs), and text may not hold NUL
characters (PostgreSQL refuses them in text columns): both answer 422 instead of
failing inside the database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

__all__ = ["MAX_ID", "NO_NUL", "BodyId", "Limit", "Offset", "PathId", "QueryId", "QueryText"]

MAX_ID = 2**63 - 1
#: A regular expression for text without NUL characters.
NO_NUL = r"^[^\x00]*$"

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
QueryText = Annotated[str | None, Query(min_length=1, max_length=100, pattern=NO_NUL)]
Limit = Annotated[int, Query(ge=1, le=500, description="At most 500.")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
