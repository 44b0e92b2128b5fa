#!/usr/bin/env bash
# Start Debian's PostgreSQL on 127.0.0.1:5432 and create the test role and database that
# the service tests use (FINWARN_TEST_POSTGRES_URL, see tests/service/conftest.py).
# Run as root; safe to run again.
set -euo pipefail
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if [ -z "$(pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1 == v && $2 == "main"')" ]; then
    pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p 5432
sql() { su postgres -c "psql -qtAc \"$1\""; }
if [ "$(sql "SELECT 1 FROM pg_roles WHERE rolname = 'finwarn'")" != "1" ]; then
    sql "CREATE ROLE finwarn LOGIN CREATEDB PASSWORD 'finwarn-test'"
fi
if [ "$(sql "SELECT 1 FROM pg_database WHERE datname = 'finwarn_test'")" != "1" ]; then
    sql "CREATE DATABASE finwarn_test OWNER finwarn"
fi
