#!/usr/bin/env bash
# Makes sure the test PostgreSQL answers at $TEST_DATABASE_URL: starts a local cluster that is
# installed but stopped, and drops test databases left behind by crashed runs.
# Exit status: 0 reachable, 1 not reachable.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

reachable() { command -v psql >/dev/null && psql "$url" -Atqc 'select 1' >/dev/null 2>&1; }

if ! reachable && [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
  for version in $(ls /etc/postgresql); do
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  done
  for _ in $(seq 1 20); do reachable && break; sleep 0.5; done
fi
reachable || exit 1

leftovers=$(psql "$url" -Atqc "select datname from pg_database where datname like 'askonce_t_%'")
for db in $leftovers; do
  psql "$url" -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true
done
exit 0
