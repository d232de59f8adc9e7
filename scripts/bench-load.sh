#!/usr/bin/env bash
# Load test, side by side in one run (issue "performance under load"): AskOnce (release build,
# on SQLite and on PostgreSQL) and a plain Node relying party (bench/node-peer: Express 5 +
# openid-client 6 + express-session, users in memory), both signing people in through the
# same local OpenID provider (end2end/oidc/provider.mjs, one process).
#
# For each target and each concurrency (8, 32, 128 browsers): BENCH_SIGNINS federated
# sign-ins by bench/load.mjs, each in a fresh browser: GET /auth/demo/start → the provider's
# login form → the callback (must redirect to a page, not /login?error) → GET /api/me must
# be 200 JSON — the issue's definition of one sign-in — with the target's CPU time read from
# /proc/PID/stat around the run. Then wrk on the signed-in /profile (32 connections, 15 s, a session cookie from the
# driver): requests/s, p50, p99, and CPU per request. Ends with markdown tables; exits 1 when
# any sign-in or any /profile request failed.
#
# Usage: scripts/bench-load.sh
# Environment (all optional):
#   BENCH_TARGETS="peer sqlite postgres"   which to run
#   BENCH_CONCURRENCY="8 32 128"           browsers per sign-in run
#   BENCH_SIGNINS=400                      sign-ins per run
#   BENCH_WARMUP=40                        unmeasured sign-ins first, per target
#   BENCH_WRK_CONNECTIONS=32 BENCH_WRK_SECONDS=15 BENCH_WRK_THREADS=2
#   BENCH_DRIVER_ARGS="--stop-at-callback" bench/load.mjs options; the default measures the
#                                          issue's shape. "" also follows the RP's redirect
#                                          after the callback (AskOnce: /welcome → /, the
#                                          peer: /profile); "--pages" adds GET /profile and
#                                          GET /welcome after each sign-in (AskOnce only)
#   BENCH_BUILD=0                          use the existing release build, build nothing
#   BENCH_LOG_LEVEL=info                   AskOnce's log level (its default)
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server for the askonce_load database
#   BENCH_OP_PORT=4400 BENCH_ASKONCE_PORT=3100 BENCH_PEER_PORT=3200
#   BENCH_OUT=target/bench-load/<time>     where the logs and results go
#   BENCH_SITE_ROOT=DIR                    the built site (default: target/site)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

TARGETS="${BENCH_TARGETS:-peer sqlite postgres}"
CONCURRENCY="${BENCH_CONCURRENCY:-8 32 128}"
SIGNINS="${BENCH_SIGNINS:-400}"
WARMUP="${BENCH_WARMUP:-40}"
ANSWERS="${BENCH_ANSWERS:-200}"
MEMORY_SESSIONS="${BENCH_MEMORY_SESSIONS:-100000}"
MEMORY_CONNECTIONS="${BENCH_MEMORY_CONNECTIONS:-1000}"
WRK_CONNECTIONS="${BENCH_WRK_CONNECTIONS:-32}"
WRK_SECONDS="${BENCH_WRK_SECONDS:-15}"
WRK_THREADS="${BENCH_WRK_THREADS:-2}"
DRIVER_ARGS="${BENCH_DRIVER_ARGS-"--stop-at-callback"}"  # set but empty: follow redirects
LOG_LEVEL="${BENCH_LOG_LEVEL:-info}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB=askonce_load
OP_PORT="${BENCH_OP_PORT:-4400}"
ASKONCE_PORT="${BENCH_ASKONCE_PORT:-3100}"
PEER_PORT="${BENCH_PEER_PORT:-3200}"
OUT="${BENCH_OUT:-$ROOT/target/bench-load/$(date +%Y%m%d-%H%M%S)}"
BIN="$CARGO_TARGET_DIR/release/askonce"
CLIENT_ID=askonce
CLIENT_SECRET=askonce-test-secret

