"""Reports: written in the background, downloaded as zip or PDF, scoped, failures recorded."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from finwarn.service._jobs import DEMO_SOURCE, report_folder, run_report
from finwarn.service._scoring import ModelCache
from finwarn.service._tables import AuditEvent, ReportRecord, Upload
from tests.service._data_plane import API, csv_bytes, panel, train_active, upload, wait_for

QUICK = {"pdf": False, "clusters": False, "max_firm_pages": 3}


@pytest.fixture
def model_id(client, world):
    assert upload(client, world, csv_bytes(panel())).status_code == 201
    return train_active(world)


def _report_row(world, portfolio_id: int, model_id: int, **fields) -> int:
    with world.db.session() as session:
        row = ReportRecord(
            portfolio_id=portfolio_id,
            model_id=model_id,
            created_by=world.users["admin"].id,
            **fields,
        )
        session.add(row)
        session.flush()
        return row.id


def test_report_is_written_in_the_background_and_downloaded(client, world, model_id):
    analyst = world.headers("analyst")
    answer = client.post(
        f"{API}/reports", json={"portfolio_id": world.own.id, **QUICK}, headers=analyst
    )
    assert answer.status_code == 202
    queued = answer.json()
    assert (queued["status"], queued["model_id"]) == ("queued", model_id)
    done = wait_for(client, f"{API}/reports/{queued['id']}", analyst)
    assert done["status"] == "done", done["message"]
    assert done["message"].startswith("report of ")
    assert done["message"].endswith(" (without PDF)")
    download = client.get(f"{API}/reports/{queued['id']}/download", headers=world.headers("viewer"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert {"index.html", "warnings.csv", "reasons.csv"} <= set(names)
    no_pdf = client.get(f"{API}/reports/{queued['id']}/download?format=pdf", headers=analyst)
    assert no_pdf.status_code == 404
    assert no_pdf.json() == {
        "detail": f"Report {queued['id']} has no PDF; download the zip, or ask for a new report "
        "with pdf=true."
    }
    listed = client.get(f"{API}/reports", headers=world.headers("viewer")).json()
    assert [r["id"] for r in listed] == [queued["id"]]
    with world.db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "report").order_by(AuditEvent.id)
        ).all()
    assert actions == ["create", "report"]


@pytest.mark.slow
def test_report_with_pdf(client, world, model_id):
    report_id = _report_row(world, world.own.id, model_id)
    run_report(world.db, world.settings, ModelCache(), report_id, pdf=True, max_firm_pages=2)
    answer = client.get(
        f"{API}/reports/{report_id}/download?format=pdf", headers=world.headers("viewer")
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


def test_demo_portfolio_reports_are_marked_simulated(client, world, model_id):
    with world.db.session() as session:
        upload_row = session.scalars(select(Upload)).one()
        upload_row.filename = DEMO_SOURCE
    report_id = _report_row(world, world.own.id, model_id)
    run_report(world.db, world.settings, ModelCache(), report_id, **QUICK)
    index = (report_folder(world.settings, report_id) / "index.html").read_text()
    assert "SIMULATED" in index


def test_report_without_an_active_model_is_409(client, world):
    answer = client.post(
        f"{API}/reports", json={"portfolio_id": world.own.id}, headers=world.headers("analyst")
    )
    assert answer.status_code == 409
    assert answer.json() == {"detail": "No active model; train one and activate it"}


def test_failed_report_keeps_the_error(client, world, model_id):
    empty = _report_row(world, world.foreign.id, model_id)
    run_report(world.db, world.settings, ModelCache(), empty, **QUICK)
    with world.db.session() as session:
        row = session.get(ReportRecord, empty)
    assert row.status == "failed"
    assert row.message == (
        "Report failed while loading the portfolio's observations: portfolio foreign holds no "
        "observations; upload data before a report."
    )


@pytest.mark.parametrize("portfolio", ["foreign", "missing"])
def test_report_of_a_foreign_portfolio_is_404(client, world, portfolio):
    portfolio_id = world.foreign.id if portfolio == "foreign" else 9999
    answer = client.post(
        f"{API}/reports", json={"portfolio_id": portfolio_id}, headers=world.headers("analyst")
    )
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Portfolio not found"}


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_reports_need_the_report_permission(client, world, role):
    answer = client.post(
        f"{API}/reports", json={"portfolio_id": world.own.id}, headers=world.headers(role)
    )
    assert answer.status_code == 403
    assert answer.json() == {"detail": f"The {role} role may not do this (it needs 'report')."}


@pytest.mark.parametrize("path", ["", "/download", "/download?format=pdf"])
def test_foreign_report_answers_as_a_missing_one(client, world, model_id, path):
    foreign = _report_row(world, world.foreign.id, model_id, status="done", path="/nowhere")
    for report_id in (foreign, 9999):
        answer = client.get(f"{API}/reports/{report_id}{path}", headers=world.headers("admin"))
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Report not found"}
    listed = client.get(f"{API}/reports", headers=world.headers("admin")).json()
    assert foreign not in [r["id"] for r in listed]


def test_unfinished_report_cannot_be_downloaded(client, world, model_id):
    report_id = _report_row(world, world.own.id, model_id, status="running")
    answer = client.get(f"{API}/reports/{report_id}/download", headers=world.headers("viewer"))
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": f"Report {report_id} is running; download it when it is done."
    }


def test_report_list_filter(client, world, model_id):
    mine = _report_row(world, world.own.id, model_id)
    viewer = world.headers("viewer")
    answer = client.get(f"{API}/reports?portfolio_id={world.own.id}", headers=viewer)
    assert [r["id"] for r in answer.json()] == [mine]
    foreign = client.get(f"{API}/reports?portfolio_id={world.foreign.id}", headers=viewer)
    assert foreign.status_code == 404
    assert foreign.json() == {"detail": "Portfolio not found"}
