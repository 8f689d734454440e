#!/usr/bin/env bash
# Installs (first run, into ${EFD_CACHE_DIR:-$HOME/.cache/efd-local}) and starts the local EFD with two
# clusters and the local Kubernetes API (--k8s, with the helm CLI) for CI. Prints the cold install time (from `local up`) and
# the total wall time. On a fresh machine the servers install in a few minutes and kube-apiserver +
# kube-controller-manager build in ~1,060 CPU-seconds (about 9-10 min on 2 idle cores; 40 min when the
# machine was shared at load 12-16); a warm machine starts in well under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$(date +%s)
echo "local EFD: cache ${EFD_CACHE_DIR:-$HOME/.cache/efd-local}, state ${EFD_LOCAL_DIR:-$PWD/.efd-local}"
# PostgreSQL (the JDBC sink's database) is Debian's server build, not one the local EFD installs into its cache.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && [ -z "${EFD_POSTGRES_BIN:-}" ]; then
  tp=$(date +%s)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
  echo "local EFD: installed Debian's postgresql in $(( $(date +%s) - tp )) s"
fi
if ! npx tsx apps/cli/main.ts local up --clusters 2 --k8s --object-stores; then
  echo "local EFD: start failed; server logs follow" >&2
  npx tsx apps/cli/main.ts local logs -n 40 >&2 || true
  exit 1
fi
echo "local EFD: install + start took $(( $(date +%s) - t0 )) s"
# The helm CLI for `efd validate --charts` (built by `up --k8s` above; this prints where and how long it took).
npx tsx apps/cli/main.ts local install-helm
npx tsx apps/cli/main.ts local status
