package onnx

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Limits bound what a decoder accepts from an untrusted file. Every check
// runs before the memory it guards is allocated, so a file that declares a
// huge tensor is refused in bounded memory. Start from DefaultLimits and
// change the fields that matter: a zero field refuses everything it bounds
// (except RecursionLimit, where 0 means protobuf's default of 10,000).
type Limits struct {
	// MaxTensorElements bounds the elements of one tensor (initializer,
	// tensor attribute or TensorProto file).
	MaxTensorElements int64
	// MaxTotalElements bounds the elements of all of a model's tensors
	// together.
	MaxTotalElements int64
	// MaxDims bounds the rank of a tensor or of a declared input or output
	// shape.
	MaxDims int
	// MaxNodes bounds the number of nodes of a graph.
	MaxNodes int
	// MaxFileBytes bounds the size of a file ReadFile or ReadTensorFile
	// reads (protobuf messages cannot exceed 2 GiB anyway).
	MaxFileBytes int64
	// RecursionLimit bounds the nesting depth of protobuf messages
	// (proto.UnmarshalOptions.RecursionLimit). A model without subgraphs
	// nests about 7 deep.
	RecursionLimit int
}

// DefaultLimits are the limits Decode, DecodeTensor, ReadFile and
// ReadTensorFile use: 2^28 elements (1 GiB of float32) per tensor, 2^29 in
// all, rank 8, 2^20 nodes, files up to 2 GiB, protobuf nesting 64 deep. A
// program may change them before decoding (not while decoding runs), or call
// the methods of its own Limits value.
var DefaultLimits = Limits{
	MaxTensorElements: 1 << 28,
	MaxTotalElements:  1 << 29,
	MaxDims:           8,
	MaxNodes:          1 << 20,
	MaxFileBytes:      1<<31 - 1,
	RecursionLimit:    64,
}

// unmarshal decodes a protobuf message with the recursion limit set.
func (l Limits) unmarshal(data []byte, m proto.Message) error {
	opt := proto.UnmarshalOptions{RecursionLimit: l.RecursionLimit}
	if err := opt.Unmarshal(data, m); err != nil {
		return fmt.Errorf("not a valid ONNX protobuf (%d bytes): %w", len(data), err)
	}
	return nil
}

// elements returns the product of dims, or an error when a dimension is
// negative, the rank exceeds MaxDims or the product exceeds
// MaxTensorElements (checked without overflow).
func (l Limits) elements(dims []int64) (int64, error) {
	if len(dims) > l.MaxDims {
		return 0, fmt.Errorf("rank %d exceeds the limit of %d dimensions", len(dims), l.MaxDims)
	}
	// The product of the non-zero dims is bounded too: a zero dimension
	// must not hide a huge one that a later reshape would bring back.
	n, zero := int64(1), false
	for i, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d is negative (%d) in dims %v", i, d, dims)
		}
		if d == 0 {
			zero = true
			continue
		}
		if d > l.MaxTensorElements/n {
			return 0, fmt.Errorf("dims %v declare more than %d elements (the limit)", dims, l.MaxTensorElements)
		}
		n *= d
	}
	if zero {
		return 0, nil
	}
	return n, nil
}
