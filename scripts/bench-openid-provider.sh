#!/usr/bin/env bash
# AskOnce as an OpenID Provider, side by side with oidc-provider (panva, OpenID-certified;
# bench/oidc-provider-op.mjs) in one run: AskOnce's release build on SQLite and on
# PostgreSQL, each as the only provider of one confidential client, driven by the same
# bench/op-bench.mjs.
#
# For each target: BENCH_CONCURRENCY people signed in (each its own browser), BENCH_WARMUP
# unmeasured authorizations, then BENCH_AUTHORIZATIONS full authorizations — authorize
# (PKCE S256) → code → token (ID token signature checked) → userinfo — with the provider's
# CPU time from /proc/PID/stat around them; then BENCH_TOKEN_CONCURRENCY clients on the token
# endpoint (client_credentials) for BENCH_TOKEN_SECONDS: requests/s, p50, p99, CPU per
# request. The issue's targets: AskOnce's CPU per authorization at most half of
# oidc-provider's, and a token-endpoint p99 under 20 ms at 32 concurrent clients, on both
# databases. Then, AskOnce only, the CPU of a prompt decision (issue 31): BENCH_PROMPT_REQUESTS
# GETs of /welcome and of /api/v2/users/{id}/prompt, and a burst of /api/prompt with prompt
# tokens, side by side (bench/op-bench.mjs, phase 4). Ends with markdown tables; exits 1 when
# any request failed.
#
# Usage: scripts/bench-openid-provider.sh
# Environment (all optional):
#   BENCH_TARGETS="oidc-provider sqlite postgres"   which to run
#   BENCH_AUTHORIZATIONS=400 BENCH_CONCURRENCY=8 BENCH_WARMUP=40
#   BENCH_TOKEN_SECONDS=15 BENCH_TOKEN_CONCURRENCY=32
#   BENCH_PROMPT_REQUESTS=2000             0 skips the prompt decisions
#   BENCH_BUILD=0                          use the existing release build, build nothing
#   BENCH_LOG_LEVEL=info                   AskOnce's log level (its default)
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server for the askonce_op_bench database
#   BENCH_OIDC_PORT=4500 BENCH_ASKONCE_PORT=3100
#   BENCH_OUT=target/bench-openid-provider/<time>     where the logs and results go
#   BENCH_SITE_ROOT=DIR                    the built site (default: target/site)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

TARGETS="${BENCH_TARGETS:-oidc-provider sqlite postgres}"
AUTHORIZATIONS="${BENCH_AUTHORIZATIONS:-400}"
CONCURRENCY="${BENCH_CONCURRENCY:-8}"
WARMUP="${BENCH_WARMUP:-40}"
TOKEN_SECONDS="${BENCH_TOKEN_SECONDS:-15}"
TOKEN_CONCURRENCY="${BENCH_TOKEN_CONCURRENCY:-32}"
PROMPT_REQUESTS="${BENCH_PROMPT_REQUESTS:-2000}"
LOG_LEVEL="${BENCH_LOG_LEVEL:-info}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB=askonce_op_bench
OIDC_PORT="${BENCH_OIDC_PORT:-4500}"
ASKONCE_PORT="${BENCH_ASKONCE_PORT:-3100}"
OUT="${BENCH_OUT:-$ROOT/target/bench-openid-provider/$(date +%Y%m%d-%H%M%S)}"
BIN="$CARGO_TARGET_DIR/release/askonce"
# The same client on every target: a confidential web app returning to an address where
# nothing listens (the driver stops at the redirect), and for AskOnce a machine application
# for client_credentials (oidc-provider's one client has that grant itself).
CLIENT_ID=bench
MACHINE_ID=bench-machine
SECRET=bench-client-secret-0123456789abcdefghijkl
REDIRECT=http://127.0.0.1:9/cb

die() { printf '\033[1;31m[bench-openid-provider] %s\033[0m\n' "$*" >&2; exit 2; }
wants() { [[ " $TARGETS " == *" $1 "* ]]; }
mkdir -p "$OUT"

# --- prerequisites -------------------------------------------------------------------
command -v node >/dev/null || die "Node.js is required (apt-get install nodejs npm)"
# oidc-provider, at the version end2end/package.json pins, from its lockfile.
wants oidc-provider && npm_ci "$ROOT/end2end"

bench_prepare "$( (wants sqlite || wants postgres) && echo 1 || echo 0)" "$(wants postgres && echo 1 || echo 0)"

# --- processes -------------------------------------------------------------------------
PIDS=()
# AskOnce's database file, key and configuration: fresh per run, deleted afterwards (the
# logs and results stay in $OUT).
DATA=$(mktemp -d "${TMPDIR:-/tmp}/askonce-op-bench.XXXXXX")
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if wants postgres && command -v psql >/dev/null; then
    psql "$PG_URL/postgres" -qc "drop database if exists $PG_DB with (force)" >/dev/null 2>&1 || true
  fi
  rm -rf "$DATA"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $(wants oidc-provider && echo "$OIDC_PORT") $( (wants sqlite || wants postgres) && echo "$ASKONCE_PORT"); do
  port_free "$p" || die "port $p is in use (set BENCH_OIDC_PORT / BENCH_ASKONCE_PORT)"
