#!/bin/sh
# Regenerates onnx.proto3.pb.go from the ONNX schema that Debian's
# python3-onnx ships (onnx.proto, proto2 syntax), converted to proto3 the way
# ONNX's own gen_proto.py makes onnx.proto3 — `optional` dropped — with the
# proto package renamed to aekit.onnx so that it cannot clash at registration
# with other ONNX Go packages (onnx-go registers package onnx).
# Needs protoc (Debian protobuf-compiler) and protoc-gen-go in PATH.
set -eu
src=${ONNX_PROTO:-/usr/lib/python3/dist-packages/onnx/onnx.proto}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/onnx/onnxpb"
sed -e 's/^syntax = "proto2";/syntax = "proto3";/' \
    -e 's/^\([[:space:]]*\)optional /\1/' \
    -e 's/^package onnx;/package aekit.onnx;\noption go_package = "github.com\/aekit\/aekit\/onnx\/onnxpb";/' \
    "$src" > "$tmp/onnx/onnxpb/onnx.proto3"
protoc --proto_path="$tmp" --go_out="$tmp" --go_opt=paths=source_relative onnx/onnxpb/onnx.proto3
cp "$tmp/onnx/onnxpb/onnx.proto3.pb.go" onnx.proto3.pb.go
