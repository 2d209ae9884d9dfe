#!/usr/bin/env bash
# Installs what Orzo's start and tests need and are missing: npm packages, and the Debian
# packages nats-server, protobuf-compiler (+ well-known protos) and the PostgreSQL client.
# With --tests (npm test), also Chromium for the dashboard's browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nats-server >/dev/null || need_apt+=(nats-server)
command -v protoc >/dev/null || need_apt+=(protobuf-compiler)
[[ -f /usr/include/google/protobuf/struct.proto ]] || need_apt+=(libprotobuf-dev)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v dockerd >/dev/null || need_apt+=(docker.io)
command -v haproxy >/dev/null || need_apt+=(haproxy)
[ -x /usr/bin/prometheus-alertmanager ] || need_apt+=(prometheus-alertmanager)
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
command -v git >/dev/null || need_apt+=(git)
# The chaos tier's private Docker engine gets a bridge of its own; npm start probes with curl.
command -v ip >/dev/null || need_apt+=(iproute2)
command -v curl >/dev/null || need_apt+=(curl)
# The multi-node Swarm of the tests (libs/testing startSwarm) joins its nodes through iptables; nsenter is util-linux.
command -v iptables >/dev/null || need_apt+=(iptables)
# The dashboard's e2e tests drive Debian's Chromium (never a downloaded browser).
if [[ "${1:-}" == "--tests" ]]; then [ -x /usr/bin/chromium ] || need_apt+=(chromium); fi
{ ldd /bin/busybox 2>&1 || true; } | grep -q 'not a dynamic executable' || need_apt+=(busybox-static)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: ${need_apt[*]}; install them with: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  echo "installing ${need_apt[*]} ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Docker Engine: started here when it is installed but not running (logs in /var/log/orzo).
if ! docker info >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Docker Engine is not running: start dockerd (tests and npm start need it)" >&2
    exit 1
  fi
  mkdir -p /var/log/orzo
  echo "starting dockerd (log /var/log/orzo/dockerd.log) ..."
  nohup dockerd >/var/log/orzo/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/orzo/dockerd.log" >&2; tail -20 /var/log/orzo/dockerd.log >&2; exit 1; }
fi

stamp=node_modules/.orzo-installed
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  echo "installing npm packages (npm ci) ..."
  npm ci --no-audit --no-fund
  touch "$stamp"
fi
