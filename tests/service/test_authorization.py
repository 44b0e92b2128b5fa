"""The authorization matrix: every API operation x every role (and no credentials) x
(own firm / foreign firm / missing firm), each cell asserted.

The table :data:`OPERATIONS` is the specification: for each operation, the permission it
needs (:data:`finwarn.service._security.PERMISSIONS` says which roles hold it), whether it
is scoped by portfolio, and how to build a request against the own portfolio's objects,
the foreign portfolio's objects (granted to nobody) and objects that do not exist. The
cells assert:

- no credentials: 401 ``Not authenticated``;
- a role without the permission: 403 with the exact sentence, and nothing written;
- a permitted role on its own portfolio's objects: the operation's success status;
- a permitted role on the foreign portfolio's objects: exactly the answer (status and
  body) for objects that do not exist, and nothing written.

:func:`test_every_operation_is_in_the_matrix` fails when the API gains an operation that
the table does not cover.
"""

from __future__ import annotations

import io
import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from finwarn.data import validate_frame
from finwarn.service import create_app
from finwarn.service._frames import ingest
from finwarn.service._scoring import activate, batch_score, model_cache
from finwarn.service._security import PERMISSIONS, keyed_digest, new_api_key, new_token
from finwarn.service._tables import (
    ROLES,
    Alert,
    AlertRule,
    ApiKey,
    AuditEvent,
    Firm,
    Grant,
    ModelRecord,
    Portfolio,
    ReportRecord,
    RiskChange,
    RiskEntry,
    SessionToken,
    Upload,
    User,
)
from tests.service._data_plane import panel, train_model
from tests.service.conftest import TestClient, World, make_settings, seed_world

pytestmark = pytest.mark.slow

API = "/api/v1"
MISSING = 999_999


