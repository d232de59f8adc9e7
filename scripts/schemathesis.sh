#!/usr/bin/env bash
# Fuzzes the management API with schemathesis against its own OpenAPI document: the built
# server (target/debug/askonce) on a fresh database (SQLite, or PostgreSQL with
# `scripts/schemathesis.sh postgres`) with a few users and a token with every scope. Every
# check (`--checks all`: no 5xx, documented statuses and schemas, schema-valid requests
# accepted and schema-violating ones refused), examples, coverage, fuzzing and the stateful
# phase (users and fields created, read back, patched, deleted through the documented links).
#
# Set-up fails loudly: a failed import, token or start-up ends the run with an error instead
# of fuzzing a server that answers every call 401. Before fuzzing, an authenticated call must
# succeed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
TOOLS_DIR="${ASKONCE_TOOLS_DIR:-$HOME/.cache/askonce/tools}"
BIN="$CARGO_TARGET_DIR/debug/askonce"
[ -x "$BIN" ] || { echo "build the server first (cargo leptos build)" >&2; exit 1; }
database="${1:-sqlite}"

work="$(mktemp -d)"
server=""
pg_db=""
pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
cleanup() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
  [ -n "$pg_db" ] && psql "$pg_url" -qc "drop database if exists \"$pg_db\" with (force)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# A port nobody listens on now (another run, or a second database, may use the default).
port="${SCHEMATHESIS_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
case "$database" in
  sqlite) export ASKONCE_DATABASE__URL="sqlite://$work/askonce.db?mode=rwc" ;;
  postgres)
    # Named like the test databases, so scripts/postgres.sh drops it if this run is killed.
    pg_db="askonce_t_$(date +%s)_$$_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    psql "$pg_url" -qc "create database \"$pg_db\"" >/dev/null
    export ASKONCE_DATABASE__URL="${pg_url%/*}/$pg_db"
    ;;
  *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac
export ASKONCE_SERVER__BIND="127.0.0.1:$port"
export ASKONCE_SERVER__PUBLIC_URL="http://127.0.0.1:$port"
export ASKONCE_LOG__LEVEL=warn
base="http://127.0.0.1:$port"

cat > "$work/users.json" <<'JSON'
[{"user_id": "ada", "email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace", "user_metadata": {"company": "Engines"},
  "identities": [{"connection": "google", "provider": "google-oauth2", "user_id": "g-1", "isSocial": true}]},
 {"email": "grace@example.com", "identities": [{"connection": "github", "user_id": "7", "isSocial": true}]}]
JSON
"$BIN" users import "$work/users.json" >/dev/null
token="$("$BIN" token create --name schemathesis --scope read:users --scope create:users --scope update:users --scope update:users_app_metadata \
  --scope delete:users --scope read:stages --scope update:stages --scope read:hooks --scope update:hooks \
  --scope read:clients --scope create:clients --scope update:clients --scope delete:clients --scope prompt:users)"
[ -n "$token" ] || { echo "no API token was created" >&2; exit 1; }

"$BIN" serve > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "the server exited:" >&2; cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || { echo "the server did not become healthy:" >&2; cat "$work/server.log" >&2; exit 1; }
# The token really authenticates: otherwise every call is a documented 401 and the run would
# pass having fuzzed nothing past authentication.
curl -fsS -H "Authorization: Bearer $token" "$base/api/v2/users/ada" | grep -q '"ada@example.com"' \
  || { echo "an authenticated call did not succeed: the fuzzing would test nothing" >&2; exit 1; }
curl -fsS -H "Authorization: Bearer $token" "$base/api/v2/fields" >/dev/null \
  || { echo "an authenticated call to /api/v2/fields did not succeed" >&2; exit 1; }
curl -fsS -H "Authorization: Bearer $token" "$base/api/v2/clients" >/dev/null \
  || { echo "an authenticated call to /api/v2/clients did not succeed" >&2; exit 1; }

say "schemathesis against $database"
set +e
"$TOOLS_DIR/venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --workers 1 --seed 1 --no-color
status=$?
set -e
if [ $status -ne 0 ]; then
  echo "the server's warnings and errors during the run (the causes of any 5xx):" >&2
  grep -E "ERROR|WARN" "$work/server.log" | tail -20 >&2 || true
fi
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked during the run:" >&2
  grep -A5 panicked "$work/server.log" >&2
  status=1
fi
exit $status
