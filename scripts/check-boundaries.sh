#!/usr/bin/env bash
# Proves the module-boundary rule is live (it silently skips without a project graph):
# a service importing another service, and contracts importing Nest, must both fail lint.
set -euo pipefail
cd "$(dirname "$0")/.."
probe_service=services/builder/src/boundary-probe.ts
probe_contracts=libs/contracts/src/boundary-probe.ts
trap 'rm -f "$probe_service" "$probe_contracts"' EXIT
echo "import '@orzo/control-api';" >"$probe_service"
echo "import '@nestjs/common';" >"$probe_contracts"
out=$(npx eslint --no-warn-ignored "$probe_service" "$probe_contracts" 2>&1 || true)
for probe in "$probe_service" "$probe_contracts"; do
  if ! grep -A3 "$probe" <<<"$out" | grep -q "enforce-module-boundaries"; then
    echo "module boundaries are NOT enforced for $probe; eslint said:" >&2
    echo "$out" >&2
    exit 1
  fi
done
echo "module boundaries enforced (service -> service and contracts -> Nest are rejected)"
