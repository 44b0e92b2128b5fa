"""The audit log API: admins only, newest first, filters, pagination, read-only."""

from __future__ import annotations

import pytest

API = "/api/v1/audit"


def _writes(client, world):
    """Three audited writes: two rules created by the analyst, one changed by the admin."""
    ids = []
    for name in ("First", "Second"):
        body = {
            "name": name,
            "kind": "level",
            "portfolio_id": world.own.id,
            "params": {"at_least": "heavy"},
        }
        answer = client.post("/api/v1/rules", json=body, headers=world.headers("analyst"))
        assert answer.status_code == 201
        ids.append(answer.json()["id"])
    answer = client.patch(
        f"/api/v1/rules/{ids[0]}", json={"active": False}, headers=world.headers("admin")
    )
    assert answer.status_code == 200
    return ids


@pytest.mark.parametrize("role", ["viewer", "analyst", "approver"])
def test_only_admins_read_the_log(client, world, role):
    answer = client.get(API, headers=world.headers(role))
    assert answer.status_code == 403
    assert answer.json() == {"detail": f"The {role} role may not do this (it needs 'audit')."}


def test_unauthenticated_is_401(client, world):
    answer = client.get(API)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Not authenticated"}


def test_newest_first_with_before_and_after(client, world):
    first, second = _writes(client, world)
    events = client.get(API, headers=world.headers("admin")).json()
    assert [(e["username"], e["action"], e["entity"], e["entity_id"]) for e in events] == [
        ("admin", "update", "alert_rule", str(first)),
        ("analyst", "create", "alert_rule", str(second)),
        ("analyst", "create", "alert_rule", str(first)),
    ]
    update = events[0]
    assert update["user_id"] == world.users["admin"].id
    assert (update["before"]["active"], update["after"]["active"]) == (True, False)
    assert events[2]["before"] is None and events[2]["after"]["name"] == "First"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"username": "analyst"}, [("create", "second"), ("create", "first")]),
        ({"action": "update"}, [("update", "first")]),
        (
            {"entity": "alert_rule", "entity_id": "first"},
            [("update", "first"), ("create", "first")],
        ),
        ({"entity": "user"}, []),
        ({"limit": 1}, [("update", "first")]),
        ({"limit": 2, "offset": 1}, [("create", "second"), ("create", "first")]),
    ],
)
def test_filters(client, world, params, expected):
    ids = dict(zip(("first", "second"), map(str, _writes(client, world)), strict=True))
    query = {k: ids.get(v, v) if k == "entity_id" else v for k, v in params.items()}
    events = client.get(API, params=query, headers=world.headers("admin")).json()
    assert [(e["action"], e["entity_id"]) for e in events] == [
        (action, ids[which]) for action, which in expected
    ]


def test_since_and_until(client, world):
    _writes(client, world)
    admin = world.headers("admin")
    events = client.get(API, headers=admin).json()
    middle = events[1]["at"]
    since = client.get(API, params={"since": middle}, headers=admin).json()
    until = client.get(API, params={"until": middle}, headers=admin).json()
    assert [e["id"] for e in since] == [events[0]["id"], events[1]["id"]]
    assert [e["id"] for e in until] == [events[2]["id"]]


@pytest.mark.parametrize("limit", [0, 501])
def test_limit_at_most_500(client, world, limit):
    answer = client.get(API, params={"limit": limit}, headers=world.headers("admin"))
    assert answer.status_code == 422


def test_limit_500_is_accepted(client, world):
    assert client.get(API, params={"limit": 500}, headers=world.headers("admin")).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only(client, world, method):
    answer = client.request(method, API, headers=world.headers("admin"))
    assert answer.status_code == 405
    paths = client.get("/openapi.json").json()["paths"]
    assert {p: set(m) for p, m in paths.items() if p.startswith(API)} == {API: {"get"}}


HUGE = 2**64


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/api/v1/rules/{HUGE}", None),
        ("get", f"/api/v1/rules?portfolio_id={HUGE}", None),
        ("post", "/api/v1/rules", {"name": "x", "kind": "level", "portfolio_id": HUGE}),
        ("post", "/api/v1/rules", {"name": "a\x00b", "kind": "level", "portfolio_id": 1}),
        ("get", f"/api/v1/alerts?firm_id={HUGE}", None),
        ("get", "/api/v1/alerts?offset=99999999999", None),
        ("get", "/api/v1/alerts?level=%00", None),
        ("post", f"/api/v1/alerts/{HUGE}/close", None),
        ("get", f"/api/v1/register/entries/{HUGE}", None),
        ("get", f"/api/v1/register/changes?entry_id={HUGE}", None),
        ("post", "/api/v1/register/changes", {"action": "update", "entry_id": HUGE}),
        ("post", "/api/v1/register/changes", {"action": "create", "firm_id": 1, "title": "\x00"}),
        ("post", "/api/v1/register/changes/1/reject", {"comment": "no\x00"}),
        ("get", "/api/v1/audit?entity=%00", None),
    ],
)
def test_out_of_range_ids_and_nul_text_are_422(client, world, method, path, body):
    role = "approver" if path.endswith("/reject") else "admin"
    answer = client.request(method, path, json=body, headers=world.headers(role))
    assert answer.status_code == 422


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_extreme_since_until(client, world, moment):
    for key in ("since", "until"):
        answer = client.get(API, params={key: moment}, headers=world.headers("admin"))
        assert answer.status_code == 200
