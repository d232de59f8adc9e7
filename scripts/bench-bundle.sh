#!/usr/bin/env bash
# Bundle benchmark (issue "performance under load"): what each page makes a visitor download
# before it is interactive, with the pages split into wasm chunks (app/src/routes.rs).
# Builds the release site with `cargo leptos build --release --split`, then
# end2end/bench/bundle.spec.ts loads each page in Chromium with an empty cache (anonymous, a
# new password account, the admin) against the release server and the real OIDC provider,
# and sums the /pkg files fetched until the page has hydrated; plus every .js/.wasm of the
# build (the whole app). Prints a Markdown table.
#
# Environment (all optional):
#   BENCH_BUILD=0          use the existing release build, build nothing
#   BENCH_SITE_ROOT=DIR    the built site (default: target/site)
#   BENCH_OUT=FILE         also write the table there
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Also Chromium and end2end/node_modules (Playwright, oidc-provider).
scripts/ensure-tools.sh --release
if [ "${BENCH_BUILD:-1}" = 1 ]; then
  say "cargo leptos build --release --split"
  cargo leptos build --release --split
fi
BIN="$CARGO_TARGET_DIR/release/askonce"
SITE_ROOT="${BENCH_SITE_ROOT:-$ROOT/target/site}"
[ -x "$BIN" ] || { echo "no release binary at $BIN (run without BENCH_BUILD=0)" >&2; exit 1; }
[ -f "$SITE_ROOT/pkg/__wasm_split_manifest.json" ] \
  || { echo "$SITE_ROOT is not a split build (cargo leptos build --release --split)" >&2; exit 1; }

OUT="${BENCH_OUT:-$(mktemp)}"
say "first loads in Chromium against $BIN"
(cd end2end && E2E_BIN="$BIN" E2E_SITE_ROOT="$SITE_ROOT" BUNDLE_OUT="$OUT" E2E_PORT="${BENCH_PORT:-3150}" \
  E2E_IDP_PORT="${BENCH_IDP_PORT:-3250}" npx playwright test --config bundle.config.ts >&2)
cat "$OUT"
