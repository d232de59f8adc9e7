#!/usr/bin/env bash
# Runs every AskOnce test: unit, service (SQLite and PostgreSQL), HTTP, CLI and browser.
# Installs what is missing first. Environment:
#   TEST_DATABASE_URL  PostgreSQL for tests (default postgres://postgres@127.0.0.1:5432/test)
#   REQUIRE_POSTGRES=1 fail instead of skipping the PostgreSQL tests when it is unreachable
#   SKIP_E2E=1         skip the browser tests (quick local runs)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
LOG_DIR="$(mktemp -d)"
failed=0

phase "tools" scripts/ensure-tools.sh $([ "${SKIP_E2E:-0}" = 1 ] && echo --no-e2e) || exit 1

# Formatting first: seconds, and a clear message instead of a noisy review later.
phase "rustfmt" cargo fmt --check || { loud "cargo fmt --check found unformatted code: run cargo fmt"; failed=1; }

# A dependency no code uses costs build time and attack surface: cargo-machete reads each
# crate's manifest against its sources (exceptions, with why, under
# [package.metadata.cargo-machete] in the crate's Cargo.toml).
phase "unused dependencies" cargo machete || { loud "cargo machete found unused dependencies"; failed=1; }

# Lints, as errors: the `deny` list in Cargo.toml's [workspace.lints] (no unwrap on I/O,
# no panics) and clippy's defaults, for both builds of the app: the server (`ssr`, with the
# tests) and the browser bundle (`hydrate`, wasm32), whose code paths differ.
phase "clippy (server)" cargo clippy -p domain -p services -p migrations -p app -p server --features app/test-support --all-targets -- -D warnings \
  || { loud "clippy found problems in the server build"; failed=1; }
phase "clippy (browser)" cargo clippy -p domain -p frontend --target wasm32-unknown-unknown -- -D warnings \
  || { loud "clippy found problems in the browser build"; failed=1; }

skip_pg=()
if phase "postgres" scripts/postgres.sh; then
  say "PostgreSQL reachable: its tests will run"
elif [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
  loud "PostgreSQL is unreachable and REQUIRE_POSTGRES=1: failing"
  exit 1
else
  loud "PostgreSQL is unreachable: SKIPPING every PostgreSQL test (set TEST_DATABASE_URL)"
  skip_pg=(--skip on_postgres)
fi

# Rust tests. `app/test-support` gives the crates test databases on both backends. The
# frontend crate is left out: it is only the wasm entry point, built by the browser phase.
phase "cargo test" bash -c 'cargo test -p domain -p services -p migrations -p app -p server --features app/test-support -- "$@" 2>&1 | tee "'"$LOG_DIR"'/cargo.log"; exit ${PIPESTATUS[0]}' _ "${skip_pg[@]}" || failed=1

# Counts per layer, from cargo's own output.
count() { grep -E "^test .* \.\.\. ok$" "$LOG_DIR/cargo.log" | grep -cE "$1" || true; }
pg_ran=$(count '::on_postgres ')
sqlite_ran=$(count '::on_sqlite ')
rust_passed=$(grep -Eo '^test result: .* ([0-9]+) passed' "$LOG_DIR/cargo.log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
rust_failed=$(grep -Eo '[0-9]+ failed;' "$LOG_DIR/cargo.log" | awk '{s+=$1} END {print s+0}')
# HTTP and CLI layers: the one integration test binary, server/tests/http (its `cli::` module
# runs the askonce binary; every other module talks HTTP to the app).
in_http_binary='/Running |Doc-tests /{f=0} /Running tests\/http\/main.rs/{f=1}'
http_ran=$(awk "$in_http_binary"' f && /\.\.\. ok$/ && !/^test cli::/' "$LOG_DIR/cargo.log" | wc -l)
cli_ran=$(awk "$in_http_binary"' f && /^test cli::.* \.\.\. ok$/' "$LOG_DIR/cargo.log" | wc -l)
say "PostgreSQL tests run: $pg_ran (SQLite twins: $sqlite_ran)"
if [ "${REQUIRE_POSTGRES:-0}" = 1 ] && [ "$pg_ran" -eq 0 ]; then
  loud "REQUIRE_POSTGRES=1 but no PostgreSQL test ran"
  failed=1
fi

e2e_passed=0; e2e_failed=0; api_passed=0; api_failed=0
if [ "${SKIP_E2E:-0}" = 1 ]; then
  loud "SKIP_E2E=1: browser tests skipped"
else
  # Debug build of server + wasm (what the browser tests need; release is for benchmarks).
  if phase "cargo leptos build --split" cargo leptos build --split; then
    phase "playwright" bash -c 'cd end2end && npx playwright test 2>&1 | tee "'"$LOG_DIR"'/e2e.log"; exit ${PIPESTATUS[0]}' || failed=1
    e2e_passed=$(grep -Eo '^ *[0-9]+ passed' "$LOG_DIR/e2e.log" | grep -Eo '[0-9]+' | tail -1); e2e_passed=${e2e_passed:-0}
    e2e_failed=$(grep -Eo '^ *[0-9]+ failed' "$LOG_DIR/e2e.log" | grep -Eo '[0-9]+' | tail -1); e2e_failed=${e2e_failed:-0}
    # The management API against its own OpenAPI document (no 5xx, no schema violations).
    # The management API against its own OpenAPI document, on each database (no 5xx, every
    # check, stateful links).
    api_passed=0
    for db in sqlite $([ ${#skip_pg[@]} -eq 0 ] && echo postgres); do
      if phase "schemathesis ($db)" bash -c 'scripts/schemathesis.sh '"$db"' 2>&1 | tee "'"$LOG_DIR"'/schemathesis-'"$db"'.log"; exit ${PIPESTATUS[0]}'; then
        api_passed=$((api_passed + 1))
      else
        api_failed=1; failed=1
      fi
    done
  else
    failed=1
  fi
fi

print_phases
unit_ran=$(awk '/Running unittests/{f=1} /Running tests\//{f=0} f && /\.\.\. ok$/ && !/::on_(sqlite|postgres) /' "$LOG_DIR/cargo.log" | wc -l)
service_ran=$(awk '/Running unittests/{f=1} /Running tests\//{f=0} f && /::on_(sqlite|postgres) \.\.\. ok$/' "$LOG_DIR/cargo.log" | wc -l)
say "tests per layer: unit $unit_ran, service $service_ran (SQLite + PostgreSQL), HTTP $http_ran, CLI $cli_ran, browser $e2e_passed, API fuzz (schemathesis) $api_passed; PostgreSQL-backed in all: $pg_ran"
[ "$failed" = 0 ] || loud "SOME TESTS FAILED"
echo "$((rust_passed + e2e_passed + api_passed)) passed, $((rust_failed + e2e_failed + api_failed)) failed"
exit $failed
