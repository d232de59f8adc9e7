#!/usr/bin/env bash
# The schema-change report on PostgreSQL with a million generated people (database
# askonce_bench_report, filled on the first run and kept; drop it to regenerate): the median
# of three runs per stage. A release build (the engine's own time counts here; the debug
# build is ~2-3x slower): `cargo clean --release` afterwards frees its ~2 GB.
# Usage: scripts/bench-change-report.sh [USERS]   (default 1000000)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BENCH_USERS="${1:-1000000}" cargo test --release -p server --features app/test-support --test http \
  -- --ignored --nocapture bench::change_report:: 2>&1 | grep '^BENCH'
