// Package onnxpb holds the Go bindings of the ONNX protobuf schema: the
// schema Debian's python3-onnx ships (ONNX 1.12, IR version 8), converted to
// proto3 and with its proto package renamed to aekit.onnx so that it cannot
// clash at registration with other ONNX Go packages. Fields added by later
// IR versions are unknown fields here and are skipped when decoding.
//
// onnx.proto3.pb.go is generated; remake it with `go generate
// ./onnx/onnxpb` (needs protoc from Debian's protobuf-compiler and
// python3-onnx; the first line installs the pinned protoc-gen-go into
// $GOBIN, which must be in PATH).
//
// The ONNX schema is Copyright (c) ONNX Project Contributors and licensed
// under the Apache License, Version 2.0; see NOTICE.
package onnxpb

//go:generate go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//go:generate sh gen.sh
