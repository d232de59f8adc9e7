#!/usr/bin/env bash
# Median time of one OIDC callback against the local test provider, beside a password
# sign-in in the same run. Release profile: these are the numbers a deployment sees.
# Usage: scripts/bench-callback.sh [N]   (default 200 callbacks)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BENCH_N="${1:-200}" cargo test --release -p server --features app/test-support --test http \
  -- --ignored --nocapture bench::callback:: 2>&1 | grep '^BENCH'