die() { printf '\033[1;31m[bench-load] %s\033[0m\n' "$*" >&2; exit 2; }
wants() { [[ " $TARGETS " == *" $1 "* ]]; }
mkdir -p "$OUT"

# --- prerequisites -------------------------------------------------------------------
command -v node >/dev/null || die "Node.js is required (apt-get install nodejs npm)"
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing wrk (apt)"
    apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  fi
  command -v wrk >/dev/null || die "wrk is required (apt-get install wrk)"
fi
# The provider (oidc-provider) and the peer's packages, from their lockfiles.
npm_ci "$ROOT/end2end"
wants peer && npm_ci "$ROOT/bench/node-peer"

bench_prepare "$( (wants sqlite || wants postgres) && echo 1 || echo 0)" "$(wants postgres && echo 1 || echo 0)"

# --- processes -------------------------------------------------------------------------
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if wants postgres && command -v psql >/dev/null; then
    psql "$PG_URL/postgres" -qc "drop database if exists $PG_DB with (force)" >/dev/null 2>&1 || true
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$OP_PORT" $(wants peer && echo "$PEER_PORT") $( (wants sqlite || wants postgres) && echo "$ASKONCE_PORT"); do
  port_free "$p" || die "port $p is in use (set BENCH_OP_PORT / BENCH_ASKONCE_PORT / BENCH_PEER_PORT)"
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

# CPU time (utime + stime) of a process in milliseconds, from /proc/PID/stat.
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_ms() {
  local stat rest
  stat=$(<"/proc/$1/stat")
  rest=${stat##*) }   # fields from 3 (state) on; the name may hold spaces
  read -r -a f <<<"$rest"
  echo $(((f[11] + f[12]) * 1000 / CLK_TCK))
}

# The provider, with the redirect URIs of both relying parties (one process for the run).
REDIRECTS="http://127.0.0.1:$ASKONCE_PORT/auth/demo/callback,http://127.0.0.1:$PEER_PORT/auth/demo/callback"
node end2end/oidc/provider.mjs --port "$OP_PORT" --redirect "$REDIRECTS" >"$OUT/provider.log" 2>&1 &
OP_PID=$!
PIDS+=("$OP_PID")
wait_for provider "$OP_PID" ready_line "$OUT/provider.log"
ISSUER="http://127.0.0.1:$OP_PORT"
say "provider ready at $ISSUER (pid $OP_PID); results in $OUT"

start_peer() {
  node bench/node-peer/server.mjs --port "$PEER_PORT" --issuer "$ISSUER" \
    --client-id "$CLIENT_ID" --client-secret "$CLIENT_SECRET" >"$OUT/peer.log" 2>&1 &
  RP_PID=$!
  PIDS+=("$RP_PID")
  wait_for peer "$RP_PID" ready_line "$OUT/peer.log"
  RP_URL="http://127.0.0.1:$PEER_PORT"
  RP_LOG="$OUT/peer.log"
}

# AskOnce with a generated configuration (run from $OUT so no ./askonce.toml is read).
start_askonce() { # sqlite|postgres
  local db_url
  case "$1" in
    sqlite)
      rm -f "$OUT"/askonce-load.db*
      db_url="sqlite://$OUT/askonce-load.db?mode=rwc" ;;
    postgres)
      PGOPTIONS="-c client_min_messages=warning" psql "$PG_URL/postgres" -qc "drop database if exists $PG_DB with (force)" >/dev/null
      psql "$PG_URL/postgres" -qc "create database $PG_DB" >/dev/null
      db_url="$PG_URL/$PG_DB" ;;
  esac
  cat >"$OUT/askonce-$1.toml" <<EOF
[server]
bind = "127.0.0.1:$ASKONCE_PORT"
public_url = "http://127.0.0.1:$ASKONCE_PORT"
site_root = "$SITE_ROOT"

[log]
format = "json"
level = "$LOG_LEVEL"