done

# wait_for NAME PID CHECK...: polls CHECK until it succeeds (30 s), failing when PID exits.
wait_for() {
  local name="$1" pid="$2"; shift 2
  for _ in $(seq 1 300); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || die "$name exited while starting; its log: $OUT/$name.log ($(tail -n 5 "$OUT/$name.log" | tr '\n' ' '))"
    sleep 0.1
  done
  die "$name did not become ready within 30 s; its log: $OUT/$name.log"
}
http_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; }
ready_line() { grep -q '^READY ' "$1"; }

# Sets OP_PID, OP_URL, OP_LOG. `node` itself is the background job (not a subshell), so
# OP_PID is the process whose CPU the driver reads.
start_oidc_provider() {
  OP_LOG="$OUT/oidc-provider.log"
  node bench/oidc-provider-op.mjs --port "$OIDC_PORT" --redirect "$REDIRECT" \
    --client-id "$CLIENT_ID" --client-secret "$SECRET" >"$OP_LOG" 2>&1 &
  OP_PID=$!
  PIDS+=("$OP_PID")
  wait_for oidc-provider "$OP_PID" ready_line "$OP_LOG"
  OP_URL="http://127.0.0.1:$OIDC_PORT"
}

# AskOnce with a generated configuration, run from $DATA so no ./askonce.toml is read.
# The subshell execs the binary: OP_PID is AskOnce's own process.
start_askonce() { # sqlite|postgres
  local db_url dir="$DATA/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  case "$1" in
    sqlite)
      db_url="sqlite://$dir/askonce.db?mode=rwc" ;;
    postgres)
      PGOPTIONS="-c client_min_messages=warning" psql "$PG_URL/postgres" -qc "drop database if exists $PG_DB with (force)" >/dev/null
      psql "$PG_URL/postgres" -qc "create database $PG_DB" >/dev/null
      db_url="$PG_URL/$PG_DB" ;;
  esac
  cat >"$dir/askonce.toml" <<EOF
[server]
bind = "127.0.0.1:$ASKONCE_PORT"
public_url = "http://127.0.0.1:$ASKONCE_PORT"
site_root = "$SITE_ROOT"

[log]
format = "json"
level = "$LOG_LEVEL"

# Every browser of the benchmark comes from 127.0.0.1: at the defaults (10 per minute,
# bursts of 20) nearly every sign-up and /authorize would get 429. Raised for the benchmark
# only (ASKONCE_RATE_LIMIT__AUTH_PER_MINUTE / ASKONCE_RATE_LIMIT__AUTH_BURST).
[rate_limit]
auth_per_minute = 1000000
auth_burst = 1000000

# The application people sign in to (first party: no consent screen, as oidc-provider's
# loadExistingGrant implies it there); with the prompt scope it may exchange their access tokens for
# prompt tokens (the prompt decisions; the authorizations do not ask for it).
[clients.$CLIENT_ID]
name = "Bench"
app_type = "regular_web"
client_secret = "$SECRET"
callbacks = ["$REDIRECT"]
scopes = ["openid", "profile", "email", "prompt"]

# The machine for client_credentials: tokens for the management API (its prompt routes too).
[clients.$MACHINE_ID]
name = "Bench machine"
app_type = "non_interactive"
client_secret = "$SECRET"
scopes = ["read:users", "prompt:users"]
EOF
  cp "$dir/askonce.toml" "$OUT/askonce-$1.toml"
  # The signing keys' encryption key from the environment, as a deployment would pass it (a
  # new one per run: the database is new too); no other ASKONCE_* variable of the caller's
  # (they would override the file).
  local kek
  kek=$(head -c 32 /dev/urandom | base64 -w0)
  OP_LOG="$OUT/askonce-$1.log"
  (
    cd "$dir"
    # shellcheck disable=SC2046
    unset $(compgen -e | grep '^ASKONCE_' || true)
    export ASKONCE_DATABASE__URL="$db_url" ASKONCE_OPENID_PROVIDER__KEY_ENCRYPTION_KEY="$kek"
    exec "$BIN" --config "$dir/askonce.toml" serve >"$OP_LOG" 2>&1
  ) &
  OP_PID=$!
  PIDS+=("$OP_PID")
  OP_URL="http://127.0.0.1:$ASKONCE_PORT"
  wait_for "askonce-$1" "$OP_PID" http_ok "$OP_URL/healthz"
}

stop_op() {
  kill "$OP_PID" 2>/dev/null || true
  wait "$OP_PID" 2>/dev/null || true
  # Wait until the port is free again for the next target.
  for _ in $(seq 1 50); do port_free "${OP_URL##*:}" && break; sleep 0.1; done
}

