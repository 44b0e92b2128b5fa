"""The demo data of ``finwarn serve --demo``: a SIMULATED portfolio, trained, scored, alerted.

:func:`seed_demo` builds the demo the way ``finwarn demo`` does
(:func:`finwarn.workflow.run_demo`): a simulated panel of raw statements
(:func:`finwarn.datasets.make_demo_panel`) with a few deliberately bad rows mixed in
(:func:`finwarn.datasets.corrupt_panel`), which validation quarantines. The rows go into
the portfolio ``demo`` (granted to the admin); the default model is trained on it,
activated if no model is active yet, and every period of every demo firm is scored, which
raises alerts.

Each step is skipped when its result exists, so starting with ``--demo`` again adds
nothing (and a seeding cut short finishes at the next start).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finwarn.data import validate_frame
from finwarn.datasets import corrupt_panel, make_demo_panel
from finwarn.service._audit import record, snapshot
from finwarn.service._db import Database
from finwarn.service._frames import ingest
from finwarn.service._jobs import DEMO_SOURCE, run_training
from finwarn.service._scoring import ModelCache, activate, active_model, batch_score
from finwarn.service._settings import Settings
from finwarn.service._tables import Firm, Grant, ModelRecord, Portfolio, Score, User
from finwarn.workflow import known_columns
from finwarn.workflow._jobs import DEFAULT_MODEL

__all__ = ["DEMO_FIRMS", "DEMO_PORTFOLIO", "DEMO_YEARS", "DemoSeed", "seed_demo"]

logger = logging.getLogger(__name__)

DEMO_PORTFOLIO = "demo"
#: The size of ``finwarn demo``'s panel.
DEMO_FIRMS = 1000
DEMO_YEARS = 8


@dataclass
class DemoSeed:
    """What :func:`seed_demo` did (ids of what it made; None for a step skipped)."""

    portfolio_id: int
    upload_id: int | None = None
    model_id: int | None = None
    activated: bool = False
    scored: int = 0
    alerts: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether anything was added."""
        return self.upload_id is not None or self.model_id is not None or self.scored > 0


def seed_demo(
    db: Database,
    settings: Settings,
    admin_username: str,
    *,
    n_firms: int = DEMO_FIRMS,
    n_years: int = DEMO_YEARS,
    model: str = DEFAULT_MODEL,
    random_state: int = 0,
) -> DemoSeed:
    """Load the SIMULATED demo portfolio, train and activate a model, score and alert.

    Parameters
    ----------
    db : Database
        A migrated database.
    settings : Settings
        Where model files go (``data_dir``).
    admin_username : str
        The existing user who owns the demo (its portfolio is granted to them, the
        audit log names them).
    n_firms, n_years : int
        Size of the simulated panel (default: that of ``finwarn demo``).
    model : str
        The model to train (default: finwarn's default model).
    random_state : int
        Seeds the simulation and the corrupted rows.

    Raises
    ------
    LookupError
        If ``admin_username`` is not a user.
    RuntimeError
        If training fails (with the training's message).
    """
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 2)
        clock = now

    with db.session() as session:
        admin = session.scalar(select(User).where(User.username == admin_username))
        if admin is None:
            raise LookupError(
                f"user '{admin_username}' does not exist; the demo needs its admin "
                "(set FINWARN_ADMIN_PASSWORD to create it)."
            )
        admin_id = admin.id
        portfolio = session.scalar(select(Portfolio).where(Portfolio.name == DEMO_PORTFOLIO))
        upload_id = None
        if portfolio is None:
            portfolio, upload_id = _load_panel(session, admin, n_firms, n_years, random_state)
        else:
            logger.info("demo portfolio exists (id %s): not loaded again", portfolio.id)
        portfolio_id = portfolio.id
    seed = DemoSeed(portfolio_id=portfolio_id, upload_id=upload_id, seconds=seconds)
    lap("loading")

    with db.session() as session:
        current = active_model(session)
    if current is None:
        seed.model_id = _train(db, settings, admin_id, portfolio_id, model)
        lap("training")
        with db.session() as session:
            admin = session.get(User, admin_id)
            trained = session.get(ModelRecord, seed.model_id)
            assert trained is not None
            activate(session, admin, trained)
        seed.activated = True
    else:
        logger.info("model %s is active: no demo model trained", current.id)

    with db.session() as session:
        model_row = active_model(session)
        assert model_row is not None
        scored = session.scalar(
            select(func.count())
            .select_from(Score)
            .join(Firm, Firm.id == Score.firm_id)
            .where(Firm.portfolio_id == portfolio_id, Score.model_id == model_row.id)
        )
        if scored:
            logger.info("demo firms are scored by model %s: not scored again", model_row.id)
        else:
            logger.info("scoring the demo firms with model %s", model_row.id)
            # every period, so the dashboard has migrations and probability trends to show
            result = batch_score(session, ModelCache(), [portfolio_id], all_periods=True)
            admin = session.get(User, admin_id)
            after = {
                "model_id": result.model_id,
                "portfolio_ids": [portfolio_id],
                "scored": result.scored,
                "by_level": result.by_level,
                "alerts": result.alerts,
            }
            record(session, admin, "score", "scores", portfolio_id, after=after)
            seed.scored, seed.alerts = result.scored, result.alerts
            lap("scoring")
    logger.info(
        "demo ready: portfolio %s, %d firm-periods scored, %d alerts raised (seconds: %s)",
        portfolio_id,
        seed.scored,
        seed.alerts,
        seconds,
    )
    return seed