@dataclass
class Ctx:
    """The module's app, its seeded world and the ids of its own and foreign objects."""

    client: TestClient
    world: World
    ids: dict[str, dict[str, int]] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)
    record: dict[str, Any] = field(default_factory=dict)

    def id(self, kind: str, target: str) -> int:
        return MISSING if target == "missing" else self.ids[kind][target]

    def portfolio(self, target: str) -> int:
        return self.id("portfolio", target)

    def unique(self, stem: str) -> str:
        return f"{stem}{next(self.counter)}"

    def add(self, obj: Any) -> int:
        with self.world.db.session() as session:
            session.add(obj)
            session.flush()
            return obj.id

    def firm(self, target: str) -> int:
        return self.id("firm", target)

    def fresh_change(self, target: str) -> int:
        """A new pending proposal (by the ``proposer`` user) on the target firm."""
        if target == "missing":
            return MISSING
        return self.add(
            RiskChange(
                action="create",
                firm_id=self.ids["firm"][target],
                payload={
                    "fields": {"title": "Covenant breach", "severity": "high"},
                    "entry": None,
                    "base_updated_at": None,
                },
                proposed_by=self.world.users["proposer"].id,
            )
        )

    def fresh_alert(self, target: str) -> int:
        if target == "missing":
            return MISSING
        return self.add(
            Alert(
                firm_id=self.ids["firm"][target],
                period=2020,
                level="moderate",
                message="test alert",
            )
        )

    def fresh_rule(self, target: str) -> int:
        if target == "missing":
            return MISSING
        return self.add(
            AlertRule(
                name=self.unique("rule"),
                kind="level",
                portfolio_id=self.ids["portfolio"][target],
                params={"at_least": "heavy"},
                created_by=self.world.users["admin"].id,
            )
        )

    def fresh_user(self) -> int:
        return self.add(User(username=self.unique("user"), password_hash="x", role="viewer"))

    def fresh_grant(self, target: str) -> tuple[int, int]:
        """A user granted the target portfolio; (portfolio id, user id)."""
        user_id = self.fresh_user()
        if target == "missing":
            return MISSING, user_id
        portfolio_id = self.ids["portfolio"][target]
        self.add(Grant(user_id=user_id, portfolio_id=portfolio_id))
        return portfolio_id, user_id

    def fresh_key(self) -> int:
        _, prefix = new_api_key()
        return self.add(
            ApiKey(prefix=prefix, digest="0" * 64, name="k", user_id=self.ids["user"]["own"])
        )

    def fresh_token(self, role: str) -> str:
        token = new_token()
        self.add(
            SessionToken(
                digest=keyed_digest(self.world.settings.secret, token),
                user_id=self.world.users[role].id,
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
        return token


@dataclass(frozen=True)
class Request:
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Operation:
    """One API operation of the matrix.

    ``permission`` None means any signed-in user; ``scoped`` operations are called on
    own, foreign and missing objects, the others once. ``build(ctx, target, role)``
    returns the request (creating fresh objects where the call consumes one).
    """

    method: str
    path: str
    permission: str | None
    success: int
    build: Callable[[Ctx, str, str], Request]
    scoped: bool = True


def _op(method, path, permission, success, build, *, scoped=True) -> Operation:
    return Operation(method, path, permission, success, build, scoped)


def _csv() -> bytes:
    return panel(8, 2, corrupt=False).to_csv(index=False).encode()


OPERATIONS = [
    # --- auth
    _op("POST", "/auth/logout", None, 204,
        lambda c, t, r: Request("/auth/logout",
                                headers={"Authorization": f"Bearer {c.fresh_token(r)}"}),
        scoped=False),
    _op("GET", "/auth/me", None, 200, lambda c, t, r: Request("/auth/me"), scoped=False),
    # --- users and API keys (admins)
    _op("GET", "/users", "users", 200, lambda c, t, r: Request("/users"), scoped=False),
    _op("POST", "/users", "users", 201,
        lambda c, t, r: Request("/users", json={"username": c.unique("u"),
                                                "password": "x" * 12, "role": "viewer"}),
        scoped=False),
    _op("PATCH", "/users/{user_id}", "users", 200,
        lambda c, t, r: Request(f"/users/{c.fresh_user()}", json={"role": "analyst"}),
        scoped=False),
    _op("GET", "/users/{user_id}/api-keys", "users", 200,
        lambda c, t, r: Request(f"/users/{c.ids['user']['own']}/api-keys"), scoped=False),
    _op("POST", "/users/{user_id}/api-keys", "users", 201,
        lambda c, t, r: Request(f"/users/{c.ids['user']['own']}/api-keys", json={"name": "k"}),
        scoped=False),
    _op("DELETE", "/users/api-keys/{key_id}", "users", 204,
        lambda c, t, r: Request(f"/users/api-keys/{c.fresh_key()}"), scoped=False),
    # --- portfolios
    _op("GET", "/portfolios", None, 200, lambda c, t, r: Request("/portfolios"), scoped=False),
    _op("POST", "/portfolios", "users", 201,
        lambda c, t, r: Request("/portfolios", json={"name": c.unique("p")}), scoped=False),
    _op("PUT", "/portfolios/{portfolio_id}/grants/{user_id}", "users", 204,
        lambda c, t, r: Request(f"/portfolios/{c.portfolio(t)}/grants/{c.fresh_user()}")),
    _op("DELETE", "/portfolios/{portfolio_id}/grants/{user_id}", "users", 204,
        lambda c, t, r: Request("/portfolios/{}/grants/{}".format(*c.fresh_grant(t)))),
    # --- alert rules
    _op("GET", "/rules", "read", 200,
        lambda c, t, r: Request("/rules", params={"portfolio_id": c.portfolio(t)})),
    _op("POST", "/rules", "rules", 201,
        lambda c, t, r: Request("/rules", json={
            "name": c.unique("r"), "kind": "level", "portfolio_id": c.portfolio(t),
            "params": {"at_least": "moderate"}})),
    _op("GET", "/rules/{rule_id}", "read", 200,
        lambda c, t, r: Request(f"/rules/{c.id('rule', t)}")),
    _op("PATCH", "/rules/{rule_id}", "rules", 200,
        lambda c, t, r: Request(f"/rules/{c.id('rule', t)}", json={"active": True})),
    _op("DELETE", "/rules/{rule_id}", "rules", 204,
        lambda c, t, r: Request(f"/rules/{c.fresh_rule(t)}")),
    # --- alerts
    _op("GET", "/alerts", "read", 200,
        lambda c, t, r: Request("/alerts", params={"firm_id": c.firm(t)})),
    _op("GET", "/alerts/summary", "read", 200,
        lambda c, t, r: Request("/alerts/summary", params={"portfolio_id": c.portfolio(t)})),
    _op("GET", "/alerts/{alert_id}", "read", 200,
        lambda c, t, r: Request(f"/alerts/{c.id('alert', t)}")),
    _op("POST", "/alerts/{alert_id}/acknowledge", "alerts", 200,
        lambda c, t, r: Request(f"/alerts/{c.fresh_alert(t)}/acknowledge")),
    _op("POST", "/alerts/{alert_id}/close", "alerts", 200,
        lambda c, t, r: Request(f"/alerts/{c.fresh_alert(t)}/close")),
    # --- risk register
    _op("GET", "/register/entries", "read", 200,
        lambda c, t, r: Request("/register/entries", params={"firm_id": c.firm(t)})),
    _op("GET", "/register/entries/{entry_id}", "read", 200,
        lambda c, t, r: Request(f"/register/entries/{c.id('entry', t)}")),
    _op("GET", "/register/changes", "read", 200,
        lambda c, t, r: Request("/register/changes", params={"firm_id": c.firm(t)})),
    _op("POST", "/register/changes", "propose", 201,
        lambda c, t, r: Request("/register/changes", json={
            "action": "create", "firm_id": c.firm(t), "title": "Going concern doubt",
            "severity": "high"})),
    _op("GET", "/register/changes/{change_id}", "read", 200,
        lambda c, t, r: Request(f"/register/changes/{c.id('change', t)}")),
    _op("POST", "/register/changes/{change_id}/approve", "approve", 200,
        lambda c, t, r: Request(f"/register/changes/{c.fresh_change(t)}/approve", json={})),
    _op("POST", "/register/changes/{change_id}/reject", "approve", 200,
        lambda c, t, r: Request(f"/register/changes/{c.fresh_change(t)}/reject",
                                json={"comment": "not a risk"})),
    # --- audit log (admins)
    _op("GET", "/audit", "audit", 200, lambda c, t, r: Request("/audit"), scoped=False),
    # --- uploads
    _op("POST", "/uploads", "upload", 201,
        lambda c, t, r: Request("/uploads", data={"portfolio_id": str(c.portfolio(t))},
                                files={"file": ("panel.csv", io.BytesIO(_csv()), "text/csv")})),
    _op("GET", "/uploads", "read", 200,
        lambda c, t, r: Request("/uploads", params={"portfolio_id": c.portfolio(t)})),
    _op("GET", "/uploads/{upload_id}", "read", 200,
        lambda c, t, r: Request(f"/uploads/{c.id('upload', t)}")),
    # --- firms
    _op("GET", "/firms", "read", 200,
        lambda c, t, r: Request("/firms", params={"portfolio_id": c.portfolio(t)})),
    _op("GET", "/firms/{firm_id}", "read", 200,
        lambda c, t, r: Request(f"/firms/{c.firm(t)}")),
    _op("GET", "/firms/{firm_id}/periods", "read", 200,
        lambda c, t, r: Request(f"/firms/{c.firm(t)}/periods")),
    _op("GET", "/firms/{firm_id}/scores", "read", 200,
        lambda c, t, r: Request(f"/firms/{c.firm(t)}/scores")),
    # --- models (not scoped: a model is not a firm's; training data is checked below)
    _op("GET", "/models", "read", 200, lambda c, t, r: Request("/models"), scoped=False),
    _op("POST", "/models", "train", 202,
        lambda c, t, r: Request("/models", json={"name": "logit",
                                                 "portfolio_ids": [c.portfolio(t)]})),
    _op("GET", "/models/{model_id}", "read", 200,
        lambda c, t, r: Request(f"/models/{c.ids['model']['own']}"), scoped=False),
    _op("POST", "/models/{model_id}/activate", "models", 200,
        lambda c, t, r: Request(f"/models/{c.ids['model']['own']}/activate"), scoped=False),
    # --- scores
    _op("POST", "/scores/batch", "score", 200,
        lambda c, t, r: Request("/scores/batch", json={"portfolio_id": c.portfolio(t)})),
    _op("POST", "/scores/single", "score", 200,
        lambda c, t, r: Request("/scores/single", json={"values": c.record,
                                                        "reasons": False}),
        scoped=False),
    _op("GET", "/scores", "read", 200,
        lambda c, t, r: Request("/scores", params={"firm_id": c.firm(t)})),
    # --- reports
    _op("POST", "/reports", "report", 202,
        lambda c, t, r: Request("/reports", json={"portfolio_id": c.portfolio(t),
                                                  "pdf": False, "clusters": False})),
    _op("GET", "/reports", "read", 200,
        lambda c, t, r: Request("/reports", params={"portfolio_id": c.portfolio(t)})),
    _op("GET", "/reports/{report_id}", "read", 200,
        lambda c, t, r: Request(f"/reports/{c.id('report', t)}")),
    _op("GET", "/reports/{report_id}/download", "read", 200,
        lambda c, t, r: Request(f"/reports/{c.id('report', t)}/download")),
]  # fmt: skip

#: Operations anyone may call without credentials.
PUBLIC = {("POST", "/auth/login"), ("GET", "/healthz")}


def _seed(world: World, tmp: Path) -> dict[str, dict[str, int]]:
    """Data in both portfolios, a trained active model, scores, and one of each object."""
    assert world.own is not None and world.foreign is not None
    admin = world.users["admin"]
    ids: dict[str, dict[str, int]] = {"portfolio": {}, "firm": {}, "upload": {}}
    for target, portfolio in (("own", world.own), ("foreign", world.foreign)):
        frame = panel(40, 3, corrupt=False)
        frame["entity"] = frame["entity"].astype(str) + f"-{target}"
        loaded = validate_frame(frame, source=f"{target}.csv")
        with world.db.session() as session:
            upload, _ = ingest(
                session,
                portfolio=session.get(Portfolio, portfolio.id),
                user_id=admin.id,
                loaded=loaded,
                filename=f"{target}.csv",
            )
            ids["upload"][target] = upload.id
        ids["portfolio"][target] = portfolio.id
    world.add_user("proposer", "analyst")
    model_id = train_model(world, name="logit", portfolio_ids=[world.own.id])
    with world.db.session() as session:
        model = session.get(ModelRecord, model_id)
        assert model is not None and model.status == "done", model and model.message
        activate(session, session.get(User, admin.id), model)
    return ids | {"model": {"own": model_id}}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> Iterator[Ctx]:
    tmp = tmp_path_factory.mktemp("matrix")
    settings = make_settings(tmp, f"sqlite:///{tmp / 'finwarn.db'}", login_attempts=10_000)
    with TestClient(create_app(settings)) as client:
        world = seed_world(client.app.state.db, settings)
        ids = _seed(world, tmp)
        context = Ctx(client=client, world=world, ids=ids)
        with world.db.session() as session:
            cache = model_cache(client.app.state)
            batch_score(session, cache, [ids["portfolio"]["own"], ids["portfolio"]["foreign"]])
        for target in ("own", "foreign"):
            with world.db.session() as session:
                firm = session.scalars(
                    select(Firm)
                    .where(Firm.portfolio_id == ids["portfolio"][target], Firm.code.like("%-%"))
                    .order_by(Firm.id)
                ).first()
            assert firm is not None
            context.ids.setdefault("firm", {})[target] = firm.id
            context.ids.setdefault("rule", {})[target] = context.fresh_rule(target)
            context.ids.setdefault("alert", {})[target] = context.fresh_alert(target)
            context.ids.setdefault("change", {})[target] = context.fresh_change(target)
            context.ids.setdefault("entry", {})[target] = context.add(
                RiskEntry(firm_id=firm.id, title="Liquidity", severity="medium")
            )
            folder = tmp / "data" / "reports" / target
            folder.mkdir(parents=True)
            (folder / "index.html").write_text("<html></html>")
            shutil.make_archive(str(folder), "zip", folder)
            context.ids.setdefault("report", {})[target] = context.add(
                ReportRecord(
                    portfolio_id=ids["portfolio"][target],
                    model_id=ids["model"]["own"],
                    status="done",
                    path=str(folder),
                    created_by=world.users["admin"].id,
                )
            )
        context.ids["user"] = {"own": world.users["viewer"].id}
        periods = client.get(
            f"{API}/firms/{context.ids['firm']['own']}/periods", headers=world.headers("admin")
        )
        context.record = periods.json()[-1]["values"]
        yield context
        client.app.state.jobs.shutdown(wait=True, cancel_futures=True)


def _empty(body: Any) -> bool:
    if isinstance(body, dict) and "items" in body:
        return not body["items"]
    return not body if isinstance(body, list) else True


def _audit_count(ctx: Ctx) -> int:
    with ctx.world.db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _send(
    ctx: Ctx,
    operation: Operation,
    request: Request,
    headers: dict[str, str],
    *,
    anonymous: bool = False,
):
    if not anonymous:
        headers = {**headers, **(request.headers or {})}
    answer = ctx.client.request(
        operation.method,
        API + request.path,
        params=request.params,
        json=request.json,
        data=request.data,
        files=request.files,
        headers=headers,
    )
    # the background worker runs one job at a time: waiting for a no-op drains it, so a
    # training or report started by this cell writes its audit events before the next
    ctx.client.app.state.jobs.submit(lambda: None).result(timeout=300)
    return answer


CELLS = [
    pytest.param(op, role, target, id=f"{op.method} {op.path} {role} {target}")
    for op in OPERATIONS
    for role in ROLES
    for target in (("own", "foreign") if op.scoped else ("any",))
]


@pytest.mark.parametrize(("operation", "role", "target"), CELLS)
def test_matrix(ctx: Ctx, operation: Operation, role: str, target: str) -> None:
    allowed = operation.permission is None or operation.permission in PERMISSIONS[role]
    headers = ctx.world.headers(role)
    before = _audit_count(ctx)
    answer = _send(ctx, operation, operation.build(ctx, target, role), headers)
    if not allowed:
        assert answer.status_code == 403, answer.text
        assert answer.json() == {
            "detail": f"The {role} role may not do this (it needs '{operation.permission}')."
        }
        assert _audit_count(ctx) == before, "a refused request wrote to the audit log"
        return
    if target == "foreign":
        missing = _send(ctx, operation, operation.build(ctx, "missing", role), headers)
        assert (answer.status_code, answer.json()) == (missing.status_code, missing.json()), (
            "a foreign firm's object answered differently from a missing one"
        )
        assert answer.status_code in (200, 404), answer.text
        if answer.status_code == 200:  # a filter on a foreign firm finds nothing
            assert _empty(answer.json()), answer.text
        assert _audit_count(ctx) == before, "a request on a foreign object wrote to the log"
        return
    assert answer.status_code == operation.success, answer.text


@pytest.mark.parametrize(
    "operation", [pytest.param(op, id=f"{op.method} {op.path}") for op in OPERATIONS]
)
def test_matrix_without_credentials(ctx: Ctx, operation: Operation) -> None:
    target = "own" if operation.scoped else "any"
    answer = _send(ctx, operation, operation.build(ctx, target, "admin"), {}, anonymous=True)
    assert answer.status_code == 401, answer.text
    assert answer.json() == {"detail": "Not authenticated"}


def test_every_operation_is_in_the_matrix(ctx: Ctx) -> None:
    schema = ctx.client.app.openapi()
    served = {
        (method.upper(), path.removeprefix(API))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    covered = {(op.method, op.path) for op in OPERATIONS} | {
        (m, p.removeprefix(API)) for m, p in PUBLIC
    }
    assert served - covered == set(), "operations missing from the authorization matrix"
    assert covered - served == set(), "the matrix names operations the API does not have"


def test_uploads_do_not_land_in_foreign_portfolios(ctx: Ctx) -> None:
    """The foreign portfolio's firms and uploads are untouched by all the cells."""
    with ctx.world.db.session() as session:
        foreign = ctx.ids["portfolio"]["foreign"]
        uploads = session.scalar(
            select(func.count()).select_from(Upload).where(Upload.portfolio_id == foreign)
        )
    assert uploads == 1
