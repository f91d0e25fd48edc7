// Package gorgonia is aekit's second training engine: it compiles an aekit
// graph into a gorgonia ExprGraph (gorgonia.org/gorgonia v0.9.18) with the
// model's weights bound, so that the same model can be trained by gorgonia's
// tape machine — as a gradient oracle for the native engine, as the baseline
// `aekit bench` measures against, and for users who continue in gorgonia.
//
// The weights are bound without copying: each gorgonia weight node's value is
// backed by the aekit graph's parameter slice, so an optimizer that updates
// the aekit graph updates the gorgonia graph too.
//
// Operators gorgonia lacks are a clear error naming the node. ReLU is built
// as x·(x>0) rather than with gorgonia's Rectify, whose gradient is 1 at
// x = 0 (TensorFlow and aekit use 0 there; at step 1 every bias is zero and
// background pixels sit exactly at 0, so the difference is visible).
package gorgonia
