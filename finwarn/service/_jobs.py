"""Background jobs: training a model and writing a report, with their progress in the database.

A job runs in the application's one worker thread (``app.state.jobs``), or directly
(the demo seeding, tests). Each stage is committed to the job's row before it starts
(``status``, ``progress``, ``message``), so the API shows where a job is; a failure is
recorded with the stage and the error's message (``status = "failed"``), never lost.
A job that was running when the server stopped is marked failed at the next start
(:func:`fail_interrupted`).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update

from finwarn._io import atomic_write
from finwarn.exceptions import DataValidationError, FinwarnError
from finwarn.service._audit import record, snapshot
from finwarn.service._db import Database
from finwarn.service._frames import load_portfolios
from finwarn.service._scoring import ModelCache, save_background
from finwarn.service._settings import Settings
from finwarn.service._tables import ModelRecord, Portfolio, ReportRecord, Upload, utcnow
from finwarn.workflow import build_features, labelled_rows, report, save_model, train

__all__ = [
    "DEMO_SOURCE",
    "INTERRUPTED",
    "fail_interrupted",
    "model_file",
    "report_folder",
    "report_zip",
    "run_report",
    "run_training",
    "submit",
]

logger = logging.getLogger(__name__)

INTERRUPTED = "Interrupted: the server stopped before the job finished; start it again."
#: The upload file name of the simulated demo panel (its reports carry the banner).
DEMO_SOURCE = "demo_panel.csv (SIMULATED, finwarn.datasets.make_demo_panel)"
_RANDOM_STATE = 0
# the audit log's name of a job's row
_ENTITY: dict[type[Any], str] = {ModelRecord: "model", ReportRecord: "report"}


def model_file(settings: Settings, model_id: int) -> Path:
    """Where a model's file lies: ``data_dir/models/<id>.joblib``."""
    return settings.data_dir / "models" / f"{model_id}.joblib"


def report_folder(settings: Settings, report_id: int) -> Path:
    """Where a report is written: ``data_dir/reports/<id>/``."""
    return settings.data_dir / "reports" / str(report_id)


def report_zip(folder: str | Path) -> Path:
    """The zip of a report folder, beside it: ``reports/<id>.zip``."""
    folder = Path(folder)
    return folder.with_name(f"{folder.name}.zip")


def submit(executor: Executor, job: Callable[..., None], *args: Any, **kwargs: Any) -> Future[None]:
    """Run ``job(*args, **kwargs)`` in the background; an error it did not record is logged."""
    future = executor.submit(job, *args, **kwargs)

    def done(finished: Future[None]) -> None:
        if not finished.cancelled() and finished.exception() is not None:
            logger.error("background job %s failed", job.__name__, exc_info=finished.exception())

    future.add_done_callback(done)
    return future


def _log_failure(error: Exception, what: str) -> None:
    """A problem of the data (finwarn's own errors) in one line; anything else with its trace."""
    if isinstance(error, FinwarnError):
        logger.warning("%s: %s", what, error)
    else:
        logger.exception(what)


def _set(db: Database, table: type[Any], row_id: int, **values: Any) -> None:
    with db.session() as session:
        row = session.get(table, row_id)
        if row is None:  # pragma: no cover - rows are never deleted
            raise LookupError(f"{table.__name__} {row_id} not found")
        for key, value in values.items():
            setattr(row, key, value)


def _finish(db: Database, table: type[Any], row_id: int, action: str, **values: Any) -> None:
    """Set the final state and record it in the audit log (by the system, ``action`` on
    the ``model`` or ``report``)."""
    with db.session() as session:
        row = session.get(table, row_id)
        if row is None:  # pragma: no cover
            raise LookupError(f"{table.__name__} {row_id} not found")
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        session.flush()
        record(
            session,
            None,
            action,
            _ENTITY[table],
            row_id,
            before=before,
            after=snapshot(row),
        )


# --------------------------------------------------------------------------- training


