package train

import (
	"testing"

	"github.com/aekit/aekit/graph"
)

// TestTrainStepNoAllocs wants a training step of the seed model (gather,
// forward, loss, backward, finiteness checks and the optimizer's update)
// to allocate nothing once warmed up, with each loss and optimizer.
func TestTrainStepNoAllocs(t *testing.T) {
	g0, x := seedBatches(t, 64)
	for _, c := range []struct {
		name string
		loss Loss
		opt  func() Optimizer
	}{
		{"bce+adadelta", &BinaryCrossentropy{}, func() Optimizer { return NewAdadelta() }},
		{"mse+adam", &MeanSquaredError{}, func() Optimizer { return NewAdam() }},
		{"bce+rmsprop", &BinaryCrossentropy{}, func() Optimizer { return NewRMSprop() }},
		{"bce+sgd", &BinaryCrossentropy{}, func() Optimizer { return NewSGD() }},
	} {
		cfg := DefaultConfig()
		cfg.Loss, cfg.Optimizer = c.loss, c.opt()
		tr, err := newTrainer(g0.Clone(), x, nil, cfg, false)
		if err != nil {
			t.Fatal(err)
		}
		tr.order(0)
		rp := tr.plans[32]
		b := 0
		step := func() {
			if _, err := tr.step(rp, tr.perm[32*(b%2):32*(b%2)+32]); err != nil {
				t.Fatal(err)
			}
			b++
		}
		step()
		step()
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("%s: %v allocations per training step, want 0", c.name, n)
		}
	}
}

// TestOptimizerStepNoAllocs covers the optimizers' parallel path, which
// the seed's small parameters do not take.
func TestOptimizerStepNoAllocs(t *testing.T) {
	n := 3*parallelMin + 5
	params := []*graph.Tensor{graph.New(n), graph.New(7)}
	grads := []*graph.Tensor{graph.New(n), graph.New(7)}
	for i := range grads[0].Data {
		grads[0].Data[i] = float32(i%13) - 6
	}
	amsgrad := NewAdam()
	amsgrad.AMSGrad = true
	nesterov := NewSGD()
	nesterov.Momentum, nesterov.Nesterov = 0.9, true
	for _, o := range []Optimizer{NewAdadelta(), NewAdam(), amsgrad, NewRMSprop(), NewSGD(), nesterov} {
		o.Step(params, grads)
		if n := testing.AllocsPerRun(10, func() { o.Step(params, grads) }); n != 0 {
			t.Errorf("%s: %v allocations per Step, want 0", o.Name(), n)
		}
	}
}
