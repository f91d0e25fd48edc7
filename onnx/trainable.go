package onnx

import "github.com/aekit/aekit/graph"

// weightInputs lists, per op type, the inputs that hold weights when they
// are float initializers; -1 means every input.
var weightInputs = map[string][]int{
	"Conv":               {1, 2},
	"ConvTranspose":      {1, 2},
	"Gemm":               {1, 2},
	"MatMul":             {-1},
	"BatchNormalization": {1, 2},
}

// biasAfter lists the ops whose output, when a constant is added to it, makes
// that constant a bias.
var biasAfter = map[string]bool{"MatMul": true, "Gemm": true, "Conv": true, "ConvTranspose": true}

// passThrough lists the ops through which a weight may reach its consumer
// unchanged in value (input 0 is the data; the others are shapes or axes).
var passThrough = map[string]bool{
	"Reshape": true, "Transpose": true, "Identity": true, "Flatten": true,
	"Squeeze": true, "Unsqueeze": true,
}

// markTrainable marks the float initializers of a foreign graph that act as
// weights (see Limits.DecodeModel); every other initializer stays constant.
func markTrainable(g *graph.Graph) {
	producer := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		for _, out := range n.Outputs {
			producer[out] = n
		}
	}
	// source follows value back through pass-through nodes to a float
	// initializer, and returns its name or "".
	source := func(value string) string {
		for range len(g.Nodes) + 1 {
			if t, ok := g.Params[value]; ok {
				if t.DType == graph.Float32 {
					return value
				}
				return ""
			}
			p := producer[value]
			if p == nil || !passThrough[p.Op] || len(p.Inputs) == 0 {
				return ""
			}
			value = p.Inputs[0]
		}
		return ""
	}
	for _, n := range g.Nodes {
		for _, i := range weightInputs[n.Op] {
			for j, in := range n.Inputs {
				if i >= 0 && j != i {
					continue
				}
				if name := source(in); name != "" {
					g.Trainable[name] = true
				}
			}
		}
		if n.Op == "Add" && len(n.Inputs) == 2 {
			for j, in := range n.Inputs {
				other := producer[n.Inputs[1-j]]
				if other == nil || !biasAfter[other.Op] {
					continue
				}
				if name := source(in); name != "" {
					g.Trainable[name] = true
				}
			}
		}
	}
}
