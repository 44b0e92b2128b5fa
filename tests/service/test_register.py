"""The risk register: entries change only through proposals approved by another approver."""

from __future__ import annotations

import threading

import pytest

from finwarn.service import _register, create_app
from finwarn.service._domain_errors import AlreadyDecidedError, StaleProposalError
from finwarn.service._tables import AuditEvent, RiskChange, RiskEntry, User
from tests.service.conftest import TestClient, make_settings, seed_world

API = "/api/v1/register"
NEW = {"title": "Covenant breach", "description": "Debt covenant at risk", "severity": "high"}


def _propose(client, world, role="analyst", **body):
    answer = client.post(f"{API}/changes", json=body, headers=world.headers(role))
    assert answer.status_code == 201, answer.text
    return answer.json()


def _approve(client, world, change_id, role="approver", comment=""):
    return client.post(
        f"{API}/changes/{change_id}/approve", json={"comment": comment}, headers=world.headers(role)
    )


def _entry(client, world, **fields):
    """An entry of the own firm, created through a proposal and its approval."""
    change = _propose(
        client, world, action="create", firm_id=world.own_firm.id, **{**NEW, **fields}
    )
    answer = _approve(client, world, change["id"])
    assert answer.status_code == 200, answer.text
    return answer.json()["entry_id"]


def _events(world, entity):
    with world.db.session() as session:
        found = session.query(AuditEvent).filter_by(entity=entity).order_by(AuditEvent.id)
        return [(e.username, e.action, e.entity_id, e.before, e.after) for e in found]


def test_create_update_delete_through_approvals(client, world):
    created = _propose(
        client, world, action="create", firm_id=world.own_firm.id, owner="cfo", **NEW
    )
    assert created["status"] == "pending"
    assert created["fields"] == {**NEW, "owner": "cfo"}
    assert created["entry"] is None and created["entry_id"] is None
    assert created["proposed_by"] == world.users["analyst"].id
    assert client.get(f"{API}/entries", headers=world.headers("viewer")).json() == []

    approved = _approve(client, world, created["id"], comment="agreed")
    assert approved.status_code == 200
    decided = approved.json()
    assert decided["status"] == "approved"
    assert decided["decided_by"] == world.users["approver"].id
    assert decided["comment"] == "agreed"
    entry_id = decided["entry_id"]
    entry = client.get(f"{API}/entries/{entry_id}", headers=world.headers("viewer")).json()
    assert {k: entry[k] for k in ("firm_id", "title", "severity", "owner")} == {
        "firm_id": world.own_firm.id,
        "title": "Covenant breach",
        "severity": "high",
        "owner": "cfo",
    }

    update = _propose(client, world, action="update", entry_id=entry_id, severity="critical")
    assert update["fields"] == {"severity": "critical"}
    assert update["entry"]["severity"] == "high"
    assert _approve(client, world, update["id"]).status_code == 200
    entry = client.get(f"{API}/entries/{entry_id}", headers=world.headers("viewer")).json()
    assert (entry["severity"], entry["title"]) == ("critical", "Covenant breach")

    delete = _propose(client, world, "approver", action="delete", entry_id=entry_id)
    assert _approve(client, world, delete["id"], role="approver").status_code == 403
    world.add_user("approver2", "approver")
    assert _approve(client, world, delete["id"], role="approver2").status_code == 200
    gone = client.get(f"{API}/entries/{entry_id}", headers=world.headers("viewer"))
    assert gone.status_code == 404
    assert gone.json() == {"detail": "Risk entry not found"}

    entry_events = _events(world, "risk_entry")
    assert [(e[0], e[1], e[2]) for e in entry_events] == [
        ("approver", "create", str(entry_id)),
        ("approver", "update", str(entry_id)),
        ("approver2", "delete", str(entry_id)),
    ]
    create, change, delete_event = entry_events
    assert create[3] is None and create[4]["title"] == "Covenant breach"
    assert (change[3]["severity"], change[4]["severity"]) == ("high", "critical")
    assert delete_event[3]["severity"] == "critical" and delete_event[4] is None
    change_events = _events(world, "risk_change")
    assert [(e[0], e[1]) for e in change_events] == [
        ("analyst", "propose"),
        ("approver", "approve"),
        ("analyst", "propose"),
        ("approver", "approve"),
        ("approver", "propose"),
        ("approver2", "approve"),
    ]
    approve_event = change_events[1]
    assert approve_event[3]["status"] == "pending" and approve_event[4]["status"] == "approved"
    assert approve_event[4]["entry_id"] == entry_id


