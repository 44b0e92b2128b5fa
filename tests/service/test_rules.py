"""The alert rules API: create, read, change, delete; permissions, scope and audit."""

from __future__ import annotations

import pytest

from finwarn.service._tables import AuditEvent
from tests.service._governance import add_model, add_rule, score

API = "/api/v1/rules"
LIQUIDITY = {"indicator": "current_ratio", "op": "<", "value": 0.8, "level": "moderate"}


def _body(world, **changes):
    return {
        "name": "Liquidity floor",
        "kind": "threshold",
        "portfolio_id": world.own.id,
        "params": LIQUIDITY,
        **changes,
    }


def _events(world, entity="alert_rule"):
    with world.db.session() as session:
        found = session.query(AuditEvent).filter_by(entity=entity).order_by(AuditEvent.id)
        return [(e.username, e.action, e.entity_id, e.before, e.after) for e in found]


def test_create_read_update_delete_audited(client, world):
    analyst = world.headers("analyst")
    created = client.post(API, json=_body(world), headers=analyst)
    assert created.status_code == 201
    rule = created.json()
    assert rule["name"] == "Liquidity floor"
    assert rule["kind"] == "threshold"
    assert rule["params"] == LIQUIDITY
    assert rule["active"] is True
    assert rule["warnings"] == []
    rule_id = rule["id"]

    assert client.get(f"{API}/{rule_id}", headers=world.headers("viewer")).json()["id"] == rule_id
    listed = client.get(API, headers=world.headers("viewer")).json()
    assert [r["id"] for r in listed] == [rule_id]

    changed = client.patch(
        f"{API}/{rule_id}",
        json={"name": "Floor", "params": {**LIQUIDITY, "value": 1.0}, "active": False},
        headers=analyst,
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["params"]["value"]) == ("Floor", 1.0)
    assert changed.json()["active"] is False

    unchanged = client.patch(f"{API}/{rule_id}", json={}, headers=analyst)
    assert unchanged.status_code == 200 and unchanged.json()["name"] == "Floor"

    assert client.delete(f"{API}/{rule_id}", headers=analyst).status_code == 204
    gone = client.get(f"{API}/{rule_id}", headers=analyst)
    assert gone.status_code == 404
    assert gone.json() == {"detail": "Alert rule not found"}

    events = _events(world)
    assert [(e[0], e[1], e[2]) for e in events] == [
        ("analyst", "create", str(rule_id)),
        ("analyst", "update", str(rule_id)),
        ("analyst", "delete", str(rule_id)),
    ]
    create, update, delete = events
    assert create[3] is None and create[4]["params"] == LIQUIDITY
    assert update[3]["name"] == "Liquidity floor" and update[4]["name"] == "Floor"
    assert update[3]["active"] is True and update[4]["active"] is False
    assert delete[3]["name"] == "Floor" and delete[4] is None


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_roles_without_rules_permission_are_refused(client, world, role):
    rule_id = add_rule(world, "Watch", "level", {"at_least": "heavy"})
    expected = {"detail": f"The {role} role may not do this (it needs 'rules')."}
    headers = world.headers(role)
    answers = [
        client.post(API, json=_body(world), headers=headers),
        client.patch(f"{API}/{rule_id}", json={"active": False}, headers=headers),
        client.delete(f"{API}/{rule_id}", headers=headers),
    ]
    for answer in answers:
        assert answer.status_code == 403
        assert answer.json() == expected
    assert _events(world) == []


def test_foreign_portfolio_and_its_rules_look_missing(client, world):
    analyst = world.headers("analyst")
    foreign_rule = add_rule(world, "Theirs", "level", {"at_least": "heavy"}, foreign=True)
    for portfolio_id in (world.foreign.id, 9999):
        answer = client.post(API, json=_body(world, portfolio_id=portfolio_id), headers=analyst)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Portfolio not found"}
    for rule_id in (foreign_rule, 9999):
        for answer in (
            client.get(f"{API}/{rule_id}", headers=analyst),
            client.patch(f"{API}/{rule_id}", json={"active": False}, headers=analyst),
            client.delete(f"{API}/{rule_id}", headers=analyst),
        ):
            assert answer.status_code == 404
            assert answer.json() == {"detail": "Alert rule not found"}
    assert client.get(API, headers=analyst).json() == []
    assert client.get(API, params={"portfolio_id": world.foreign.id}, headers=analyst).json() == []


@pytest.mark.parametrize(
    ("kind", "params", "detail"),
    [
        (
            "threshold",
            {"indicator": "current_ratio", "op": "=", "value": 1, "level": "moderate"},
            "Invalid params for a threshold rule: op: Input should be '<', '<=', '>' or '>='.",
        ),
        (
            "level",
            {"at_least": "severe"},
            "Invalid params for a level rule: at_least: 'severe' is not one of the levels "
            "none, light, moderate, heavy.",
        ),
        (
            "migration",
            {"direction": "sideways"},
            "Invalid params for a migration rule: direction: Input should be 'downgrade', "
            "'upgrade' or 'any'.",
        ),
    ],
)
def test_invalid_params_422_with_a_readable_detail(client, world, kind, params, detail):
    answer = client.post(
        API, json=_body(world, kind=kind, params=params), headers=world.headers("analyst")
    )
    assert answer.status_code == 422
    assert answer.json() == {"detail": detail}
    assert _events(world) == []


def test_patch_validates_params_against_the_rules_kind(client, world):
    rule_id = add_rule(world, "Watch", "level", {"at_least": "heavy"})
    answer = client.patch(
        f"{API}/{rule_id}", json={"params": LIQUIDITY}, headers=world.headers("analyst")
    )
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": "Invalid params for a level rule: at_least: Field required; indicator: Extra "
        "inputs are not permitted; op: Extra inputs are not permitted; value: Extra inputs "
        "are not permitted; level: Extra inputs are not permitted."
    }


def test_unknown_indicator_is_accepted_with_a_warning(client, world):
    body = _body(world, params={**LIQUIDITY, "indicator": "curent_ratio"})
    answer = client.post(API, json=body, headers=world.headers("analyst"))
    assert answer.status_code == 201
    assert answer.json()["warnings"] == [
        "Indicator 'curent_ratio' is neither in finwarn's indicator catalog nor among the "
        "indicators of the active model's scores; the rule raises no alert until scores "
        "carry it. Did you mean 'current_ratio'?"
    ]


def test_rule_that_raised_alerts_cannot_be_deleted(client, world):
    rule_id = add_rule(world, "Watch", "level", {"at_least": "light"})
    model_id = add_model(world, alert_level="heavy")
    assert score(world.db, model_id, [(world.own_firm.id, 2018, "light")])
    answer = client.delete(f"{API}/{rule_id}", headers=world.headers("analyst"))
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "Rule 'Watch' has raised 1 alert(s) and cannot be deleted; deactivate it "
        "instead (PATCH with active false)."
    }
    off = client.patch(f"{API}/{rule_id}", json={"active": False}, headers=world.headers("admin"))
    assert off.status_code == 200 and off.json()["active"] is False
