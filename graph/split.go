package graph

import (
	"fmt"
	"sort"
	"strings"
)

// Split cuts g into an encoder (g's input → the cut value, which becomes
// the encoder's output under its own name) and a decoder (the cut value as
// its input → g's outputs). at names the cut: a value, a node (its first
// output) or a layer (its output), tried in that order; "" cuts at
// Bottleneck(g). Each half gets a copy of the parameters its nodes read and
// the layer records of its nodes; the decoder's layers start with an
// InputLayer named, as Keras names them, "<first layer>_input".
//
// The cut must separate the graph: a decoder node that reads a value
// computed from the input other than through the cut (a skip connection)
// is an error naming it. Split compiles g for a batch of 1 to learn the
// cut's shape, so every operator must be registered.
func Split(g *Graph, at string) (enc, dec *Graph, err error) {
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	info, err := inferValues(g)
	if err != nil {
		return nil, nil, fmt.Errorf("split %q: %w", g.Name, err)
	}
	if at == "" {
		if at, err = bottleneck(g, info); err != nil {
			return nil, nil, err
		}
	}
	cut, err := resolveCut(g, at)
	if err != nil {
		return nil, nil, err
	}
	s := newSplitter(g)
	if s.isInput[cut] {
		return nil, nil, fmt.Errorf("split %q at %q: that is the graph input; the encoder would be empty", g.Name, at)
	}
	for _, o := range g.Outputs {
		if o.Name == cut {
			return nil, nil, fmt.Errorf("split %q at %q: that is the graph output; the decoder would be empty", g.Name, at)
		}
	}
	if !s.dep[cut] {
		return nil, nil, fmt.Errorf("split %q at %q: value %q does not depend on the input", g.Name, at, cut)
	}
	var outs []string
	for _, o := range g.Outputs {
		outs = append(outs, o.Name)
	}
	encNodes, decNodes := s.halves(cut, outs)
	if err := s.check(decNodes, encNodes, cut); err != nil {
		return nil, nil, fmt.Errorf("split %q at %q: %w", g.Name, at, err)
	}
	vi, ok := info[cut]
	if !ok {
		return nil, nil, fmt.Errorf("split %q at %q: shape of %q unknown", g.Name, at, cut)
	}
	shape := vi.shape.Clone()
	if len(g.Inputs) > 0 && len(g.Inputs[0].Shape) > 0 && g.Inputs[0].Shape[0] < 0 && len(shape) > 0 {
		shape[0] = -1
	}

	enc = s.subgraph(g.Name+"_encoder", encNodes)
	for _, in := range g.Inputs {
		if s.reads(encNodes, in.Name) {
			enc.Inputs = append(enc.Inputs, ValueInfo{Name: in.Name, Shape: in.Shape.Clone()})
		}
	}
	enc.Outputs = []ValueInfo{{Name: cut, Shape: shape.Clone()}}

	dec = s.subgraph(g.Name+"_decoder", decNodes)
	dec.Inputs = []ValueInfo{{Name: cut, Shape: shape}}
	for _, o := range g.Outputs {
		dec.Outputs = append(dec.Outputs, ValueInfo{Name: o.Name, Shape: o.Shape.Clone()})
	}

	// Layer records follow their output values.
	made := func(nodes []int) map[string]bool {
		m := map[string]bool{}
		for _, i := range nodes {
			for _, o := range g.Nodes[i].Outputs {
				m[o] = true
			}
		}
		return m
	}
	encMade, decMade := made(encNodes), made(decNodes)
	for _, l := range g.Layers {
		switch {
		case s.isInput[l.Output] || encMade[l.Output]:
			enc.Layers = append(enc.Layers, keepParams(l, enc))
		case decMade[l.Output]:
			if len(dec.Layers) == 0 {
				dec.Layers = append(dec.Layers, LayerInfo{Name: l.Name + "_input", Type: "InputLayer", Output: cut})
			}
			dec.Layers = append(dec.Layers, keepParams(l, dec))
		}
	}
	if err := enc.Validate(); err != nil {
		return nil, nil, fmt.Errorf("split %q at %q: encoder: %w", g.Name, at, err)
	}
	if err := dec.Validate(); err != nil {
		return nil, nil, fmt.Errorf("split %q at %q: decoder: %w", g.Name, at, err)
	}
	return enc, dec, nil
}

// Bottleneck returns the value Split cuts at by default: of the float
// values computed from the input that separate the input from the outputs
// (every path passes through them), the one with the fewest elements per
// example; the first in execution order when several tie. Graph inputs,
// graph outputs and constants are never chosen. It compiles g for a batch
// of 1, so every operator must be registered.
func Bottleneck(g *Graph) (string, error) {
	if err := g.Validate(); err != nil {
		return "", err
	}
	info, err := inferValues(g)
	if err != nil {
		return "", fmt.Errorf("bottleneck of %q: %w", g.Name, err)
	}
	return bottleneck(g, info)
}

func bottleneck(g *Graph, info map[string]valueInfo) (string, error) {
	s := newSplitter(g)
	isOutput := map[string]bool{}
	var outs []string
	for _, o := range g.Outputs {
		isOutput[o.Name] = true
		outs = append(outs, o.Name)
	}
	best, bestSize := "", -1
	for _, n := range g.Nodes {
		for _, v := range n.Outputs {
			vi, ok := info[v]
			if v == "" || isOutput[v] || !s.dep[v] || !ok || vi.dtype != Float32 || vi.constant {
				continue
			}
			size := vi.shape.Size()
			if bestSize >= 0 && size >= bestSize {
				continue
			}
			enc, dec := s.halves(v, outs)
			if s.check(dec, enc, v) != nil {
				continue
			}
			best, bestSize = v, size
		}
	}
	if best == "" {
		return "", fmt.Errorf("bottleneck of %q: no value between the input and the output separates them", g.Name)
	}
	return best, nil
}

