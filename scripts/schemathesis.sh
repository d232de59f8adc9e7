#!/usr/bin/env bash
# Fuzzes the management API with schemathesis against its own OpenAPI document: the built
# server (target/debug/askonce) on a fresh SQLite database with a few users, a token with
# every scope, and checks that no answer is a 5xx or breaks the documented schemas.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
TOOLS_DIR="${ASKONCE_TOOLS_DIR:-$HOME/.cache/askonce/tools}"
BIN="$CARGO_TARGET_DIR/debug/askonce"
[ -x "$BIN" ] || { echo "build the server first (cargo leptos build)" >&2; exit 1; }

work="$(mktemp -d)"
port="${SCHEMATHESIS_PORT:-3150}"
export ASKONCE_DATABASE__URL="sqlite://$work/askonce.db?mode=rwc"
export ASKONCE_SERVER__BIND="127.0.0.1:$port"
export ASKONCE_SERVER__PUBLIC_URL="http://127.0.0.1:$port"
export ASKONCE_LOG__LEVEL=warn
cat > "$work/users.json" <<'JSON'
[{"user_id": "ada", "email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace", "user_metadata": {"company": "Engines"},
  "identities": [{"connection": "google", "provider": "google-oauth2", "user_id": "g-1", "isSocial": true}]},
 {"email": "grace@example.com", "identities": [{"connection": "github", "user_id": "7", "isSocial": true}]}]
JSON
"$BIN" users import "$work/users.json" >/dev/null
token="$("$BIN" token create --name schemathesis --scope read:users --scope update:users --scope update:users_app_metadata \
  --scope delete:users --scope read:stages --scope update:stages 2>/dev/null)"
"$BIN" serve > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

"$TOOLS_DIR/venv/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --workers 1 --seed 1 --no-color
status=$?
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked during the run:" >&2
  grep -A5 panicked "$work/server.log" >&2
  status=1
fi
exit $status
