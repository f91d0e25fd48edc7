package data

import (
	"fmt"

	"github.com/aekit/aekit/graph"
)

// Dataset is a set of images with optional labels.
type Dataset struct {
	// Name says where the images came from: "mnist-train", "mnist-test",
	// "fashion-mnist-test", or the folder or files they were read from.
	Name string
	// X holds the images, float32 [N, C, H, W] with values in [0, 1].
	X *graph.Tensor
	// Labels holds one class index per image, or is nil when unknown.
	Labels []int
	// Classes names the classes: Classes[Labels[i]] is image i's class.
	// It is nil when the labels are unknown.
	Classes []string
}

// Len returns the number of images.
func (d *Dataset) Len() int {
	if d == nil || d.X == nil || len(d.X.Shape) == 0 {
		return 0
	}
	return d.X.Shape[0]
}

// Image returns image i as a [C, H, W] tensor that shares d.X's memory.
// It panics when i is out of range, a programmer error.
func (d *Dataset) Image(i int) *graph.Tensor {
	n := d.Len()
	if i < 0 || i >= n {
		panic(fmt.Sprintf("data.Dataset.Image: index %d out of range [0, %d)", i, n))
	}
	s := d.X.Shape[1:]
	size := s.Size()
	return &graph.Tensor{Shape: s.Clone(), Data: d.X.Data[i*size : (i+1)*size : (i+1)*size]}
}

// Slice returns images lo..hi-1 (and their labels) as a Dataset that shares
// d's memory. It panics when the range is invalid, a programmer error.
func (d *Dataset) Slice(lo, hi int) *Dataset {
	n := d.Len()
	if lo < 0 || hi < lo || hi > n {
		panic(fmt.Sprintf("data.Dataset.Slice: range [%d, %d) out of [0, %d)", lo, hi, n))
	}
	s := d.X.Shape.Clone()
	size := s[1:].Size()
	s[0] = hi - lo
	out := &Dataset{
		Name:    d.Name,
		X:       &graph.Tensor{Shape: s, Data: d.X.Data[lo*size : hi*size : hi*size]},
		Classes: d.Classes,
	}
	if d.Labels != nil {
		out.Labels = d.Labels[lo:hi:hi]
	}
	return out
}

// Limits bounds what the readers of this package accept from a file before
// they allocate memory for it.
type Limits struct {
	// MaxElements is the largest number of elements (pixels, values) of one
	// array or data set read from files.
	MaxElements int
	// MaxImagePixels is the largest width×height an image file may declare.
	MaxImagePixels int
	// MaxFileBytes is the largest image file read whole into memory.
	MaxFileBytes int64
}

// DefaultLimits are the limits the readers use: 1<<28 elements (1 GiB of
// float32, four times the 60,000 MNIST training images), 1<<26 pixels per
// image (8192×8192) and 256 MiB per image file. A program may change them at
// start, before any reading begins.
var DefaultLimits = Limits{
	MaxElements:    1 << 28,
	MaxImagePixels: 1 << 26,
	MaxFileBytes:   256 << 20,
}

// checkedProduct multiplies dims, failing when one is negative or the
// product exceeds limit (checked without overflow).
func checkedProduct(dims []int, limit int) (int, error) {
	n := 1
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in %v", d, dims)
		}
		if d == 0 {
			n = 0
			continue
		}
		if n > limit/d {
			return 0, fmt.Errorf("dimensions %v exceed the limit of %d elements", dims, limit)
		}
		n *= d
	}
	return n, nil
}
