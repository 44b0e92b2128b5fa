"""schemathesis against the OpenAPI schema, on a real uvicorn server: no server errors.

A smaller budget than ``benchmarks/fuzz.py`` (which reports 1,000+ cases in
docs/benchmarks/fuzz.md), with the same runner.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from finwarn.service import create_app
from finwarn.service._scoring import batch_score, model_cache
from finwarn.service._security import keyed_digest, new_api_key
from finwarn.service._tables import ApiKey
from tests.service.conftest import LiveServer, make_settings, seed_world
from tests.service.test_authorization import _seed

pytestmark = pytest.mark.slow

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz.py"


def _runner():
    spec = importlib.util.spec_from_file_location("finwarn_fuzz_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_schemathesis_finds_no_server_errors(tmp_path):
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'finwarn.db'}", login_attempts=10**6)
    app = create_app(settings)
    with LiveServer(app) as server:
        world = seed_world(app.state.db, settings)
        ids = _seed(world, tmp_path)
        with world.db.session() as session:
            batch_score(session, model_cache(app.state), [ids["portfolio"]["own"]])
            key, prefix = new_api_key()
            session.add(
                ApiKey(
                    prefix=prefix,
                    digest=keyed_digest(settings.secret, key),
                    name="fuzz",
                    user_id=world.users["admin"].id,
                )
            )
        result = _runner().run_schemathesis(
            server.url, key, max_examples=3, seed=0, report=tmp_path / "schemathesis.json"
        )
        app.state.jobs.shutdown(wait=True, cancel_futures=True)
    assert result["failures"] == [], result["output"][-3000:]
    assert result["test_cases"]["errored"] == 0, result["output"][-3000:]
    assert result["test_cases"]["generated"] >= 300
    runner = _runner()
    refused = set(result["warnings"]["missing_auth"]) - runner.EXPECTED_REFUSALS
    assert refused == set(), "operations answered only 401/403: the fuzzer's key stopped working"
    assert result["operations"]["selected"] == result["operations"]["total"] - 1
