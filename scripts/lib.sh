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
