package graph

// elementwise lists the one-input operators that act on each element alone,
// so that a transpose commutes with them.
var elementwise = map[string]bool{
	"Relu": true, "LeakyRelu": true, "Sigmoid": true, "Tanh": true, "Elu": true,
	"Clip": true, "Identity": true, "Neg": true, "Abs": true, "Exp": true,
	"Log": true, "Sqrt": true,
}

// CancelTransposes removes pairs of Transpose nodes whose permutations undo
// each other, either back to back or around a chain of element-wise
// operators (Transpose → Relu → Transpose⁻¹ becomes Relu), as converters
// write them around NHWC/NCHW boundaries. A pair is removed only when every
// value in between has one consumer and is not a graph output, so no value
// anyone reads changes. It returns the number of pairs removed.
func CancelTransposes(g *Graph) int {
	removed := 0
	for {
		if !cancelOne(g) {
			return removed
		}
		removed++
	}
}

func cancelOne(g *Graph) bool {
	consumers := map[string]int{}
	producer := map[string]*Node{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			consumers[in]++
		}
		for _, out := range n.Outputs {
			producer[out] = n
		}
	}
	for _, o := range g.Outputs {
		consumers[o.Name] += 1 << 20 // never merge away a graph output
	}
	for _, t2 := range g.Nodes {
		if t2.Op != "Transpose" || len(t2.Inputs) != 1 || len(t2.Outputs) != 1 {
			continue
		}
		// Walk back through element-wise single-consumer nodes.
		var chain []*Node
		v := t2.Inputs[0]
		p := producer[v]
		for p != nil && elementwise[p.Op] && len(p.Outputs) == 1 && consumers[v] == 1 && len(p.Inputs) >= 1 {
			if p.Op == "Clip" && len(p.Inputs) > 1 {
				break // bounds as inputs: keep it simple
			}
			chain = append(chain, p)
			v = p.Inputs[0]
			p = producer[v]
		}
		t1 := p
		if t1 == nil || t1.Op != "Transpose" || len(t1.Outputs) != 1 || consumers[v] != 1 {
			continue
		}
		if !inversePerms(t1.Attrs.Ints("perm", nil), t2.Attrs.Ints("perm", nil)) {
			continue
		}
		src, dst := t1.Inputs[0], t2.Outputs[0]
		if len(chain) == 0 {
			if consumers[dst] >= 1<<20 {
				continue // dst is a graph output: its name must stay
			}
			// Back to back: readers of dst read src instead.
			for _, n := range g.Nodes {
				for i, in := range n.Inputs {
					if in == dst {
						n.Inputs[i] = src
					}
				}
			}
		} else {
			// chain[0] feeds t2, chain[len-1] reads t1's output.
			chain[len(chain)-1].Inputs[0] = src
			chain[0].Outputs[0] = dst
		}
		drop := map[*Node]bool{t1: true, t2: true}
		nodes := g.Nodes[:0]
		for _, n := range g.Nodes {
			if !drop[n] {
				nodes = append(nodes, n)
			}
		}
		g.Nodes = nodes
		return true
	}
	return false
}

// inversePerms reports whether applying p then q restores the original
// axis order. Both must be given: a default (reversing) perm depends on
// the rank, which is not known here.
func inversePerms(p, q []int64) bool {
	if len(p) == 0 || len(p) != len(q) {
		return false
	}
	for i := range q {
		if q[i] < 0 || int(q[i]) >= len(p) || p[q[i]] != int64(i) {
			return false
		}
	}
	return true
}
