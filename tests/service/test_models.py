"""Models: training in the background with progress, failures recorded, activation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from finwarn.models import MODEL_NAMES
from finwarn.service import _jobs
from finwarn.service._jobs import INTERRUPTED, fail_interrupted, run_training
from finwarn.service._scoring import background_file
from finwarn.service._tables import AuditEvent, ModelRecord
from tests.service._data_plane import API, csv_bytes, panel, train_model, upload, wait_for


def _queued(world, **fields) -> int:
    with world.db.session() as session:
        model = ModelRecord(
            name="logit",
            portfolio_ids=[world.own.id],
            created_by=world.users["admin"].id,
            metrics={},
            **fields,
        )
        session.add(model)
        session.flush()
        return model.id


def test_training_runs_in_the_background_to_done(client, world):
    assert upload(client, world, csv_bytes(panel())).status_code == 201
    analyst = world.headers("analyst")
    answer = client.post(f"{API}/models", json={"name": "logit"}, headers=analyst)
    assert answer.status_code == 202
    queued = answer.json()
    assert (queued["status"], queued["progress"], queued["active"]) == ("queued", 0.0, False)
    assert queued["portfolio_ids"] == [world.own.id]
    assert queued["created_by"] == world.users["analyst"].id
    done = wait_for(client, f"{API}/models/{queued['id']}", analyst)
    assert done["status"] == "done", done["message"]
    assert done["progress"] == 1.0
    assert done["message"].startswith("trained on ")
    assert done["finished_at"] is not None
    metrics = done["metrics"]
    assert metrics["alert_level"] == "moderate"
    assert metrics["levels"] == ["none", "light", "moderate", "heavy"]
    assert 0.0 <= metrics["roc_auc"] <= 1.0
    path = Path(world.settings.data_dir) / "models" / f"{queued['id']}.joblib"
    assert path.exists() and path.with_suffix(".json").exists()
    assert background_file(path).exists()
    listed = client.get(f"{API}/models", headers=world.headers("viewer")).json()
    assert [m["id"] for m in listed] == [queued["id"]]


def test_progress_is_recorded_stage_by_stage(client, world, monkeypatch):
    assert upload(client, world, csv_bytes(panel())).status_code == 201
    model_id = _queued(world)
    seen: list[tuple[float, str]] = []
    original = _jobs._set

    def spy(db, table, row_id, **values):
        seen.append((values["progress"], values["message"].split(" ")[0]))
        original(db, table, row_id, **values)

    monkeypatch.setattr(_jobs, "_set", spy)
    run_training(world.db, world.settings, model_id)
    assert seen == [(0.05, "loading"), (0.15, "building"), (0.25, "training"), (0.9, "saving")]
    with world.db.session() as session:
        model = session.get(ModelRecord, model_id)
        assert (model.status, model.progress) == ("done", 1.0)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "model", AuditEvent.action == "train")
        ).one()
        assert event.username == "system" and event.after["status"] == "done"


def test_failed_training_keeps_the_error(client, world):
    frame = panel(corrupt=False).drop(columns=["label"])
    assert upload(client, world, csv_bytes(frame)).status_code == 201
    answer = client.post(f"{API}/models", json={"name": "logit"}, headers=world.headers("admin"))
    failed = wait_for(client, f"{API}/models/{answer.json()['id']}", world.headers("admin"))
    assert failed["status"] == "failed"
    assert failed["message"] == (
        f"Training failed while building features from {len(frame):,} firm-periods of "
        f"{frame['entity'].nunique():,} firms: portfolio {world.own.id}: no label column found "
        "(looked for label, class, bankrupt, bankruptcy, distress, distressed, ...). Name it in "
        "a mapping file (label: <your column>) to train or evaluate."
    )
    assert failed["progress"] == 0.15


def test_training_without_data_fails_with_a_message(world):
    model_id = _queued(world)
    run_training(world.db, world.settings, model_id)
    with world.db.session() as session:
        model = session.get(ModelRecord, model_id)
    assert model.status == "failed"
    assert model.message == (
        f"Training failed while loading the observations of portfolios [{world.own.id}]: "
        f"portfolios [{world.own.id}] hold no observations; upload data before training."
    )


def test_unknown_model_name_gets_did_you_mean(client, world):
    answer = client.post(f"{API}/models", json={"name": "lightgbn"}, headers=world.headers("admin"))
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": f"Unknown model 'lightgbn'; choose one of {', '.join(MODEL_NAMES)}. "
        "Did you mean 'lightgbm'?"
    }


@pytest.mark.parametrize(
    ("portfolio_ids", "code", "detail"),
    [
        ("foreign", 404, "Portfolio not found"),
        ([9999], 404, "Portfolio not found"),
        (
            [],
            422,
            "Give at least one portfolio id, or leave portfolio_ids out to train on all of yours.",
        ),
    ],
)
def test_training_portfolios_must_be_yours(client, world, portfolio_ids, code, detail):
    ids = [world.own.id, world.foreign.id] if portfolio_ids == "foreign" else portfolio_ids
    answer = client.post(
        f"{API}/models",
        json={"name": "logit", "portfolio_ids": ids},
        headers=world.headers("analyst"),
    )
    assert answer.status_code == code
    assert answer.json() == {"detail": detail}
    with world.db.session() as session:
        assert session.scalars(select(ModelRecord)).all() == []


def test_user_without_portfolios_cannot_train(client, world):
    world.add_user("lonely", "analyst", grant=False)
    answer = client.post(f"{API}/models", json={"name": "logit"}, headers=world.headers("lonely"))
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": "You have no portfolios to train on; ask an admin to grant you one."
    }


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_training_needs_the_train_permission(client, world, role):
    answer = client.post(f"{API}/models", json={"name": "logit"}, headers=world.headers(role))
    assert answer.status_code == 403
    assert answer.json() == {"detail": f"The {role} role may not do this (it needs 'train')."}


def test_missing_model_is_404(client, world):
    for method, path in (("get", "/models/9999"), ("post", "/models/9999/activate")):
        answer = client.request(method, f"{API}{path}", headers=world.headers("admin"))
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Model not found"}


@pytest.mark.parametrize("state", ["queued", "running", "failed"])
def test_only_a_done_model_can_be_activated(client, world, state):
    model_id = _queued(world, status=state)
    answer = client.post(f"{API}/models/{model_id}/activate", headers=world.headers("admin"))
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": f"Model {model_id} is {state}; only a trained (done) model can be activated."
    }


@pytest.mark.parametrize("role", ["analyst", "approver", "viewer"])
def test_activation_is_for_admins(client, world, role):
    model_id = _queued(world, status="done")
    answer = client.post(f"{API}/models/{model_id}/activate", headers=world.headers(role))
    assert answer.status_code == 403
    assert answer.json() == {"detail": f"The {role} role may not do this (it needs 'models')."}


def test_exactly_one_model_is_active(client, world):
    first, second = _queued(world, status="done"), _queued(world, status="done")
    admin = world.headers("admin")
    one = client.post(f"{API}/models/{first}/activate", headers=admin)
    assert one.status_code == 200 and one.json()["active"] is True
    two = client.post(f"{API}/models/{second}/activate", headers=admin)
    assert two.status_code == 200 and two.json()["active"] is True
    listed = {m["id"]: m["active"] for m in client.get(f"{API}/models", headers=admin).json()}
    assert listed == {first: False, second: True}
    with world.db.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "activate").order_by(AuditEvent.id)
        ).all()
    assert [(e.before, e.after) for e in events] == [
        ({"active_model_id": None}, {"active_model_id": first}),
        ({"active_model_id": first}, {"active_model_id": second}),
    ]


def test_a_restart_fails_unfinished_jobs(world):
    running, done = _queued(world, status="running"), _queued(world, status="done")
    assert fail_interrupted(world.db) == 1
    with world.db.session() as session:
        assert session.get(ModelRecord, running).status == "failed"
        assert session.get(ModelRecord, running).message == INTERRUPTED
        assert session.get(ModelRecord, done).status == "done"


@pytest.mark.slow
def test_lightgbm_trains_too(client, world):
    assert upload(client, world, csv_bytes(panel())).status_code == 201
    model_id = train_model(world, name="lightgbm")
    with world.db.session() as session:
        model = session.get(ModelRecord, model_id)
    assert model.status == "done", model.message
