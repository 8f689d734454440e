#!/usr/bin/env bash
# Installs (first run, into ${EFD_CACHE_DIR:-$HOME/.cache/efd-local}) and starts the local EFD with two
# clusters for CI. Prints the cold install time (from `local up`) and the total wall time; the install
# must stay under 10 minutes on a fresh machine, a warm machine starts in well under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$(date +%s)
echo "local EFD: cache ${EFD_CACHE_DIR:-$HOME/.cache/efd-local}, state ${EFD_LOCAL_DIR:-$PWD/.efd-local}"
if ! npx tsx apps/cli/main.ts local up --clusters 2; then
  echo "local EFD: start failed; server logs follow" >&2
  npx tsx apps/cli/main.ts local logs -n 40 >&2 || true
  exit 1
fi
echo "local EFD: install + start took $(( $(date +%s) - t0 )) s"
npx tsx apps/cli/main.ts local status
