"""The alerts API: scoped lists and filters, the summary, acknowledging and closing."""

from __future__ import annotations

import pytest

from finwarn.service._tables import Alert, AuditEvent
from tests.service._governance import add_firm, add_model, reason, score

API = "/api/v1/alerts"


@pytest.fixture
def raised(world):
    """Model alerts: own firm 2017 moderate and 2018 heavy, a second own firm 2018
    moderate, the foreign firm 2018 heavy."""
    model_id = add_model(world)
    other = add_firm(world, "OWN2")
    solvency = [reason("solvency", "raises", 1)]
    score(world.db, model_id, [(world.own_firm.id, 2017, "moderate")])
    score(world.db, model_id, [(world.own_firm.id, 2018, "heavy")], reasons=solvency)
    score(world.db, model_id, [(other, 2018, "moderate"), (world.foreign_firm.id, 2018, "heavy")])
    with world.db.session() as session:
        ids = {(a.firm_id, a.period): a.id for a in session.query(Alert).order_by(Alert.id)}
    return {"model": model_id, "other": other, "ids": ids}


def test_list_is_scoped_newest_first(client, world, raised):
    answer = client.get(API, headers=world.headers("viewer"))
    assert answer.status_code == 200
    found = answer.json()
    ids = raised["ids"]
    own, other = world.own_firm.id, raised["other"]
    assert [a["id"] for a in found] == [ids[(other, 2018)], ids[(own, 2018)], ids[(own, 2017)]]
    first = found[1]
    assert first["firm_code"] == "OWN1"
    assert first["portfolio_id"] == world.own.id
    assert (first["period"], first["level"], first["status"]) == (2018, "heavy", "open")
    assert first["rule_id"] is None and first["model_id"] == raised["model"]
    assert first["message"] == (
        "Probability of distress 25.0%: level heavy, at or above the alert level moderate "
        "(model 'fusion')"
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"level": "heavy"}, [("own", 2018)]),
        ({"level": "moderate"}, [("other", 2018), ("own", 2017)]),
        ({"status": "open"}, [("other", 2018), ("own", 2018), ("own", 2017)]),
        ({"status": "closed"}, []),
        ({"firm": "own"}, [("own", 2018), ("own", 2017)]),
        ({"firm": "foreign"}, []),
        ({"portfolio": "foreign"}, []),
        ({"portfolio": "own", "limit": 1, "offset": 1}, [("own", 2018)]),
    ],
)
def test_filters(client, world, raised, params, expected):
    firms = {"own": world.own_firm.id, "other": raised["other"], "foreign": world.foreign_firm.id}
    portfolios = {"own": world.own.id, "foreign": world.foreign.id}
    query = dict(params)
    if "firm" in query:
        query["firm_id"] = firms[query.pop("firm")]
    if "portfolio" in query:
        query["portfolio_id"] = portfolios[query.pop("portfolio")]
    found = client.get(API, params=query, headers=world.headers("viewer")).json()
    assert [a["id"] for a in found] == [raised["ids"][(firms[f], p)] for f, p in expected]


@pytest.mark.parametrize("limit", [0, 501])
def test_limit_bounds(client, world, limit):
    assert (
        client.get(API, params={"limit": limit}, headers=world.headers("viewer")).status_code == 422
    )


def test_foreign_alert_looks_missing(client, world, raised):
    foreign = raised["ids"][(world.foreign_firm.id, 2018)]
    for alert_id in (foreign, 99999):
        for answer in (
            client.get(f"{API}/{alert_id}", headers=world.headers("analyst")),
            client.post(f"{API}/{alert_id}/acknowledge", headers=world.headers("analyst")),
            client.post(f"{API}/{alert_id}/close", headers=world.headers("analyst")),
        ):
            assert answer.status_code == 404
            assert answer.json() == {"detail": "Alert not found"}


def test_acknowledge_then_close_audited(client, world, raised):
    alert_id = raised["ids"][(world.own_firm.id, 2018)]
    seen = client.post(f"{API}/{alert_id}/acknowledge", headers=world.headers("approver"))
    assert seen.status_code == 200
    assert seen.json()["status"] == "acknowledged"
    again = client.post(f"{API}/{alert_id}/acknowledge", headers=world.headers("analyst"))
    assert again.status_code == 409
    assert again.json() == {"detail": f"Alert {alert_id} is already acknowledged."}
    closed = client.post(f"{API}/{alert_id}/close", headers=world.headers("analyst"))
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    late = {
        "acknowledge": f"Alert {alert_id} is closed; it cannot be acknowledged.",
        "close": f"Alert {alert_id} is already closed.",
    }
    for action, detail in late.items():
        answer = client.post(f"{API}/{alert_id}/{action}", headers=world.headers("admin"))
        assert answer.status_code == 409
        assert answer.json() == {"detail": detail}
    with world.db.session() as session:
        events = [
            (e.username, e.action, e.entity_id, e.before["status"], e.after["status"])
            for e in session.query(AuditEvent).filter_by(entity="alert").order_by(AuditEvent.id)
        ]
    assert events == [
        ("approver", "acknowledge", str(alert_id), "open", "acknowledged"),
        ("analyst", "close", str(alert_id), "acknowledged", "closed"),
    ]


def test_open_alert_can_be_closed_directly(client, world, raised):
    alert_id = raised["ids"][(world.own_firm.id, 2017)]
    answer = client.post(f"{API}/{alert_id}/close", headers=world.headers("admin"))
    assert answer.status_code == 200 and answer.json()["status"] == "closed"


def test_viewer_may_not_handle_alerts(client, world, raised):
    alert_id = raised["ids"][(world.own_firm.id, 2018)]
    for action in ("acknowledge", "close"):
        answer = client.post(f"{API}/{alert_id}/{action}", headers=world.headers("viewer"))
        assert answer.status_code == 403
        assert answer.json() == {"detail": "The viewer role may not do this (it needs 'alerts')."}


def test_summary_endpoint(client, world, raised):
    alert_id = raised["ids"][(world.own_firm.id, 2017)]
    client.post(f"{API}/{alert_id}/close", headers=world.headers("analyst"))
    answer = client.get(f"{API}/summary", headers=world.headers("viewer"))
    assert answer.status_code == 200
    assert answer.json() == {
        "levels": ["none", "light", "moderate", "heavy"],
        "total": 2,
        "by_level": {"none": 0, "light": 0, "moderate": 1, "heavy": 1},
        "by_status": {"open": 2, "acknowledged": 0, "closed": 0},
        "by_dimension": {"solvency": 1, "unexplained": 1},
        "migrations": {
            "model_id": raised["model"],
            "firms": 1,
            "downgrades": 1,
            "upgrades": 0,
            "unchanged": 0,
            "transitions": [{"from_level": "moderate", "to_level": "heavy", "firms": 1}],
        },
    }
    closed_too = client.get(
        f"{API}/summary", params={"include_closed": True}, headers=world.headers("viewer")
    )
    assert closed_too.json()["total"] == 3
    foreign = client.get(
        f"{API}/summary", params={"portfolio_id": world.foreign.id}, headers=world.headers("viewer")
    )
    assert foreign.json()["total"] == 0
    assert foreign.json()["by_dimension"] == {}


def test_alerts_need_authentication(client, world):
    for path in (API, f"{API}/summary", f"{API}/1"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert answer.json() == {"detail": "Not authenticated"}
