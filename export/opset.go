package export

import (
	"fmt"
	"slices"

	"github.com/aekit/aekit/graph"
)

// convertOpset rewrites g's nodes from g.Opset to opset to, keeping what
// they compute; the rules are listed in the package documentation. A node
// that cannot be expressed in the target opset is an error naming it and
// the attribute or input at fault.
func convertOpset(g *graph.Graph, to int) error {
	from := g.Opset
	if from == 0 {
		from = graph.DefaultOpset
	}
	c := &converter{g: g, from: from, to: to, names: newNamer(g)}
	var nodes []*graph.Node
	for _, n := range g.Nodes {
		m := cloneNode(n)
		out, err := c.node(m)
		if err != nil {
			return fmt.Errorf("%s %q: %w", n.Op, n.Name, err)
		}
		nodes = append(nodes, out...)
	}
	g.Nodes = nodes
	g.Opset = to
	return nil
}

// converter holds the state of one opset conversion.
type converter struct {
	g        *graph.Graph
	from, to int
	names    *namer
	shapes   map[string]graph.Shape // value shapes at the source opset, on first need
	shapeErr error
}

func cloneNode(n *graph.Node) *graph.Node {
	m := *n
	m.Inputs = slices.Clone(n.Inputs)
	m.Outputs = slices.Clone(n.Outputs)
	m.Attrs = slices.Clone(n.Attrs)
	return &m
}

// node converts one node (a copy the converter may change) and returns the
// nodes that replace it.
func (c *converter) node(n *graph.Node) ([]*graph.Node, error) {
	up := func(v int) bool { return c.from < v && c.to >= v }
	down := func(v int) bool { return c.from >= v && c.to < v }
	switch n.Op {
	case "Squeeze", "Unsqueeze":
		switch {
		case up(13):
			if a, ok := n.Attrs.Get("axes"); ok {
				n.Inputs = append(n.Inputs[:1], c.param(n.Name+".axes", graph.FromInts(slices.Clone(a.Ints), len(a.Ints))))
				n.Attrs = without(n.Attrs, "axes")
			}
		case down(13):
			if len(n.Inputs) > 1 && n.Inputs[1] != "" {
				axes, err := c.constInts(n, 1, "axes")
				if err != nil {
					return nil, err
				}
				n.Inputs = n.Inputs[:1]
				n.Attrs = append(n.Attrs, graph.IntsAttr("axes", axes...))
			}
		}
	case "Softmax", "LogSoftmax", "Hardmax":
		switch {
		case up(13):
			return c.softmaxUp(n)
		case down(13):
			return c.softmaxDown(n)
		}
	case "Clip":
		if c.from < 11 {
			lo, hasLo := n.Attrs.Get("min")
			hi, hasHi := n.Attrs.Get("max")
			n.Inputs = n.Inputs[:1]
			if hasLo || hasHi {
				n.Inputs = append(n.Inputs, "")
			}
			if hasLo {
				n.Inputs[1] = c.param(n.Name+".min", scalar(lo.Float))
			}
			if hasHi {
				n.Inputs = append(n.Inputs, c.param(n.Name+".max", scalar(hi.Float)))
			}
			n.Attrs = without(n.Attrs, "min", "max")
		}
	case "Pad":
		return c.pad(n)
	case "Slice":
		if c.from < 10 {
			at := n.Attrs
			starts, ends := at.Ints("starts", nil), at.Ints("ends", nil)
			if starts == nil || ends == nil {
				return nil, fmt.Errorf("attributes starts and ends are required (Slice-%d)", c.from)
			}
			n.Inputs = append(n.Inputs[:1],
				c.param(n.Name+".starts", graph.FromInts(slices.Clone(starts), len(starts))),
				c.param(n.Name+".ends", graph.FromInts(slices.Clone(ends), len(ends))))
			if axes := at.Ints("axes", nil); axes != nil {
				n.Inputs = append(n.Inputs, c.param(n.Name+".axes", graph.FromInts(slices.Clone(axes), len(axes))))
			}
			n.Attrs = without(n.Attrs, "starts", "ends", "axes")
		}
	case "Upsample":
		return c.oldResize(n)
	case "Resize":
		if c.from < 11 {
			return c.oldResize(n)
		}
		return c.resize(n)
	case "BatchNormalization":
		if a, ok := n.Attrs.Get("spatial"); ok {
			if a.Int != 1 {
				return nil, fmt.Errorf("attribute spatial = %d (per-element statistics) has no counterpart from opset 9 on", a.Int)
			}
			n.Attrs = without(n.Attrs, "spatial")
		}
		n.Attrs = without(n.Attrs, "is_test", "consumed_inputs")
	case "Reshape":
		if a, ok := n.Attrs.Get("allowzero"); ok && c.to < 14 {
			if a.Int != 0 {
				shape, err := c.constInts(n, 1, "shape")
				if err != nil {
					return nil, fmt.Errorf("allowzero = 1 needs opset 14, and %w", err)
				}
				if slices.Contains(shape, 0) {
					return nil, fmt.Errorf("allowzero = 1 with a 0 in shape %v has no counterpart before opset 14", shape)
				}
			}
			n.Attrs = without(n.Attrs, "allowzero")
		}
	case "Shape":
		if c.to < 15 {
			start, end := n.Attrs.Int("start", 0), n.Attrs.Int("end", 1<<62)
			if start != 0 || end != 1<<62 {
				return nil, fmt.Errorf("attributes start = %d, end = %d need opset 15", start, end)
			}
			n.Attrs = without(n.Attrs, "start", "end")
		}
	case "AveragePool", "MaxPool":
		if d, ok := n.Attrs.Get("dilations"); ok && n.Op == "AveragePool" && c.to < 19 {
			for _, v := range d.Ints {
				if v != 1 {
					return nil, fmt.Errorf("attribute dilations = %v needs opset 19", d.Ints)
				}
			}
			n.Attrs = without(n.Attrs, "dilations")
		}
	case "Cast":
		if c.to < 19 {
			n.Attrs = without(n.Attrs, "saturate")
		}
	case "Constant":
		if c.to < 12 {
			if err := constantDown(n); err != nil {
				return nil, err
			}
		}
	}
	return []*graph.Node{n}, nil
}

