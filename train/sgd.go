package train

import "github.com/aekit/aekit/graph"

// SGD's Keras 2 defaults.
const (
	SGDLearningRate = 0.01
	SGDMomentum     = 0.0
	SGDNesterov     = false
)

// SGD is Keras 2's stochastic gradient descent. With Momentum > 0 its slot
// "momentum" (v) starts at 0 and each step, element by element:
//
//	v = momentum·v - lr·g
//	p += v                        (Nesterov: p += momentum·v - lr·g)
//
// With Momentum 0 it is p -= lr·g and keeps no slot. lr is
// LearningRate/(1 + Decay·iterations).
type SGD struct {
	LearningRate, Momentum, Decay float64
	Nesterov                      bool
	s                             slots
	split                         updateSplit
}

// NewSGD returns SGD with its Keras 2 defaults.
func NewSGD() *SGD {
	return &SGD{LearningRate: SGDLearningRate, Momentum: SGDMomentum, Nesterov: SGDNesterov,
		s: newSlots("sgd", "momentum")}
}

// Name returns "sgd".
func (*SGD) Name() string { return "sgd" }

// State returns the step count and the velocities.
func (o *SGD) State() State { return o.s.state() }

// SetState replaces the step count and the velocities.
func (o *SGD) SetState(s State) error { return o.s.setState(s) }

// Step applies one SGD update.
func (o *SGD) Step(params, grads []*graph.Tensor) {
	if o.Momentum == 0 {
		o.s.prepare(params, grads)
	} else {
		o.s.prepare(params, grads, "momentum")
	}
	lr, mom, nest := decayed(o.LearningRate, o.Decay, o.s.iter), o.Momentum, o.Nesterov
	vs := o.s.t["momentum"]
	for i, par := range params {
		p, g := par.Data, grads[i].Data
		var v []float32
		if mom != 0 {
			v = vs[i].Data
		}
		if len(p) < parallelMin {
			sgdKernel(p, g, v, lr, mom, nest)
			continue
		}
		if o.split.fn == nil {
			o.split.fn = o.part
		}
		o.split.t = [5][]float32{p, g, v}
		o.split.h = [4]float64{lr, mom}
		o.split.b = nest
		o.split.run(len(p))
	}
	o.s.iter++
}

func (o *SGD) part(lo, hi int) {
	t, h := &o.split.t, &o.split.h
	sgdKernel(t[0][lo:hi], t[1][lo:hi], sub(t[2], lo, hi), h[0], h[1], o.split.b)
}

func sgdKernel(p, g, v []float32, lr, mom float64, nesterov bool) {
	g = g[:len(p)]
	if v == nil {
		for i := range p {
			p[i] = float32(float64(p[i]) - lr*float64(g[i]))
		}
		return
	}
	v = v[:len(p)]
	for i := range p {
		gi := float64(g[i])
		vi := mom*float64(v[i]) - lr*gi
		v[i] = float32(vi)
		if nesterov {
			p[i] = float32(float64(p[i]) + mom*vi - lr*gi)
		} else {
			p[i] = float32(float64(p[i]) + vi)
		}
	}
}
