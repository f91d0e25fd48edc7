package train

import (
	"math"

	"github.com/aekit/aekit/graph"
)

// RMSprop's Keras 2 defaults.
const (
	RMSpropLearningRate = 0.001
	RMSpropRho          = 0.9
	RMSpropEpsilon      = 1e-7
)

// RMSprop is Keras 2's RMSprop. Its slot "rms" (a) starts at 0; each step,
// element by element:
//
//	a = ρ·a + (1-ρ)·g²
//	p -= lr·g / (√a + ε)
//
// with lr = LearningRate/(1 + Decay·iterations).
type RMSprop struct {
	LearningRate, Rho, Epsilon, Decay float64
	s                                 slots
	split                             updateSplit
}

// NewRMSprop returns RMSprop with its Keras 2 defaults.
func NewRMSprop() *RMSprop {
	return &RMSprop{LearningRate: RMSpropLearningRate, Rho: RMSpropRho, Epsilon: RMSpropEpsilon,
		s: newSlots("rmsprop", "rms")}
}

// Name returns "rmsprop".
func (*RMSprop) Name() string { return "rmsprop" }

// State returns the step count and the running averages.
func (o *RMSprop) State() State { return o.s.state() }

// SetState replaces the step count and the running averages.
func (o *RMSprop) SetState(s State) error { return o.s.setState(s) }

// Step applies one RMSprop update.
func (o *RMSprop) Step(params, grads []*graph.Tensor) {
	o.s.prepare(params, grads, "rms")
	lr, rho, eps := decayed(o.LearningRate, o.Decay, o.s.iter), o.Rho, o.Epsilon
	as := o.s.t["rms"]
	for i, par := range params {
		p, g, a := par.Data, grads[i].Data, as[i].Data
		if len(p) < parallelMin {
			rmspropKernel(p, g, a, lr, rho, eps)
			continue
		}
		if o.split.fn == nil {
			o.split.fn = o.part
		}
		o.split.t = [5][]float32{p, g, a}
		o.split.h = [4]float64{lr, rho, eps}
		o.split.run(len(p))
	}
	o.s.iter++
}

func (o *RMSprop) part(lo, hi int) {
	t, h := &o.split.t, &o.split.h
	rmspropKernel(t[0][lo:hi], t[1][lo:hi], t[2][lo:hi], h[0], h[1], h[2])
}

func rmspropKernel(p, g, a []float32, lr, rho, eps float64) {
	g, a = g[:len(p)], a[:len(p)]
	for i := range p {
		gi := float64(g[i])
		ai := rho*float64(a[i]) + (1-rho)*gi*gi
		a[i] = float32(ai)
		p[i] = float32(float64(p[i]) - lr*gi/(math.Sqrt(ai)+eps))
	}
}