// softmaxUp rewrites a Softmax of opset < 13 (2-D coercion at axis) for
// opset ≥ 13.
func (c *converter) softmaxUp(n *graph.Node) ([]*graph.Node, error) {
	r, err := c.rank(n.Inputs[0])
	if err != nil {
		return nil, err
	}
	axis := n.Attrs.Int("axis", 1)
	if axis < 0 {
		axis += int64(r)
	}
	if axis < 0 || axis >= int64(r) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", n.Attrs.Int("axis", 1), r)
	}
	if axis == int64(r-1) {
		n.Attrs = append(without(n.Attrs, "axis"), graph.IntAttr("axis", axis))
		return []*graph.Node{n}, nil
	}
	// Softmax over axes axis… of x = Softmax over the last axis of
	// Flatten(x, axis), reshaped back.
	x, y := n.Inputs[0], n.Outputs[0]
	flat, soft, shape := c.names.fresh(y+"/flat"), c.names.fresh(y+"/2d"), c.names.fresh(y+"/shape")
	return []*graph.Node{
		{Name: c.names.fresh(n.Name + "/shape"), Op: "Shape", Inputs: []string{x}, Outputs: []string{shape}},
		{Name: c.names.fresh(n.Name + "/flatten"), Op: "Flatten", Inputs: []string{x}, Outputs: []string{flat}, Attrs: graph.Attrs{graph.IntAttr("axis", axis)}},
		{Name: n.Name, Op: n.Op, Inputs: []string{flat}, Outputs: []string{soft}, Attrs: graph.Attrs{graph.IntAttr("axis", 1)}},
		{Name: c.names.fresh(n.Name + "/reshape"), Op: "Reshape", Inputs: []string{soft, shape}, Outputs: []string{y}},
	}, nil
}

// softmaxDown rewrites a Softmax of opset ≥ 13 (one axis) for opset < 13.
func (c *converter) softmaxDown(n *graph.Node) ([]*graph.Node, error) {
	r, err := c.rank(n.Inputs[0])
	if err != nil {
		return nil, err
	}
	axis := n.Attrs.Int("axis", -1)
	if axis < 0 {
		axis += int64(r)
	}
	if axis < 0 || axis >= int64(r) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", n.Attrs.Int("axis", -1), r)
	}
	last := int64(r - 1)
	if axis == last {
		n.Attrs = append(without(n.Attrs, "axis"), graph.IntAttr("axis", last))
		return []*graph.Node{n}, nil
	}
	// Move the axis last, normalise the last axis, move it back.
	perm := make([]int64, 0, r)
	for i := range int64(r) {
		if i != axis {
			perm = append(perm, i)
		}
	}
	perm = append(perm, axis)
	inv := make([]int64, r)
	for i, p := range perm {
		inv[p] = int64(i)
	}
	x, y := n.Inputs[0], n.Outputs[0]
	moved, soft := c.names.fresh(y+"/moved"), c.names.fresh(y+"/last")
	return []*graph.Node{
		{Name: c.names.fresh(n.Name + "/to_last"), Op: "Transpose", Inputs: []string{x}, Outputs: []string{moved}, Attrs: graph.Attrs{graph.IntsAttr("perm", perm...)}},
		{Name: n.Name, Op: n.Op, Inputs: []string{moved}, Outputs: []string{soft}, Attrs: graph.Attrs{graph.IntAttr("axis", last)}},
		{Name: c.names.fresh(n.Name + "/back"), Op: "Transpose", Inputs: []string{soft}, Outputs: []string{y}, Attrs: graph.Attrs{graph.IntsAttr("perm", inv...)}},
	}, nil
}

