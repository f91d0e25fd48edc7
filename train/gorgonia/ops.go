package gorgonia

import (
	"fmt"

	"github.com/aekit/aekit/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// builder maps aekit values to gorgonia nodes while it walks the graph.
type builder struct {
	m    *Model
	g    *graph.Graph
	vals map[string]*G.Node
}

func (b *builder) errorf(n *graph.Node, format string, args ...any) error {
	return fmt.Errorf("gorgonia engine: %s %q: %s", n.Op, n.Name, fmt.Sprintf(format, args...))
}

// in returns input i of n as a gorgonia node; constants become gorgonia
// constants.
func (b *builder) in(n *graph.Node, i int) (*G.Node, error) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, b.errorf(n, "input %d missing", i)
	}
	name := n.Inputs[i]
	if v, ok := b.vals[name]; ok {
		return v, nil
	}
	if t, ok := b.g.Params[name]; ok && t.DType == graph.Float32 {
		c := G.NewConstant(tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(append([]float32(nil), t.Data...))), G.WithName(name))
		b.vals[name] = c
		return c, nil
	}
	return nil, b.errorf(n, "input %q is not a float tensor the engine knows", name)
}

// constInts returns the constant int values of input i (shapes, scales).
func (b *builder) constFloats(n *graph.Node, i int) ([]float64, error) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, b.errorf(n, "input %d missing", i)
	}
	t, ok := b.g.Params[n.Inputs[i]]
	if !ok || b.g.Trainable[n.Inputs[i]] {
		return nil, b.errorf(n, "input %q must be a constant", n.Inputs[i])
	}
	return t.Floats(), nil
}

// setv2 lets a (node, error) call be passed straight through.
func (b *builder) setv2(n *graph.Node) func(*G.Node, error) error {
	return func(v *G.Node, err error) error { return b.setv(n, v, err) }
}

