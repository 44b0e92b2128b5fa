"""The dashboard's pages, in process: login, CSRF, roles, scope, the register's approvals."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from finwarn.service._deps import SESSION_COOKIE
from finwarn.service._security import csrf_token
from finwarn.service._tables import (
    AuditEvent,
    Portfolio,
    RiskChange,
    RiskEntry,
    SessionToken,
)
from finwarn.service.dashboard import CSRF_FAILED, LOGIN_CSRF_COOKIE, SECURITY_HEADERS
from tests.service._dashboard_data import (
    ENTRY_TITLE,
    FOREIGN_CODE,
    PROPOSED_TITLE,
    Seeded,
    seed_dashboard,
)
from tests.service.conftest import PASSWORD, TestClient, World, make_settings

ROLES = ("viewer", "analyst", "approver", "admin")
PAGES = ("/", "/firms/{firm}", "/rules", "/register", "/audit")


@pytest.fixture
def seeded(world: World) -> Seeded:
    return seed_dashboard(world)


def as_user(client: TestClient, world: World, name: str) -> str:
    """Use the session of the world's user ``name``; returns its CSRF token."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, world.tokens[name])
    return csrf_token(world.settings.secret, world.tokens[name])


def text_of(html: str) -> str:
    """The visible text of a page, whitespace collapsed (for exact message checks)."""
    body = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def message_of(html: str) -> str:
    """The error message of an error page, or the flash/error message of a page."""
    found = re.search(r'class="(?:error-message|flash [^"]*)"[^>]*>(.*?)</', html, re.S)
    assert found, "no message on the page"
    return unescape(found.group(1)).strip()


def login_form(client: TestClient) -> str:
    """GET /login: the form's CSRF token (its cookie is kept by the client)."""
    page = client.get("/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def path_of(page: str, seeded: Seeded) -> str:
    return page.format(firm=seeded.firms["OWN1"])


# --------------------------------------------------------------------------- logging in


@pytest.mark.parametrize("page", PAGES)
def test_pages_redirect_to_login_when_logged_out(client, seeded, page):
    path = path_of(page, seeded)
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    expected = "/login" if path == "/" else f"/login?next={path}"
    assert answer.headers["location"] == expected


def test_an_unknown_session_cookie_redirects_and_is_cleared(client, world):
    client.cookies.set(SESSION_COOKIE, "not-a-session")
    answer = client.get("/rules", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/rules"
    assert f'{SESSION_COOKIE}=""' in answer.headers["set-cookie"]


def test_login_sets_an_httponly_session_cookie_and_audits(client, world):
    token = login_form(client)
    assert LOGIN_CSRF_COOKIE in client.cookies
    answer = client.post(
        "/login",
        data={"csrf_token": token, "username": "viewer", "password": PASSWORD, "next": "/rules"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/rules"
    cookies = answer.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie
    assert "Path=/" in session_cookie
    assert "Secure" not in session_cookie
    page = client.get("/rules")
    assert page.status_code == 200
    assert "Alert rules" in page.text
    with world.db.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).all()
    assert [(e.username, e.entity) for e in events] == [("viewer", "user")]


def test_login_cookie_is_secure_when_settings_say_so(tmp_path, sqlite_url):
    from finwarn.service import create_app
    from tests.service.conftest import seed_world

    settings = make_settings(tmp_path, sqlite_url, secure_cookies=True)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        seed_world(client.app.state.db, settings)  # type: ignore[attr-defined]
        token = login_form(client)
        answer = client.post(
            "/login",
            data={"csrf_token": token, "username": "viewer", "password": PASSWORD},
            follow_redirects=False,
        )
    assert answer.status_code == 303
    session_cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")
    )
    assert "Secure" in session_cookie
    assert "HttpOnly" in session_cookie


def test_login_with_a_wrong_password_shows_the_form_again(client, world):
    token = login_form(client)
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "viewer", "password": "wrong"}
    )
    assert answer.status_code == 401
    assert message_of(answer.text) == "Incorrect username or password"
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    assert 'value="viewer"' in answer.text  # the user name is kept, the password not


def test_login_without_credentials_asks_for_them(client, world):
    token = login_form(client)
    answer = client.post("/login", data={"csrf_token": token, "username": "viewer"})
    assert answer.status_code == 400
    assert message_of(answer.text) == "Enter your user name and password."