// pad converts Pad between its attribute form (< 11) and input form.
func (c *converter) pad(n *graph.Node) ([]*graph.Node, error) {
	if c.from < 11 {
		at := n.Attrs
		pads := at.Ints("pads", at.Ints("paddings", nil))
		if pads == nil {
			return nil, fmt.Errorf("attribute pads is required (Pad-%d)", c.from)
		}
		n.Inputs = append(n.Inputs[:1], c.param(n.Name+".pads", graph.FromInts(slices.Clone(pads), len(pads))))
		if v := at.Float("value", 0); v != 0 {
			n.Inputs = append(n.Inputs, c.param(n.Name+".value", scalar(v)))
		}
		n.Attrs = without(n.Attrs, "pads", "paddings", "value")
	}
	if c.to < 18 && len(n.Inputs) > 3 && n.Inputs[3] != "" {
		return nil, fmt.Errorf("input axes %q needs opset 18", n.Inputs[3])
	}
	if c.to < 19 && n.Attrs.String("mode", "constant") == "wrap" {
		return nil, fmt.Errorf("mode wrap needs opset 19")
	}
	return []*graph.Node{n}, nil
}

// oldResize rewrites Upsample (opsets 7, 9) and Resize-10 as Resize-11+:
// those operators map output index x to input x/scale, truncated when
// upscaling and rounded up when downscaling (ONNX Runtime's reading, which
// aekit follows), which is asymmetric with nearest_mode floor or ceil.
func (c *converter) oldResize(n *graph.Node) ([]*graph.Node, error) {
	var scales []float32
	if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		t, err := c.constTensor(n, 1, "scales")
		if err != nil {
			return nil, err
		}
		for _, v := range t.Floats() {
			scales = append(scales, float32(v))
		}
	} else {
		a, ok := n.Attrs.Get("scales")
		if !ok {
			return nil, fmt.Errorf("neither a scales input nor a scales attribute")
		}
		scales = slices.Clone(a.Floats)
	}
	mode := n.Attrs.String("mode", "nearest")
	attrs := graph.Attrs{graph.StringAttr("coordinate_transformation_mode", "asymmetric")}
	switch mode {
	case "nearest":
		up, down := false, false
		for _, s := range scales {
			up = up || s > 1
			down = down || s < 1
		}
		if up && down {
			return nil, fmt.Errorf("scales %v upscale some axes and downscale others; nearest_mode cannot express both", scales)
		}
		nearest := "floor"
		if down {
			nearest = "ceil"
		}
		attrs = append(attrs, graph.StringAttr("mode", "nearest"), graph.StringAttr("nearest_mode", nearest))
	case "linear", "bilinear":
		attrs = append(attrs, graph.StringAttr("mode", "linear"))
	default:
		return nil, fmt.Errorf("mode %q unknown (nearest, linear)", mode)
	}
	roi := c.param(n.Name+".roi", emptyFloats())
	sc := c.param(n.Name+".scales", graph.FromData(scales, len(scales)))
	return []*graph.Node{{Name: n.Name, Op: "Resize", Inputs: []string{n.Inputs[0], roi, sc}, Outputs: n.Outputs[:1], Attrs: attrs}}, nil
}

