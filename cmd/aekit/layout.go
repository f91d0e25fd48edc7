package main

import (
	"fmt"
	"math"

	"github.com/aekit/aekit/graph"
)

// Layouts of a model's image input, as modelInput.Layout names them.
const (
	layoutNCHW = "nchw" // [N, C, H, W]: aekit's own and PyTorch's
	layoutNHWC = "nhwc" // [N, H, W, C]: Keras models converted to ONNX
	layoutHW   = "hw"   // [N, H, W]: one channel, no channel axis
	layoutFlat = "flat" // [N, D]: flattened images
)

// modelInput is the data input of a model and the layout in which it
// takes images. Data sets are [N, C, H, W]; feed rearranges them.
type modelInput struct {
	Name   string
	Shape  graph.Shape
	Layout string
	// C, H, W is the image size the input declares, 0 where it does not
	// say (a flat input, or dimensions left symbolic).
	C, H, W int
}

// inputOf finds g's one data input (an input that is not an initializer)
// and works out its layout: a 4-D input is NHWC when the graph's metadata
// says so (aekit export --layout nhwc) or when its last axis looks like
// channels (1, 3 or 4) and its second does not, as in Keras's
// [N, 28, 28, 1]; otherwise NCHW.
func inputOf(g *graph.Graph) (modelInput, error) {
	var in *graph.ValueInfo
	for i := range g.Inputs {
		if _, isParam := g.Params[g.Inputs[i].Name]; isParam {
			continue
		}
		if in != nil {
			return modelInput{}, fmt.Errorf("model has more than one data input (%q, %q)", in.Name, g.Inputs[i].Name)
		}
		in = &g.Inputs[i]
	}
	if in == nil {
		return modelInput{}, fmt.Errorf("model has no data input")
	}
	m := modelInput{Name: in.Name, Shape: in.Shape.Clone()}
	dim := func(i int) int { return max(m.Shape[i], 0) }
	channels := func(v int) bool { return v == 1 || v == 3 || v == 4 }
	switch len(m.Shape) {
	case 4:
		nhwc := g.Meta["aekit.export.layout"] == layoutNHWC ||
			(channels(m.Shape[3]) && !channels(m.Shape[1]))
		if nhwc {
			m.Layout, m.C, m.H, m.W = layoutNHWC, dim(3), dim(1), dim(2)
		} else {
			m.Layout, m.C, m.H, m.W = layoutNCHW, dim(1), dim(2), dim(3)
		}
	case 3:
		m.Layout, m.C, m.H, m.W = layoutHW, 1, dim(1), dim(2)
	case 2:
		m.Layout = layoutFlat
	default:
		return modelInput{}, fmt.Errorf("model input %q has shape %v: images need [N,C,H,W], [N,H,W,C], [N,H,W] or [N,D]", in.Name, in.Shape)
	}
	return m, nil
}

// feed returns the images x ([N, C, H, W]) laid out as the input takes
// them, each value multiplied by scale. x itself is never changed; when
// nothing needs doing, x is returned.
func (m modelInput) feed(x *graph.Tensor, scale float64) (*graph.Tensor, error) {
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("images have shape %v, want [N,C,H,W]", x.Shape)
	}
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	fits := func(want, got int) bool { return want <= 0 || want == got }
	var shape graph.Shape
	switch m.Layout {
	case layoutNCHW:
		shape = graph.Shape{n, c, h, w}
	case layoutNHWC:
		shape = graph.Shape{n, h, w, c}
	case layoutHW:
		if c != 1 {
			return nil, fmt.Errorf("input %q %v takes one-channel images; these have %d channels", m.Name, m.Shape, c)
		}
		shape = graph.Shape{n, h, w}
	case layoutFlat:
		shape = graph.Shape{n, c * h * w}
	default:
		return nil, fmt.Errorf("input %q: unknown layout %q", m.Name, m.Layout)
	}
	for i := 1; i < len(shape); i++ {
		if !fits(m.Shape[i], shape[i]) {
			return nil, fmt.Errorf("input %q takes %v (%s); the images give %v", m.Name, m.Shape, m.Layout, shape)
		}
	}
	if math.IsNaN(scale) || math.IsInf(scale, 0) || scale <= 0 {
		return nil, fmt.Errorf("scale %g: must be a positive number", scale)
	}
	transpose := m.Layout == layoutNHWC && c > 1
	if !transpose && scale == 1 {
		return &graph.Tensor{Shape: shape, DType: graph.Float32, Data: x.Data}, nil
	}
	out := make([]float32, len(x.Data))
	s := float32(scale)
	if !transpose {
		for i, v := range x.Data {
			out[i] = v * s
		}
		return graph.FromData(out, shape...), nil
	}
	hw := h * w
	for i := 0; i < n; i++ {
		src, dst := x.Data[i*c*hw:(i+1)*c*hw], out[i*c*hw:(i+1)*c*hw]
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				dst[p*c+ch] = src[ch*hw+p] * s
			}
		}
	}
	return graph.FromData(out, shape...), nil
}