def test_login_is_rate_limited(tmp_path, sqlite_url):
    from finwarn.service import create_app
    from tests.service.conftest import seed_world

    settings = make_settings(tmp_path, sqlite_url, login_attempts=2)
    with TestClient(create_app(settings)) as client:
        seed_world(client.app.state.db, settings)  # type: ignore[attr-defined]
        token = login_form(client)
        bad = {"csrf_token": token, "username": "viewer", "password": "wrong"}
        assert [client.post("/login", data=bad).status_code for _ in range(2)] == [401, 401]
        answer = client.post("/login", data={**bad, "password": PASSWORD})
    assert answer.status_code == 429
    assert re.fullmatch(
        r"Too many failed logins; try again in \d+ seconds\.", message_of(answer.text)
    )


@pytest.mark.parametrize(
    ("form_token", "cookie"),
    [(None, True), ("wrong", True), ("valid", False)],
    ids=["token-missing", "token-wrong", "cookie-missing"],
)
def test_login_refuses_a_missing_or_wrong_csrf_token(client, world, form_token, cookie):
    token = login_form(client)
    if not cookie:
        client.cookies.delete(LOGIN_CSRF_COOKIE)
    data = {"username": "viewer", "password": PASSWORD}
    if form_token is not None:
        data["csrf_token"] = token if form_token == "valid" else "0" * 64
    answer = client.post("/login", data=data, follow_redirects=False)
    assert answer.status_code == 403
    assert message_of(answer.text) == CSRF_FAILED
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "rules", "/\t/evil.example/", "/\\evil.example"],
)
def test_login_goes_to_local_paths_only(client, world, target):
    token = login_form(client)
    answer = client.post(
        "/login",
        data={"csrf_token": token, "username": "viewer", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_login_page_of_a_logged_in_user_goes_on(client, world):
    as_user(client, world, "viewer")
    answer = client.get("/login?next=/register", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/register"


def test_logout_ends_the_session(client, world):
    csrf = as_user(client, world, "analyst")
    answer = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in answer.headers["set-cookie"]
    page = client.get("/login")
    assert message_of(page.text) == "You are logged out."
    client.cookies.set(SESSION_COOKIE, world.tokens["analyst"])  # the old token is dead
    assert client.get("/", follow_redirects=False).status_code == 303
    with world.db.sessions() as session:
        tokens = session.scalars(
            select(SessionToken).where(SessionToken.user_id == world.users["analyst"].id)
        ).all()
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "logout")).all()
    assert tokens == []
    assert [e.username for e in events] == ["analyst"]


# --------------------------------------------------------------------------- CSRF


def _posts(seeded: Seeded) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/logout", {}),
        (f"/register/changes/{seeded.change_id}/approve", {"comment": "ok"}),
        (f"/register/changes/{seeded.change_id}/reject", {"comment": "no"}),
        ("/register/changes", {"action": "create", "firm_id": "1", "title": "t"}),
        ("/rules", {"name": "r", "kind": "level", "at_least": "heavy", "portfolio_id": "1"}),
    ]


@pytest.mark.parametrize("index", range(5), ids=["logout", "approve", "reject", "propose", "rule"])
@pytest.mark.parametrize("token", [None, "wrong", "other-session"])
def test_posts_refuse_a_missing_or_wrong_csrf_token(client, world, seeded, index, token):
    path, data = _posts(seeded)[index]
    role = "admin" if path == "/rules" else "approver"
    as_user(client, world, role)
    if token == "wrong":
        data = {**data, "csrf_token": "f" * 64}
    elif token == "other-session":  # a valid token, but of another user's session
        data = {**data, "csrf_token": csrf_token(world.settings.secret, world.tokens["viewer"])}
    answer = client.post(path, data=data, follow_redirects=False)
    assert answer.status_code == 403
    assert message_of(answer.text) == CSRF_FAILED
    with world.db.sessions() as session:
        change = session.get(RiskChange, seeded.change_id)
        assert change is not None and change.status == "pending"
        assert session.scalars(select(SessionToken)).all() != []


# --------------------------------------------------------------------------- roles