# Every browser of the load test comes from 127.0.0.1: at the defaults (10 per minute,
# bursts of 20) nearly every start and callback would get 429. Raised for the test only
# (the same as ASKONCE_RATE_LIMIT__AUTH_PER_MINUTE / ASKONCE_RATE_LIMIT__AUTH_BURST).
[rate_limit]
auth_per_minute = 1000000
auth_burst = 1000000

[connections.demo]
kind = "oidc"
display_name = "Demo IdP"
issuer = "$ISSUER"
client_id = "$CLIENT_ID"
EOF
  # The database URL and the secret from the environment, as a deployment would pass them;
  # no other ASKONCE_* variable of the caller's (they would override the file).
  (
    cd "$OUT"
    # shellcheck disable=SC2046
    unset $(compgen -e | grep '^ASKONCE_' || true)
    export ASKONCE_DATABASE__URL="$db_url" ASKONCE_CONNECTIONS__DEMO__CLIENT_SECRET="$CLIENT_SECRET"
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # the memory phase opens a thousand connections
    exec "$BIN" --config "$OUT/askonce-$1.toml" serve >"$OUT/askonce-$1.log" 2>&1
  ) &
  RP_PID=$!
  PIDS+=("$RP_PID")
  RP_URL="http://127.0.0.1:$ASKONCE_PORT"
  RP_LOG="$OUT/askonce-$1.log"
  wait_for "askonce-$1" "$RP_PID" http_ok "$RP_URL/healthz"
}

stop_rp() {
  kill "$RP_PID" 2>/dev/null || true
  wait "$RP_PID" 2>/dev/null || true
  # Wait until the port is free again for the next target.
  for _ in $(seq 1 50); do port_free "${RP_URL##*:}" && break; sleep 0.1; done
}