ROWS=()
PROMPT_ROWS=()
NOTES=()
FAILED=0

run_target() { # oidc-provider|sqlite|postgres
  local name="$1" label kind args=()
  case "$name" in
    oidc-provider) label="oidc-provider $(node -p 'require("./end2end/node_modules/oidc-provider/package.json").version')"; kind=oidc-provider; start_oidc_provider ;;
    *) label="AskOnce ($name)"; kind=askonce; start_askonce "$name"
       args=(--machine-id "$MACHINE_ID" --machine-secret "$SECRET" --prompt-requests "$PROMPT_REQUESTS") ;;
  esac
  say "== $label at $OP_URL (pid $OP_PID)"
  local out="$OUT/$name.out"
  if ! node bench/op-bench.mjs --kind "$kind" --op "$OP_URL" --pid "$OP_PID" \
    --client-id "$CLIENT_ID" --client-secret "$SECRET" --redirect "$REDIRECT" "${args[@]}" \
    --authorizations "$AUTHORIZATIONS" --concurrency "$CONCURRENCY" --warmup "$WARMUP" \
    --token-seconds "$TOKEN_SECONDS" --token-concurrency "$TOKEN_CONCURRENCY" --label "$label" >"$out"; then
    FAILED=1
  fi
  local row
  row=$(grep '^| ' "$out" || true)
  ROWS+=("${row:-| $label | the driver stopped early: see $out | | | | | | |}")
  while IFS= read -r row; do PROMPT_ROWS+=("${row#|}"); done < <(grep '^|| ' "$out" || true)
  if [ "$kind" = askonce ]; then
    # ERROR lines AskOnce logged during the whole target (the JSON log names the level).
    NOTES+=("$label: $(grep -ci '"level":"error"' "$OP_LOG" || true) ERROR lines in its log ($OP_LOG)")
  fi
  stop_op
}

for t in oidc-provider sqlite postgres; do
  wants "$t" && run_target "$t"
done

# The issue's targets, from the drivers' RESULT lines: AskOnce's CPU per authorization
# against oidc-provider's, and each token p99 against 20 ms.
verdicts=$(node - "$OUT" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
const read = (name) => {
  try {
    return Object.fromEntries(fs.readFileSync(`${dir}/${name}.out`, 'utf8').split('\n')
      .filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7))).map((r) => [r.phase, r]));
  } catch { return null; }
};
const peer = read('oidc-provider');
for (const name of ['sqlite', 'postgres']) {
  const r = read(name);
  if (!r?.authorizations) continue;
  const cpu = r.authorizations.op_cpu_ms_per_authorization;
  const peerCpu = peer?.authorizations?.op_cpu_ms_per_authorization;
  const ratio = cpu != null && peerCpu ? (cpu / peerCpu).toFixed(2) : null;
  const p99 = r.token?.token_ms?.p99;
  console.log(`- AskOnce (${name}): CPU per authorization ${cpu ?? '–'} ms`
    + (ratio ? ` = ${ratio}× oidc-provider's ${peerCpu} ms (target ≤ 0.5: ${ratio <= 0.5 ? 'met' : 'not met'})` : '')
    + `; token p99 ${p99 ?? '–'} ms at ${r.token?.clients ?? '?'} clients (target < 20: ${p99 != null && p99 < 20 ? 'met' : 'not met'})`);
}
JS
)

{
  echo
  echo "OpenID Provider benchmark $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores;"
  echo "bench/op-bench.mjs: $CONCURRENCY signed-in browsers, $WARMUP warm-up then $AUTHORIZATIONS authorizations"
  echo "(authorize with PKCE S256 → code → token → userinfo); client_credentials with $TOKEN_CONCURRENCY clients for ${TOKEN_SECONDS} s."
  echo "The provider's CPU from /proc/PID/stat. Logs and RESULT lines: $OUT"
  echo
  echo "| target | authorizations ok | OP CPU ms / authorization | authorizations/s | p50 / p99 ms | token rps | token p50 / p99 ms | token CPU ms / request |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  if [ -n "$verdicts" ]; then
    echo
    echo "$verdicts"
  fi
  if [ "${#PROMPT_ROWS[@]}" -gt 0 ]; then
    echo
    echo "Prompt decisions ($CONCURRENCY at a time; /api/prompt: 40 per person, its limits' burst):"
    echo
    echo "| target | request | ok | OP CPU ms / request | p50 / p99 ms |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${PROMPT_ROWS[@]}"
  fi
  if [ "${#NOTES[@]}" -gt 0 ]; then
    echo
    printf -- '- %s\n' "${NOTES[@]}"
  fi
} | tee "$OUT/summary.md"

if [ "$FAILED" != 0 ]; then
  printf '\n\033[1;31m[bench-openid-provider] failures: see the table above and %s\033[0m\n' "$OUT" >&2
  exit 1
fi
