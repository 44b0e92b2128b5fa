#!/usr/bin/env bash
# Create .venv (if needed) and install finwarn into it.
#   bash scripts/setup.sh          runtime: finwarn with the BP network (torch CPU build)
#   bash scripts/setup.sh --dev    also the test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."
extra="nn"
[ "${1:-}" = "--dev" ] && extra="dev"
if [ ! -x .venv/bin/python ]; then
    python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned in pyproject.toml to the CPU build; pip finds it on this machine's disk
# (/opt/wheels) or on PyPI's CPU index elsewhere.
.venv/bin/python -m pip install --quiet -e ".[${extra}]"
echo "finwarn installed in .venv ($(.venv/bin/finwarn --version 2>/dev/null || echo 'version unknown'))"
