"""Fuzz the service's API from its OpenAPI schema with schemathesis, against a real server.

Starts ``finwarn serve --demo`` (uvicorn, SQLite, the demo portfolio scored by a trained
model) on 127.0.0.1, creates an admin API key, and runs ``schemathesis run`` over every
operation (phases: examples, coverage, fuzzing, stateful) with the check
``not_a_server_error``: any 5xx answer is a failure. Writes ``docs/benchmarks/fuzz.md``
with the number of generated cases and every failure.

One operation is left out: ``DELETE /users/api-keys/{key_id}`` would revoke the key the
fuzzer signs in with (the authorization matrix in tests/service covers it).

Usage (from the project root)::

    .venv/bin/python benchmarks/fuzz.py [--max-examples 25] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from api import PASSWORD, _free_port, _start_server, _wait  # noqa: E402

OUT = ROOT / "docs" / "benchmarks" / "fuzz.md"
#: Operations the fuzzer leaves alone (by OpenAPI operation id), with the reason.
EXCLUDED = {
    "revoke_api_key_api_v1_users_api_keys__key_id__delete": "would revoke the fuzzer's own key"
}
#: Operations that rightly answer the fuzzer only 401/403: an admin may not approve or
#: reject (that is for approvers), and random user names and passwords do not log in.
EXPECTED_REFUSALS = {
    "POST /api/v1/register/changes/{change_id}/approve",
    "POST /api/v1/register/changes/{change_id}/reject",
    "POST /api/v1/auth/login",
}


def admin_key(url: str, password: str = PASSWORD) -> str:
    """An API key of the admin user (signs the fuzzer in without a session to end)."""
    client = httpx.Client(base_url=f"{url}/api/v1", timeout=60)
    login = client.post("/auth/login", json={"username": "admin", "password": password})
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = client.get("/auth/me", headers=headers).json()
    key = client.post(f"/users/{me['id']}/api-keys", json={"name": "fuzz"}, headers=headers)
    key.raise_for_status()
    return key.json()["key"]


def run_schemathesis(
    url: str, key: str, *, max_examples: int, seed: int, report: Path, workers: int = 1
) -> dict:
    """Run the schemathesis CLI against ``url``; its JSON report as a dict."""
    binary = Path(sys.executable).parent / "schemathesis"
    command = [
        str(binary), "run", f"{url}/openapi.json",
        "-H", f"X-API-Key: {key}",
        "--checks", "not_a_server_error",
        "--max-examples", str(max_examples),
        "--seed", str(seed),
        "--workers", str(workers),
        "--request-timeout", "60",
        "--generation-database", "none",
        "--report", "json", "--report-json-path", str(report),
        "--no-color",
    ]  # fmt: skip
    for operation in EXCLUDED:
        command += ["--exclude-operation-id", operation]
    done = subprocess.run(command, capture_output=True, text=True, cwd=report.parent)
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report:\n{done.stdout[-3000:]}{done.stderr}")
    result = json.loads(report.read_text())
    result["output"] = done.stdout
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=25, help="cases per operation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="logit", help="the demo's model")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        server = _start_server(Path(tmp) / "data", port, log, args.model)
        try:
            _wait(url, server, log)
            key = admin_key(url)
            started = time.monotonic()
            result = run_schemathesis(
                url, key, max_examples=args.max_examples, seed=args.seed,
                report=Path(tmp) / "schemathesis.json",
            )  # fmt: skip
            seconds = time.monotonic() - started
            server_errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
        finally:
            server.terminate()
            server.wait(timeout=30)
    cases = result["test_cases"]
    failures = result["failures"]
    missing_auth = set(result["warnings"].get("missing_auth", [])) - EXPECTED_REFUSALS
    lines = [f"- {json.dumps(f)[:500]}" for f in failures] or ["none"]
    row = " | ".join(
        str(v)
        for v in (
            result["operations"].get("tested", "?"),
            f"{cases['generated']:,}",
            cases["with_failures"],
            cases["errored"],
            len(server_errors),
            f"{seconds / 60:.1f}",
        )
    )
    excluded = "\n".join(f"- `{op}`: {why}" for op, why in EXCLUDED.items())
    text = f"""# Fuzzing the API (schemathesis)

Generated by `benchmarks/fuzz.py` on {datetime.now(UTC):%Y-%m-%d}; do not edit by hand.
Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
schemathesis {result["schemathesis_version"]}.

Protocol: `finwarn serve --demo` (uvicorn on 127.0.0.1, SQLite, the demo portfolio scored
by a trained `{args.model}` model); the fuzzer signs in with an admin API key and runs
every operation of `/openapi.json` through the examples, coverage, fuzzing and stateful
phases, at most {args.max_examples} cases per operation and phase, seed {args.seed}.
The check is `not_a_server_error`: any 5xx answer fails.

| operations tested | cases generated | cases with failures | errors | server tracebacks | minutes |
|---|---|---|---|---|---|
| {row} |

Operations that answered only 401/403, beyond approve and reject (for approvers, not
admins) and login (random credentials): {len(missing_auth)}.

Left out:
{excluded}

Failures:
{chr(10).join(lines)}
"""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"wrote {args.out}")
    return 0 if not failures and not cases["errored"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
