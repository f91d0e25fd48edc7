package train

import (
	"math"

	"github.com/aekit/aekit/graph"
)

// Engine computes one training step's loss and gradients for a fixed batch
// size: the seam through which another engine (gorgonia) trains a model
// with Fit's loop, loss semantics and optimizers.
type Engine interface {
	// Step runs forward and backward on a batch (x the input, y the
	// target) and returns the mean loss and the gradient of every
	// trainable parameter, in g.TrainableNames order. The gradients
	// belong to the engine until the next Step.
	Step(x, y *graph.Tensor) (loss float64, grads []*graph.Tensor, err error)
}

// engineStep trains on the batch already gathered into rp with rp.engine.
func (t *trainer) engineStep(rp *runPlan) (float64, error) {
	l, grads, err := rp.engine.Step(rp.x, rp.y)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return l, t.forwardFault(rp, l, "loss")
	}
	for i, gr := range grads {
		if !finite(gr.Data) {
			return l, t.paramFault("gradient", i, gr.Data, l)
		}
	}
	return l, t.update(grads, l)
}
