package graph

import (
	"fmt"
	"strings"
)

// Shape lists a tensor's dimensions, outermost first. A dimension of -1 is
// dynamic (the batch of a model whose batch size is not yet known).
type Shape []int

// Size returns the number of elements, or -1 when a dimension is dynamic.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		if d < 0 {
			return -1
		}
		n *= d
	}
	return n
}

// Equal reports whether two shapes have the same dimensions.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// String formats s as 2×3×4 (a dynamic dimension prints as ?).
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return strings.Join(parts, "×")
}

// DType is the element type of a Tensor. The engine computes in float32;
// Int64 tensors carry shapes, axes and indices, as ONNX stores them.
type DType int

// The element types a Tensor can hold.
const (
	Float32 DType = iota
	Int64
	// Uint8 holds image pixels (0–255) compactly; kernels never see it:
	// train.Fit converts each batch to float32(p)/255 as it gathers it.
	Uint8
)

func (d DType) String() string {
	switch d {
	case Int64:
		return "int64"
	case Uint8:
		return "uint8"
	}
	return "float32"
}

// Tensor is a dense row-major array. Float32 tensors keep their elements in
// Data, Int64 tensors in Ints, Uint8 tensors in Bytes; the other slices are
// nil.
type Tensor struct {
	Shape Shape
	DType DType
	Data  []float32
	Ints  []int64
	Bytes []uint8
}

// New returns a zero float32 tensor of the given shape.
func New(shape ...int) *Tensor {
	s := Shape(shape)
	return &Tensor{Shape: s.Clone(), Data: make([]float32, s.Size())}
}

// FromData wraps data (not copied) as a float32 tensor of the given shape.
// It panics when the sizes disagree, a programmer error.
func FromData(data []float32, shape ...int) *Tensor {
	s := Shape(shape)
	if s.Size() != len(data) {
		panic(fmt.Sprintf("graph.FromData: %d elements for shape %v", len(data), s))
	}
	return &Tensor{Shape: s.Clone(), Data: data}
}

// FromInts returns an int64 tensor of the given shape holding v (not copied).
func FromInts(v []int64, shape ...int) *Tensor {
	s := Shape(shape)
	if s.Size() != len(v) {
		panic(fmt.Sprintf("graph.FromInts: %d elements for shape %v", len(v), s))
	}
	return &Tensor{Shape: s.Clone(), DType: Int64, Ints: v}
}

// Len returns the number of elements.
func (t *Tensor) Len() int {
	switch t.DType {
	case Int64:
		return len(t.Ints)
	case Uint8:
		return len(t.Bytes)
	}
	return len(t.Data)
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{Shape: t.Shape.Clone(), DType: t.DType}
	if t.Data != nil {
		c.Data = append([]float32(nil), t.Data...)
	}
	if t.Ints != nil {
		c.Ints = append([]int64(nil), t.Ints...)
	}
	if t.Bytes != nil {
		c.Bytes = append([]uint8(nil), t.Bytes...)
	}
	return c
}

// Floats returns the elements as float64, whatever the dtype. It is meant for
// small constant tensors (scales, shapes) read while building kernels.
func (t *Tensor) Floats() []float64 {
	out := make([]float64, t.Len())
	if t.DType == Int64 {
		for i, v := range t.Ints {
			out[i] = float64(v)
		}
	} else {
		for i, v := range t.Data {
			out[i] = float64(v)
		}
	}
	return out
}

// Int64s returns the elements as int64, whatever the dtype.
func (t *Tensor) Int64s() []int64 {
	if t.DType == Int64 {
		return append([]int64(nil), t.Ints...)
	}
	out := make([]int64, len(t.Data))
	for i, v := range t.Data {
		out[i] = int64(v)
	}
	return out
}
