#!/usr/bin/env bash
# npm test: every check CI runs, in order: generated contracts fresh, build, lint (module
# boundaries included), then the unit, integration, e2e and chaos tiers against real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true

bash scripts/ensure-deps.sh --tests
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "PostgreSQL is not reachable on 127.0.0.1:5432 (tests use database 'test', trust auth; override with ORZO_TEST_PG_URL)" >&2
  exit 1
fi
bash scripts/gen-contracts.sh --check
npm run build --silent
npx nx reset >/dev/null 2>&1 || true
npx nx show projects >/dev/null   # computes the project graph the boundary rule reads
npx eslint --max-warnings 0 .
npx prettier --check . >/dev/null || { echo "formatting differs from Prettier: run npm run format" >&2; npx prettier --list-different . >&2; exit 1; }
bash scripts/check-boundaries.sh
node scripts/run-tests.mjs unit int e2e chaos
