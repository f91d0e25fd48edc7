package graph

import (
	"fmt"
	"sort"
)

// AttrKind tells which field of an Attr holds its value.
type AttrKind int

// The attribute kinds, as ONNX has them.
const (
	AttrInt AttrKind = iota
	AttrFloat
	AttrString
	AttrInts
	AttrFloats
	AttrStrings
	AttrTensor
)

// Attr is one operator attribute. Kernels never read Attrs directly: each
// operator decodes them once, in its Build, into a typed struct.
type Attr struct {
	Name    string
	Kind    AttrKind
	Int     int64
	Float   float32
	Str     string
	Ints    []int64
	Floats  []float32
	Strings []string
	Tensor  *Tensor
}

// Attrs is a node's attribute list.
type Attrs []Attr

// Get returns the attribute called name.
func (as Attrs) Get(name string) (Attr, bool) {
	for _, a := range as {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// Int returns the integer attribute name, or def when it is absent.
func (as Attrs) Int(name string, def int64) int64 {
	if a, ok := as.Get(name); ok {
		return a.Int
	}
	return def
}

// Float returns the float attribute name, or def when it is absent.
func (as Attrs) Float(name string, def float32) float32 {
	if a, ok := as.Get(name); ok {
		return a.Float
	}
	return def
}

// String returns the string attribute name, or def when it is absent.
func (as Attrs) String(name string, def string) string {
	if a, ok := as.Get(name); ok {
		return a.Str
	}
	return def
}

// Ints returns the integer-list attribute name, or def when it is absent.
func (as Attrs) Ints(name string, def []int64) []int64 {
	if a, ok := as.Get(name); ok {
		return a.Ints
	}
	return def
}

// Floats returns the float-list attribute name, or def when it is absent.
func (as Attrs) Floats(name string, def []float32) []float32 {
	if a, ok := as.Get(name); ok {
		return a.Floats
	}
	return def
}

// IntAttr, FloatAttr, StringAttr, IntsAttr and FloatsAttr make attributes.
func IntAttr(name string, v int64) Attr         { return Attr{Name: name, Kind: AttrInt, Int: v} }
func FloatAttr(name string, v float32) Attr     { return Attr{Name: name, Kind: AttrFloat, Float: v} }
func StringAttr(name string, v string) Attr     { return Attr{Name: name, Kind: AttrString, Str: v} }
func IntsAttr(name string, v ...int64) Attr     { return Attr{Name: name, Kind: AttrInts, Ints: v} }
func FloatsAttr(name string, v ...float32) Attr { return Attr{Name: name, Kind: AttrFloats, Floats: v} }

// Node is one operator application. Inputs and Outputs name values; an empty
// input name is an omitted optional input, as in ONNX.
type Node struct {
	Name    string
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   Attrs
}

// ValueInfo names a graph input or output and gives its shape (-1 marks a
// dynamic dimension) and element type (Float32 unless said).
type ValueInfo struct {
	Name  string
	Shape Shape
	DType DType
}

// LayerInfo records a Keras layer that built part of the graph, so that
// Summary can print the Keras table: the layer's name and class, the value it
// outputs, and the parameters it owns.
type LayerInfo struct {
	Name   string
	Type   string
	Output string
	Params []string
}

// Graph is a model: inputs, outputs, nodes in execution order, and the
// initializers (weights and constants) by name.
type Graph struct {
	Name    string
	Inputs  []ValueInfo
	Outputs []ValueInfo
	Nodes   []*Node
	// Params holds every initializer. Those listed in Trainable are
	// weights that training updates; the others are constants.
	Params    map[string]*Tensor
	Trainable map[string]bool
	// Layers is the Keras layer list when the graph was built from layers
	// (or decoded from a file aekit wrote); nil for foreign graphs.
	Layers []LayerInfo
	// Opset is the default-domain ONNX opset the nodes follow.
	Opset int
	// Meta carries free-form metadata (producer, training config).
	Meta map[string]string
}

// DefaultOpset is the opset of graphs aekit builds.
const DefaultOpset = 13

// NewGraph returns an empty graph.
func NewGraph(name string) *Graph {
	return &Graph{Name: name, Params: map[string]*Tensor{}, Trainable: map[string]bool{}, Opset: DefaultOpset, Meta: map[string]string{}}
}

// AddParam adds an initializer; trainable marks it as a weight.
func (g *Graph) AddParam(name string, t *Tensor, trainable bool) {
	g.Params[name] = t
	if trainable {
		g.Trainable[name] = true
	}
}

// TrainableNames returns the names of the trainable parameters in a
// deterministic order: the order in which the nodes first use them.
func (g *Graph) TrainableNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if g.Trainable[in] && !seen[in] {
				seen[in] = true
				names = append(names, in)
			}
		}
	}
	// Trainable parameters no node uses still belong to the model.
	var rest []string
	for name := range g.Trainable {
		if !seen[name] && g.Trainable[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

// ParamCount returns the number of trainable and non-trainable parameter
// elements.
func (g *Graph) ParamCount() (trainable, other int) {
	for name, t := range g.Params {
		if g.Trainable[name] {
			trainable += t.Len()
		} else {
			other += t.Len()
		}
	}
	return
}

// Clone returns a deep copy of g (parameters included).
func (g *Graph) Clone() *Graph {
	c := NewGraph(g.Name)
	c.Inputs = append([]ValueInfo(nil), g.Inputs...)
	for i := range c.Inputs {
		c.Inputs[i].Shape = c.Inputs[i].Shape.Clone()
	}
	c.Outputs = append([]ValueInfo(nil), g.Outputs...)
	for i := range c.Outputs {
		c.Outputs[i].Shape = c.Outputs[i].Shape.Clone()
	}
	for _, n := range g.Nodes {
		m := *n
		m.Inputs = append([]string(nil), n.Inputs...)
		m.Outputs = append([]string(nil), n.Outputs...)
		m.Attrs = append(Attrs(nil), n.Attrs...)
		c.Nodes = append(c.Nodes, &m)
	}
	for k, t := range g.Params {
		c.Params[k] = t.Clone()
	}
	for k, v := range g.Trainable {
		c.Trainable[k] = v
	}
	for _, l := range g.Layers {
		l.Params = append([]string(nil), l.Params...)
		c.Layers = append(c.Layers, l)
	}
	c.Opset = g.Opset
	for k, v := range g.Meta {
		c.Meta[k] = v
	}
	return c
}

// Validate checks the graph's structure: every node input is a graph input,
// an initializer or an earlier node's output; no value is produced twice;
// every graph output is produced. Nodes are put in a valid execution order
// when they are listed out of order; a cycle is an error naming a node on it.
func (g *Graph) Validate() error {
	produced := map[string]string{} // value → producer ("" for graph inputs)
	for _, in := range g.Inputs {
		if _, dup := produced[in.Name]; dup {
			return fmt.Errorf("graph %q: input %q listed twice", g.Name, in.Name)
		}
		produced[in.Name] = "graph input"
	}
	for name := range g.Params {
		if _, dup := produced[name]; !dup {
			produced[name] = "initializer"
		}
	}
	for _, n := range g.Nodes {
		for _, out := range n.Outputs {
			if out == "" {
				continue
			}
			if p, dup := produced[out]; dup && p != "graph input" && p != "initializer" {
				return fmt.Errorf("graph %q: value %q is output by both %s and node %q (%s)", g.Name, out, p, n.Name, n.Op)
			}
			produced[out] = fmt.Sprintf("node %q (%s)", n.Name, n.Op)
		}
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			if _, ok := produced[in]; !ok {
				return fmt.Errorf("graph %q: node %q (%s) reads %q, which no node, input or initializer provides", g.Name, n.Name, n.Op, in)
			}
		}
	}
	for _, out := range g.Outputs {
		if _, ok := produced[out.Name]; !ok {
			return fmt.Errorf("graph %q: output %q is not produced by any node", g.Name, out.Name)
		}
	}
	return g.sortNodes()
}

// sortNodes orders the nodes topologically (stable: a valid order is kept).
func (g *Graph) sortNodes() error {
	avail := map[string]bool{"": true}
	for _, in := range g.Inputs {
		avail[in.Name] = true
	}
	for name := range g.Params {
		avail[name] = true
	}
	done := make([]bool, len(g.Nodes))
	order := make([]*Node, 0, len(g.Nodes))
	for len(order) < len(g.Nodes) {
		progress := false
		for i, n := range g.Nodes {
			if done[i] {
				continue
			}
			ready := true
			for _, in := range n.Inputs {
				if !avail[in] {
					ready = false
					break
				}
			}
			if !ready {
				continue
			}
			done[i] = true
			progress = true
			order = append(order, n)
			for _, out := range n.Outputs {
				avail[out] = true
			}
		}
		if !progress {
			for i, n := range g.Nodes {
				if !done[i] {
					return fmt.Errorf("graph %q: node %q (%s) is on a cycle or waits on one", g.Name, n.Name, n.Op)
				}
			}
		}
	}
	g.Nodes = order
	return nil
}

// Producer returns the node that outputs value, or nil.
func (g *Graph) Producer(value string) *Node {
	for _, n := range g.Nodes {
		for _, out := range n.Outputs {
			if out == value {
				return n
			}
		}
	}
	return nil
}
