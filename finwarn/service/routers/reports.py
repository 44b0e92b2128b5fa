"""Early-warning reports of a portfolio: written in the background, downloaded as zip or PDF."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from finwarn.service._audit import record, snapshot
from finwarn.service._deps import SessionDep, get_portfolio, portfolio_ids, require
from finwarn.service._jobs import report_zip, run_report, submit
from finwarn.service._scoring import NO_ACTIVE_MODEL, active_model, model_cache
from finwarn.service._tables import ReportRecord, User
from finwarn.service.routers._params import BodyId, PathId, QueryId

__all__ = ["REPORT_NOT_FOUND", "router"]

router = APIRouter(prefix="/reports", tags=["reports"])
Reader = Annotated[User, Depends(require("read"))]
Reporter = Annotated[User, Depends(require("report"))]

REPORT_NOT_FOUND = "Report not found"
#: Most firm pages a report may have (each page costs time, in the PDF most of all).
MAX_FIRM_PAGES = 200


class ReportCreate(BaseModel):
    portfolio_id: BodyId
    pdf: bool = Field(default=True, description="Also write report.pdf (slower).")
    max_firm_pages: int = Field(
        default=50,
        ge=0,
        le=MAX_FIRM_PAGES,
        description="Pages for the riskiest firms at or above the alert level.",
    )
    clusters: bool = Field(default=True, description="Cluster the firms (3-D view).")


class ReportOut(BaseModel):
    id: int
    portfolio_id: int
    model_id: int
    status: str
    message: str
    created_by: int
    created_at: datetime


def _out(report: ReportRecord) -> ReportOut:
    return ReportOut.model_validate(report, from_attributes=True)


def _report(session: SessionDep, user: User, report_id: int) -> ReportRecord:
    report = session.get(ReportRecord, report_id)
    if report is None or report.portfolio_id not in portfolio_ids(session, user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=REPORT_NOT_FOUND)
    return report


@router.post("", response_model=ReportOut, status_code=status.HTTP_202_ACCEPTED)
def create_report(
    body: ReportCreate, user: Reporter, session: SessionDep, request: Request
) -> ReportOut:
    """Write the early-warning report of a portfolio with the active model, in the background.

    Follow ``status`` and ``message`` with ``GET /reports/{id}``; download it when done.
    """
    portfolio = get_portfolio(session, user, body.portfolio_id)
    model = active_model(session)
    if model is None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=NO_ACTIVE_MODEL)
    report = ReportRecord(
        portfolio_id=portfolio.id,
        model_id=model.id,
        status="queued",
        message="queued behind other background jobs",
        created_by=user.id,
    )
    session.add(report)
    session.flush()
    after = {**snapshot(report), "pdf": body.pdf, "max_firm_pages": body.max_firm_pages}
    record(session, user, "create", "report", report.id, after=after)
    session.commit()
    app = request.app
    submit(
        app.state.jobs,
        run_report,
        app.state.db,
        app.state.settings,
        model_cache(app.state),
        report.id,
        pdf=body.pdf,
        max_firm_pages=body.max_firm_pages,
        clusters=body.clusters,
    )
    return _out(report)


@router.get("", response_model=list[ReportOut])
def list_reports(
    user: Reader, session: SessionDep, portfolio_id: QueryId = None
) -> list[ReportOut]:
    """Reports of your portfolios (or of one), newest first."""
    ids = portfolio_ids(session, user)
    if portfolio_id is not None:
        ids = [get_portfolio(session, user, portfolio_id).id]
    found = session.scalars(
        select(ReportRecord)
        .where(ReportRecord.portfolio_id.in_(ids))
        .order_by(ReportRecord.id.desc())
    )
    return [_out(r) for r in found]


@router.get("/{report_id}", response_model=ReportOut)
def get_report(report_id: PathId, user: Reader, session: SessionDep) -> ReportOut:
    """A report's status and message."""
    return _out(_report(session, user, report_id))


@router.get(
    "/{report_id}/download",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}, "application/pdf": {}}}},
)
def download_report(
    report_id: PathId,
    user: Reader,
    session: SessionDep,
    format: Annotated[Literal["zip", "pdf"], Query(description="zip: the folder.")] = "zip",
) -> FileResponse:
    """The report folder as a zip (``index.html`` to open), or its PDF."""
    report = _report(session, user, report_id)
    if report.status != "done" or not report.path:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"Report {report.id} is {report.status}; download it when it is done.",
        )
    folder = Path(report.path)
    if format == "pdf":
        pdf = folder / "report.pdf"
        if not pdf.exists():
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                detail=f"Report {report.id} has no PDF; download the zip, or ask for a new "
                "report with pdf=true.",
            )
        return FileResponse(pdf, media_type="application/pdf", filename=f"report-{report.id}.pdf")
    archive = report_zip(folder)
    if not archive.exists():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"The files of report {report.id} are gone from the server; write a new one.",
        )
    return FileResponse(archive, media_type="application/zip", filename=f"report-{report.id}.zip")
