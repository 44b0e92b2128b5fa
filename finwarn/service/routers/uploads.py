"""Data uploads: a file through the core's validation into a portfolio, bad rows quarantined."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from finwarn.data import SUPPORTED_SUFFIXES, load_data
from finwarn.exceptions import FinwarnError
from finwarn.service._audit import record, snapshot
from finwarn.service._deps import SessionDep, get_portfolio, portfolio_ids, require
from finwarn.service._frames import ingest
from finwarn.service._tables import QuarantinedRow, Upload, User
from finwarn.service.routers._params import MAX_ID, PathId, QueryId
from finwarn.workflow import known_columns

__all__ = ["UPLOAD_NOT_FOUND", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/uploads", tags=["uploads"])
Reader = Annotated[User, Depends(require("read"))]
Uploader = Annotated[User, Depends(require("upload"))]

UPLOAD_NOT_FOUND = "Upload not found"
_MAPPING_SUFFIXES = (".yaml", ".yml")


class QuarantinedRowOut(BaseModel):
    row: int
    entity: str | None
    period: str | None
    problem: str
    reason: str


class UploadOut(BaseModel):
    id: int
    filename: str
    portfolio_id: int
    user_id: int
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    created_at: datetime


class UploadDetail(UploadOut):
    quarantined: list[QuarantinedRowOut]


class UploadCreated(UploadDetail):
    notes: list[str]


def _out(upload: Upload) -> UploadOut:
    return UploadOut.model_validate(upload, from_attributes=True)


def _detail(upload: Upload, rows: list[QuarantinedRow]) -> UploadDetail:
    quarantined = [QuarantinedRowOut.model_validate(r, from_attributes=True) for r in rows]
    return UploadDetail(**_out(upload).model_dump(), quarantined=quarantined)


def _safe_name(filename: str | None) -> str:
    name = Path((filename or "").replace("\\", "/")).name.strip()
    return re.sub(r"[^\w.\- ]", "_", name)[:200]


def _suffix(name: str, suffixes: tuple[str, ...]) -> str | None:
    lower = name.lower()
    return next((s for s in sorted(suffixes, key=len, reverse=True) if lower.endswith(s)), None)


def _save(upload: UploadFile, folder: Path, name: str) -> Path:
    path = folder / name
    with path.open("wb") as handle:
        shutil.copyfileobj(upload.file, handle)
    return path


@router.post("", response_model=UploadCreated, status_code=status.HTTP_201_CREATED)
def create_upload(
    user: Uploader,
    session: SessionDep,
    file: Annotated[
        UploadFile,
        File(description="Data file: CSV, Parquet, Excel, ARFF or (gzip) JSON."),
    ],
    portfolio_id: Annotated[
        int, Form(ge=1, le=MAX_ID, description="The portfolio the firms belong to.")
    ],
    mapping: Annotated[
        UploadFile | None,
        File(description="Optional YAML file mapping your column names onto finwarn's."),
    ] = None,
) -> UploadCreated:
    """Validate a data file and add its rows to a portfolio.

    Every row read is either accepted (a firm-period observation; it replaces an earlier
    one of the same firm and period) or quarantined with its reason, listed in the answer.
    A problem of the whole file (unreadable, a mapped column missing) answers 422 with
    the validation's message.
    """
    portfolio = get_portfolio(session, user, portfolio_id)
    name = _safe_name(file.filename)
    if not name:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="The uploaded file has no name; send it with its file name (e.g. panel.csv).",
        )
    suffix = _suffix(name, SUPPORTED_SUFFIXES)
    if suffix is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"Unsupported file type '{Path(name).suffix or name}' ({name}). finwarn "
            f"reads {', '.join(SUPPORTED_SUFFIXES)}; convert the file to CSV or Parquet.",
        )
    with tempfile.TemporaryDirectory(prefix="finwarn-upload-") as work:
        folder = Path(work)
        path = _save(file, folder, name)
        mapping_path = None
        if mapping is not None:
            mapping_name = _safe_name(mapping.filename) or "mapping.yaml"
            if _suffix(mapping_name, _MAPPING_SUFFIXES) is None:
                raise HTTPException(
                    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                    detail=f"The mapping must be a YAML file (.yaml or .yml), got {mapping_name}.",
                )
            (folder / "mapping").mkdir()
            mapping_path = _save(mapping, folder / "mapping", mapping_name)
        try:
            loaded = load_data(path, mapping_path, known_columns=known_columns())
        except FinwarnError as error:
            # the core names the file by its path; the user knows it by its name
            message = str(error).replace(str(path), name)
            if mapping_path is not None:
                message = message.replace(str(mapping_path), mapping_path.name)
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=message) from None
    try:
        upload, rows = ingest(
            session, portfolio=portfolio, user_id=user.id, loaded=loaded, filename=name
        )
        record(session, user, "upload", "upload", upload.id, after=snapshot(upload))
        session.commit()
    except IntegrityError:
        session.rollback()
        logger.warning("upload into portfolio %s collided with another one", portfolio.id)
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="Another upload into this portfolio stored the same firms at the same "
            "time; nothing of this upload was stored. Upload the file again.",
        ) from None
    return UploadCreated(**_detail(upload, rows).model_dump(), notes=list(loaded.notes))


@router.get("", response_model=list[UploadOut])
def list_uploads(
    user: Reader, session: SessionDep, portfolio_id: QueryId = None
) -> list[UploadOut]:
    """Uploads into your portfolios (or into one of them), newest first."""
    ids = portfolio_ids(session, user)
    if portfolio_id is not None:
        get_portfolio(session, user, portfolio_id)
        ids = [portfolio_id]
    found = session.scalars(
        select(Upload).where(Upload.portfolio_id.in_(ids)).order_by(Upload.id.desc())
    )
    return [_out(upload) for upload in found]


@router.get("/{upload_id}", response_model=UploadDetail)
def get_upload(upload_id: PathId, user: Reader, session: SessionDep) -> UploadDetail:
    """An upload with its quarantined rows and their reasons."""
    upload = session.get(Upload, upload_id)
    if upload is None or upload.portfolio_id not in portfolio_ids(session, user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=UPLOAD_NOT_FOUND)
    rows = list(
        session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.upload_id == upload.id)
            .order_by(QuarantinedRow.row)
        )
    )
    return _detail(upload, rows)