def test_no_endpoint_writes_entries_directly(client, world):
    paths = client.get("/openapi.json").json()["paths"]
    register = {p: set(m) for p, m in paths.items() if p.startswith(f"{API}/")}
    assert register == {
        f"{API}/entries": {"get"},
        f"{API}/entries/{{entry_id}}": {"get"},
        f"{API}/changes": {"get", "post"},
        f"{API}/changes/{{change_id}}": {"get"},
        f"{API}/changes/{{change_id}}/approve": {"post"},
        f"{API}/changes/{{change_id}}/reject": {"post"},
    }
    entry_id = _entry(client, world)
    for method in ("post", "put", "patch", "delete"):
        answer = client.request(
            method, f"{API}/entries/{entry_id}", json=NEW, headers=world.headers("admin")
        )
        assert answer.status_code == 405
    assert (
        client.post(f"{API}/entries", json=NEW, headers=world.headers("admin")).status_code == 405
    )


def test_proposer_cannot_approve_or_reject(client, world):
    change = _propose(client, world, "approver", action="create", firm_id=world.own_firm.id, **NEW)
    answer = _approve(client, world, change["id"], role="approver")
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "You cannot approve your own proposal; another approver must."
    }
    rejected = client.post(
        f"{API}/changes/{change['id']}/reject",
        json={"comment": "no"},
        headers=world.headers("approver"),
    )
    assert rejected.status_code == 403
    assert rejected.json() == {
        "detail": "You cannot reject your own proposal; another approver must."
    }
    pending = client.get(
        f"{API}/changes", params={"status": "pending"}, headers=world.headers("viewer")
    )
    assert [c["id"] for c in pending.json()] == [change["id"]]


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_only_approvers_decide(client, world, role):
    change = _propose(client, world, action="create", firm_id=world.own_firm.id, **NEW)
    expected = {"detail": f"The {role} role may not do this (it needs 'approve')."}
    answer = _approve(client, world, change["id"], role=role)
    assert answer.status_code == 403
    assert answer.json() == expected
    rejected = client.post(
        f"{API}/changes/{change['id']}/reject", json={"comment": "no"}, headers=world.headers(role)
    )
    assert rejected.status_code == 403
    assert rejected.json() == expected


def test_viewer_cannot_propose(client, world):
    answer = client.post(
        f"{API}/changes",
        json={"action": "create", "firm_id": world.own_firm.id, **NEW},
        headers=world.headers("viewer"),
    )
    assert answer.status_code == 403
    assert answer.json() == {"detail": "The viewer role may not do this (it needs 'propose')."}


def test_second_decision_is_refused(client, world):
    change = _propose(client, world, action="create", firm_id=world.own_firm.id, **NEW)
    assert _approve(client, world, change["id"]).status_code == 200
    world.add_user("approver2", "approver")
    again = _approve(client, world, change["id"], role="approver2")
    assert again.status_code == 409
    assert again.json() == {"detail": "This change was already approved."}
    other = _propose(client, world, action="create", firm_id=world.own_firm.id, **NEW)
    rejected = client.post(
        f"{API}/changes/{other['id']}/reject",
        json={"comment": "duplicate"},
        headers=world.headers("approver"),
    )
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["comment"]) == ("rejected", "duplicate")
    late = _approve(client, world, other["id"], role="approver2")
    assert late.status_code == 409
    assert late.json() == {"detail": "This change was already rejected."}
    with world.db.session() as session:
        assert session.query(RiskEntry).count() == 1
    rejection = _events(world, "risk_change")[-1]
    assert rejection[:3] == ("approver", "reject", str(other["id"]))
    assert (rejection[3]["status"], rejection[4]["status"]) == ("pending", "rejected")


