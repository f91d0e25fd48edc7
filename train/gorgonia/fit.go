package gorgonia

import (
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/train"
)

// Engine returns a train.Config.Engine that computes training steps with
// gorgonia, for the loss named (Keras name, as train.NewLoss takes). Fit's
// loop, shuffling, optimizers and validation stay aekit's.
func Engine(loss string) func(g *graph.Graph, batch int) (train.Engine, error) {
	return func(g *graph.Graph, batch int) (train.Engine, error) {
		m, err := Compile(g, batch, loss)
		if err != nil {
			return nil, err
		}
		return &engine{m: m, grads: make([]*graph.Tensor, len(m.Params))}, nil
	}
}

type engine struct {
	m     *Model
	grads []*graph.Tensor
}

func (e *engine) Step(x, y *graph.Tensor) (float64, []*graph.Tensor, error) {
	l, err := e.m.Step(x, y)
	if err != nil {
		return 0, nil, err
	}
	for i, p := range e.m.Params {
		d, err := e.m.Grad(i)
		if err != nil {
			return 0, nil, err
		}
		// gorgonia may hand back a new slice each step: rewrap it.
		if e.grads[i] == nil || &e.grads[i].Data[0] != &d[0] {
			e.grads[i] = graph.FromData(d, p.Shape()...)
		}
	}
	return l, e.grads, nil
}
