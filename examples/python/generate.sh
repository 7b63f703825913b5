#!/bin/sh
# Generates the Python modules of Vertice's API from proto/ with Debian's protoc and
# grpc_python_plugin (packages protobuf-compiler and protobuf-compiler-grpc).
#
#   ./generate.sh [OUT_DIR]      OUT_DIR defaults to ./gen next to this script
#
# The generated code is not committed: it is made in a second from the .proto files, so it can
# never lag behind them (the interop tests regenerate it on every run). Its protobuf runtime is
# Debian's python3-protobuf, whose version matches Debian's protoc.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
PROTO="$HERE/../../proto"
OUT="${1:-$HERE/gen}"
command -v protoc >/dev/null || { echo "generate.sh: protoc missing (apt-get install protobuf-compiler)" >&2; exit 2; }
PLUGIN="$(command -v grpc_python_plugin || true)"
[ -n "$PLUGIN" ] || { echo "generate.sh: grpc_python_plugin missing (apt-get install protobuf-compiler-grpc)" >&2; exit 2; }
mkdir -p "$OUT"
cd "$PROTO"
# The well-known types (google/protobuf/*.proto) come with protoc; their Python modules with the runtime.
protoc -I . --python_out="$OUT" --grpc_python_out="$OUT" --plugin=protoc-gen-grpc_python="$PLUGIN" \
  vertice/registry/v1/registry.proto vertice/discovery/v1/discovery.proto externalscaler/externalscaler.proto