@pytest.mark.parametrize("second", ["update", "delete"])
def test_stale_proposal_is_refused(client, world, second):
    entry_id = _entry(client, world)
    first = _propose(client, world, action="update", entry_id=entry_id, title="Covenant waived")
    body = {"severity": "low"} if second == "update" else {}
    late = _propose(client, world, action=second, entry_id=entry_id, **body)
    assert _approve(client, world, first["id"]).status_code == 200
    answer = _approve(client, world, late["id"])
    assert answer.status_code == 409
    assert answer.json() == {"detail": "The entry changed since this proposal; propose again."}
    entry = client.get(f"{API}/entries/{entry_id}", headers=world.headers("viewer")).json()
    assert (entry["title"], entry["severity"]) == ("Covenant waived", "high")
    # nothing of the refused approval was kept: the proposal waits, to be rejected
    assert (
        client.get(f"{API}/changes/{late['id']}", headers=world.headers("viewer")).json()["status"]
        == "pending"
    )


def test_proposal_on_a_deleted_entry_is_stale(client, world):
    entry_id = _entry(client, world)
    update = _propose(client, world, action="update", entry_id=entry_id, severity="low")
    delete = _propose(client, world, action="delete", entry_id=entry_id)
    assert _approve(client, world, delete["id"]).status_code == 200
    answer = _approve(client, world, update["id"])
    assert answer.status_code == 409
    assert answer.json() == {"detail": "The entry changed since this proposal; propose again."}
    assert (
        client.get(f"{API}/changes/{update['id']}", headers=world.headers("viewer")).json()[
            "entry_id"
        ]
        is None
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"action": "create", **NEW}, "A create proposal needs the firm_id of the new entry."),
        ({"action": "create", "firm_id": "own", "title": "x"}, "A create proposal needs severity."),
        ({"action": "create", "firm_id": "own"}, "A create proposal needs title and severity."),
        (
            {"action": "create", "firm_id": "own", **NEW, "title": "  "},
            "The title cannot be empty.",
        ),
        (
            {"action": "update", "severity": "low"},
            "An update proposal needs the entry_id of the entry.",
        ),
        ({"action": "delete"}, "A delete proposal needs the entry_id of the entry."),
        (
            {
                "action": "update",
                "entry_id": "entry",
                "severity": "high",
                "title": "Covenant breach",
            },
            "This update changes nothing; give at least one of title, description, severity or "
            "owner with a new value.",
        ),
        (
            {"action": "update", "entry_id": "entry"},
            "This update changes nothing; give at least one of title, description, severity or "
            "owner with a new value.",
        ),
    ],
)
def test_proposal_validation(client, world, body, detail):
    entry_id = _entry(client, world)
    body = dict(body)
    if body.get("firm_id") == "own":
        body["firm_id"] = world.own_firm.id
    if body.get("entry_id") == "entry":
        body["entry_id"] = entry_id
    answer = client.post(f"{API}/changes", json=body, headers=world.headers("analyst"))
    assert answer.status_code == 422
    assert answer.json() == {"detail": detail}


def test_bad_severity_and_missing_comment_are_422(client, world):
    bad = client.post(
        f"{API}/changes",
        json={"action": "create", "firm_id": world.own_firm.id, **NEW, "severity": "huge"},
        headers=world.headers("analyst"),
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "severity"]
    change = _propose(client, world, action="create", firm_id=world.own_firm.id, **NEW)
    path = f"{API}/changes/{change['id']}/reject"
    assert client.post(path, json={}, headers=world.headers("approver")).status_code == 422
    blank = client.post(path, json={"comment": "   "}, headers=world.headers("approver"))
    assert blank.status_code == 422
    assert blank.json() == {"detail": "A rejection needs a comment saying why."}


