#!/usr/bin/env bash
# Create .venv (if needed) and install finwarn into it.
#   bash scripts/setup.sh          runtime: finwarn with the BP network (torch CPU build), charts,
#                                  text and the service (finwarn serve)
#   bash scripts/setup.sh --dev    also the test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."
extra="nn,report,text,service"
[ "${1:-}" = "--dev" ] && extra="dev"
if [ ! -x .venv/bin/python ]; then
    echo "creating .venv"
    python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
log=.venv/setup.log
echo "installing finwarn[${extra}] into .venv (log: ${log})"
# torch is pinned in pyproject.toml to 2.13.0; pip takes its CPU build from this
# machine's disk (/opt/wheels) where it lies there.
if ! { .venv/bin/python -m pip install --upgrade pip \
        && .venv/bin/python -m pip install -e ".[${extra}]"; } >"$log" 2>&1; then
    tail -n 30 "$log"
    echo "setup failed; the whole pip output is in ${log}" >&2
    exit 1
fi
echo "ready: $(.venv/bin/finwarn --version)"