def _load_panel(
    session: Session, admin: User, n_firms: int, n_years: int, random_state: int
) -> tuple[Portfolio, int]:
    logger.info(
        "simulating the demo panel (%d firms x %d years) with deliberately bad rows",
        n_firms,
        n_years,
    )
    panel = make_demo_panel(n_firms=n_firms, n_years=n_years, random_state=random_state)
    corrupted, _ = corrupt_panel(panel, random_state=random_state)
    loaded = validate_frame(corrupted, source=DEMO_SOURCE, known_columns=known_columns())
    portfolio = Portfolio(name=DEMO_PORTFOLIO)
    session.add(portfolio)
    session.flush()
    session.add(Grant(user_id=admin.id, portfolio_id=portfolio.id))
    record(session, admin, "create", "portfolio", portfolio.id, after=snapshot(portfolio))
    record(
        session,
        admin,
        "grant",
        "portfolio",
        portfolio.id,
        after={"user_id": admin.id, "portfolio_id": portfolio.id},
    )
    upload, _ = ingest(
        session, portfolio=portfolio, user_id=admin.id, loaded=loaded, filename=DEMO_SOURCE
    )
    record(session, admin, "upload", "upload", upload.id, after=snapshot(upload))
    logger.info(
        "demo panel loaded: %d rows read, %d accepted, %d quarantined",
        upload.rows_read,
        upload.rows_accepted,
        upload.rows_quarantined,
    )
    return portfolio, upload.id


def _train(db: Database, settings: Settings, admin_id: int, portfolio_id: int, name: str) -> int:
    with db.session() as session:
        admin = session.get(User, admin_id)
        model = ModelRecord(
            name=name,
            status="queued",
            progress=0.0,
            message="queued (demo seeding)",
            metrics={},
            portfolio_ids=[portfolio_id],
            active=False,
            created_by=admin_id,
        )
        session.add(model)
        session.flush()
        record(session, admin, "create", "model", model.id, after=snapshot(model))
        model_id = model.id
    run_training(db, settings, model_id)
    with db.session() as session:
        trained = session.get(ModelRecord, model_id)
        assert trained is not None
        if trained.status != "done":
            raise RuntimeError(f"demo model {model_id}: {trained.message}")
    return model_id