def test_foreign_firm_entries_and_changes_look_missing(client, world):
    # a foreign entry and proposal, made by someone who sees the foreign portfolio
    outsider = world.add_user("outsider", "analyst", grant=False)
    world.add_user("outsider_approver", "approver", grant=False)
    with world.db.session() as session:
        from finwarn.service._tables import Grant

        for name in ("outsider", "outsider_approver"):
            session.add(Grant(user_id=world.users[name].id, portfolio_id=world.foreign.id))
    foreign = _propose(
        client, world, "outsider", action="create", firm_id=world.foreign_firm.id, **NEW
    )
    assert _approve(client, world, foreign["id"], role="outsider_approver").status_code == 200
    foreign_entry = client.get(
        f"{API}/changes/{foreign['id']}", headers=world.headers("outsider")
    ).json()["entry_id"]
    pending = _propose(
        client, world, "outsider", action="update", entry_id=foreign_entry, severity="low"
    )
    assert outsider.id

    analyst, approver = world.headers("analyst"), world.headers("approver")
    for firm_id in (world.foreign_firm.id, 99999):
        answer = client.post(
            f"{API}/changes", json={"action": "create", "firm_id": firm_id, **NEW}, headers=analyst
        )
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Firm not found"}
    for entry_id in (foreign_entry, 99999):
        for body in ({"action": "update", "severity": "low"}, {"action": "delete"}):
            answer = client.post(
                f"{API}/changes", json={**body, "entry_id": entry_id}, headers=analyst
            )
            assert answer.status_code == 404
            assert answer.json() == {"detail": "Risk entry not found"}
        answer = client.get(f"{API}/entries/{entry_id}", headers=analyst)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Risk entry not found"}
    for change_id in (pending["id"], 99999):
        for answer in (
            client.get(f"{API}/changes/{change_id}", headers=analyst),
            client.post(f"{API}/changes/{change_id}/approve", headers=approver),
            client.post(
                f"{API}/changes/{change_id}/reject", json={"comment": "x"}, headers=approver
            ),
        ):
            assert answer.status_code == 404
            assert answer.json() == {"detail": "Risk change not found"}
    assert client.get(f"{API}/entries", headers=analyst).json() == []
    assert client.get(f"{API}/changes", headers=analyst).json() == []
    filtered = client.get(
        f"{API}/changes", params={"firm_id": world.foreign_firm.id}, headers=analyst
    )
    assert filtered.json() == []


def test_lists_filter_and_paginate(client, world):
    first = _entry(client, world, title="First", severity="low")
    second = _entry(client, world, title="Second")
    viewer = world.headers("viewer")
    entries = client.get(f"{API}/entries", headers=viewer).json()
    assert [e["id"] for e in entries] == [second, first]
    low = client.get(f"{API}/entries", params={"severity": "low"}, headers=viewer).json()
    assert [e["id"] for e in low] == [first]
    page = client.get(f"{API}/entries", params={"limit": 1, "offset": 1}, headers=viewer).json()
    assert [e["id"] for e in page] == [first]
    pending = _propose(client, world, action="delete", entry_id=first)
    listed = client.get(f"{API}/changes", params={"status": "pending"}, headers=viewer).json()
    assert [c["id"] for c in listed] == [pending["id"]]
    approved = client.get(f"{API}/changes", params={"status": "approved"}, headers=viewer).json()
    assert len(approved) == 2
    by_entry = client.get(f"{API}/changes", params={"entry_id": first}, headers=viewer).json()
    assert [c["action"] for c in by_entry] == ["delete", "create"]


