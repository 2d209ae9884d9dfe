#!/usr/bin/env bash
# npm start: installs what is missing, builds, makes sure NATS (JetStream) and Docker run,
# starts the platform with the embedded defaults (SQLite under .orzo/data, local Docker, local
# HAProxy), builds the example service's image and deploys it, then stays in the foreground.
# Ctrl-C stops the platform; deployed containers keep running and the next start adopts them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
echo "building ..."
npm run build --silent

export ORZO_SOA_DIR="${ORZO_SOA_DIR:-$PWD/examples/soa-configs}"
nats_pid=""
am_pid=""
platform_pid=""
# Stops what this script started and waits until it is gone. Ctrl-C already reached `orzo up`
# (it is in the terminal's process group); the SIGTERM sent here is a copy it ignores, and it
# exits only when none of its services is left (killing them after its 15s deadline).
cleanup() {
  # A second Ctrl-C must not cut this wait short: it reaches `orzo up` too, which then kills at once.
  trap '' INT TERM
  if [[ -n $platform_pid ]] && kill -0 "$platform_pid" 2>/dev/null; then
    kill -TERM "$platform_pid" 2>/dev/null || true
    wait "$platform_pid" 2>/dev/null || true
  fi
  if [[ -n $nats_pid ]]; then
    kill "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
  fi
  if [[ -n $am_pid ]]; then
    kill "$am_pid" 2>/dev/null || true
    wait "$am_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
  echo >&2
  echo "Orzo is NOT up: $*" >&2
  exit 1
}

