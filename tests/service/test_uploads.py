"""Uploads: the core's validation, quarantined rows returned and stored, scope, atomicity,
and the exact round trip of the values through the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from finwarn.data import SUPPORTED_SUFFIXES, load_data, validate_frame
from finwarn.service._db import Database
from finwarn.service._frames import NO_PERIOD, ingest, load_portfolios
from finwarn.service._tables import (
    AuditEvent,
    Firm,
    Observation,
    Portfolio,
    QuarantinedRow,
    Upload,
    User,
)
from finwarn.workflow import known_columns
from tests.service._data_plane import API, csv_bytes, panel, parquet_bytes, upload


def _count(world, table) -> int:
    with world.db.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_upload_accepts_rows_and_returns_the_quarantine(client, world, tmp_path):
    frame = panel()
    path = tmp_path / "panel.csv"
    path.write_bytes(csv_bytes(frame))
    expected = load_data(path, known_columns=known_columns())
    answer = upload(client, world, path.read_bytes())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["filename"] == "panel.csv"
    assert body["portfolio_id"] == world.own.id
    assert body["user_id"] == world.users["analyst"].id
    assert (body["rows_read"], body["rows_accepted"], body["rows_quarantined"]) == (
        len(frame),
        len(expected.data),
        len(expected.quarantine),
    )
    assert len(expected.quarantine) == 9  # eight damaged rows, the duplicate pair counts twice
    assert body["quarantined"] == [
        {
            "row": int(row.row),
            "entity": row.entity,
            "period": None if pd.isna(row.period) else str(int(row.period)),
            "problem": row.problem,
            "reason": row.reason,
        }
        for row in expected.quarantine.itertuples()
    ]
    stored = client.get(f"{API}/uploads/{body['id']}", headers=world.headers("viewer"))
    assert stored.status_code == 200
    assert stored.json()["quarantined"] == body["quarantined"]
    # the rows are in the database: one observation per accepted row, a firm per company
    assert _count(world, Observation) == len(expected.data)
    assert _count(world, QuarantinedRow) == 9
    with world.db.session() as session:
        codes = set(session.scalars(select(Firm.code).where(Firm.portfolio_id == world.own.id)))
        event = session.scalar(select(AuditEvent).where(AuditEvent.entity == "upload"))
        assert event.action == "upload" and event.username == "analyst"
        assert event.entity_id == str(body["id"])
        fields = ("filename", "portfolio_id", "rows_read", "rows_accepted", "rows_quarantined")
        assert {k: event.after[k] for k in fields} == {k: body[k] for k in fields}
    assert codes == set(expected.data["entity"]) | {"OWN1"}


def test_missing_entity_row_is_quarantined_with_its_reason(client, world):
    frame = pd.DataFrame(
        {"company": ["A", "", "B"], "year": [2020, 2020, 2020], "total_assets": [1.0, 2.0, 3.0]}
    )
    answer = upload(client, world, csv_bytes(frame))
    assert answer.status_code == 201
    assert answer.json()["quarantined"] == [
        {
            "row": 2,
            "entity": "",
            "period": "2020",
            "problem": "missing_entity",
            "reason": "company id missing in column 'company'",
        }
    ]


@pytest.mark.parametrize("name", ["panel.parquet", "panel.pq"])
def test_parquet_upload(client, world, name):
    frame = panel(corrupt=False)
    answer = upload(client, world, parquet_bytes(frame), name=name)
    assert answer.status_code == 201, answer.text
    assert answer.json()["rows_accepted"] == len(frame)
    assert answer.json()["quarantined"] == []


def test_upload_again_replaces_the_firm_periods(client, world):
    frame = panel(corrupt=False)
    assert upload(client, world, csv_bytes(frame)).status_code == 201
    changed = frame.assign(revenue=frame["revenue"] * 2)
    second = upload(client, world, csv_bytes(changed))
    assert second.status_code == 201
    assert _count(world, Observation) == len(frame)
    with world.db.session() as session:
        values = session.scalars(
            select(Observation.values).where(Observation.upload_id == second.json()["id"])
        ).all()
    assert len(values) == len(frame)
    assert sorted(v["revenue"] for v in values) == sorted(changed["revenue"].tolist())


@pytest.mark.parametrize("name", ["panel.exe", "panel", "panel.csv.zip"])
def test_unsupported_file_type_is_refused(client, world, name):
    answer = upload(client, world, b"a,b\n1,2\n", name=name)
    assert answer.status_code == 415
    shown = name[name.rfind(".") :] if "." in name else name
    assert answer.json() == {
        "detail": f"Unsupported file type '{shown}' ({name}). finwarn reads "
        f"{', '.join(SUPPORTED_SUFFIXES)}; convert the file to CSV or Parquet."
    }
    assert _count(world, Upload) == 0


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (
            b"name,comment\nA,x\nB,y\n",
            "panel.csv: no numeric feature columns found (columns: 'name', 'comment'). "
            "finwarn needs raw statement items or ratios as numbers.",
        ),
        (b"", "panel.csv: the file is empty; it needs a header row and data rows."),
    ],
)
def test_whole_file_problem_answers_422_with_the_core_message(client, world, content, detail):
    answer = upload(client, world, content)
    assert answer.status_code == 422
    assert answer.json() == {"detail": detail}
    assert _count(world, Upload) == 0


def test_mapping_file_is_used_and_named_in_errors(client, world):
    data = b"company,year,assets\nA,2020,10\nB,2020,20\n"
    files = {
        "file": ("panel.csv", data, "text/csv"),
        "mapping": ("mine.yaml", b"entity: firm_code\n", "application/yaml"),
    }
    bad = client.post(
        f"{API}/uploads",
        data={"portfolio_id": str(world.own.id)},
        files=files,
        headers=world.headers("analyst"),
    )
    assert bad.status_code == 422
    assert bad.json() == {
        "detail": "panel.csv: the mapping (mine.yaml) says the entity column is 'firm_code', "
        "but the file has no such column. Columns in the file: 'company', 'year', 'assets'."
    }
    files["mapping"] = ("mine.yaml", b"columns:\n  total_assets: assets\n", "application/yaml")
    good = client.post(
        f"{API}/uploads",
        data={"portfolio_id": str(world.own.id)},
        files=files,
        headers=world.headers("analyst"),
    )
    assert good.status_code == 201, good.text
    with world.db.session() as session:
        values = session.scalars(select(Observation.values)).all()
    assert sorted(v["total_assets"] for v in values) == [10.0, 20.0]


@pytest.mark.parametrize("foreign", [True, False])
def test_foreign_portfolio_answers_as_a_missing_one(client, world, foreign):
    portfolio_id = world.foreign.id if foreign else 9999
    answer = upload(client, world, csv_bytes(panel()), portfolio_id=portfolio_id)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Portfolio not found"}


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_roles_without_upload_permission_are_refused(client, world, role):
    answer = upload(client, world, csv_bytes(panel()), role=role)
    assert answer.status_code == 403
    assert answer.json() == {"detail": f"The {role} role may not do this (it needs 'upload')."}


def test_upload_lists_are_scoped(client, world):
    mine = upload(client, world, csv_bytes(panel(corrupt=False))).json()["id"]
    with world.db.session() as session:
        foreign = Upload(
            filename="theirs.csv",
            portfolio_id=world.foreign.id,
            user_id=world.users["admin"].id,
            rows_read=0,
            rows_accepted=0,
            rows_quarantined=0,
        )
        session.add(foreign)
        session.flush()
        foreign_id = foreign.id
    viewer = world.headers("viewer")
    listed = client.get(f"{API}/uploads", headers=viewer)
    assert [u["id"] for u in listed.json()] == [mine]
    for upload_id in (foreign_id, 9999):
        answer = client.get(f"{API}/uploads/{upload_id}", headers=viewer)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Upload not found"}
    answer = client.get(f"{API}/uploads?portfolio_id={world.foreign.id}", headers=viewer)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Portfolio not found"}


def test_failure_mid_upload_stores_nothing(client, world, monkeypatch):
    import finwarn.service._frames as frames

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # fails after the upload, its quarantined rows and the firms were added
    monkeypatch.setattr(frames, "_observations", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        upload(client, world, csv_bytes(panel()))
    assert _count(world, Upload) == 0
    assert _count(world, QuarantinedRow) == 0
    assert _count(world, Observation) == 0
    assert _count(world, Firm) == 2  # only the seeded OWN1 and FOR1


def _database(url: str) -> tuple[Database, int, int]:
    db = Database(url)
    db.migrate()
    with db.session() as session:
        user = User(username="loader", password_hash="-", role="analyst")
        portfolio = Portfolio(name="p")
        session.add_all([user, portfolio])
        session.flush()
        return db, user.id, portfolio.id


def _awkward(frame: pd.DataFrame) -> pd.DataFrame:
    """Values a careless store would change: tiny, huge, inexact binary fractions, NaN."""
    frame = frame.copy()
    frame.loc[0, "revenue"] = 0.1 + 0.2
    frame.loc[1, "revenue"] = 1e-300
    frame.loc[2, "revenue"] = 1.7976931348623157e308
    frame.loc[3, "revenue"] = np.nan
    frame.loc[4, "cash"] = 123456789.123456789
    frame.loc[5, "industry"] = None  # validation makes it "unknown"
    return frame


def test_round_trip_keeps_every_value_exactly(database_url):
    db, user_id, portfolio_id = _database(database_url)
    loaded = validate_frame(_awkward(panel()), source="panel.csv", known_columns=known_columns())
    with db.session() as session:
        portfolio = session.get(Portfolio, portfolio_id)
        _, rows = ingest(
            session, portfolio=portfolio, user_id=user_id, loaded=loaded, filename="panel.csv"
        )
        assert len(rows) == len(loaded.quarantine) == 9
    with db.session() as session:
        rebuilt = load_portfolios(session, [portfolio_id])
        stored = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.row)).all()
        assert [(r.row, r.problem, r.reason) for r in stored] == list(
            zip(
                loaded.quarantine["row"],
                loaded.quarantine["problem"],
                loaded.quarantine["reason"],
                strict=True,
            )
        )
    db.dispose()
    keys = ["entity", "period"]
    original = loaded.data.sort_values(keys).reset_index(drop=True)
    again = rebuilt.loaded.data.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(again, original, check_exact=True)
    assert rebuilt.loaded.features == loaded.features
    assert math.isnan(again.loc[again["revenue"].isna(), "revenue"].iloc[0])
    assert len(set(rebuilt.firm_ids.tolist())) == loaded.data["entity"].nunique()


def test_rollback_mid_ingest_stores_nothing(database_url):
    db, user_id, portfolio_id = _database(database_url)
    loaded = validate_frame(panel(), source="panel.csv", known_columns=known_columns())
    with pytest.raises(RuntimeError, match="stop"), db.session() as session:
        portfolio = session.get(Portfolio, portfolio_id)
        ingest(session, portfolio=portfolio, user_id=user_id, loaded=loaded, filename="x")
        raise RuntimeError("stop")  # e.g. the audit event failed: the transaction rolls back
    with db.session() as session:
        for table in (Upload, QuarantinedRow, Observation, Firm):
            assert session.scalar(select(func.count()).select_from(table)) == 0
    db.dispose()


def test_data_without_period_or_industry(database_url):
    db, user_id, portfolio_id = _database(database_url)
    raw = pd.DataFrame({"id": ["A", "B"], "Attr1": [0.5, None], "class": [0, 1]})
    loaded = validate_frame(raw, source="one.csv", known_columns=known_columns())
    with db.session() as session:
        ingest(
            session,
            portfolio=session.get(Portfolio, portfolio_id),
            user_id=user_id,
            loaded=loaded,
            filename="one.csv",
        )
    with db.session() as session:
        periods = set(session.scalars(select(Observation.period)))
        rebuilt = load_portfolios(session, [portfolio_id])
    db.dispose()
    assert periods == {NO_PERIOD}
    pd.testing.assert_frame_equal(rebuilt.loaded.data, loaded.data, check_exact=True)


def test_same_code_in_two_portfolios_stays_two_firms(world):
    loaded = validate_frame(
        pd.DataFrame({"company": ["A"], "year": [2020], "total_assets": [5.0]}),
        source="a.csv",
    )
    with world.db.session() as session:
        for portfolio in (world.own, world.foreign):
            ingest(
                session,
                portfolio=session.get(Portfolio, portfolio.id),
                user_id=world.users["admin"].id,
                loaded=loaded,
                filename="a.csv",
            )
    with world.db.session() as session:
        both = load_portfolios(session, [world.own.id, world.foreign.id])
        one = load_portfolios(session, [world.own.id])
    assert sorted(both.loaded.data["entity"]) == sorted(
        [f"A@{world.own.id}", f"A@{world.foreign.id}"]
    )
    assert one.loaded.data["entity"].tolist() == ["A"]


@pytest.mark.parametrize(
    ("name", "content", "detail"),
    [
        (
            "book.xlsx",
            b"PK\x03\x04garbage",
            "book.xlsx: could not be read as XLSX (File is not a zip file). Check that the "
            "file is complete and of the type its name says.",
        ),
        (
            "panel.csv",
            b"a,b\n1\r2,3\n",
            "panel.csv: could not be read as CSV (new-line character seen in unquoted field - "
            "do you need to open the file in universal-newline mode?). Check that the file is "
            "complete and of the type its name says.",
        ),
    ],
)
def test_unreadable_file_answers_422(client, world, name, content, detail):
    answer = upload(client, world, content, name=name)
    assert answer.status_code == 422
    assert answer.json() == {"detail": detail}


def test_company_id_the_database_cannot_hold_is_quarantined(client, world):
    frame = pd.DataFrame(
        {"company": ["A", "B" * 101, "C\x00D"], "year": [2020] * 3, "total_assets": [1.0] * 3}
    )
    answer = upload(client, world, parquet_bytes(frame), name="ids.parquet")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["rows_accepted"], body["rows_quarantined"]) == (1, 2)
    assert body["quarantined"] == [
        {
            "row": 2,
            "entity": "B" * 100,
            "period": "2020",
            "problem": "bad_entity",
            "reason": "company id of 101 characters is longer than the 100 the service stores; "
            "shorten it",
        },
        {
            "row": 3,
            "entity": "C\ufffdD",
            "period": "2020",
            "problem": "bad_entity",
            "reason": "company id contains a NUL character; remove it",
        },
    ]


def test_text_postgresql_refuses_is_stored_safely(database_url):
    db, user_id, portfolio_id = _database(database_url)
    raw = pd.DataFrame(
        {
            "company": ["A\x00", "B", "C"],
            "year": [2020, 2020, 2020],
            "sector": ["retail", "re\x00tail", "energy"],
            "total_assets": ["1", "2", "12\x00"],
        }
    )
    loaded = validate_frame(raw, source="nul.csv")
    with db.session() as session:
        ingest(
            session,
            portfolio=session.get(Portfolio, portfolio_id),
            user_id=user_id,
            loaded=loaded,
            filename="nul.csv",
        )
    with db.session() as session:
        stored = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.row)).all()
        firms = session.scalars(select(Firm)).all()
        rebuilt = load_portfolios(session, [portfolio_id])
    db.dispose()
    assert [(r.row, r.entity, r.problem, r.reason) for r in stored] == [
        (1, "A\ufffd", "bad_entity", "company id contains a NUL character; remove it"),
        (3, "C", "text_in_numeric", "text '12\\x00' in numeric column 'total_assets'"),
    ]
    assert [(f.code, f.industry) for f in firms] == [("B", "re\ufffdtail")]
    assert rebuilt.loaded.data["industry"].tolist() == ["re\x00tail"]  # kept exactly in JSON