# jget FILE EXPR: a value from the driver's JSON summary (EXPR in JavaScript, `s` is it).
jget() { node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = eval(process.argv[2]); console.log(v ?? "–")' "$1" "$2"; }
# wrk's latency as milliseconds ("812.00us", "4.70ms", "1.20s").
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.1f", n }'; }

SIGNIN_ROWS=()
ANSWER_ROWS=()
MEMORY_ROWS=()
PAGE_ROWS=()
FAILED=0

run_target() { # NAME (peer|sqlite|postgres)
  local name="$1" label
  case "$name" in
    peer) label="Node peer"; start_peer ;;
    *) label="AskOnce ($name)"; start_askonce "$name" ;;
  esac
  say "== $label at $RP_URL (pid $RP_PID)"
  # Warm-up (JIT, JWKS and discovery caches, connection pools): not measured.
  # shellcheck disable=SC2086
  node bench/load.mjs --rp "$RP_URL" --op "$ISSUER" --clients 4 --signins "$WARMUP" --tag warm $DRIVER_ARGS \
    --label "$name-warmup" >"$OUT/$name-warmup.json" || true
  local c result
  for c in $CONCURRENCY; do
    result="$OUT/$name-c$c.json"
    # shellcheck disable=SC2086
    if ! node bench/load.mjs --rp "$RP_URL" --op "$ISSUER" --clients "$c" --signins "$SIGNINS" \
      --pid "$RP_PID" --op-pid "$OP_PID" --cookie-out "$OUT/$name.cookie" --label "$name-c$c" $DRIVER_ARGS >"$result"; then
      FAILED=1
    fi
    [ -s "$result" ] || die "the driver wrote no summary for $name at $c clients"
    SIGNIN_ROWS+=("| $label | $c | $(jget "$result" 's.ok') / $SIGNINS | $(jget "$result" 's.rp_cpu_ms_per_signin') | $(jget "$result" 's.signins_per_s') | $(jget "$result" 's.signin_ms.p50') / $(jget "$result" 's.signin_ms.p99') | $(jget "$result" 's.op_cpu_ms_per_signin') | $(jget "$result" 's.failures.map(f => `${f.count}× ${f.reason}`).join("; ") || "–"') |")
  done

  # First sign-ins that answer the question /welcome asks (AskOnce only): an account is
  # created, then the stage's answers are written — the write-heavy path.
  if [ "$name" != peer ]; then
    for c in $CONCURRENCY; do
      result="$OUT/$name-answers-c$c.json"
      if ! node bench/load.mjs --rp "$RP_URL" --op "$ISSUER" --clients "$c" --signins "$ANSWERS" --accounts alan --tag "a$c" \
        --answers --pid "$RP_PID" --op-pid "$OP_PID" --label "$name-answers-c$c" $DRIVER_ARGS >"$result"; then
        FAILED=1
      fi
      [ -s "$result" ] || die "the driver wrote no summary for $name answers at $c clients"
      ANSWER_ROWS+=("| $label | $c | $(jget "$result" 's.ok') / $ANSWERS | $(jget "$result" 's.ops.answer?.ok ?? 0') | $(jget "$result" 's.rp_cpu_ms_per_signin') | $(jget "$result" 's.failures.map(f => `${f.count}× ${f.reason}`).join("; ") || "–"') |")
    done
  fi

  # The signed-in page, with one session cookie from the last run.
  local cookie status
  cookie=$(cat "$OUT/$name.cookie" 2>/dev/null || true)
  [ -n "$cookie" ] || die "no signed-in cookie for $name (every sign-in failed?)"
  status=$(curl -s -o "$OUT/$name-profile.html" -w '%{http_code}' -H "Cookie: $cookie" "$RP_URL/profile")
  [ "$status" = 200 ] || die "GET /profile with the driver's cookie answered $status for $name (see $OUT/$name-profile.html)"
  local before after wrk_out
  wrk_out="$OUT/$name-wrk.txt"
  before=$(cpu_ms "$RP_PID")
  wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -s bench/wrk-status.lua \
    -H "Cookie: $cookie" "$RP_URL/profile" >"$wrk_out"
  after=$(cpu_ms "$RP_PID")
  local requests rps p50 p99 non200 errors cpu_per_req
  requests=$(awk '/requests in/ { print $1 }' "$wrk_out")
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$wrk_out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$wrk_out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$wrk_out")")
  non200=$(awk '/^NON200/ { print $2 }' "$wrk_out")
  errors=$(awk '/Socket errors/ { print }' "$wrk_out" | sed 's/^ *Socket errors: *//')
  cpu_per_req=$(awk -v a="$before" -v b="$after" -v n="$requests" 'BEGIN { printf "%.3f", n ? (b - a) / n : 0 }')
  [ "${non200:-0}" = 0 ] && [ -z "$errors" ] || FAILED=1
  # ERROR lines AskOnce logged during the whole target (the JSON log names the level).
  local logged="–"
  [ "$name" != peer ] && logged=$(grep -ci '"level":"error"' "$RP_LOG" || true)
  local missing="–"
  [ "$name" != peer ] && missing=$(grep -c 'session layer missing' "$RP_LOG" || true)
  PAGE_ROWS+=("| $label | $rps | $p50 | $p99 | $cpu_per_req | ${non200:-?}${errors:+ (socket errors: $errors)} | $logged | $missing |")
  say "$label: /profile $rps req/s, p50 $p50 ms, p99 $p99 ms, $cpu_per_req ms CPU/request, non-200: ${non200:-?}"
  [ "$name" != peer ] && memory_phase "$name" "$label" "$cookie"
  stop_rp
}

# Memory (AskOnce): 100,000 stored sessions (inserted straight into the session table, as if
# that many people had signed in), then MEMORY_CONNECTIONS open connections on the signed-in
# page at once; the app's resident memory sampled throughout (VmRSS, the largest seen).
memory_phase() { # NAME LABEL COOKIE
  local name="$1" label="$2" cookie="$3" peak=0 rss sampler
  case "$name" in
    sqlite) python3 - "$OUT/askonce-load.db" "$MEMORY_SESSIONS" <<'PY'
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
expiry = int(time.time()) + 86400
db.executemany("INSERT INTO tower_sessions (id, data, expiry_date) VALUES (?, ?, ?)",
               ((os.urandom(16).hex(), os.urandom(120), expiry) for _ in range(int(sys.argv[2]))))
