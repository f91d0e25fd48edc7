package graph

import (
	"fmt"
	"strings"
)

// Summary layout: Keras 2's print_summary for a sequential-like model,
// line_length 65 and column ends at int(65·p) for p in .45, .85, 1.
const summaryWidth = 65

var summaryStops = [3]int{29, 55, 65}

// Summary returns the Keras 2 model summary table of g: one row per layer
// with its name and class, its output shape in Keras order (channels last
// for 4-D values, None for a dynamic batch) and its parameter count, then the
// total, trainable and non-trainable counts (with thousands separators, as
// Keras's '{:,}'). Counted parameters are the layers' weights (kernels,
// biases, batch-normalisation statistics), not constants such as
// UpSampling2D's scales.
//
// Graphs without Layers (imported ones) get one row per node that has
// parameters, named "node (Op)". Output shapes are inferred by compiling g
// for a batch of 1; where that fails the column reads "multiple", Keras's
// word for a shape it cannot give.
func Summary(g *Graph) string {
	shapes, _ := inferShapes(g)
	dynamicBatch := len(g.Inputs) > 0 && len(g.Inputs[0].Shape) > 0 && g.Inputs[0].Shape[0] < 0
	shapeOf := func(value string) string {
		s, ok := shapes[value]
		if !ok {
			return "multiple"
		}
		s = s.Clone()
		if dynamicBatch && len(s) > 0 {
			s[0] = -1
		}
		return kerasString(s)
	}
	var sb strings.Builder
	line := func(c byte) { sb.WriteString(strings.Repeat(string(c), summaryWidth) + "\n") }
	line('_')
	summaryRow(&sb, "Layer (type)", "Output Shape", "Param #")
	line('=')
	counted := map[string]bool{}
	var trainable, other int
	count := func(params []string) int {
		n := 0
		for _, p := range params {
			t, ok := g.Params[p]
			if !ok {
				continue
			}
			n += t.Len()
			if !counted[p] {
				counted[p] = true
				if g.Trainable[p] {
					trainable += t.Len()
				} else {
					other += t.Len()
				}
			}
		}
		return n
	}
	type row struct{ name, shape, params string }
	var rows []row
	if len(g.Layers) > 0 {
		for _, l := range g.Layers {
			rows = append(rows, row{l.Name + " (" + l.Type + ")", shapeOf(l.Output), fmt.Sprint(count(l.Params))})
		}
	} else {
		for _, n := range g.Nodes {
			params := nodeWeights(g, n)
			if len(params) == 0 || len(n.Outputs) == 0 {
				continue
			}
			rows = append(rows, row{n.Name + " (" + n.Op + ")", shapeOf(n.Outputs[0]), fmt.Sprint(count(params))})
		}
	}
	for i, r := range rows {
		summaryRow(&sb, r.name, r.shape, r.params)
		if i == len(rows)-1 {
			line('=')
		} else {
			line('_')
		}
	}
	if len(rows) == 0 {
		line('=')
	}
	fmt.Fprintf(&sb, "Total params: %s\n", thousands(trainable+other))
	fmt.Fprintf(&sb, "Trainable params: %s\n", thousands(trainable))
	fmt.Fprintf(&sb, "Non-trainable params: %s\n", thousands(other))
	line('_')
	return sb.String()
}

// summaryRow is Keras's print_row: each field is cut at its column's end,
// the character before the next field is always a space, and the line is
// padded to the full width.
func summaryRow(sb *strings.Builder, fields ...string) {
	var line []rune
	for i, f := range fields {
		if i > 0 {
			line = append(line[:len(line)-1], ' ')
		}
		line = append(line, []rune(f)...)
		if len(line) > summaryStops[i] {
			line = line[:summaryStops[i]]
		}
		for len(line) < summaryStops[i] {
			line = append(line, ' ')
		}
	}
	sb.WriteString(string(line) + "\n")
}

// nodeWeights returns the parameters a node without a layer record counts:
// its trainable initializer inputs, and a BatchNormalization's statistics.
func nodeWeights(g *Graph, n *Node) []string {
	var out []string
	for i, in := range n.Inputs {
		t, ok := g.Params[in]
		if !ok || t.DType != Float32 {
			continue
		}
		if g.Trainable[in] || (n.Op == "BatchNormalization" && i >= 1) {
			out = append(out, in)
		}
	}
	return out
}

// thousands formats n as Python's '{:,}': 1234567 → "1,234,567".
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// inferShapes compiles g for a batch of 1 (each input's leading dynamic
// dimension set to 1) and returns the shape of every value.
func inferShapes(g *Graph) (map[string]Shape, error) {
	info, err := inferValues(g)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Shape, len(info))
	for k, v := range info {
		out[k] = v.shape
	}
	return out, nil
}

// valueInfo is what shape inference learns about one value.
type valueInfo struct {
	shape Shape
	dtype DType
	// constant: computed from initializers only.
	constant bool
}

// ValueShapes returns the shape of every value of g (inputs, initializers
// and node outputs) for a batch of batch examples: each graph input's
// leading dynamic dimension is set to batch. It compiles g, so every
// operator must be registered; another dynamic dimension is an error.
func ValueShapes(g *Graph, batch int) (map[string]Shape, error) {
	info, err := inferValuesBatch(g, batch)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Shape, len(info))
	for k, v := range info {
		out[k] = v.shape
	}
	return out, nil
}

func inferValues(g *Graph) (map[string]valueInfo, error) { return inferValuesBatch(g, 1) }

func inferValuesBatch(g *Graph, batch int) (map[string]valueInfo, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("graph %q: batch %d must be positive", g.Name, batch)
	}
	inputs := map[string]Shape{}
	for _, in := range g.Inputs {
		s := in.Shape.Clone()
		for i, d := range s {
			if d >= 0 {
				continue
			}
			if i != 0 {
				return nil, fmt.Errorf("graph %q: input %q has dynamic dimension %d in %v: only the batch may be dynamic", g.Name, in.Name, i, in.Shape)
			}
			s[i] = batch
		}
		inputs[in.Name] = s
	}
	// Unfused, so that every value keeps its buffer and shape.
	p, err := Compile(g, inputs, Options{NoGrad: true, NoFuse: true})
	if err != nil {
		return nil, err
	}
	out := make(map[string]valueInfo, len(p.index))
	for name, i := range p.index {
		v := p.vals[i]
		if v == nil {
			continue
		}
		out[name] = valueInfo{shape: v.Shape.Clone(), dtype: v.DType, constant: p.isConst[i] || g.Params[name] != nil}
	}
	return out, nil
}
