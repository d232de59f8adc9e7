#!/usr/bin/env bash
# Runs AskOnce locally: installs what is missing, builds, migrates a SQLite database under
# ./data and serves http://127.0.0.1:3000. Settings: ./askonce.toml when present (copy
# askonce.example.toml), ASKONCE_* environment variables, else the defaults.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
scripts/ensure-tools.sh --no-e2e --no-npm
say "building (first build takes several minutes)"
cargo leptos build --split
say "starting AskOnce on http://127.0.0.1:3000 (Ctrl-C stops it)"
exec "$CARGO_TARGET_DIR/debug/askonce" serve "$@"