def _expected(role: str, page: str) -> int:
    return 403 if page == "/audit" and role != "admin" else 200


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_each_page_renders_for_the_roles_that_may_see_it(client, world, seeded, role, page):
    as_user(client, world, role)
    answer = client.get(path_of(page, seeded))
    assert answer.status_code == _expected(role, page)
    if answer.status_code == 403:
        assert message_of(answer.text) == f"The {role} role may not do this (it needs 'audit')."
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    assert answer.headers["cache-control"] == "no-store"
    assert "<script" not in answer.text


@pytest.mark.parametrize("role", ROLES)
def test_navigation_shows_what_the_role_may_see(client, world, role):
    as_user(client, world, role)
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", client.get("/").text, re.S)
    assert nav
    labels = re.findall(r">([^<]+)</a>", nav.group(1))
    expected = ["Alerts", "Alert rules", "Risk register"] + (
        ["Audit log"] if role == "admin" else []
    )
    assert labels == expected


def test_static_files_and_level_colours(client):
    css = client.get("/static/dashboard.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"
    levels = client.get("/levels.css")
    assert levels.status_code == 200
    assert ".level-heavy { background: #d73027; color: #ffffff; }" in levels.text


# --------------------------------------------------------------------------- scope


def test_a_firm_out_of_scope_answers_like_a_missing_one(client, world, seeded):
    as_user(client, world, "admin")
    foreign = client.get(f"/firms/{seeded.firms[FOREIGN_CODE]}")
    missing = client.get("/firms/999999")
    assert foreign.status_code == missing.status_code == 404
    assert message_of(foreign.text) == message_of(missing.text) == "Firm not found"
    assert foreign.text == missing.text
    assert FOREIGN_CODE not in foreign.text


def test_a_malformed_firm_id_is_a_missing_page(client, world):
    as_user(client, world, "viewer")
    answer = client.get("/firms/not-a-number")
    assert answer.status_code == 404
    assert message_of(answer.text) == "Page not found"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["/", "/rules", "/register"])
def test_no_page_shows_a_foreign_firm(client, world, seeded, role, page):
    as_user(client, world, role)
    answer = client.get(page)
    assert answer.status_code == 200
    assert FOREIGN_CODE not in answer.text
    assert f'/firms/{seeded.firms[FOREIGN_CODE]}"' not in answer.text


def test_a_portfolio_not_granted_answers_like_a_missing_one(client, world, seeded):
    as_user(client, world, "admin")
    assert world.foreign is not None
    for portfolio in (world.foreign.id, 999999):
        answer = client.get(f"/?portfolio={portfolio}")
        assert answer.status_code == 404
        assert message_of(answer.text) == "Portfolio not found"


# --------------------------------------------------------------------------- alert view


def test_alert_view_summarises_the_own_portfolio(client, world, seeded):
    as_user(client, world, "viewer")
    page = client.get("/")
    text = text_of(page.text)
    assert page.status_code == 200
    # latest period 2023: OWN1 heavy, OWN2 none, OWN3 moderate
    assert re.search(r'id="firms-scored">3<', page.text)
    assert re.search(r'id="firms-warned">2<', page.text)  # moderate and heavy
    counts = dict(re.findall(r'data-level="(\w+)"><td>.*?</td><td class="num">(\d+)<', page.text))
    assert counts == {"none": "1", "light": "0", "moderate": "1", "heavy": "1"}
    assert re.search(r'id="downgrades">1<', page.text)  # OWN1 moderate -> heavy
    assert re.search(r'id="upgrades">1<', page.text)  # OWN2 light -> none
    risky = re.findall(r'class="risky-firm" data-firm="(\d+)"', page.text)
    assert [int(f) for f in risky] == [seeded.firms[c] for c in ("OWN1", "OWN3", "OWN2")]
    assert "▲ raises Debt ratio" in text
    assert '<svg class="bars"' in page.text
    alerts = re.search(r'id="recent-alerts">(.*?)</section>', page.text, re.S)
    assert alerts
    levels = re.findall(r'class="badge level-(\w+)"', alerts.group(1))
    assert levels == ["heavy", "heavy", "moderate", "moderate", "moderate", "moderate"]
    assert "SIMULATED" not in page.text


