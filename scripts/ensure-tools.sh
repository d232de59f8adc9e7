#!/usr/bin/env bash
# Installs every build/test prerequisite AskOnce needs, once per machine.
# Idempotent: each tool is installed only when it is missing or at the wrong version.
# Why the odd install steps: see docs/DEVELOPMENT.md ("Toolchain") — the
# registries here lack a few crates that the upstream lockfiles pin, so we patch
# the lockfile of a copy of the crate instead of using `cargo install --locked` directly.
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.11
CARGO_MACHETE_VERSION=0.9.2
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${ASKONCE_TOOLS_DIR:-$HOME/.cache/askonce/tools}"
mkdir -p "$TOOLS_DIR"

log() { printf '\033[1;34m[tools]\033[0m %s\n' "$*" >&2; }

want_e2e=1
want_npm=1
want_release=0
for arg in "$@"; do
  case "$arg" in
    --no-e2e) want_e2e=0 ;;
    --no-npm) want_npm=0 ;;
    --release) want_release=1 ;;
  esac
done

# --- Rust target for the hydrate bundle -------------------------------------
if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  log "adding rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# --- rustfmt and clippy (the test command checks formatting and lints) --------------
if ! cargo fmt --version >/dev/null 2>&1; then
  log "adding rustup component rustfmt"
  rustup component add rustfmt
fi
if ! cargo clippy --version >/dev/null 2>&1; then
  log "adding rustup component clippy"
  rustup component add clippy
fi

registry_src() { ls -d "$HOME"/.cargo/registry/src/*/"$1" 2>/dev/null | head -n1 || true; }
registry_crate() { ls "$HOME"/.cargo/registry/cache/*/"$1".crate 2>/dev/null | head -n1 || true; }

# --- cargo-leptos ------------------------------------------------------------
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (one time, ~15 min on 2 cores)"
  src="$(registry_src "cargo-leptos-$CARGO_LEPTOS_VERSION")"
  if [ -z "$src" ]; then
    # Expected to fail (its lockfile needs a newer rustc) but it unpacks the source.
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked >/dev/null 2>&1 || true
    src="$(registry_src "cargo-leptos-$CARGO_LEPTOS_VERSION")"
  fi
  if [ -z "$src" ]; then
    crate="$(registry_crate "cargo-leptos-$CARGO_LEPTOS_VERSION")"
    [ -n "$crate" ] || { echo "cargo-leptos source could not be downloaded" >&2; exit 1; }
    mkdir -p "$TOOLS_DIR/src" && tar -xzf "$crate" -C "$TOOLS_DIR/src"
    src="$TOOLS_DIR/src/cargo-leptos-$CARGO_LEPTOS_VERSION"
  fi
  work="$TOOLS_DIR/build/cargo-leptos-$CARGO_LEPTOS_VERSION"
  rm -rf "$work"; mkdir -p "$(dirname "$work")"; cp -r "$src" "$work"
  (cd "$work" && cargo update -p cargo-util-schemas --precise 0.14.1 \
     && cargo install --path . --locked --features no_downloads)
fi

# --- wasm-bindgen-cli (must equal the wasm-bindgen crate pinned in Cargo.toml) --
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (one time, ~2 min)"
  crate="$(registry_crate "wasm-bindgen-cli-$WASM_BINDGEN_VERSION")"
  if [ -z "$crate" ]; then
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked >/dev/null 2>&1 || true
    crate="$(registry_crate "wasm-bindgen-cli-$WASM_BINDGEN_VERSION")"
  fi
  [ -n "$crate" ] || { echo "wasm-bindgen-cli source could not be downloaded" >&2; exit 1; }
  work="$TOOLS_DIR/build"; mkdir -p "$work"
  rm -rf "$work/wasm-bindgen-cli-$WASM_BINDGEN_VERSION"
  tar -xzf "$crate" -C "$work"
  (cd "$work/wasm-bindgen-cli-$WASM_BINDGEN_VERSION" \
     && cargo update -p webpki-roots@1.0.11 --precise 1.0.10 \
     && cargo install --path . --locked)
fi

# --- cargo-machete: the test command fails on a dependency no code uses ------------
if ! cargo machete --version 2>/dev/null | grep -q "$CARGO_MACHETE_VERSION"; then
  log "installing cargo-machete $CARGO_MACHETE_VERSION (one time, ~2 min)"
  cargo install cargo-machete --version "$CARGO_MACHETE_VERSION" --locked >/dev/null 2>&1 \
    || cargo install cargo-machete --version "$CARGO_MACHETE_VERSION"
fi

# --- wasm-opt for release builds (Debian's binaryen 108 breaks hydration) ------
if [ "$want_release" = 1 ] && [ ! -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
  log "installing binaryen@$BINARYEN_VERSION (npm) for wasm-opt"
  npm i --silent --prefix "$TOOLS_DIR" "binaryen@$BINARYEN_VERSION"
fi

# --- npm packages: Playwright and the test OpenID Provider (oidc-provider) ----------
# The Rust HTTP tests start oidc-provider too, so these are needed even without a browser.
if [ "$want_npm" = 1 ]; then
  command -v node >/dev/null || { echo "Node.js is required (apt-get install nodejs npm)" >&2; exit 1; }
  if [ ! -d "$ROOT/end2end/node_modules/oidc-provider" ] \
     || ! cmp -s "$ROOT/end2end/package-lock.json" "$ROOT/end2end/node_modules/.askonce-lock"; then
    log "npm ci in end2end/"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent \
      && cp package-lock.json node_modules/.askonce-lock)
  fi
  # The example relying app (Express + openid-client): the OpenID Provider's tests sign in
  # through AskOnce with it.
  if [ ! -d "$ROOT/examples/relying-app/node_modules/openid-client" ] \
     || ! cmp -s "$ROOT/examples/relying-app/package-lock.json" "$ROOT/examples/relying-app/node_modules/.askonce-lock"; then
    log "npm ci in examples/relying-app/"
    (cd "$ROOT/examples/relying-app" && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.askonce-lock)
  fi
fi

# --- Authlib (PyPI): a second relying-party library, in Python, for the OpenID Provider's
# HTTP tests (server/tests/http/harness/authlib.rs). Its own venv: the Rust tests need it
# even without the browser suite.
AUTHLIB_VERSION=1.6.5
if ! "$TOOLS_DIR/authlib/bin/python" -c "import authlib, sys; sys.exit(authlib.__version__ != '$AUTHLIB_VERSION')" 2>/dev/null; then
  log "installing Authlib $AUTHLIB_VERSION into $TOOLS_DIR/authlib"
  python3 -m venv "$TOOLS_DIR/authlib"
  "$TOOLS_DIR/authlib/bin/pip" install --quiet --disable-pip-version-check "authlib==$AUTHLIB_VERSION" "requests==2.32.5"
fi

# --- schemathesis (PyPI): fuzzes the management API against /api/openapi.json --------
SCHEMATHESIS_VERSION=4.32.5
if [ "$want_e2e" = 1 ] && ! "$TOOLS_DIR/venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $TOOLS_DIR/venv"
  python3 -m venv "$TOOLS_DIR/venv"
  "$TOOLS_DIR/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# --- browser tests -----------------------------------------------------------
if [ "$want_e2e" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  log "installing Debian chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

log "tools ready: $(cargo leptos --version 2>/dev/null), $(wasm-bindgen --version)"
