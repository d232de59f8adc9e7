# Shared helpers for AskOnce's scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One target directory for every build and test, so nothing compiles twice.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

say() { printf '\033[1;34m[askonce]\033[0m %s\n' "$*" >&2; }
loud() { printf '\n\033[1;33m!!!!! %s !!!!!\033[0m\n\n' "$*" >&2; }

# phase NAME COMMAND...: runs a command and records how long it took.
PHASES=()
phase() {
  local name="$1"; shift
  local start=$SECONDS
  say "== $name"
  "$@"
  local status=$?
  PHASES+=("$(printf '%-28s %5ss' "$name" $((SECONDS - start)))")
  return $status
}
print_phases() {
  say "phase timings:"
  for p in "${PHASES[@]}"; do printf '    %s\n' "$p" >&2; done
}

# npm_ci DIR: npm ci when DIR's node_modules does not match its lockfile.
npm_ci() {
  if ! cmp -s "$1/package-lock.json" "$1/node_modules/.askonce-lock"; then
    say "npm ci in ${1#"$ROOT"/}"
    (cd "$1" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.askonce-lock)
  fi
}

# What the release benchmarks (bench-load.sh, bench-openid-provider.sh) need before they
# start AskOnce: with $1 = 1, the release build (unless BENCH_BUILD=0) at $BIN and its site
# (sets SITE_ROOT: BENCH_SITE_ROOT, or the site cargo-leptos wrote); with $2 = 1,
# PostgreSQL answering at $PG_URL. The caller defines `die`.
bench_prepare() {
  if [ "$1" = 1 ]; then
    if [ "${BENCH_BUILD:-1}" = 1 ]; then
      scripts/ensure-tools.sh --no-e2e --release
      # cargo-leptos runs wasm-opt from PATH for a release build: binaryen from npm (Debian's
      # breaks hydration), where ensure-tools put it.
      export PATH="${ASKONCE_TOOLS_DIR:-$HOME/.cache/askonce/tools}/node_modules/.bin:$PATH"
      say "cargo leptos build --release --split"
      cargo leptos build --release --split
      # Note: this leaves the release site in target/site; `scripts/test.sh` (and any
      # `cargo leptos build`) rebuilds the debug one the browser tests use.
    fi
    [ -x "$BIN" ] || die "no release binary at $BIN (run without BENCH_BUILD=0, or set CARGO_TARGET_DIR)"
    # cargo-leptos writes the site to Cargo.toml's site-root (target/site, under the
    # workspace); pages need it (wasm, js, css).
    SITE_ROOT="${BENCH_SITE_ROOT:-}"
    if [ -z "$SITE_ROOT" ]; then
      for candidate in "$ROOT/target/site" "$CARGO_TARGET_DIR/site"; do
        [ -f "$candidate/pkg/askonce.wasm" ] && { SITE_ROOT="$candidate"; break; }
      done
    fi
    [ -n "$SITE_ROOT" ] && [ -d "$SITE_ROOT" ] || die "no built site (pkg/askonce.wasm) under $ROOT/target/site or $CARGO_TARGET_DIR/site"
  fi
  if [ "$2" = 1 ]; then
    TEST_DATABASE_URL="$PG_URL/postgres" scripts/postgres.sh \
      || die "PostgreSQL does not answer at $PG_URL (set BENCH_PG_URL, or BENCH_TARGETS without postgres)"
  fi
}
