#!/usr/bin/env bash
# Regenerates libs/contracts/src/generated from proto/ with ts-proto.
# With --check, fails (exit 1) when the committed generated code is stale.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null; then
  echo "protoc not found: install it with 'apt-get install -y protobuf-compiler libprotobuf-dev'" >&2
  exit 2
fi

out=libs/contracts/src/generated
target=$out
if [[ "${1:-}" == "--check" ]]; then
  target=$(mktemp -d)
  trap 'rm -rf "$target"' EXIT
fi
rm -rf "$target" && mkdir -p "$target"

mapfile -t protos < <(find proto -name '*.proto' | sort)
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$target" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,forceLong=string,exportCommonSymbols=false,useExactTypes=false \
  -I proto -I /usr/include \
  "${protos[@]}"

if [[ "${1:-}" == "--check" ]]; then
  if ! diff -r "$out" "$target" >/dev/null; then
    diff -r "$out" "$target" | head -40 >&2
    echo "libs/contracts/src/generated is stale: run 'npm run gen' and commit the result" >&2
    exit 1
  fi
  echo "generated contracts are up to date"
fi
