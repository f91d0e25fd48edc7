package train

import (
	"math"

	"github.com/aekit/aekit/graph"
)

// Adam's Keras 2 defaults (epsilon is K.epsilon(), not the paper's 1e-8).
const (
	AdamLearningRate = 0.001
	AdamBeta1        = 0.9
	AdamBeta2        = 0.999
	AdamEpsilon      = 1e-7
)

// Adam is Keras 2's Adam, bias correction folded into the learning rate.
// Its slots "m" and "v" (and "vhat" with AMSGrad) start at 0; at step t
// (1, 2, …), element by element:
//
//	lr_t = lr·√(1-β₂ᵗ) / (1-β₁ᵗ)
//	m = β₁·m + (1-β₁)·g
//	v = β₂·v + (1-β₂)·g²
//	p -= lr_t·m / (√v + ε)         (AMSGrad: vhat = max(vhat, v) in place of v)
//
// with lr = LearningRate/(1 + Decay·(t-1)).
type Adam struct {
	LearningRate, Beta1, Beta2, Epsilon, Decay float64
	AMSGrad                                    bool
	s                                          slots
	split                                      updateSplit
}

// NewAdam returns Adam with its Keras 2 defaults.
func NewAdam() *Adam {
	return &Adam{LearningRate: AdamLearningRate, Beta1: AdamBeta1, Beta2: AdamBeta2, Epsilon: AdamEpsilon,
		s: newSlots("adam", "m", "v", "vhat")}
}

// Name returns "adam".
func (*Adam) Name() string { return "adam" }

// State returns the step count and the moment estimates.
func (o *Adam) State() State { return o.s.state() }

// SetState replaces the step count and the moment estimates.
func (o *Adam) SetState(s State) error { return o.s.setState(s) }

// Step applies one Adam update.
func (o *Adam) Step(params, grads []*graph.Tensor) {
	if o.AMSGrad {
		o.s.prepare(params, grads, "m", "v", "vhat")
	} else {
		o.s.prepare(params, grads, "m", "v")
	}
	t := float64(o.s.iter + 1)
	lr := decayed(o.LearningRate, o.Decay, o.s.iter)
	lrT := lr * math.Sqrt(1-math.Pow(o.Beta2, t)) / (1 - math.Pow(o.Beta1, t))
	b1, b2, eps := o.Beta1, o.Beta2, o.Epsilon
	ms, vs, hs := o.s.t["m"], o.s.t["v"], o.s.t["vhat"]
	for i, par := range params {
		p, g, m, v := par.Data, grads[i].Data, ms[i].Data, vs[i].Data
		var h []float32
		if o.AMSGrad {
			h = hs[i].Data
		}
		if len(p) < parallelMin {
			adamKernel(p, g, m, v, h, lrT, b1, b2, eps)
			continue
		}
		if o.split.fn == nil {
			o.split.fn = o.part
		}
		o.split.t = [5][]float32{p, g, m, v, h}
		o.split.h = [4]float64{lrT, b1, b2, eps}
		o.split.run(len(p))
	}
	o.s.iter++
}

func (o *Adam) part(lo, hi int) {
	t, h := &o.split.t, &o.split.h
	adamKernel(t[0][lo:hi], t[1][lo:hi], t[2][lo:hi], t[3][lo:hi], sub(t[4], lo, hi), h[0], h[1], h[2], h[3])
}

func adamKernel(p, g, m, v, vhat []float32, lrT, b1, b2, eps float64) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := float64(g[i])
		mi := b1*float64(m[i]) + (1-b1)*gi
		vi := b2*float64(v[i]) + (1-b2)*gi*gi
		m[i], v[i] = float32(mi), float32(vi)
		if vhat != nil {
			vi = max(vi, float64(vhat[i]))
			vhat[i] = float32(vi)
		}
		p[i] = float32(float64(p[i]) - lrT*mi/(math.Sqrt(vi)+eps))
	}
}