if [[ -z "${ORZO_NATS_URL:-}" ]] && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  mkdir -p .orzo/nats
  echo "no NATS on 127.0.0.1:4222: starting nats-server (JetStream, store .orzo/nats, log .orzo/nats.log)"
  nats-server -a 127.0.0.1 -p 4222 -js -sd .orzo/nats >.orzo/nats.log 2>&1 &
  nats_pid=$!
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && break; sleep 0.1; done
  (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null || fail "nats-server did not listen on 127.0.0.1:4222 within 5s (see .orzo/nats.log)"
fi

# Alerts go to a local Alertmanager unless ORZO_ALERTMANAGER_URL or orzo.yaml's alerts: say
# where: an Alertmanager already answering on 127.0.0.1:9093 is used, else one is started
# (config and storage under .orzo/alertmanager, log .orzo/alertmanager.log) and stopped with the platform.
am_note="Alerts: none sent anywhere (set ORZO_ALERTMANAGER_URL or alerts: in orzo.yaml); npx orzo alerts lists them."
if grep -qs '^alerts:' "${ORZO_CONFIG:-orzo.yaml}"; then
  am_note="Alerts: sent where alerts: of ${ORZO_CONFIG:-orzo.yaml} says; npx orzo alerts lists them."
elif [[ -z "${ORZO_ALERTMANAGER_URL:-}" ]]; then
  if curl -fs 127.0.0.1:9093/-/ready >/dev/null 2>&1; then
    export ORZO_ALERTMANAGER_URL=http://127.0.0.1:9093
  elif (exec 3<>/dev/tcp/127.0.0.1/9093) 2>/dev/null; then
    echo "port 9093 is taken by something that is not Alertmanager: no Alertmanager started" >&2
  elif [[ -x /usr/bin/prometheus-alertmanager ]]; then
    mkdir -p .orzo/alertmanager
    printf 'route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n' >.orzo/alertmanager/alertmanager.yml
    /usr/bin/prometheus-alertmanager --config.file=.orzo/alertmanager/alertmanager.yml --storage.path=.orzo/alertmanager/data \
      --web.listen-address=127.0.0.1:9093 --cluster.listen-address= >.orzo/alertmanager.log 2>&1 &
    am_pid=$!
    for _ in $(seq 1 100); do curl -fs 127.0.0.1:9093/-/ready >/dev/null 2>&1 && break; sleep 0.1; done
    curl -fs 127.0.0.1:9093/-/ready >/dev/null 2>&1 || fail "Alertmanager did not answer on 127.0.0.1:9093 within 10s (see .orzo/alertmanager.log)"
    export ORZO_ALERTMANAGER_URL=http://127.0.0.1:9093
  fi
fi
[[ -n "${ORZO_ALERTMANAGER_URL:-}" ]] && am_note="Alerts: Alertmanager at $ORZO_ALERTMANAGER_URL (its UI; GET /api/v2/alerts); npx orzo alerts lists them."

node cli/bin/orzo.js up &
platform_pid=$!
# Up means every service and the dashboard answer /healthz with 200 (name=host:port of each from
# the same variables orzo up reads, else the defaults): each listens only once its start-up is
# done, whatever ORZO_LOG_LEVEL lets it print. The wait is ORZO_START_TIMEOUT_S (default 120 s; a
# loaded machine may need more); on timeout it names each one not ready and its answer.
mapfile -t health_urls < <(node -e '
  const { ORZO_SERVICES, ORZO_DASHBOARD } = require("./libs/contracts");
  const env = process.env;
  const port = (s) => env[`ORZO_${s.name.toUpperCase().replace(/-/g, "_")}_HTTP_PORT`] || s.httpPort;
  for (const s of ORZO_SERVICES) console.log(`${s.name}=${env.ORZO_HTTP_HOST || "127.0.0.1"}:${port(s)}`);
  console.log(`${ORZO_DASHBOARD.name}=${env.ORZO_DASHBOARD_HOST || "127.0.0.1"}:${env.ORZO_DASHBOARD_PORT || ORZO_DASHBOARD.port}`);
')
start_timeout_s="${ORZO_START_TIMEOUT_S:-120}"
deadline=$((SECONDS + start_timeout_s))
while :; do
  kill -0 "$platform_pid" 2>/dev/null || fail "orzo up exited during start-up (its log is above)"
  not_ready=()
  for entry in "${health_urls[@]}"; do
    curl -fs -m 5 "${entry#*=}/healthz" >/dev/null 2>&1 || not_ready+=("$entry")
  done
  [[ ${#not_ready[@]} -eq 0 ]] && break
  if ((SECONDS >= deadline)); then
    for entry in "${not_ready[@]}"; do
      echo "  ${entry%%=*} ${entry#*=}/healthz: $(curl -s -m 5 "${entry#*=}/healthz" 2>&1 || echo 'not listening')" >&2
    done
    fail "not every service answered /healthz with 200 within ${start_timeout_s}s (set ORZO_START_TIMEOUT_S to wait longer; its log is above)"
  fi
  sleep 0.5
done

# The example service, built locally at this checkout's version and deployed.
sha=$(git rev-parse HEAD 2>/dev/null || find examples/services/hello -type f -exec sha1sum {} + | sha1sum | cut -c1-40)
bash infra/images/build-base.sh
docker build -q -t "services-hello:orzo-$sha" --build-arg "VERSION=$sha" examples/services/hello >/dev/null
node cli/bin/orzo.js mark-for-deployment -s hello -l local.main -c "$sha"
# Up means: every replica healthy in the status read model, and the example answering through
# HAProxy at this version. Otherwise wait-ready prints which part is not ready and why.
node cli/bin/orzo.js wait-ready -s hello --proxy 127.0.0.1:20001 --expect-version "$sha" --timeout "${ORZO_START_TIMEOUT_S:-120}" ||
  fail "the example service does not serve through HAProxy (see above); stopping what was started"

cat <<MSG

Orzo is up: control-api :7106 (gRPC :50051), builder :7101, jenkins-hook :7102,
scheduler-bridge :7103, discovery-publisher :7104, monitor-bridge :7105 (each: /healthz, /metrics).
The example service runs 3 replicas behind HAProxy:

    curl 127.0.0.1:20001/            # the page shows version ${sha:0:8}
    npx orzo status -s hello

Dashboard: http://${ORZO_DASHBOARD_HOST:-127.0.0.1}:${ORZO_DASHBOARD_PORT:-7100} (log in with a token: npx orzo token create --name <you> --scope read
prints one; the admin token is in ${ORZO_DATA_DIR:-$PWD/.orzo/data}/admin-token).
$am_note
Data: ${ORZO_DATA_DIR:-$PWD/.orzo/data}. soa-configs: $ORZO_SOA_DIR. Press Ctrl-C to stop.
MSG
set +e
wait "$platform_pid"
code=$?
platform_pid=""
exit "$code"
