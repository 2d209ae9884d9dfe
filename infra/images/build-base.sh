#!/usr/bin/env bash
# Builds orzo/busybox:1, the local base image (FROM scratch + Debian's static busybox): no
# registry is reachable, so nothing can be pulled. Same image as libs/testing ensureBusyboxBase.
set -euo pipefail
if docker image inspect orzo/busybox:1 >/dev/null 2>&1; then exit 0; fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp /bin/busybox "$ctx/busybox"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /etc && chmod 1777 /tmp && echo "root:x:0:0:root:/:/bin/sh" > /etc/passwd
DOCKERFILE
docker build -q -t orzo/busybox:1 "$ctx" >/dev/null
echo "built orzo/busybox:1"
