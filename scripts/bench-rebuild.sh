#!/usr/bin/env bash
# Times what a developer waits for after changing a page: touch a page component
# (app/src/home.rs), then `cargo leptos build --split` (debug, incremental as cargo has it by
# default). Two revisions in one run; prints each side's runs, their medians and the ratio.
#
# Each revision's runs come in one block, not alternating: both worktrees share one target dir,
# and cargo names a workspace crate's artifacts by its path relative to the workspace, so a
# build of one revision replaces the other's and an alternating run would time a rebuild of
# all our crates rather than the page change. (A target dir per side would cost two cold
# builds of every dependency.)
# Usage: scripts/bench-rebuild.sh BASE_REV [OTHER_REV (default HEAD)] [RUNS (default 5)]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
base="${1:?usage: scripts/bench-rebuild.sh BASE_REV [OTHER_REV] [RUNS]}"
other="${2:-HEAD}"
runs="${3:-5}"
scripts/ensure-tools.sh --no-e2e --no-npm

work="$(mktemp -d)"
cleanup() {
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  git worktree remove --force "$work/other" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git worktree add --detach "$work/base" "$base" >/dev/null
git worktree add --detach "$work/other" "$other" >/dev/null

# A developer's build: incremental on (CI turns it off to save disk).
export CARGO_INCREMENTAL=1
build() { (cd "$work/$1" && cargo leptos build --split >/dev/null 2>&1); }
timed() { local s; s=$(date +%s%N); "$@"; awk -v a="$s" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}'; }

declare -a base_times other_times
for side in base other; do
  say "$side: first build (not timed)"
  build "$side"
  for i in $(seq "$runs"); do
    touch "$work/$side/app/src/home.rs"
    t=$(timed build "$side")
    if [ "$side" = base ]; then base_times+=("$t"); else other_times+=("$t"); fi
    say "$side run $i: $t s"
  done
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mb=$(median "${base_times[@]}")
mo=$(median "${other_times[@]}")
printf '| revision | touch app/src/home.rs, cargo leptos build --split (median of %s) |\n|---|---|\n' "$runs"
printf '| %s | %s s |\n' "$(git rev-parse --short "$base")" "$mb"
printf '| %s | %s s |\n' "$(git rev-parse --short "$other")" "$mo"
awk -v b="$mb" -v o="$mo" 'BEGIN{printf "ratio other/base: %.2f\n", o/b}'
