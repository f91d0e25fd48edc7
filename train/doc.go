// Package train fits aekit graphs natively in Go: losses and optimizers with
// Keras 2 semantics and defaults, and Fit, a Keras-like training loop with
// shuffled mini-batches, validation, per-epoch history, callbacks (early
// stopping), a progress bar or plain log lines, and a checkpoint each epoch
// that Resume continues from exactly.
//
// The package takes tensors, never files: data loading and configuration
// parsing belong to the callers (cmd/aekit, examples). It reads and writes
// checkpoints through package onnx.
//
// Everything computes in float32 on the graph executor's reused buffers;
// loss sums are accumulated in float64 in fixed-size blocks, so results do
// not depend on the number of cores.
//
// Error policy: bad data or configuration (mismatched shapes, an unknown
// loss or optimizer name, a checkpoint from another run) is returned as an
// error naming the value at fault; so is a numerical fault during training
// (a NumericError naming epoch, batch and the first layer that went
// non-finite). Panics are kept for programmer mistakes, such as calling an
// optimizer's Step with fewer gradients than parameters.
package train