func ints(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func (b *builder) setv(n *graph.Node, v *G.Node, err error) error {
	if err != nil {
		return b.errorf(n, "%v", err)
	}
	b.vals[n.Outputs[0]] = v
	return nil
}

// addChannelBias adds a per-channel bias [C] to x [N,C,…].
func addChannelBias(x, bias *G.Node) (*G.Node, error) {
	shape := make([]int, x.Dims())
	var pattern []byte
	for i := range shape {
		shape[i] = 1
		if i != 1 {
			pattern = append(pattern, byte(i))
		}
	}
	shape[1] = bias.Shape()[0]
	if x.Dims() == 2 {
		// [N,F] + [F]: broadcast the bias along the batch.
		shape = []int{1, bias.Shape()[0]}
	}
	r, err := G.Reshape(bias, shape)
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(x, r, nil, pattern)
}

func (b *builder) node(n *graph.Node) error {
	switch n.Op {
	case "Conv":
		return b.conv(n)
	case "Relu":
		x, err := b.in(n, 0)
		if err != nil {
			return err
		}
		zero := G.NewConstant(float32(0))
		mask, err := G.Gt(x, zero, true)
		if err != nil {
			return b.errorf(n, "%v", err)
		}
		return b.setv2(n)(G.HadamardProd(x, mask))
	case "Sigmoid", "Tanh", "Identity", "Dropout":
		x, err := b.in(n, 0)
		if err != nil {
			return err
		}
		switch n.Op {
		case "Sigmoid":
			return b.setv2(n)(G.Sigmoid(x))
		case "Tanh":
			return b.setv2(n)(G.Tanh(x))
		}
		// Dropout is the identity outside training; the engine's
		// gradient checks run deterministic models.
		b.vals[n.Outputs[0]] = x
		return nil
	case "LeakyRelu":
		x, err := b.in(n, 0)
		if err != nil {
			return err
		}
		return b.setv2(n)(G.LeakyRelu(x, float64(n.Attrs.Float("alpha", 0.01))))
	case "MaxPool":
		return b.maxPool(n)
	case "Resize", "Upsample":
		return b.upsample(n)
	case "MatMul", "Gemm":
		return b.matmul(n)
	case "Add":
		x, err := b.in(n, 0)
		if err != nil {
			return err
		}
		y, err := b.in(n, 1)
		if err != nil {
			return err
		}
		if x.Shape().Eq(y.Shape()) {
			return b.setv2(n)(G.Add(x, y))
		}
		if y.Dims() == 1 && x.Dims() >= 2 && (y.Shape()[0] == x.Shape()[1] || x.Dims() == 2 && y.Shape()[0] == x.Shape()[1]) {
			return b.setv2(n)(addChannelBias(x, y))
		}
		return b.errorf(n, "broadcast of %v and %v not supported", x.Shape(), y.Shape())
	case "Flatten", "Reshape":
		return b.reshape(n)
	case "Transpose":
		x, err := b.in(n, 0)
		if err != nil {
			return err
		}
		perm := ints(n.Attrs.Ints("perm", nil))
		return b.setv2(n)(G.Transpose(x, perm...))
	case "BatchNormalization":
		return b.batchNorm(n)
	}
	return b.errorf(n, "operator not supported by the gorgonia engine (supported: Conv, Relu, LeakyRelu, Sigmoid, Tanh, MaxPool, Resize/Upsample (nearest, integer scale), MatMul, Gemm, Add, Flatten, Reshape, Transpose, BatchNormalization, Dropout, Identity)")
}

func (b *builder) conv(n *graph.Node) error {
	x, err := b.in(n, 0)
	if err != nil {
		return err
	}
	w, err := b.in(n, 1)
	if err != nil {
		return err
	}
	if g := n.Attrs.Int("group", 1); g != 1 {
		return b.errorf(n, "group=%d not supported (gorgonia's Conv2d has no groups)", g)
	}
	if ap := n.Attrs.String("auto_pad", "NOTSET"); ap != "NOTSET" && ap != "" {
		return b.errorf(n, "auto_pad=%s not supported: give explicit pads", ap)
	}
	pads := ints(n.Attrs.Ints("pads", []int64{0, 0, 0, 0}))
	if len(pads) != 4 || pads[0] != pads[2] || pads[1] != pads[3] {
		return b.errorf(n, "pads %v not supported: gorgonia's Conv2d pads symmetrically", pads)
	}
	strides := ints(n.Attrs.Ints("strides", []int64{1, 1}))
	dil := ints(n.Attrs.Ints("dilations", []int64{1, 1}))
	ws := w.Shape()
	y, err := G.Conv2d(x, w, tensor.Shape{ws[2], ws[3]}, []int{pads[0], pads[1]}, strides, dil)
	if err != nil {
		return b.errorf(n, "%v", err)
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		bias, err := b.in(n, 2)
		if err != nil {
			return err
		}
		return b.setv2(n)(addChannelBias(y, bias))
	}
	return b.setv(n, y, nil)
}

func (b *builder) maxPool(n *graph.Node) error {
	x, err := b.in(n, 0)
	if err != nil {
		return err
	}
	k := ints(n.Attrs.Ints("kernel_shape", nil))
	if len(k) != 2 {
		return b.errorf(n, "kernel_shape %v: 2-D pooling only", k)
	}
	if ap := n.Attrs.String("auto_pad", "NOTSET"); ap != "NOTSET" && ap != "" {
		return b.errorf(n, "auto_pad=%s not supported: give explicit pads", ap)
	}
	if n.Attrs.Int("ceil_mode", 0) != 0 {
		return b.errorf(n, "ceil_mode=1 not supported")
	}
	p := ints(n.Attrs.Ints("pads", []int64{0, 0, 0, 0}))
	s := ints(n.Attrs.Ints("strides", []int64{1, 1}))
	// ONNX pads are [top, left, bottom, right]; gorgonia's are
	// [top, bottom, left, right].
	return b.setv2(n)(G.MaxPool2D(x, tensor.Shape{k[0], k[1]}, []int{p[0], p[2], p[1], p[3]}, s))
}

func (b *builder) upsample(n *graph.Node) error {
	x, err := b.in(n, 0)
	if err != nil {
		return err
	}
	if m := n.Attrs.String("mode", "nearest"); m != "nearest" {
		return b.errorf(n, "mode=%s not supported (nearest only)", m)
	}
	var scales []float64
	switch {
	case n.Op == "Upsample" && len(n.Inputs) == 1:
		for _, f := range n.Attrs.Floats("scales", nil) {
			scales = append(scales, float64(f))
		}
	case n.Op == "Upsample":
		scales, err = b.constFloats(n, 1)
	default:
		if len(n.Inputs) < 3 || n.Inputs[2] == "" {
			return b.errorf(n, "Resize by sizes not supported; give scales")
		}
		scales, err = b.constFloats(n, 2)
	}
	if err != nil {
		return err
	}
	if len(scales) != 4 || scales[0] != 1 || scales[1] != 1 || scales[2] != scales[3] || scales[2] != float64(int(scales[2])) {
		return b.errorf(n, "scales %v not supported (equal integer scales on H and W)", scales)
	}
	// Upsample2D repeats each pixel: the same as nearest with asymmetric
	// coordinates and floor rounding at an integer scale.
	return b.setv2(n)(G.Upsample2D(x, int(scales[2])))
}

func (b *builder) matmul(n *graph.Node) error {
	x, err := b.in(n, 0)
	if err != nil {
		return err
	}
	w, err := b.in(n, 1)
	if err != nil {
		return err
	}
	if x.Dims() != 2 || w.Dims() != 2 {
		return b.errorf(n, "%v × %v: 2-D only", x.Shape(), w.Shape())
	}
	if n.Op == "Gemm" {
		if n.Attrs.Int("transA", 0) != 0 {
			if x, err = G.Transpose(x, 1, 0); err != nil {
				return b.errorf(n, "%v", err)
			}
		}
		if n.Attrs.Int("transB", 0) != 0 {
			if w, err = G.Transpose(w, 1, 0); err != nil {
				return b.errorf(n, "%v", err)
			}
		}
		if n.Attrs.Float("alpha", 1) != 1 || n.Attrs.Float("beta", 1) != 1 {
			return b.errorf(n, "alpha/beta other than 1 not supported")
		}
	}
	y, err := G.Mul(x, w)
	if err != nil {
		return b.errorf(n, "%v", err)
	}
	if n.Op == "Gemm" && len(n.Inputs) > 2 && n.Inputs[2] != "" {
		c, err := b.in(n, 2)
		if err != nil {
			return err
		}
		return b.setv2(n)(addChannelBias(y, c))
	}
	return b.setv(n, y, nil)
}

func (b *builder) reshape(n *graph.Node) error {
	x, err := b.in(n, 0)
	if err != nil {
		return err
	}
	xs := x.Shape()
	size := xs.TotalSize()
	var to []int
	if n.Op == "Flatten" {
		axis := int(n.Attrs.Int("axis", 1))
		if axis < 0 {
			axis += len(xs)
		}
		outer := 1
		for _, d := range xs[:axis] {
			outer *= d
		}
		to = []int{outer, size / outer}
	} else {
		spec, err := b.constFloats(n, 1)
		if err != nil {
			return err
		}
		known, neg := 1, -1
		for i, f := range spec {
			d := int(f)
			if d == 0 {
				d = xs[i]
			}
			if d == -1 {
				neg = i
			} else {
				known *= d
			}
			to = append(to, d)
		}
		if neg >= 0 {
			to[neg] = size / known
		}
	}
	return b.setv2(n)(G.Reshape(x, to))
}
