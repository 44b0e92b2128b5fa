"""Single-record scoring through HTTP: requests/s and latency against a real server.

Starts ``finwarn serve --demo`` (uvicorn, one process) on 127.0.0.1 with a fresh data
folder, creates an API key, takes one firm's latest period of the demo data as the
record, and loads ``POST /api/v1/scores/single`` with ``wrk`` (Debian's ``wrk``: a C load
generator, so the client costs little of the two cores) at several numbers of concurrent
connections. Writes ``docs/benchmarks/api.md``.

The goal of issue 6 is at least 500 requests/s with p99 <= 10 ms on this 2-core machine.
Client and server share the machine; wrk's latencies are from request sent to response
read on an open connection (no coordinated-omission correction).

Usage (from the project root; ``apt-get install wrk`` first)::

    .venv/bin/python benchmarks/api.py [--duration 20] [--connections 1,4,16]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "api.md"
PASSWORD = "benchmark admin password"
_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "{key}"
wrk.body = [[{body}]]
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(
    data_dir: Path, port: int, log: Path, model: str, workers: int = 1, secret: str | None = None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "FINWARN_SECRET_KEY": secret or os.urandom(32).hex(),
        "FINWARN_ADMIN_PASSWORD": PASSWORD,
    }
    command = [
        sys.executable, "-m", "finwarn", "serve", "--demo", "--demo-model", model,
        "--data-dir", str(data_dir), "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _wait(url: str, process: subprocess.Popen, log: Path, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped; its output:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


def _prepare(url: str, run: int) -> tuple[str, dict]:
    """A new analyst's API key and one demo record to score."""
    client = httpx.Client(base_url=f"{url}/api/v1", timeout=60)
    token = client.post("/auth/login", json={"username": "admin", "password": PASSWORD})
    token.raise_for_status()
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    user = client.post(
        "/users", json={"username": f"scorer{run}", "password": PASSWORD, "role": "analyst"}
    )
    user.raise_for_status()
    key = client.post(f"/users/{user.json()['id']}/api-keys", json={"name": "benchmark"})
    key.raise_for_status()
    demo = client.get("/portfolios").json()[0]["id"]
    client.put(f"/portfolios/{demo}/grants/{user.json()['id']}").raise_for_status()
    firm = client.get("/firms", params={"limit": 1}).json()
    firm = firm["items"][0] if isinstance(firm, dict) else firm[0]
    periods = client.get(f"/firms/{firm['id']}/periods").json()
    periods = periods if isinstance(periods, list) else periods["items"]
    record = {"values": periods[-1]["values"], "industry": firm.get("industry")}
    if len(periods) > 1:  # the growth indicators need the previous period
        record["previous"] = periods[-2]["values"]
    return key.json()["key"], record


def _wrk(url: str, key: str, body: str, connections: int, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA.format(key=key, body=body))
    output = subprocess.run(
        [
            "wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "--latency",
            "-s", script.name, f"{url}/api/v1/scores/single",
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    Path(script.name).unlink()

    def ms(label: str) -> float:
        found = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if found is None:
            raise RuntimeError(f"wrk printed no {label} latency:\n{output}")
        value, unit = float(found.group(1)), found.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    total = re.search(r"(\d+) requests in", output)
    return {
        "connections": connections,
        "requests": int(total.group(1)) if total else 0,
        "rps": float(rate.group(1)) if rate else 0.0,
        "p50": ms("50%"),
        "p90": ms("90%"),
        "p99": ms("99%"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def _table(rows: list[dict]) -> str:
    lines = [
        "| workers | reasons | connections | requests | requests/s | p50 ms | p90 ms | p99 ms "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        errors = f"{r['non_2xx']} non-2xx"
        if r["socket_errors"]:
            errors += f"; socket: {r['socket_errors']}"
        lines.append(
            f"| {r['workers']} | {'yes' if r['reasons'] else 'no'} | {r['connections']} | "
            f"{r['requests']:,} | "
            f"{r['rps']:,.0f} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | {errors} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per load level")
    parser.add_argument("--connections", default="1,4,16", help="concurrent connections")
    parser.add_argument("--workers", default="1,2", help="server processes to compare")
    parser.add_argument(
        "--reasons-duration", type=int, default=10, help="seconds per load level with reasons"
    )
    parser.add_argument("--model", default="bp", help="the demo's model (default: bp)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    levels = [int(c) for c in args.connections.split(",")]
    rows = []
    secret = os.urandom(32).hex()
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (int(w) for w in args.workers.split(",")):
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            log = Path(tmp) / f"server-{workers}.log"
            started = time.monotonic()
            # the same data folder each time: the demo is seeded by the first start only
            server = _start_server(Path(tmp) / "data", port, log, args.model, workers, secret)
            try:
                _wait(url, server, log)
                print(f"{workers} worker(s) ready in {time.monotonic() - started:.0f} s")
                key, record = _prepare(url, workers)
                for reasons in (False, True):
                    body = json.dumps({**record, "reasons": reasons})
                    _wrk(url, key, body, 2 * workers, 3)  # warm-up (loads the model)
                    duration = args.reasons_duration if reasons else args.duration
                    for connections in levels:
                        result = _wrk(url, key, body, connections, duration)
                        result |= {"reasons": reasons, "workers": workers}
                        print(result)
                        rows.append(result)
            finally:
                server.terminate()
                server.wait(timeout=30)
    load = os.getloadavg()
    best = [r for r in rows if not r["reasons"]]
    met = [r for r in best if r["rps"] >= 500 and r["p99"] <= 10 and r["non_2xx"] == 0]
    verdict = (
        "met with "
        + ", ".join(f"{r['workers']} worker(s) at {r['connections']} connections" for r in met)
        if met
        else "not met at any load level measured"
    )
    text = f"""# Single-record scoring through HTTP

Generated by `benchmarks/api.py` on {datetime.now(UTC):%Y-%m-%d}; do not edit by hand.
Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
load average after the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min).

Protocol: `finwarn serve --demo --workers W` (uvicorn with W processes, SQLite) on
127.0.0.1 with the demo portfolio's `{args.model}` model active; an analyst's API key
(`X-API-Key`, checked against the database on every request); the body is one demo
firm's latest period with its previous one (`POST /api/v1/scores/single`). `wrk` (one
thread) keeps N connections busy for {args.duration} s per row ({args.reasons_duration} s
with reasons) after a 3 s warm-up; client and server share the 2 cores.

{_table(rows)}

Goal (issue 6): at least 500 requests/s with p99 <= 10 ms (reasons off): **{verdict}**.
"""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
