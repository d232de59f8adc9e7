#!/usr/bin/env bash
# Admin user search on PostgreSQL with a million generated users (database askonce_bench,
# filled on the first run and kept; drop it to regenerate). p50/p99 per kind of search.
# Usage: scripts/bench-admin-search.sh [USERS]   (default 1000000)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BENCH_USERS="${1:-1000000}" cargo test -p server --features app/test-support --test http \
  -- --ignored --nocapture bench::admin_search:: 2>&1 | grep '^BENCH'
