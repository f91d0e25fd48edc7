// Package graph is aekit's model representation: a portable graph of ONNX
// operators over dense float32 tensors in NCHW layout, the registry of
// operators (each with its shape rule, forward kernel and gradient), the
// executor that runs a graph forward and backward, the Keras-style layer
// builder and the Keras-format Summary.
//
// Error policy: data conditions (a bad model, an impossible shape, an
// unsupported operator) are returned as errors that name the node and the
// dimensions at fault. Panics are kept for broken internal invariants, such as
// a kernel called with tensors of shapes other than the ones it was built for
// or two operators registered under one name.
package graph
