"""Scores: batch scoring stores scores and raises alerts; single records score as in a batch;
the fast feature path equals the core's build_features; lists are scoped."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from finwarn.data import validate_frame
from finwarn.service import _alerting
from finwarn.service._domain_errors import InvalidRequestError
from finwarn.service._scoring import N_REASONS, ModelCache, RecordFeatures
from finwarn.service._tables import Alert, AuditEvent, Firm, Observation, Score
from finwarn.workflow import FeatureSpec, build_features, known_columns
from tests.service._data_plane import API, csv_bytes, panel, train_active, upload
from tests.service._governance import add_rule

REASON_KEYS = {
    "order",
    "feature",
    "name",
    "dimension",
    "value",
    "percentile",
    "peer_group",
    "effect",
    "text",
    "contribution",
}


@pytest.fixture
def scored(client, world):
    """``own`` holds the demo panel, a logit model is active and the firms are scored."""
    assert upload(client, world, csv_bytes(panel())).status_code == 201
    model_id = train_active(world)
    answer = client.post(f"{API}/scores/batch", json={}, headers=world.headers("analyst"))
    assert answer.status_code == 200, answer.text
    return model_id, answer.json()


@pytest.mark.parametrize(("path", "body"), [("batch", {}), ("single", {"values": {}})])
def test_scoring_without_an_active_model_is_409(client, world, path, body):
    answer = client.post(f"{API}/scores/{path}", json=body, headers=world.headers("analyst"))
    assert answer.status_code == 409
    assert answer.json() == {"detail": "No active model; train one and activate it"}


def test_batch_scores_every_firm_and_calls_raise_alerts(client, world, monkeypatch):
    assert upload(client, world, csv_bytes(panel())).status_code == 201
    model_id = train_active(world)
    calls = []
    original = _alerting.raise_alerts

    def spy(session, model, scores):
        calls.append((model.id, len(scores)))
        return original(session, model, scores)

    monkeypatch.setattr(_alerting, "raise_alerts", spy)
    answer = client.post(f"{API}/scores/batch", json={}, headers=world.headers("analyst"))
    assert answer.status_code == 200
    body = answer.json()
    with world.db.session() as session:
        firms = session.scalars(select(Firm).where(Firm.portfolio_id == world.own.id)).all()
        scores = session.scalars(select(Score)).all()
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "score")).one()
        latest = dict(
            session.execute(
                select(Observation.firm_id, func.max(Observation.period)).group_by(
                    Observation.firm_id
                )
            ).all()
        )
    with_data = len(firms) - 1  # OWN1 has no observations
    assert body["model_id"] == model_id
    assert body["scored"] == with_data == len(scores)
    assert list(body["by_level"]) == ["none", "light", "moderate", "heavy"]
    assert sum(body["by_level"].values()) == with_data
    assert calls == [(model_id, with_data)]
    assert body["alerts"] >= body["by_level"]["moderate"] + body["by_level"]["heavy"]
    assert sorted(s.rank for s in scores) == list(range(1, with_data + 1))
    for score in scores:  # each firm's latest accepted period
        assert score.period == latest[score.firm_id]
        assert len(score.reasons) == N_REASONS
        assert set(score.reasons[0]) == REASON_KEYS
        assert [r["order"] for r in score.reasons] == [1, 2, 3, 4, 5]
        assert "current_ratio" in score.indicators
    assert event.after["scored"] == with_data and event.username == "analyst"


def test_scoring_again_updates_instead_of_duplicating(client, world, scored):
    _, first = scored
    again = client.post(f"{API}/scores/batch", json={}, headers=world.headers("analyst"))
    assert again.json()["scored"] == first["scored"]
    assert again.json()["alerts"] == 0  # already raised for these firm-periods
    with world.db.session() as session:
        assert len(session.scalars(select(Score)).all()) == first["scored"]


def test_all_periods(client, world, scored):
    add_rule(world, "light or worse", "level", {"at_least": "light"})  # alerts past periods too
    answer = client.post(
        f"{API}/scores/batch", json={"all_periods": True}, headers=world.headers("analyst")
    )
    with world.db.session() as session:
        stored = len(session.scalars(select(Score)).all())
        latest = {
            firm_id: period
            for firm_id, period in session.execute(
                select(Score.firm_id, func.max(Score.period)).group_by(Score.firm_id)
            )
        }
        alerted = session.execute(select(Alert.firm_id, Alert.period)).all()
    assert answer.json()["scored"] == stored > scored[1]["scored"]
    # past periods get scores (history for migrations and trends), not stale alerts
    assert alerted
    assert all(period == latest[firm_id] for firm_id, period in alerted)


@pytest.mark.parametrize("portfolio", ["foreign", "missing"])
def test_batch_of_a_foreign_portfolio_is_404(client, world, portfolio):
    portfolio_id = world.foreign.id if portfolio == "foreign" else 9999
    answer = client.post(
        f"{API}/scores/batch",
        json={"portfolio_id": portfolio_id},
        headers=world.headers("analyst"),
    )
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Portfolio not found"}


@pytest.mark.parametrize(("path", "role"), [("batch", "viewer"), ("single", "approver")])
def test_scoring_needs_the_score_permission(client, world, path, role):
    answer = client.post(f"{API}/scores/{path}", json={"values": {}}, headers=world.headers(role))
    assert answer.status_code == 403
    assert answer.json() == {"detail": f"The {role} role may not do this (it needs 'score')."}


def test_single_record_scores_as_in_the_batch(client, world, scored):
    model_id, _ = scored
    headers = world.headers("analyst")
    with world.db.session() as session:
        stored = {
            s.firm_id: (s.period, s.probability, s.level) for s in session.scalars(select(Score))
        }
    assert stored
    for firm_id, (period, probability, level) in stored.items():
        periods = {
            p["period"]: p
            for p in client.get(f"{API}/firms/{firm_id}/periods", headers=headers).json()
        }
        body = {"values": periods[period]["values"], "reasons": False}
        if period - 1 in periods:
            body["previous"] = periods[period - 1]["values"]
        answer = client.post(f"{API}/scores/single", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["model_id"] == model_id
        assert result["probability"] == pytest.approx(probability, abs=1e-6)
        assert result["level"] == level
        assert result["reasons"] is None


def test_single_record_with_reasons(client, world, scored):
    with world.db.session() as session:
        firm_id = session.scalars(select(Score.firm_id)).first()
    values = client.get(f"{API}/firms/{firm_id}/periods", headers=world.headers("analyst"))
    body = {"values": values.json()[-1]["values"], "industry": "retail"}
    answer = client.post(f"{API}/scores/single", json=body, headers=world.headers("analyst"))
    assert answer.status_code == 200
    reasons = answer.json()["reasons"]
    assert [r["order"] for r in reasons] == [1, 2, 3, 4, 5]
    assert set(reasons[0]) == REASON_KEYS
    assert all(r["peer_group"] == "retail" for r in reasons)
    assert all(0 <= r["percentile"] <= 100 for r in reasons if r["percentile"] is not None)


def test_sparse_record_gets_a_note(client, world, scored):
    answer = client.post(
        f"{API}/scores/single",
        json={"values": {"total_assets": 100.0}, "reasons": False},
        headers=world.headers("analyst"),
    )
    assert answer.status_code == 200
    assert answer.json()["note"] == (
        "100% of indicators missing (41 of 41, limit 50%); warning less reliable"
    )


@pytest.mark.parametrize(
    ("values", "detail"),
    [
        (
            {"totl_assets": 1.0},
            "Unknown column 'totl_assets'. Did you mean 'total_assets'? The active model reads "
            "raw statement items (total_assets, revenue, ...).",
        ),
        (
            {"current_ratio": 1.5},
            "Unknown column 'current_ratio'. The active model reads raw statement items "
            "(total_assets, revenue, ...).",
        ),
        (
            {"total_assets": -5.0},
            "total_assets = -5 is negative, which is impossible; correct the amount or leave "
            "it empty (null).",
        ),
    ],
)
def test_single_record_problems_are_named(client, world, scored, values, detail):
    answer = client.post(
        f"{API}/scores/single", json={"values": values}, headers=world.headers("analyst")
    )
    assert answer.status_code == 422
    assert answer.json() == {"detail": detail}


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN"])
def test_single_record_refuses_non_finite_numbers(client, world, scored, number):
    answer = client.post(
        f"{API}/scores/single",
        content=b'{"values": {"cash": %s}}' % number.encode(),
        headers={**world.headers("analyst"), "content-type": "application/json"},
    )
    assert answer.status_code == 422
    shown = {"Infinity": "inf", "-Infinity": "-inf", "NaN": "nan"}[number]
    assert answer.json() == {
        "detail": f"cash = {shown} is not a finite number; send the amount, or null if it is "
        "unknown."
    }


def test_record_features_equal_build_features(tmp_path):
    loaded = validate_frame(panel(80, 6, corrupt=False), known_columns=known_columns())
    prepared = build_features(loaded)
    assert prepared.spec.source == "indicators"
    fast = RecordFeatures(prepared.spec)
    data = loaded.data
    raw = data[loaded.features].astype(object).where(data[loaded.features].notna(), None)
    records = raw.to_dict(orient="records")
    position = {
        (e, p): i for i, (e, p) in enumerate(zip(data["entity"], data["period"], strict=True))
    }
    rows = []
    for i, (entity, period) in enumerate(zip(data["entity"], data["period"], strict=True)):
        before = position.get((entity, period - 1))
        rows.append(fast.row(records[i], records[before] if before is not None else None))
    expected = prepared.X.to_numpy(dtype=float)
    # equal to the bit, NaN where the core gives NaN
    np.testing.assert_array_equal(np.array(rows), expected)


def test_record_features_of_a_ratio_model():
    spec = FeatureSpec(source="columns", features=("Attr1", "Attr2"), dimensions={})
    fast = RecordFeatures(spec)
    row = fast.row({"Attr1": 0.5, "Attr2": None}, None)
    assert row[0] == 0.5 and np.isnan(row[1])
    with pytest.raises(InvalidRequestError) as refused:
        fast.check({"total_assets": 1.0})
    assert str(refused.value) == (
        "Unknown column 'total_assets'. The active model reads its features: 'Attr1', 'Attr2'."
    )


def test_score_list_is_scoped_and_filtered(client, world, scored):
    model_id, body = scored
    with world.db.session() as session:
        session.add(
            Score(
                firm_id=world.foreign_firm.id,
                period=2019,
                model_id=model_id,
                probability=0.99,
                level="heavy",
                rank=1,
            )
        )
    viewer = world.headers("viewer")
    listed = client.get(f"{API}/scores?limit=500", headers=viewer).json()
    assert listed["total"] == body["scored"]
    assert world.foreign_firm.id not in {s["firm_id"] for s in listed["items"]}
    probabilities = [s["probability"] for s in listed["items"]]
    assert probabilities == sorted(probabilities, reverse=True)
    heavy = client.get(f"{API}/scores?level=moderate", headers=viewer).json()
    assert heavy["total"] == body["by_level"]["moderate"]
    firm_id = listed["items"][0]["firm_id"]
    one = client.get(f"{API}/scores?firm_id={firm_id}", headers=viewer).json()
    assert [s["firm_id"] for s in one["items"]] == [firm_id]
    for other in (world.foreign_firm.id, 9999):
        answer = client.get(f"{API}/scores?firm_id={other}", headers=viewer)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Firm not found"}


def test_a_lost_model_file_is_named(client, world, scored):
    model_id, _ = scored
    path = world.settings.data_dir / "models" / f"{model_id}.joblib"
    path.unlink()
    client.app.state.models = ModelCache()  # as after a restart: nothing cached
    answer = client.post(
        f"{API}/scores/single", json={"values": {}}, headers=world.headers("analyst")
    )
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": f"Model {model_id} cannot be loaded: {path}: model file not found; train one "
        "first."
    }


def _race_on_new_firm_periods(world, model_id, monkeypatch, *, times: int) -> list:
    """Let another scoring commit a score for a firm-period being scored: once in each of
    the first ``times`` scoring attempts.

    It commits between the attempt's read of the stored scores and its write, as a
    second request scoring the same portfolio at the same moment would.
    """
    from finwarn.service import _scoring
    from finwarn.service.routers import scores

    original = _scoring.reason_dicts
    original_batch = scores.batch_score
    raced: list[tuple[int, int]] = []
    attempts: list[int] = []

    def attempt(*args, **kwargs):
        attempts.append(len(attempts))
        return original_batch(*args, **kwargs)

    def race(frame):
        entity, period = str(frame["entity"].iloc[0]), int(frame["period"].iloc[0])
        with world.db.session() as other:
            firm = other.scalars(
                select(Firm).where(Firm.portfolio_id == world.own.id, Firm.code == entity)
            ).one()
            stored = other.scalars(
                select(Score).where(Score.firm_id == firm.id, Score.period == period)
            ).first()
            if len(raced) < min(times, len(attempts)) and stored is None:
                other.add(
                    Score(
                        firm_id=firm.id,
                        period=period,
                        model_id=model_id,
                        probability=0.5,
                        level="light",
                        rank=1,
                    )
                )
                raced.append((firm.id, period))
        return original(frame)

    monkeypatch.setattr(_scoring, "reason_dicts", race)
    monkeypatch.setattr(scores, "batch_score", attempt)
    return raced


def test_batch_scoring_retries_after_a_concurrent_scoring_committed_first(
    client, world, monkeypatch
):
    assert upload(client, world, csv_bytes(panel())).status_code == 201
    model_id = train_active(world)
    raced = _race_on_new_firm_periods(world, model_id, monkeypatch, times=1)
    answer = client.post(f"{API}/scores/batch", json={}, headers=world.headers("analyst"))
    assert answer.status_code == 200, answer.text
    assert len(raced) == 1
    firm_id, period = raced[0]
    with world.db.session() as session:
        scores = session.scalars(select(Score)).all()
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "score")).all()
        alerts = session.execute(select(Alert.firm_id, Alert.period, Alert.rule_id)).all()
    assert answer.json()["scored"] == len(scores)
    assert len({(s.firm_id, s.period) for s in scores}) == len(scores)
    # the second attempt updated the score the other scoring stored
    raced_score = next(s for s in scores if (s.firm_id, s.period) == (firm_id, period))
    assert raced_score.probability != 0.5 and raced_score.reasons
    assert len(events) == 1  # the failed attempt's audit event was rolled back
    assert answer.json()["alerts"] == len(alerts) == len(set(alerts))


def test_batch_scoring_answers_409_when_it_collides_twice(client, world, monkeypatch):
    assert upload(client, world, csv_bytes(panel())).status_code == 201
    model_id = train_active(world)
    raced = _race_on_new_firm_periods(world, model_id, monkeypatch, times=2)
    answer = client.post(f"{API}/scores/batch", json={}, headers=world.headers("analyst"))
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "Another scoring of these firms was stored at the same time; score again."
    }
    assert len(raced) == 2
    with world.db.session() as session:  # only the other scoring's two scores are stored
        assert len(session.scalars(select(Score)).all()) == 2
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "score")).all() == []
