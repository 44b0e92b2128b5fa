#!/usr/bin/env bash
# Set up the development environment and run the whole test suite (what CI runs).
#   bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy finwarn
.venv/bin/python -m pytest -n 2 "$@"
