#!/usr/bin/env bash
# Makes sure the test PostgreSQL answers at $TEST_DATABASE_URL: starts a local cluster that is
# installed but stopped, and drops test databases left behind by killed runs.
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

# Test databases left by killed runs (services/src/testing.rs, RunPrefix: a test database drops
# itself otherwise). Other runs may be going on against this server right now (another
# checkout, a CI job in another container), so only a run that started more than 6 hours ago
# is taken as dead — no test process lives that long — and, as PostgreSQL refuses to drop a
# database somebody is connected to without `force`, never one still in use. Names from before
# run prefixes (askonce_t_<uuid>) have no start time: dropped when nobody is connected.
leftovers=$(psql "$url" -Atqc "
  select datname from pg_database
  where case
    when datname ~ '^askonce_t_[0-9]+_[0-9]+_[0-9a-f]+\$'
      then split_part(datname, '_', 3)::bigint < extract(epoch from now()) - 6 * 3600
    else datname ~ '^askonce_t_[0-9a-f]{32}\$'
  end")
for db in $leftovers; do
  psql "$url" -qc "drop database if exists \"$db\"" >/dev/null 2>&1 || true
done
exit 0