// resolveCut maps at (value, node or layer name) to a value name.
func resolveCut(g *Graph, at string) (string, error) {
	for _, in := range g.Inputs {
		if in.Name == at {
			return at, nil
		}
	}
	if _, isParam := g.Params[at]; isParam || g.Producer(at) != nil {
		return at, nil
	}
	for _, n := range g.Nodes {
		if n.Name == at {
			for _, o := range n.Outputs {
				if o != "" {
					return o, nil
				}
			}
		}
	}
	for _, l := range g.Layers {
		if l.Name == at {
			return l.Output, nil
		}
	}
	msg := fmt.Sprintf("split %q: no value, node or layer is named %q", g.Name, at)
	if len(g.Layers) > 0 {
		var names []string
		for _, l := range g.Layers {
			names = append(names, l.Name)
		}
		msg += "; layers: " + strings.Join(names, ", ")
	}
	return "", fmt.Errorf("%s", msg)
}

// splitter holds what Split and Bottleneck need to know about g's values.
type splitter struct {
	g        *Graph
	producer map[string]int // value → node index
	isInput  map[string]bool
	dep      map[string]bool // value depends on a graph input
}

func newSplitter(g *Graph) *splitter {
	s := &splitter{g: g, producer: map[string]int{}, isInput: map[string]bool{}, dep: map[string]bool{}}
	for _, in := range g.Inputs {
		if _, isParam := g.Params[in.Name]; !isParam {
			s.isInput[in.Name] = true
			s.dep[in.Name] = true
		}
	}
	for i, n := range g.Nodes { // g is in execution order (Validate)
		d := false
		for _, in := range n.Inputs {
			d = d || s.dep[in]
		}
		for _, o := range n.Outputs {
			if o != "" {
				s.producer[o] = i
				s.dep[o] = d
			}
		}
	}
	return s
}

// halves returns the encoder's nodes (those needed to compute cut) and
// the decoder's (those needed to compute outs from cut, not looking past
// values the encoder computes from the input).
func (s *splitter) halves(cut string, outs []string) (enc, dec []int) {
	enc = s.closure([]string{cut}, nil)
	stop := map[string]bool{cut: true}
	for _, i := range enc {
		for _, o := range s.g.Nodes[i].Outputs {
			if s.dep[o] {
				stop[o] = true
			}
		}
	}
	return enc, s.closure(outs, stop)
}

// closure returns, in execution order, the indices of the nodes needed to
// compute values, not looking past the values in stop.
func (s *splitter) closure(values []string, stop map[string]bool) []int {
	in := map[int]bool{}
	stack := append([]string(nil), values...)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v == "" || stop[v] {
			continue
		}
		i, ok := s.producer[v]
		if !ok || in[i] {
			continue
		}
		in[i] = true
		stack = append(stack, s.g.Nodes[i].Inputs...)
	}
	out := make([]int, 0, len(in))
	for i := range in {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// check reports a decoder node that reads an input-dependent value other
// than through the cut: a graph input, or a value the encoder computes.
func (s *splitter) check(dec, enc []int, cut string) error {
	encMade := map[string]bool{}
	for _, i := range enc {
		for _, o := range s.g.Nodes[i].Outputs {
			encMade[o] = true
		}
	}
	for _, i := range dec {
		n := s.g.Nodes[i]
		for _, v := range n.Inputs {
			if v == cut || v == "" {
				continue
			}
			if s.isInput[v] {
				return fmt.Errorf("node %q (%s) after the cut reads the graph input %q directly", n.Name, n.Op, v)
			}
			if s.dep[v] && encMade[v] {
				return fmt.Errorf("node %q (%s) after the cut reads %q, which is computed before it (a skip connection)", n.Name, n.Op, v)
			}
		}
	}
	return nil
}

// reads reports whether one of nodes reads value.
func (s *splitter) reads(nodes []int, value string) bool {
	for _, i := range nodes {
		for _, in := range s.g.Nodes[i].Inputs {
			if in == value {
				return true
			}
		}
	}
	return false
}

// subgraph copies nodes and the parameters they read into a new graph.
func (s *splitter) subgraph(name string, nodes []int) *Graph {
	h := NewGraph(name)
	h.Opset = s.g.Opset
	for k, v := range s.g.Meta {
		h.Meta[k] = v
	}
	for _, i := range nodes {
		n := s.g.Nodes[i]
		m := *n
		m.Inputs = append([]string(nil), n.Inputs...)
		m.Outputs = append([]string(nil), n.Outputs...)
		m.Attrs = append(Attrs(nil), n.Attrs...)
		h.Nodes = append(h.Nodes, &m)
		for _, in := range n.Inputs {
			if t, ok := s.g.Params[in]; ok {
				if _, done := h.Params[in]; !done {
					h.AddParam(in, t.Clone(), s.g.Trainable[in])
				}
			}
		}
	}
	return h
}

// keepParams returns l with only the parameters h holds.
func keepParams(l LayerInfo, h *Graph) LayerInfo {
	var ps []string
	for _, p := range l.Params {
		if _, ok := h.Params[p]; ok {
			ps = append(ps, p)
		}
	}
	l.Params = ps
	return l
}