db.commit()
PY
    ;;
    postgres) psql "$PG_URL/$PG_DB" -qc "INSERT INTO tower_sessions.session (id, data, expiry_date)
      SELECT md5(random()::text || g), decode(repeat(md5(g::text), 4), 'hex'), now() + interval '1 day' FROM generate_series(1, $MEMORY_SESSIONS) g" >/dev/null ;;
  esac
  ( while kill -0 "$RP_PID" 2>/dev/null; do awk '/^VmRSS/ { print $2 }' "/proc/$RP_PID/status"; sleep 0.2; done ) >"$OUT/$name-rss.txt" &
  sampler=$!
  (ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; wrk -t2 -c"$MEMORY_CONNECTIONS" -d10s --timeout 10s -s bench/wrk-status.lua \
    -H "Cookie: $cookie" "$RP_URL/profile" >"$OUT/$name-wrk-memory.txt" 2>&1) || true
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  peak=$(sort -n "$OUT/$name-rss.txt" | tail -1)
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$RP_PID/status")
  local non200 errors
  non200=$(awk '/^NON200/ { print $2 }' "$OUT/$name-wrk-memory.txt")
  errors=$(awk '/Socket errors/ { print }' "$OUT/$name-wrk-memory.txt" | sed 's/^ *Socket errors: *//')
  MEMORY_ROWS+=("| $label | $MEMORY_SESSIONS | $MEMORY_CONNECTIONS | $((peak / 1024)) | $((rss / 1024)) | ${non200:-?}${errors:+ (socket errors: $errors)} |")
}

for t in peer sqlite postgres; do
  wants "$t" && run_target "$t"
done

{
  echo
  echo "Load test $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores;"
  echo "$SIGNINS sign-ins per row: bench/load.mjs${DRIVER_ARGS:+ $DRIVER_ARGS} (a fresh browser each; accounts grace-<client>;"
  echo "start → provider → callback$([[ " $DRIVER_ARGS " == *" --stop-at-callback "* ]] || echo " → the RP's redirects") → /api/me$([[ " $DRIVER_ARGS " == *" --pages "* ]] && echo " → /profile → /welcome"));"
  echo "CPU of the RP process from /proc/PID/stat. Logs and JSON: $OUT"
  echo
  echo "| target | browsers | sign-ins ok | RP CPU ms / sign-in | sign-ins/s | sign-in p50 / p99 ms | provider CPU ms / sign-in | failures |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${SIGNIN_ROWS[@]}"
  echo
  echo "Signed-in \`GET /profile\`, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s:"
  echo
  echo "| target | requests/s | p50 ms | p99 ms | RP CPU ms / request | non-200 | ERROR lines in the app log | of them \"session layer missing\" |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${PAGE_ROWS[@]}"
  if [ "${#ANSWER_ROWS[@]}" -gt 0 ]; then
    echo
    echo "First sign-ins that answer /welcome's question (bench/load.mjs --answers: a new account each, then its answers posted):"
    echo
    echo "| target | browsers | sign-ins ok | answers accepted | RP CPU ms / sign-in + answer | failures |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${ANSWER_ROWS[@]}"
  fi
  if [ "${#MEMORY_ROWS[@]}" -gt 0 ]; then
    echo
    echo "Memory: stored sessions added, then wrk -c<connections> -d10s on /profile; the app's VmRSS:"
    echo
    echo "| target | stored sessions | connections | peak RSS MB | RSS after MB | non-200 |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${MEMORY_ROWS[@]}"
  fi
} | tee "$OUT/summary.md"

if [ "$FAILED" != 0 ]; then
  printf '\n\033[1;31m[bench-load] failures: see the tables above and %s\033[0m\n' "$OUT" >&2
  exit 1
fi