// resize adapts a Resize-11+ node to the target opset.
func (c *converter) resize(n *graph.Node) ([]*graph.Node, error) {
	if c.to < 18 {
		if v := n.Attrs.Int("antialias", 0); v != 0 {
			return nil, fmt.Errorf("attribute antialias = %d needs opset 18", v)
		}
		if v := n.Attrs.String("keep_aspect_ratio_policy", "stretch"); v != "stretch" {
			return nil, fmt.Errorf("attribute keep_aspect_ratio_policy = %q needs opset 18", v)
		}
		if a, ok := n.Attrs.Get("axes"); ok {
			r, err := c.rank(n.Inputs[0])
			if err != nil {
				return nil, err
			}
			for i, ax := range a.Ints {
				if ax != int64(i) && ax != int64(i-r) || len(a.Ints) != r {
					return nil, fmt.Errorf("attribute axes = %v (not every axis in order) needs opset 18", a.Ints)
				}
			}
		}
		n.Attrs = without(n.Attrs, "antialias", "keep_aspect_ratio_policy", "axes")
	}
	if c.to < 19 && n.Attrs.String("coordinate_transformation_mode", "") == "half_pixel_symmetric" {
		return nil, fmt.Errorf("coordinate_transformation_mode half_pixel_symmetric needs opset 19")
	}
	if c.to < 13 {
		// Resize-11: roi and scales are required inputs (may be empty).
		for len(n.Inputs) < 3 {
			n.Inputs = append(n.Inputs, "")
		}
		if n.Inputs[1] == "" {
			n.Inputs[1] = c.param(n.Name+".roi", emptyFloats())
		}
		if n.Inputs[2] == "" {
			n.Inputs[2] = c.param(n.Name+".scales", emptyFloats())
		}
	}
	return []*graph.Node{n}, nil
}

// constantDown rewrites Constant's value_float(s) and value_int(s)
// attributes (opset 12) as the tensor attribute value.
func constantDown(n *graph.Node) error {
	for _, a := range n.Attrs {
		var t *graph.Tensor
		switch a.Name {
		case "value":
			continue
		case "value_float":
			t = scalar(a.Float)
		case "value_floats":
			t = graph.FromData(slices.Clone(a.Floats), len(a.Floats))
		case "value_int":
			t = &graph.Tensor{Shape: graph.Shape{}, DType: graph.Int64, Ints: []int64{a.Int}}
		case "value_ints":
			t = graph.FromInts(slices.Clone(a.Ints), len(a.Ints))
		default:
			return fmt.Errorf("attribute %q needs opset 12", a.Name)
		}
		n.Attrs = graph.Attrs{{Name: "value", Kind: graph.AttrTensor, Tensor: t}}
		return nil
	}
	return nil
}

// rank returns the rank of value v, inferring shapes at the source opset
// on first need.
func (c *converter) rank(v string) (int, error) {
	if c.shapes == nil && c.shapeErr == nil {
		c.shapes, c.shapeErr = graph.ValueShapes(c.g, 1)
	}
	if c.shapeErr != nil {
		return 0, fmt.Errorf("the rank of %q is needed and shape inference failed: %w", v, c.shapeErr)
	}
	s, ok := c.shapes[v]
	if !ok {
		return 0, fmt.Errorf("the rank of %q is needed and unknown", v)
	}
	return len(s), nil
}

// constTensor returns the constant value of n's input i (an initializer or
// a Constant node's value).
func (c *converter) constTensor(n *graph.Node, i int, what string) (*graph.Tensor, error) {
	name := n.Inputs[i]
	if t, ok := c.g.Params[name]; ok {
		return t, nil
	}
	if p := c.g.Producer(name); p != nil && p.Op == "Constant" {
		at := p.Attrs
		if a, ok := at.Get("value"); ok && a.Tensor != nil {
			return a.Tensor, nil
		}
		if a, ok := at.Get("value_ints"); ok {
			return graph.FromInts(slices.Clone(a.Ints), len(a.Ints)), nil
		}
		if a, ok := at.Get("value_floats"); ok {
			return graph.FromData(slices.Clone(a.Floats), len(a.Floats)), nil
		}
	}
	return nil, fmt.Errorf("input %s %q must be a constant (an initializer or Constant) to be rewritten for opset %d", what, name, c.to)
}

// constInts is constTensor as int64s.
func (c *converter) constInts(n *graph.Node, i int, what string) ([]int64, error) {
	t, err := c.constTensor(n, i, what)
	if err != nil {
		return nil, err
	}
	return t.Int64s(), nil
}

// param adds a constant initializer under a fresh name based on base.
func (c *converter) param(base string, t *graph.Tensor) string {
	name := c.names.fresh(base)
	c.g.AddParam(name, t, false)
	return name
}

// without returns attrs less those named.
func without(attrs graph.Attrs, names ...string) graph.Attrs {
	return slices.DeleteFunc(attrs, func(a graph.Attr) bool { return slices.Contains(names, a.Name) })
}

// scalar returns a float32 tensor of rank 0.
func scalar(v float32) *graph.Tensor {
	return &graph.Tensor{Shape: graph.Shape{}, Data: []float32{v}}
}

// emptyFloats returns a float32 tensor of shape [0].
func emptyFloats() *graph.Tensor {
	return &graph.Tensor{Shape: graph.Shape{0}, Data: []float32{}}
}
