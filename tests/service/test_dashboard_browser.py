"""The dashboard in headless Chromium against a real uvicorn: log in, alerts, a firm, approval.

Debian's chromium through Playwright (the ``browser`` fixture of ``tests/conftest.py``);
the data are written straight into the database (``tests/service/_dashboard_data.py``).
Set ``FINWARN_SCREENSHOTS`` to a folder to keep a screenshot of every page visited.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from finwarn.service import create_app
from finwarn.service._tables import AuditEvent, RiskChange, RiskEntry
from tests.service._dashboard_data import (
    ENTRY_TITLE,
    PROPOSED_TITLE,
    Seeded,
    seed_dashboard,
)
from tests.service.conftest import PASSWORD, LiveServer, World, make_settings, seed_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("FINWARN_SCREENSHOTS")


@pytest.fixture
def live(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[LiveServer, World, Seeded]]:
    settings = make_settings(tmp_path, sqlite_url)
    app = create_app(settings)
    with LiveServer(app) as server:  # the app's start migrates the database
        world = seed_world(app.state.db, settings)
        yield server, world, seed_dashboard(world)


@pytest.fixture
def page_of(browser) -> Iterator:
    """A new browser context (its own cookies) per user, closed after the test."""
    contexts = []

    def new_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/")
    assert page.url == f"{url}/login"  # not logged in: sent to the login page
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_log_in_see_alerts_open_a_firm_and_approve_as_a_second_user(live, page_of):
    server, world, seeded = live
    url = server.url

    analyst = page_of()
    analyst.goto(f"{url}/login")
    shot(analyst, "01-login")
    log_in(analyst, url, "analyst")
    assert analyst.title() == "Alerts · finwarn"
    assert analyst.text_content("#firms-scored") == "3"
    assert analyst.text_content("#firms-warned") == "2"
    assert analyst.locator("#by-level svg.bars").count() == 1
    assert analyst.locator("nav a").all_text_contents() == [
        "Alerts",
        "Alert rules",
        "Risk register",
    ]
    shot(analyst, "02-alerts")

    # the riskiest firm, from the alert view
    analyst.click("tr.risky-firm >> nth=0 >> a")
    analyst.wait_for_url(f"{url}/firms/{seeded.firms['OWN1']}")
    assert analyst.text_content("h1 .firm-code") == "OWN1"
    assert analyst.text_content("td.probability") == "0.830"
    assert analyst.locator("#trends svg.trend").count() == 4
    assert ENTRY_TITLE in analyst.text_content("#firm-register")
    shot(analyst, "03-firm")

    # the analyst proposes a new risk for the firm through the register's form
    analyst.click("#firm-register a.button")
    analyst.wait_for_url(re.compile(r".*/register\?firm=\d+#propose"))
    analyst.fill("#propose-title", "Main customer in distress")
    analyst.select_option("#propose-severity", "high")
    analyst.fill("#propose-owner", "sales risk")
    analyst.click("#propose button[type=submit]")
    analyst.wait_for_url(f"{url}/register")
    flash = analyst.text_content(".flash-ok") or ""
    assert re.fullmatch(
        r"Change #(\d+) proposed \(create\); another user with the approver role must "
        r"approve it\.",
        flash,
    )
    change_id = int(re.findall(r"\d+", flash)[0])
    own_row = analyst.locator(f'tr[data-change="{change_id}"]')
    assert "your proposal: another approver decides" in own_row.text_content()
    assert own_row.locator("button.approve").count() == 0
    shot(analyst, "04-register-proposer")
    analyst.goto(f"{url}/rules")
    assert "Thin liquidity" in analyst.text_content("#rules")
    shot(analyst, "05-rules")
    analyst.goto(f"{url}/audit")
    assert analyst.text_content(".error-message") == (
        "The analyst role may not do this (it needs 'audit')."
    )
    shot(analyst, "06-audit-refused")

    # a second user, an approver, approves it in another browser context
    approver = page_of()
    log_in(approver, url, "approver")
    approver.goto(f"{url}/register")
    row = approver.locator(f'tr[data-change="{change_id}"]')
    assert row.locator("button.approve").count() == 1
    shot(approver, "07-register-approver")
    row.locator("input.comment").fill("agreed in the credit committee")
    row.locator("button.approve").click()
    approver.wait_for_url(f"{url}/register")
    with world.db.sessions() as session:
        change = session.get(RiskChange, change_id)
        assert change is not None and change.status == "approved"
        entry = session.get(RiskEntry, change.entry_id)
        assert entry is not None
        audited = session.scalars(
            select(AuditEvent.action).where(AuditEvent.username == "approver")
        ).all()
    assert approver.text_content(".flash-ok") == (
        f"Change #{change_id} approved: entry #{entry.id} added to the register."
    )
    entry_row = approver.locator(f'tr[data-entry="{entry.id}"]')
    assert "Main customer in distress" in entry_row.text_content()
    assert "approved by approver" in approver.text_content("#decided")
    assert approver.locator(f'#pending tr[data-change="{change_id}"]').count() == 0
    assert "approve" in audited and "create" in audited
    shot(approver, "08-register-approved")

    # the change the analyst proposed in the seed is still pending; the analyst sees the
    # new entry on the firm page
    analyst.goto(f"{url}/firms/{seeded.firms['OWN1']}")
    assert "Main customer in distress" in analyst.text_content("#firm-register")
    assert PROPOSED_TITLE in analyst.text_content("#firm-register")

    # log out: back to the login page, and the pages ask for a login again
    approver.click("header form button")
    approver.wait_for_url(f"{url}/login")
    assert approver.text_content(".flash-ok") == "You are logged out."
    approver.goto(f"{url}/register")
    assert approver.url == f"{url}/login?next=/register"


def test_an_admin_reads_the_audit_log(live, page_of):
    server, _, _ = live
    admin = page_of()
    log_in(admin, server.url, "admin")
    assert admin.locator("nav a").all_text_contents()[-1] == "Audit log"
    admin.click("nav >> text=Audit log")
    admin.wait_for_url(f"{server.url}/audit")
    actions = admin.locator("tr.event td:nth-child(4)").all_text_contents()
    assert actions[0] == "login"  # newest first: this login
    assert "propose" in actions
    shot(admin, "09-audit")
