// Package graph is aekit's model representation: a portable graph of ONNX
// operators over dense float32 tensors in NCHW layout, the registry of
// operators (each with its shape rule, forward kernel and gradient), the
// executor that runs a graph forward and backward, the Keras-style layer
// builder and the Keras-format Summary.
//
// Compile merges a Conv with the Resize before it and the Relu or Sigmoid
// and 2×2 MaxPool after it into one step that does their work image by
// image in the cache (fuse.go), with the same results as the separate
// operators; Options.NoFuse turns that off. Kernels split their work over
// the cores on a pool of long-lived workers, so that a training step
// allocates nothing once warmed up (Workers offers the same to callers).
//
// Error policy: data conditions (a bad model, an impossible shape, an
// unsupported operator) are returned as errors that name the node and the
// dimensions at fault. Panics are kept for broken internal invariants, such as
// a kernel called with tensors of shapes other than the ones it was built for
// or two operators registered under one name.
package graph