def _metrics(metadata: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a trained model's metadata (and the alert level alerting reads)."""
    warning = metadata.get("warning", {})
    return {
        **metadata.get("metrics", {}),
        "alert_level": warning.get("alert_level"),
        "levels": warning.get("levels"),
        "cutoffs": warning.get("cutoffs"),
        "training_data": metadata.get("training_data", {}),
        "features": len(metadata.get("features", [])),
        "finwarn_version": metadata.get("finwarn_version"),
    }


def run_training(db: Database, settings: Settings, model_id: int) -> None:
    """Train model ``model_id`` (its row says which model and portfolios); record the outcome.

    Stages: loading the observations, building features, training with calibration,
    saving the model file (``data_dir/models/<id>.joblib`` with its ``.json`` metadata
    and the reference firms for single-record reasons). Never raises for a failed
    training: the row gets ``status = "failed"`` and the message.
    """
    with db.session() as session:
        model = session.get(ModelRecord, model_id)
        if model is None:
            raise LookupError(f"model {model_id} not found")
        name, portfolios = model.name, list(model.portfolio_ids)
    stage = "starting"

    def step(progress: float, text: str) -> None:
        nonlocal stage
        stage = text
        logger.info("model %s (%s): %s", model_id, name, text)
        _set(db, ModelRecord, model_id, status="running", progress=progress, message=text)

    try:
        step(0.05, f"loading the observations of portfolios {portfolios}")
        with db.session() as session:
            data = load_portfolios(session, portfolios)
        loaded = data.loaded
        if data.empty:
            raise DataValidationError(
                f"portfolios {portfolios} hold no observations; upload data before training."
            )
        step(
            0.15,
            f"building features from {len(loaded.data):,} firm-periods of "
            f"{len(data.firms):,} firms",
        )
        prepared = build_features(loaded)
        use, _ = labelled_rows(loaded, prepared)
        step(
            0.25,
            f"training {name} with calibration on {int(use.sum()):,} labelled "
            "firm-periods (out-of-fold fits, then the final fit)",
        )
        trained = train(loaded, model=name, random_state=_RANDOM_STATE, prepared=prepared)
        step(0.9, "saving the model")
        path = model_file(settings, model_id)
        save_model(trained, path)
        save_background(prepared, use, path)
    except Exception as error:  # recorded, not swallowed: the row says what failed
        _log_failure(error, f"training model {model_id} failed while {stage}")
        _finish(
            db,
            ModelRecord,
            model_id,
            "train",
            status="failed",
            message=f"Training failed while {stage}: {error}",
            finished_at=utcnow(),
        )
        return
    metrics = _metrics(trained.metadata)
    auc = metrics.get("roc_auc")
    summary = f"trained on {trained.metadata['training_data']['rows']:,} firm-periods"
    if isinstance(auc, int | float):
        summary += f"; out-of-fold ROC-AUC {auc:.3f}"
    _finish(
        db,
        ModelRecord,
        model_id,
        "train",
        status="done",
        progress=1.0,
        message=summary,
        path=str(path),
        metrics=metrics,
        finished_at=utcnow(),
    )
    logger.info("model %s (%s): %s", model_id, name, summary)


# --------------------------------------------------------------------------- reports


def run_report(
    db: Database,
    settings: Settings,
    cache: ModelCache,
    report_id: int,
    *,
    pdf: bool = True,
    max_firm_pages: int = 50,
    clusters: bool = True,
) -> None:
    """Write report ``report_id`` (its portfolio, its model) and zip it; record the outcome.

    The folder is ``data_dir/reports/<id>/`` (``index.html``, ``report.pdf``, ...) and
    its zip ``data_dir/reports/<id>.zip``.
    """
    with db.session() as session:
        row = session.get(ReportRecord, report_id)
        if row is None:
            raise LookupError(f"report {report_id} not found")
        portfolio = session.get(Portfolio, row.portfolio_id)
        model_row = session.get(ModelRecord, row.model_id)
        assert portfolio is not None and model_row is not None  # foreign keys
        name = portfolio.name
        simulated = (
            session.scalar(
                select(Upload.id).where(
                    Upload.portfolio_id == portfolio.id, Upload.filename == DEMO_SOURCE
                )
            )
            is not None
        )
    stage = "starting"

    def step(text: str) -> None:
        nonlocal stage
        stage = text
        logger.info("report %s: %s", report_id, text)
        _set(db, ReportRecord, report_id, status="running", message=text)

    folder = report_folder(settings, report_id)
    try:
        step("loading the portfolio's observations")
        with db.session() as session:
            data = load_portfolios(session, [row.portfolio_id], source=f"portfolio {name}")
        if data.empty:
            raise DataValidationError(
                f"portfolio {name} holds no observations; upload data before a report."
            )
        step(f"loading model {model_row.id}")
        model = cache.get(model_row)
        result = report(
            model.trained,
            data.loaded,
            folder,
            pdf=pdf,
            max_firm_pages=max_firm_pages,
            clusters=clusters,
            title=f"Early-warning report: portfolio {name}",
            data_description=(
                f"portfolio {name}: {len(data.loaded.data):,} firm-periods of "
                f"{len(data.firms):,} firms" + (" (SIMULATED demo data)" if simulated else "")
            ),
            simulated=simulated,
            random_state=_RANDOM_STATE,
            step=step,
        )
        step("zipping the report")
        target = report_zip(folder)

        def write_zip(tmp: Path) -> None:
            base = tmp.with_suffix("")
            made = shutil.make_archive(str(base), "zip", root_dir=folder)
            os.replace(made, tmp)

        atomic_write(target, write_zip)
    except Exception as error:  # recorded, not swallowed: the row says what failed
        _log_failure(error, f"report {report_id} failed while {stage}")
        _finish(
            db,
            ReportRecord,
            report_id,
            "report",
            status="failed",
            message=f"Report failed while {stage}: {error}",
        )
        return
    firms = len(result.warnings.frame)
    message = f"report of {firms:,} firms written" + ("" if pdf else " (without PDF)")
    if result.notes:
        message += "; " + "; ".join(result.notes)
    _finish(db, ReportRecord, report_id, "report", status="done", message=message, path=str(folder))


def _count(result: Any) -> int:
    """Rows an UPDATE changed (its ``CursorResult.rowcount``)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def fail_interrupted(db: Database) -> int:
    """Mark jobs left queued or running by a stopped server as failed; how many."""
    unfinished = ("queued", "running")
    with db.session() as session:
        models = _count(
            session.execute(
                update(ModelRecord)
                .where(ModelRecord.status.in_(unfinished))
                .values(status="failed", message=INTERRUPTED, finished_at=utcnow())
            )
        )
        reports = _count(
            session.execute(
                update(ReportRecord)
                .where(or_(ReportRecord.status == "queued", ReportRecord.status == "running"))
                .values(status="failed", message=INTERRUPTED)
            )
        )
        total = models + reports
        if total:
            after = {"models": models, "reports": reports}
            record(session, None, "interrupt", "job", after=after)
    if total:
        logger.warning("%d unfinished jobs of a previous run marked failed", total)
    return total