# ------------------------------------------------------------------ concurrency, both databases


@pytest.fixture
def db_world(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url)
    app = create_app(settings)
    with TestClient(app) as client:
        world = seed_world(app.state.db, settings)
        world.add_user("approver2", "approver")
        yield client, world


def _race(world, monkeypatch, change_ids):
    """Two approvers approve at once; both pass the checks before either claims."""
    barrier = threading.Barrier(2, timeout=30)
    claim = _register._claim

    def claim_together(*args, **kwargs):
        barrier.wait()
        return claim(*args, **kwargs)

    monkeypatch.setattr(_register, "_claim", claim_together)
    results: dict[str, str] = {}

    def run(name: str, change_id: int) -> None:
        with world.db.sessions() as session:
            user = session.get(User, world.users[name].id)
            try:
                _register.approve(session, change_id, user, "")
                results[name] = "approved"
            except (AlreadyDecidedError, StaleProposalError) as error:
                results[name] = str(error)

    threads = [
        threading.Thread(target=run, args=(name, change_id))
        for name, change_id in zip(("approver", "approver2"), change_ids, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results.values())


def test_concurrent_double_approval_applies_once(db_world, monkeypatch):
    client, world = db_world
    change = _propose(client, world, action="create", firm_id=world.own_firm.id, **NEW)
    results = _race(world, monkeypatch, [change["id"], change["id"]])
    assert results == ["This change was already approved.", "approved"]
    with world.db.session() as session:
        assert session.query(RiskEntry).count() == 1
        assert session.query(RiskChange).one().status == "approved"
        actions = [
            (e.entity, e.action)
            for e in session.query(AuditEvent).filter(
                AuditEvent.entity.in_(["risk_entry", "risk_change"])
            )
        ]
    assert sorted(actions) == [
        ("risk_change", "approve"),
        ("risk_change", "propose"),
        ("risk_entry", "create"),
    ]


def test_concurrent_approvals_of_two_updates_apply_one(db_world, monkeypatch):
    client, world = db_world
    entry_id = _entry(client, world)
    one = _propose(client, world, action="update", entry_id=entry_id, severity="low")
    two = _propose(client, world, action="update", entry_id=entry_id, severity="critical")
    results = _race(world, monkeypatch, [one["id"], two["id"]])
    assert results == ["The entry changed since this proposal; propose again.", "approved"]
    with world.db.session() as session:
        entry = session.get(RiskEntry, entry_id)
        statuses = sorted(c.status for c in session.query(RiskChange).filter_by(action="update"))
        updates = session.query(AuditEvent).filter_by(entity="risk_entry", action="update").count()
    assert entry.severity in ("low", "critical")
    assert statuses == ["approved", "pending"]
    assert updates == 1


def test_unsynchronised_double_approvals_apply_once(db_world):
    client, world = db_world
    changes = [
        _propose(client, world, action="create", firm_id=world.own_firm.id, **NEW)["id"]
        for _ in range(4)
    ]
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(name: str, change_id: int, start: threading.Event) -> None:
        start.wait()
        with world.db.sessions() as session:
            user = session.get(User, world.users[name].id)
            try:
                _register.approve(session, change_id, user)
                outcome = "approved"
            except AlreadyDecidedError as error:
                outcome = str(error)
        with lock:
            outcomes.append(outcome)

    for change_id in changes:
        start = threading.Event()
        threads = [
            threading.Thread(target=run, args=(name, change_id, start))
            for name in ("approver", "approver2")
        ]
        for thread in threads:
            thread.start()
        start.set()
        for thread in threads:
            thread.join(timeout=60)
    assert outcomes.count("approved") == len(changes)
    assert outcomes.count("This change was already approved.") == len(changes)
    with world.db.session() as session:
        assert session.query(RiskEntry).count() == len(changes)
        created = session.query(AuditEvent).filter_by(entity="risk_entry", action="create")
        assert created.count() == len(changes)
