package export

import (
	"fmt"
	"slices"

	"github.com/aekit/aekit/graph"
)

// Transpose permutations between aekit's NCHW and Keras's NHWC.
var (
	permToNCHW = []int64{0, 3, 1, 2}
	permToNHWC = []int64{0, 2, 3, 1}
)

// toNHWC gives g Keras's layout at its edges: each 4-D graph input keeps
// its name, is declared [N, H, W, C] and feeds a Transpose (perm
// [0, 3, 1, 2]) whose output the former readers read; each 4-D graph output
// keeps its name and is produced by a Transpose (perm [0, 2, 3, 1]) of the
// NCHW value, renamed "<output>/nchw". Layer records follow the NCHW
// values, so that the layer table stays right. Inputs and outputs of
// other ranks are left as they are; a graph with neither a 4-D input nor a
// 4-D output is an error.
func toNHWC(g *graph.Graph) error {
	names := newNamer(g)
	changed := false
	var front []*graph.Node
	for i, in := range g.Inputs {
		if len(in.Shape) != 4 {
			continue
		}
		if _, isParam := g.Params[in.Name]; isParam {
			continue
		}
		if alreadyNHWC(g, in.Name) {
			return fmt.Errorf("input %q %v already feeds Transpose perm %v, as Keras converters write an NHWC input: export with layout %q, which keeps it", in.Name, in.Shape, permToNCHW, LayoutNCHW)
		}
		inner := names.fresh(in.Name + "/nchw")
		renameReaders(g, in.Name, inner)
		front = append(front, &graph.Node{
			Name:    names.fresh(in.Name + "/to_nchw"),
			Op:      "Transpose",
			Inputs:  []string{in.Name},
			Outputs: []string{inner},
			Attrs:   graph.Attrs{graph.IntsAttr("perm", permToNCHW...)},
		})
		s := in.Shape
		g.Inputs[i].Shape = graph.Shape{s[0], s[2], s[3], s[1]}
		changed = true
	}
	var back []*graph.Node
	for i, out := range g.Outputs {
		if len(out.Shape) != 4 {
			continue
		}
		inner := names.fresh(out.Name + "/nchw")
		if p := g.Producer(out.Name); p != nil {
			for j, o := range p.Outputs {
				if o == out.Name {
					p.Outputs[j] = inner
				}
			}
		} else {
			return fmt.Errorf("output %q is not produced by a node (an input or initializer passed through cannot change layout)", out.Name)
		}
		renameReaders(g, out.Name, inner)
		for j := range g.Layers {
			if g.Layers[j].Output == out.Name {
				g.Layers[j].Output = inner
			}
		}
		back = append(back, &graph.Node{
			Name:    names.fresh(out.Name + "/to_nhwc"),
			Op:      "Transpose",
			Inputs:  []string{inner},
			Outputs: []string{out.Name},
			Attrs:   graph.Attrs{graph.IntsAttr("perm", permToNHWC...)},
		})
		s := out.Shape
		g.Outputs[i].Shape = graph.Shape{s[0], s[2], s[3], s[1]}
		changed = true
	}
	if !changed {
		return fmt.Errorf("graph %q has no 4-D input or output to lay out as NHWC", g.Name)
	}
	// Input layer records name the graph input: they now describe the
	// NCHW value inside, which keeps the layer table's shapes.
	for _, t := range front {
		for j := range g.Layers {
			if g.Layers[j].Output == t.Inputs[0] {
				g.Layers[j].Output = t.Outputs[0]
			}
		}
	}
	g.Nodes = append(append(front, g.Nodes...), back...)
	return nil
}

// alreadyNHWC reports whether every reader of input is a Transpose with
// perm [0, 3, 1, 2]: the input is NHWC already (keras2onnx, tf2onnx).
func alreadyNHWC(g *graph.Graph, input string) bool {
	readers := 0
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != input {
				continue
			}
			readers++
			if n.Op != "Transpose" || !slices.Equal(n.Attrs.Ints("perm", nil), permToNCHW) {
				return false
			}
		}
	}
	return readers > 0
}

// renameReaders makes every node that reads value from read to instead.
func renameReaders(g *graph.Graph, from, to string) {
	for _, n := range g.Nodes {
		for j, in := range n.Inputs {
			if in == from {
				n.Inputs[j] = to
			}
		}
	}
}

// namer hands out value, node and initializer names not yet used in a
// graph.
type namer struct{ taken map[string]bool }

func newNamer(g *graph.Graph) *namer {
	t := map[string]bool{"": true}
	for _, in := range g.Inputs {
		t[in.Name] = true
	}
	for _, o := range g.Outputs {
		t[o.Name] = true
	}
	for name := range g.Params {
		t[name] = true
	}
	for _, n := range g.Nodes {
		t[n.Name] = true
		for _, v := range n.Inputs {
			t[v] = true
		}
		for _, v := range n.Outputs {
			t[v] = true
		}
	}
	return &namer{taken: t}
}

// fresh returns base, or base_1, base_2, … when base is taken, and marks
// the result taken.
func (nm *namer) fresh(base string) string {
	name := base
	for i := 1; nm.taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	nm.taken[name] = true
	return name
}
