package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// GradCheck configures CheckGradients.
type GradCheck struct {
	// Eps is the central-difference step (default 1e-2: float32 forward
	// passes need a step this large for the difference to rise above
	// rounding).
	Eps float64
	// ATol and RTol bound |analytic − numeric| ≤ ATol + RTol·max(|a|,|n|)
	// (defaults 1e-3 and 1e-2).
	ATol, RTol float64
	// MaxPerTensor caps the elements probed per tensor (default 64, picked
	// at random); 0 keeps the default, a negative value probes all.
	MaxPerTensor int
	// Seed picks the probe weights and the probed elements.
	Seed uint64
	// Training runs the plan in training mode.
	Training bool
}

// CheckGradients compares the gradients the executor computes for g with
// central differences. The scalar checked is L = Σ_k w_k·y_k over every
// float output y with fixed random weights w, so every output element
// contributes. It probes the float inputs given and every trainable
// parameter, and returns an error naming the first tensor and element that
// disagrees.
func CheckGradients(g *Graph, inputs []*Tensor, c GradCheck) error {
	if c.Eps == 0 {
		c.Eps = 1e-2
	}
	if c.ATol == 0 {
		c.ATol = 1e-3
	}
	if c.RTol == 0 {
		c.RTol = 1e-2
	}
	if c.MaxPerTensor == 0 {
		c.MaxPerTensor = 64
	}
	shapes := map[string]Shape{}
	k := 0
	for _, in := range g.Inputs {
		if _, isParam := g.Params[in.Name]; isParam {
			continue
		}
		shapes[in.Name] = inputs[k].Shape
		k++
	}
	p, err := Compile(g, shapes, Options{InputGrads: true})
	if err != nil {
		return err
	}
	p.SetTraining(c.Training)
	rng := rand.New(rand.NewPCG(c.Seed, 77))
	outs, err := p.Forward(inputs...)
	if err != nil {
		return err
	}
	weights := make([]*Tensor, len(outs))
	for j, o := range outs {
		if o.DType != Float32 {
			continue
		}
		w := New(o.Shape...)
		for i := range w.Data {
			w.Data[i] = float32(rng.NormFloat64())
		}
		weights[j] = w
	}
	loss := func() float64 {
		p.Seed(c.Seed)
		outs, err := p.Forward(inputs...)
		if err != nil {
			panic(err)
		}
		var s float64
		for j, o := range outs {
			if weights[j] == nil {
				continue
			}
			for i, v := range o.Data {
				s += float64(v) * float64(weights[j].Data[i])
			}
		}
		return s
	}
	loss()
	if err := p.Backward(weights...); err != nil {
		return err
	}
	type probe struct {
		name string
		t    *Tensor
		grad []float32
	}
	var probes []probe
	k = 0
	for _, in := range g.Inputs {
		if _, isParam := g.Params[in.Name]; isParam {
			continue
		}
		// The plan copies inputs in, so perturb the caller's tensor.
		if inputs[k].DType == Float32 {
			probes = append(probes, probe{in.Name, inputs[k], append([]float32(nil), p.Grad(in.Name).Data...)})
		}
		k++
	}
	for _, name := range g.TrainableNames() {
		if gr := p.Grad(name); gr != nil {
			probes = append(probes, probe{name, g.Params[name], append([]float32(nil), gr.Data...)})
		}
	}
	for _, pr := range probes {
		idx := rng.Perm(len(pr.t.Data))
		if c.MaxPerTensor > 0 && len(idx) > c.MaxPerTensor {
			idx = idx[:c.MaxPerTensor]
		}
		for _, i := range idx {
			orig := pr.t.Data[i]
			pr.t.Data[i] = orig + float32(c.Eps)
			lp := loss()
			pr.t.Data[i] = orig - float32(c.Eps)
			lm := loss()
			pr.t.Data[i] = orig
			num := (lp - lm) / (2 * c.Eps)
			ana := float64(pr.grad[i])
			if math.Abs(ana-num) > c.ATol+c.RTol*math.Max(math.Abs(ana), math.Abs(num)) {
				return fmt.Errorf("gradient of %q at element %d (of %v): analytic %.6g, numeric %.6g", pr.name, i, pr.t.Shape, ana, num)
			}
		}
	}
	return nil
}
