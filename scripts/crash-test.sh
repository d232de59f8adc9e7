#!/usr/bin/env bash
# Crash durability, the long form: AskOnce as a real process under concurrent sign-ups,
# answers and profile edits, killed with SIGKILL at random moments and restarted,
# CRASH_KILLS times per database (25 by default; the test command runs 3). After each
# kill every write a client saw acknowledged must be stored, and nothing half-written. Prints
# the report per database: kills, acknowledged writes, lost (0), half-written (0).
#
#   scripts/crash-test.sh             # SQLite and PostgreSQL
#   scripts/crash-test.sh sqlite      # one database
#   CRASH_SEED=123 scripts/crash-test.sh   # replay the moments of a failed run
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
export CRASH_KILLS="${CRASH_KILLS:-25}"
case "${1:-both}" in
  sqlite) filter=(crash::survives_kills::on_sqlite) ;;
  postgres) filter=(crash::survives_kills::on_postgres) ;;
  both) filter=(crash::survives_kills::) ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
say "crash test: $CRASH_KILLS kills per database"
cargo test -p migrations -p services -p app -p server --features app/test-support --test http -- "${filter[@]}" --nocapture --test-threads 1 2>&1 \
  | grep -E '^crash durability|^test |panicked|test result' 
exit "${PIPESTATUS[0]}"
