"""Helpers of the data-plane tests: demo panels as files, uploads, trained models, polling."""

from __future__ import annotations

import io
import time
from typing import Any

import pandas as pd

from finwarn.datasets import corrupt_panel, make_demo_panel
from finwarn.service._jobs import run_training
from finwarn.service._scoring import activate
from finwarn.service._tables import ModelRecord, User
from tests.service.conftest import World

API = "/api/v1"
# Big enough that every calibration fold holds distressed firms, small enough to train fast.
FIRMS, YEARS = 60, 5


def panel(n_firms: int = FIRMS, n_years: int = YEARS, *, corrupt: bool = True) -> pd.DataFrame:
    """A simulated demo panel, with the documented bad rows mixed in (``corrupt``)."""
    frame = make_demo_panel(n_firms=n_firms, n_years=n_years, random_state=0)
    return corrupt_panel(frame, random_state=0)[0] if corrupt else frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def upload(
    client: Any,
    world: World,
    content: bytes,
    *,
    role: str = "analyst",
    portfolio_id: int | None = None,
    name: str = "panel.csv",
) -> Any:
    """POST the file to /uploads (into ``own`` by default)."""
    assert world.own is not None
    return client.post(
        f"{API}/uploads",
        data={"portfolio_id": str(portfolio_id if portfolio_id is not None else world.own.id)},
        files={"file": (name, content, "application/octet-stream")},
        headers=world.headers(role),
    )


def train_model(
    world: World, *, name: str = "logit", portfolio_ids: list[int] | None = None
) -> int:
    """Train a model synchronously (as the background job would); its id."""
    assert world.own is not None
    with world.db.session() as session:
        model = ModelRecord(
            name=name,
            portfolio_ids=portfolio_ids or [world.own.id],
            created_by=world.users["admin"].id,
            metrics={},
        )
        session.add(model)
        session.flush()
        model_id = model.id
    run_training(world.db, world.settings, model_id)
    return model_id


def train_active(world: World, *, name: str = "logit") -> int:
    """Train a model on ``own`` and activate it; its id."""
    model_id = train_model(world, name=name)
    with world.db.session() as session:
        model = session.get(ModelRecord, model_id)
        assert model is not None and model.status == "done", model and model.message
        activate(session, session.get(User, world.users["admin"].id), model)
    return model_id


def wait_for(client: Any, url: str, headers: dict[str, str], timeout: float = 120) -> dict:
    """Poll ``url`` until its ``status`` is done or failed; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)