def test_alert_view_without_a_model_says_so(client, world):
    as_user(client, world, "viewer")
    page = client.get("/")
    assert page.status_code == 200
    assert "No model is active yet" in text_of(page.text)


def test_the_demo_portfolio_is_marked_simulated(client, world, seeded):
    with world.db.session() as session:
        own = session.get(Portfolio, world.own.id)  # type: ignore[union-attr]
        assert own is not None
        own.name = "demo"
    as_user(client, world, "viewer")
    for path in ("/", f"/firms/{seeded.firms['OWN1']}", "/register"):
        assert "SIMULATED" in client.get(path).text


# --------------------------------------------------------------------------- firm page


def test_firm_page_shows_probability_reasons_trends_alerts_and_register(client, world, seeded):
    as_user(client, world, "viewer")
    page = client.get(f"/firms/{seeded.firms['OWN1']}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Probability of distress 0.830" in text
    assert "downgrade from moderate (2022)" in text
    assert page.text.count('class="reason effect-row-raises"') == 3
    assert page.text.count('class="reason effect-row-lowers"') == 1
    assert "▼ lowers" in text
    # the probability and the four indicators, each a line chart
    assert page.text.count('<svg class="trend"') == 5
    assert "Current ratio" in text
    assert ENTRY_TITLE in text
    assert PROPOSED_TITLE in text  # the pending change
    assert "Probability of distress 83.0%" in text  # the model's open alert


def test_firm_trends_fill_unscored_periods_from_the_uploaded_statements(client, world, seeded):
    """Periods without a score show the catalog indicator computed from the upload."""
    from finwarn.service._tables import Firm, Observation, Score, Upload

    assert world.own is not None
    with world.db.session() as session:
        firm = Firm(portfolio_id=world.own.id, code="OWN4")
        upload = Upload(
            filename="own.csv",
            portfolio_id=world.own.id,
            user_id=world.users["analyst"].id,
            rows_read=3,
            rows_accepted=3,
            rows_quarantined=0,
        )
        session.add_all([firm, upload])
        session.flush()
        for period, assets in [(2021, 300.0), (2022, 200.0), (2023, 100.0)]:
            values = {"current_assets": assets, "current_liabilities": 100.0}
            session.add(
                Observation(firm_id=firm.id, period=period, values=values, upload_id=upload.id)
            )
        # only the latest period is scored; its stored indicator is what the model saw
        session.add(
            Score(
                firm_id=firm.id,
                period=2023,
                model_id=seeded.model_id,
                probability=0.3,
                level="moderate",
                rank=1,
                reasons=[],
                indicators={"current_ratio": 0.95},
            )
        )
        session.flush()
        firm_id = firm.id
    as_user(client, world, "viewer")
    page = client.get(f"/firms/{firm_id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Scored in one period so far" in text
    figure = re.search(r"<figcaption>Current ratio</figcaption>(.*?)</figure>", page.text, re.S)
    assert figure, "no current ratio trend"
    # 3 (2021) and 2 (2022) computed from the statements, 0.95 (2023) as scored: the top
    # and bottom of the axis, and the line falls evenly through the three points
    ticks = re.findall(r'<text x="46"[^>]*>([^<]+)<', figure.group(1))
    assert ticks == ["3", "0.95"]
    assert 'd="M50.0 6.0 L141.0 36.2 L232.0 68.0" fill="none" stroke="#0072B2"' in figure.group(1)
    # the median of the four firms scored in 2023 (0.855, 0.95, 1.32, 1.995)
    assert "2023: 0.95 (median 1.135)" in text_of(figure.group(1))


# --------------------------------------------------------------------------- rules


def test_rules_page_lists_the_rules_in_words(client, world, seeded):
    as_user(client, world, "viewer")
    page = client.get("/rules")
    text = text_of(page.text)
    assert "Thin liquidity" in text
    assert "current_ratio) < 1: a heavy alert" in text
    assert 'action="/rules"' not in page.text  # viewers cannot create rules


def test_an_analyst_creates_a_rule_with_the_form(client, world, seeded):
    csrf = as_user(client, world, "analyst")
    assert world.own is not None
    form = {
        "csrf_token": csrf,
        "name": "Two steps down",
        "portfolio_id": str(world.own.id),
        "kind": "migration",
        "direction": "downgrade",
        "min_steps": "2",
    }
    answer = client.post("/rules", data=form, follow_redirects=False)
    assert answer.status_code == 303
    page = client.get("/rules")
    assert re.match(r"Rule 'Two steps down' \(#\d+\) created\.", message_of(page.text))
    assert "a downgrade by at least 2 levels since the previous period" in text_of(page.text)


def test_an_invalid_rule_is_shown_with_its_problem(client, world, seeded):
    csrf = as_user(client, world, "analyst")
    assert world.own is not None
    form = {
        "csrf_token": csrf,
        "name": "Bad",
        "portfolio_id": str(world.own.id),
        "kind": "threshold",
        "indicator": "current_ratio",
        "op": "<",
        "value": "lots",
        "level": "heavy",
    }
    answer = client.post("/rules", data=form)
    assert answer.status_code == 422
    assert message_of(answer.text).startswith("Invalid params for a threshold rule: value:")
    assert 'value="lots"' in answer.text  # the form keeps what was typed


def test_a_viewer_may_not_create_rules(client, world, seeded):
    csrf = as_user(client, world, "viewer")
    answer = client.post("/rules", data={"csrf_token": csrf, "name": "x", "kind": "level"})
    assert answer.status_code == 403
    assert message_of(answer.text) == "The viewer role may not do this (it needs 'rules')."


# --------------------------------------------------------------------------- register


def _change_row(html: str, change_id: int) -> str:
    found = re.search(rf'data-change="{change_id}">(.*?)</tr>', html, re.S)
    assert found, f"change {change_id} not on the page"
    return found.group(1)


def test_the_proposer_sees_their_change_without_an_approve_button(client, world, seeded):
    as_user(client, world, "analyst")
    row = _change_row(client.get("/register").text, seeded.change_id)
    assert "your proposal: another approver decides" in row
    assert "Approve" not in row


def test_an_approver_sees_approve_and_reject(client, world, seeded):
    as_user(client, world, "approver")
    row = _change_row(client.get("/register").text, seeded.change_id)
    assert f'action="/register/changes/{seeded.change_id}/approve"' in row
    assert f'formaction="/register/changes/{seeded.change_id}/reject"' in row


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_roles_without_approve_may_not_decide(client, world, seeded, role):
    csrf = as_user(client, world, role)
    answer = client.post(f"/register/changes/{seeded.change_id}/approve", data={"csrf_token": csrf})
    assert answer.status_code == 403
    assert message_of(answer.text) == f"The {role} role may not do this (it needs 'approve')."


def test_an_approver_may_not_approve_their_own_proposal(client, world, seeded):
    world.add_user("approver2", "approver")
    csrf = as_user(client, world, "approver2")
    assert world.own_firm is not None
    proposed = client.post(
        "/register/changes",
        data={
            "csrf_token": csrf,
            "action": "create",
            "firm_id": str(world.own_firm.id),
            "title": "Key customer lost",
            "severity": "high",
        },
        follow_redirects=False,
    )
    assert proposed.status_code == 303
    with world.db.sessions() as session:
        change = session.scalars(
            select(RiskChange).where(RiskChange.proposed_by == world.users["approver2"].id)
        ).one()
    page = client.get("/register")
    assert message_of(page.text) == (
        f"Change #{change.id} proposed (create); another user with the approver role must "
        "approve it."
    )
    assert "Approve" not in _change_row(page.text, change.id)
    answer = client.post(f"/register/changes/{change.id}/approve", data={"csrf_token": csrf})
    assert answer.status_code == 403
    assert message_of(answer.text) == "You cannot approve your own proposal; another approver must."
    assert "Risk register" in answer.text  # the register page, with the message
    with world.db.sessions() as session:
        assert session.get(RiskChange, change.id).status == "pending"  # type: ignore[union-attr]


def test_approval_by_an_approver_applies_the_change_and_audits(client, world, seeded):
    csrf = as_user(client, world, "approver")
    answer = client.post(
        f"/register/changes/{seeded.change_id}/approve",
        data={"csrf_token": csrf, "comment": "agreed"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/register"
    page = client.get("/register")
    with world.db.sessions() as session:
        change = session.get(RiskChange, seeded.change_id)
        assert change is not None
        entry = session.get(RiskEntry, change.entry_id)
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.user_id == world.users["approver"].id)
        ).all()
    assert message_of(page.text) == (
        f"Change #{seeded.change_id} approved: entry #{change.entry_id} added to the register."
    )
    assert (change.status, change.decided_by, change.comment) == (
        "approved",
        world.users["approver"].id,
        "agreed",
    )
    assert entry is not None and entry.title == PROPOSED_TITLE
    assert [(e.action, e.entity) for e in events] == [
        ("create", "risk_entry"),
        ("approve", "risk_change"),
    ]
    assert f'data-entry="{entry.id}"' in page.text
    assert "approved by approver" in text_of(page.text)
    # a second decision on the same change is a conflict, shown as a message
    again = client.post(f"/register/changes/{seeded.change_id}/approve", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert message_of(again.text) == "This change was already approved."


def test_a_rejection_needs_a_comment(client, world, seeded):
    csrf = as_user(client, world, "approver")
    path = f"/register/changes/{seeded.change_id}/reject"
    answer = client.post(path, data={"csrf_token": csrf, "comment": " "})
    assert answer.status_code == 422
    assert message_of(answer.text) == "A rejection needs a comment saying why."
    done = client.post(path, data={"csrf_token": csrf, "comment": "not material"})
    assert done.status_code == 200  # followed to the register page
    assert message_of(done.text) == (
        f"Change #{seeded.change_id} rejected; the register is unchanged."
    )


def test_a_change_of_a_foreign_firm_answers_like_a_missing_one(client, world, seeded):
    csrf = as_user(client, world, "approver")
    answer = client.post("/register/changes/999999/approve", data={"csrf_token": csrf})
    assert answer.status_code == 404
    assert message_of(answer.text) == "Risk change not found"


def test_a_forged_flash_message_is_not_shown(client, world):
    as_user(client, world, "viewer")
    client.cookies.set("finwarn_flash", "W1wib2tcIiwgXCJoaVwiXSJd.0000")
    page = client.get("/")
    assert 'class="flash' not in page.text


# --------------------------------------------------------------------------- audit log


def test_audit_log_is_newest_first_and_paginated(client, world, seeded):
    as_user(client, world, "admin")
    first = client.get("/audit")
    ids = [int(i) for i in re.findall(r'data-event="(\d+)"', first.text)]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) <= 50
    with world.db.sessions() as session:
        total = len(session.scalars(select(AuditEvent.id)).all())
    assert f"({total} events)" in text_of(first.text)
    if total > 50:
        second = client.get("/audit?page=2")
        assert max(int(i) for i in re.findall(r'data-event="(\d+)"', second.text)) < min(ids)


def test_audit_log_pages_hold_fifty_events(client, world):
    from finwarn.service._audit import record

    with world.db.session() as session:
        for i in range(60):
            record(session, None, "test", "thing", i)
    as_user(client, world, "admin")
    first = client.get("/audit")
    second = client.get("/audit?page=2")
    assert len(re.findall(r'data-event="', first.text)) == 50
    assert "Page 1 of 2" in text_of(first.text)
    later = [int(i) for i in re.findall(r'data-event="(\d+)"', second.text)]
    assert "Page 2 of 2" in text_of(second.text)
    assert len(later) >= 10 and max(later) < min(
        int(i) for i in re.findall(r'data-event="(\d+)"', first.text)
    )
    assert client.get("/audit?page=0").status_code == 404  # not a page number


# --------------------------------------------------------------------------- databases


def test_every_page_renders_on_sqlite_and_postgresql(tmp_path, database_url):
    from finwarn.service import create_app
    from tests.service.conftest import seed_world

    settings = make_settings(tmp_path, database_url)
    with TestClient(create_app(settings)) as client:
        world = seed_world(client.app.state.db, settings)  # type: ignore[attr-defined]
        seeded = seed_dashboard(world)
        csrf = as_user(client, world, "approver")
        for page in PAGES[:-1]:
            assert client.get(path_of(page, seeded)).status_code == 200, page
        approved = client.post(
            f"/register/changes/{seeded.change_id}/approve", data={"csrf_token": csrf}
        )
        assert approved.status_code == 200
        assert "approved: entry #" in message_of(approved.text)
        as_user(client, world, "admin")
        assert client.get("/audit").status_code == 200
