#!/usr/bin/env bash
# Builds orzo/busybox:1 from infra/images/busybox/Dockerfile and Debian's static busybox.
set -euo pipefail
if docker image inspect orzo/busybox:1 >/dev/null 2>&1; then exit 0; fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp /bin/busybox "$ctx/busybox"
cp "$(dirname "$0")/busybox/Dockerfile" "$ctx/Dockerfile"
docker build -q -t orzo/busybox:1 "$ctx" >/dev/null
echo "built orzo/busybox:1"
