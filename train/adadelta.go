package train

import (
	"math"

	"github.com/aekit/aekit/graph"
)

// Adadelta's defaults: standalone Keras 2's (learning rate 1.0, epsilon
// K.epsilon() = 1e-7), with which the seed model was trained. tf.keras (and
// Keras 2.4+, which wraps it) defaults to a learning rate of 0.001 instead,
// with which the seed model barely moves in 3 epochs: set LearningRate to
// reproduce a tf.keras run.
const (
	AdadeltaLearningRate = 1.0
	AdadeltaRho          = 0.95
	AdadeltaEpsilon      = 1e-7
)

// Adadelta is Keras 2's Adadelta. Its slots "accum_grad" (a) and
// "accum_var" (d) start at 0; each step, element by element:
//
//	a = ρ·a + (1-ρ)·g²
//	u = g·√(d+ε) / √(a+ε)      (the updated a, unlike tf.train's rule)
//	p -= lr·u
//	d = ρ·d + (1-ρ)·u²
//
// with lr = LearningRate/(1 + Decay·iterations). Arithmetic is float64 per
// element; state and parameters are stored as float32.
type Adadelta struct {
	LearningRate, Rho, Epsilon, Decay float64
	s                                 slots
	split                             updateSplit
}

// NewAdadelta returns Adadelta with its Keras 2 defaults.
func NewAdadelta() *Adadelta {
	return &Adadelta{LearningRate: AdadeltaLearningRate, Rho: AdadeltaRho, Epsilon: AdadeltaEpsilon,
		s: newSlots("adadelta", "accum_grad", "accum_var")}
}

// Name returns "adadelta".
func (*Adadelta) Name() string { return "adadelta" }

// State returns the step count and the accumulators.
func (o *Adadelta) State() State { return o.s.state() }

// SetState replaces the step count and the accumulators.
func (o *Adadelta) SetState(s State) error { return o.s.setState(s) }

// Step applies one Adadelta update.
func (o *Adadelta) Step(params, grads []*graph.Tensor) {
	o.s.prepare(params, grads, "accum_grad", "accum_var")
	lr, rho, eps := decayed(o.LearningRate, o.Decay, o.s.iter), o.Rho, o.Epsilon
	acc, del := o.s.t["accum_grad"], o.s.t["accum_var"]
	for i, par := range params {
		p, g, a, d := par.Data, grads[i].Data, acc[i].Data, del[i].Data
		if len(p) < parallelMin {
			adadeltaKernel(p, g, a, d, lr, rho, eps)
			continue
		}
		if o.split.fn == nil {
			o.split.fn = o.part
		}
		o.split.t = [5][]float32{p, g, a, d}
		o.split.h = [4]float64{lr, rho, eps}
		o.split.run(len(p))
	}
	o.s.iter++
}

func (o *Adadelta) part(lo, hi int) {
	t, h := &o.split.t, &o.split.h
	adadeltaKernel(t[0][lo:hi], t[1][lo:hi], t[2][lo:hi], t[3][lo:hi], h[0], h[1], h[2])
}

func adadeltaKernel(p, g, a, d []float32, lr, rho, eps float64) {
	g, a, d = g[:len(p)], a[:len(p)], d[:len(p)]
	for i := range p {
		gi := float64(g[i])
		ai := rho*float64(a[i]) + (1-rho)*gi*gi
		u := gi * math.Sqrt(float64(d[i])+eps) / math.Sqrt(ai+eps)
		p[i] = float32(float64(p[i]) - lr*u)
		d[i] = float32(rho*float64(d[i]) + (1-rho)*u*u)
		a[i] = float32(ai)
	}
}
