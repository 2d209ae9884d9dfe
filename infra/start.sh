#!/usr/bin/env bash
# npm start: installs what is missing, builds, makes sure a NATS with JetStream is reachable
# (starting a local one under .orzo/ if none is), then runs the platform in the foreground
# with the embedded defaults (one SQLite file per service under .orzo/data). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
echo "building ..."
npx tsc -b tsconfig.json

# Until a soa_dir is configured (orzo.yaml or ORZO_SOA_DIR), serve the example service's configs.
export ORZO_SOA_DIR="${ORZO_SOA_DIR:-$PWD/examples/soa-configs}"

nats_pid=""
if [[ -z "${ORZO_NATS_URL:-}" ]] && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  mkdir -p .orzo/nats
  echo "no NATS on 127.0.0.1:4222: starting nats-server (JetStream, store .orzo/nats, log .orzo/nats.log)"
  nats-server -a 127.0.0.1 -p 4222 -js -sd .orzo/nats >.orzo/nats.log 2>&1 &
  nats_pid=$!
  trap '[[ -n $nats_pid ]] && kill $nats_pid 2>/dev/null; wait $nats_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && break; sleep 0.1; done
fi

cat <<MSG

Orzo is starting: control-api :7106 (gRPC :50051), builder :7101, jenkins-hook :7102, scheduler-bridge :7103,
discovery-publisher :7104, monitor-bridge :7105 (each serves /healthz and /metrics).
Data: ${ORZO_DATA_DIR:-$PWD/.orzo/data}. soa-configs: $ORZO_SOA_DIR. Press Ctrl-C to stop.
Try: npx orzo status -s hello    npx orzo mark-for-deployment -s hello -l local.main -c <sha>

MSG
node cli/bin/orzo.js up
