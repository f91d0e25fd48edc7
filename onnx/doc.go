// Package onnx reads and writes aekit graphs as ONNX model files, and single
// tensors as ONNX TensorProto files (the input_0.pb / output_0.pb layout of
// the ONNX backend tests).
//
// Encode writes a graph so that Decode gives it back exactly (weights bit for
// bit; Meta, Layers and Trainable through metadata_props). Decode also reads
// foreign models (IR 3–10, default-domain opsets 7–21) as converters write
// them; see Limits.DecodeModel for what it accepts and how it decides which
// initializers are trainable.
//
// Input is untrusted: every size a file declares is checked against Limits
// before memory is allocated for it, protobuf nesting is bounded, and the
// graph is validated (no cycles, dangling inputs or values produced twice).
// Errors name the file, node, initializer or attribute at fault and the
// numbers involved; no input makes the package panic.
//
// The protobuf bindings live in the sub-package onnxpb, generated from
// ONNX's onnx.proto3 (Apache-2.0) with its package renamed to aekit.onnx.
package onnx
