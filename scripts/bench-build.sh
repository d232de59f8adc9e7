#!/usr/bin/env bash
# Measures what BENCHMARKS.md records about the build: hydrate wasm size (raw, gzip) of a
# release build, and debug/release build times (cold = `cargo clean -p` of our crates only,
# so dependency compile time is excluded; warm = after touching app/src/lib.rs).
# Usage: scripts/bench-build.sh [--cold-all]   (--cold-all also cleans dependencies: slow)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
scripts/ensure-tools.sh --no-e2e --no-npm --release
export PATH="${ASKONCE_TOOLS_DIR:-$HOME/.cache/askonce/tools}/node_modules/.bin:$PATH"

timed() { local s; s=$(date +%s%N); "$@" >/dev/null 2>&1; awk -v a="$s" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}'; }

if [ "${1:-}" = "--cold-all" ]; then
  cargo clean
else
  cargo clean -p domain -p services -p app -p frontend -p server -p migrations
fi
debug_cold=$(timed cargo leptos build --split)
touch app/src/lib.rs
debug_warm=$(timed cargo leptos build --split)
release_cold=$(timed cargo leptos build --release --split)
touch app/src/lib.rs
release_warm=$(timed cargo leptos build --release --split)

wasm=target/site/pkg/askonce.wasm
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
printf '| measure | value |\n|---|---|\n'
printf '| main wasm (shell, router, header; pages are split chunks), release, raw | %s bytes (%s KiB) |\n' "$raw" $((raw / 1024))
printf '| main wasm, release, gzip -9 | %s bytes (%s KiB) |\n' "$gz" $((gz / 1024))
printf '| cargo leptos build (debug), our crates cold | %.0f s |\n' "$debug_cold"
printf '| cargo leptos build (debug), warm (touch app/src/lib.rs) | %.0f s |\n' "$debug_warm"
printf '| cargo leptos build --release, our crates cold | %.0f s |\n' "$release_cold"
printf '| cargo leptos build --release, warm | %.0f s |\n' "$release_warm"
# Leave a debug build in target/site for the browser tests.
cargo leptos build --split >/dev/null 2>&1
