package bench

import (
	"fmt"

	"github.com/aekit/aekit/graph"
)

// TrainFLOPs returns the floating-point operations of one training step
// of g per sample, counting the multiply-adds (2 FLOP each) of Conv,
// ConvTranspose, Gemm and MatMul: the forward product, the weight
// gradient when the weight is trainable, and the input gradient unless
// the input is the graph's data input (which needs none). Element-wise
// operators, pooling and the optimizer are not counted: they are a few
// percent of the work of convolutional models. g is compiled for a batch
// of one, without operator fusion, to learn the shapes.
func TrainFLOPs(g *graph.Graph) (float64, error) {
	_, train, err := countMACs(g)
	return 2 * train, err
}

// ForwardFLOPs returns the FLOP of one forward pass of g per sample,
// counted as TrainFLOPs counts them.
func ForwardFLOPs(g *graph.Graph) (float64, error) {
	fwd, _, err := countMACs(g)
	return 2 * fwd, err
}

// countMACs returns the multiply-adds per sample of g's forward pass and
// of a training step.
func countMACs(g *graph.Graph) (fwd, train float64, err error) {
	shapes := map[string]graph.Shape{}
	data := map[string]bool{}
	for _, in := range g.Inputs {
		if _, isParam := g.Params[in.Name]; isParam {
			continue
		}
		s := in.Shape.Clone()
		if len(s) == 0 {
			return 0, 0, fmt.Errorf("bench: graph %q: input %q has no shape", g.Name, in.Name)
		}
		s[0] = 1
		shapes[in.Name] = s
		data[in.Name] = true
	}
	p, err := graph.Compile(g, shapes, graph.Options{NoGrad: true, NoFuse: true})
	if err != nil {
		return 0, 0, fmt.Errorf("bench: counting FLOPs of graph %q: %w", g.Name, err)
	}
	for _, n := range g.Nodes {
		if len(n.Inputs) < 2 || len(n.Outputs) < 1 {
			continue
		}
		x, w, y := p.Value(n.Inputs[0]), p.Value(n.Inputs[1]), p.Value(n.Outputs[0])
		if x == nil || w == nil || y == nil {
			continue
		}
		var macs float64
		switch n.Op {
		case "Conv":
			if len(w.Shape) < 2 {
				continue
			}
			macs = float64(y.Shape.Size()) * float64(w.Shape[1:].Size())
		case "ConvTranspose":
			if len(w.Shape) < 2 {
				continue
			}
			macs = float64(x.Shape.Size()) * float64(w.Shape[1:].Size())
		case "Gemm", "MatMul":
			if len(x.Shape) == 0 || len(y.Shape) == 0 {
				continue
			}
			k := x.Shape[len(x.Shape)-1]
			if n.Op == "Gemm" && y.Shape[0] > 0 {
				k = x.Shape.Size() / y.Shape[0] // transA or not
			}
			macs = float64(y.Shape.Size()) * float64(k)
		default:
			continue
		}
		fwd += macs
		train += macs
		if g.Trainable[n.Inputs[1]] {
			train += macs
		}
		if !data[n.Inputs[0]] {
			train += macs
		}
	}
	return fwd, train, nil
}
