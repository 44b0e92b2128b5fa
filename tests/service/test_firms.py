"""Firms: scoped lists with filters and pages, a firm with its periods, values and scores."""

from __future__ import annotations

import pytest

from finwarn.service._tables import Firm, ModelRecord, Observation, Score, Upload
from tests.service._data_plane import API


def _seed(world, *, active: bool = True) -> dict[str, int]:
    """Firms A1, A2, B1 in ``own`` with periods and scores; one foreign firm scored too."""
    admin = world.users["admin"].id
    with world.db.session() as session:
        upload = Upload(
            filename="x.csv",
            portfolio_id=world.own.id,
            user_id=admin,
            rows_read=0,
            rows_accepted=0,
            rows_quarantined=0,
        )
        old = ModelRecord(name="logit", status="done", created_by=admin, metrics={})
        model = ModelRecord(name="lightgbm", status="done", active=active, created_by=admin)
        session.add_all([upload, old, model])
        session.flush()
        ids = {"model": model.id, "old": old.id, "upload": upload.id}
        for code in ("A1", "A2", "B1"):
            firm = Firm(portfolio_id=world.own.id, code=code, industry="retail")
            session.add(firm)
            session.flush()
            ids[code] = firm.id
        levels = {"A1": ("none", "heavy"), "A2": ("light", "light"), "B1": ("heavy", "none")}
        for code, (first, last) in levels.items():
            for period, level in ((2020, first), (2021, last)):
                session.add(
                    Observation(
                        firm_id=ids[code],
                        period=period,
                        label=None,
                        values={"total_assets": 100.0 + period, "cash": None},
                        upload_id=upload.id,
                    )
                )
                session.add(
                    Score(
                        firm_id=ids[code],
                        period=period,
                        model_id=model.id,
                        probability=0.5,
                        level=level,
                        rank=1,
                        reasons=[{"order": 1, "feature": "cash_ratio"}],
                        indicators={"cash_ratio": 0.1},
                    )
                )
        # a score by another model, and one of a foreign firm
        session.add(
            Score(
                firm_id=ids["A1"],
                period=2021,
                model_id=old.id,
                probability=0.9,
                level="heavy",
                rank=1,
            )
        )
        session.add(
            Score(
                firm_id=world.foreign_firm.id,
                period=2021,
                model_id=model.id,
                probability=0.9,
                level="heavy",
                rank=1,
            )
        )
    return ids


def test_list_is_scoped_and_paged(client, world):
    _seed(world)
    viewer = world.headers("viewer")
    answer = client.get(f"{API}/firms", headers=viewer)
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 4 and body["limit"] == 50 and body["offset"] == 0
    assert [f["code"] for f in body["items"]] == ["A1", "A2", "B1", "OWN1"]
    page = client.get(f"{API}/firms?limit=2&offset=1", headers=viewer).json()
    assert page["total"] == 4
    assert [f["code"] for f in page["items"]] == ["A2", "B1"]
    too_big = client.get(f"{API}/firms?limit=501", headers=viewer)
    assert too_big.status_code == 422


def test_latest_score_and_level_filter(client, world):
    ids = _seed(world)
    viewer = world.headers("viewer")
    items = client.get(f"{API}/firms", headers=viewer).json()["items"]
    latest = {
        f["code"]: f["latest"] and (f["latest"]["period"], f["latest"]["level"]) for f in items
    }
    assert latest == {
        "A1": (2021, "heavy"),
        "A2": (2021, "light"),
        "B1": (2021, "none"),
        "OWN1": None,
    }
    heavy = client.get(f"{API}/firms?level=heavy", headers=viewer).json()
    # B1 was heavy in 2020 only, the foreign firm is out of scope: only A1
    assert [f["id"] for f in heavy["items"]] == [ids["A1"]]
    assert heavy["total"] == 1


@pytest.mark.parametrize(("q", "codes"), [("a", ["A1", "A2"]), ("B1", ["B1"]), ("%", [])])
def test_code_search(client, world, q, codes):
    _seed(world)
    answer = client.get(f"{API}/firms", params={"q": q}, headers=world.headers("viewer"))
    assert [f["code"] for f in answer.json()["items"]] == codes


def test_portfolio_filter(client, world):
    _seed(world)
    viewer = world.headers("viewer")
    own = client.get(f"{API}/firms?portfolio_id={world.own.id}", headers=viewer)
    assert own.json()["total"] == 4
    for portfolio_id in (world.foreign.id, 9999):
        answer = client.get(f"{API}/firms?portfolio_id={portfolio_id}", headers=viewer)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Portfolio not found"}


def test_level_filter_without_active_model_finds_nothing(client, world):
    _seed(world, active=False)
    answer = client.get(f"{API}/firms?level=heavy", headers=world.headers("viewer"))
    assert answer.json() == {"total": 0, "limit": 50, "offset": 0, "items": []}


def test_firm_detail_periods_and_scores(client, world):
    ids = _seed(world)
    viewer = world.headers("viewer")
    detail = client.get(f"{API}/firms/{ids['A1']}", headers=viewer)
    assert detail.status_code == 200
    body = detail.json()
    assert (body["code"], body["industry"], body["periods"]) == ("A1", "retail", [2020, 2021])
    assert body["latest"]["model_id"] == ids["model"]
    assert body["latest"]["period"] == 2021 and body["latest"]["level"] == "heavy"
    assert body["latest"]["reasons"] == [{"order": 1, "feature": "cash_ratio"}]
    assert body["latest"]["indicators"] == {"cash_ratio": 0.1}

    periods = client.get(f"{API}/firms/{ids['A1']}/periods", headers=viewer).json()
    assert periods == [
        {
            "period": p,
            "label": None,
            "industry": "retail",
            "upload_id": ids["upload"],
            "values": {"total_assets": 100.0 + p, "cash": None},
        }
        for p in (2020, 2021)
    ]
    history = client.get(f"{API}/firms/{ids['A1']}/scores", headers=viewer).json()
    assert [(s["period"], s["level"]) for s in history] == [(2020, "none"), (2021, "heavy")]
    older = client.get(f"{API}/firms/{ids['A1']}/scores?model_id={ids['old']}", headers=viewer)
    assert [(s["period"], s["level"]) for s in older.json()] == [(2021, "heavy")]


@pytest.mark.parametrize("path", ["", "/periods", "/scores"])
def test_foreign_firm_answers_as_a_missing_one(client, world, path):
    _seed(world)
    for firm_id in (world.foreign_firm.id, 9999):
        answer = client.get(f"{API}/firms/{firm_id}{path}", headers=world.headers("admin"))
        assert answer.status_code == 404
        assert answer.json() == {"detail": "Firm not found"}


def test_reading_firms_needs_a_login(client, world):
    answer = client.get(f"{API}/firms")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Not authenticated"}
