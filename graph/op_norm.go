package graph

import (
	"math"
	"strconv"
	"sync"
)

// BatchNormalization and Dropout: the operators whose behaviour differs
// between training and inference.

// Normalisation attribute defaults (ONNX). Keras's BatchNormalization uses
// momentum 0.99 and epsilon 1e-3; its layer passes them as attributes.
const (
	batchNormDefaultEpsilon  = 1e-5
	batchNormDefaultMomentum = 0.9
	dropoutDefaultRatio      = 0.5
)

func init() {
	Register(OpDef{Type: "BatchNormalization", Build: buildBatchNorm})
	Register(OpDef{Type: "Dropout", Build: buildDropout})
}

// batchNorm is BatchNormalization over axis 1 of an N×C×… input X with
// inputs scale, B, mean and var (each of C elements):
//
//	y = scale·(x − μ)/√(σ² + epsilon) + B
//
// In inference μ and σ² are the mean and var inputs. In training (the plan
// in training mode, or the node's training_mode=1 attribute, opset 14) they
// are the batch statistics over N and the spatial axes (σ² biased, as ONNX
// and TensorFlow normalise), and the running statistics move as
//
//	running = running·momentum + batch·(1 − momentum)
//
// using the biased batch variance, as the ONNX reference does (Keras's fused
// 4-D path feeds its moving variance the unbiased one, a relative difference
// of 1/(M−1) for M = N·H·W values per channel). They are written to the
// optional outputs running_mean and running_var when the node names them,
// and, when the plan is in training mode, into the mean and var inputs in
// place, so that a model's moving statistics follow its training.
//
// The gradient in training is the full batch-statistics gradient; in
// inference mean and var are constants of the affine map (their gradients
// are still given, should they be trainable). Not supported: spatial=0
// (opset < 9) and the saved_mean/saved_var outputs of opsets < 14. The
// is_test attribute of opset 6 is ignored: the plan's mode decides.
type batchNorm struct {
	ch, outer, inner int // X is outer × ch × inner
	eps, mom         float64
	attrTraining     bool
	runOut           bool // outputs 1 and 2 (running mean and var) are named
	mean, invstd     []float64
	batch            bool // the last Forward used batch statistics

	// The operands of the call in progress, and the per-channel loops
	// handed to the worker pool, made once so that calls allocate nothing.
	ctx                *Ctx
	in, out, dout, din []*Tensor
	fwdFn, bwdFn       func(lo, hi int)
	wg                 sync.WaitGroup
}

func buildBatchNorm(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) != 5 {
		return nil, nil, a.Errorf("takes 5 inputs (X, scale, B, mean, var), got %d", len(a.In))
	}
	for i := range a.In {
		if !inputGiven(a, i) {
			return nil, nil, a.Errorf("input %d is missing", i)
		}
		if a.InType[i] != Float32 {
			return nil, nil, a.Errorf("input %d (%q) is %v, want float32", i, a.Node.Inputs[i], a.InType[i])
		}
	}
	x := a.In[0]
	if len(x) < 2 {
		return nil, nil, a.Errorf("input X %v: want rank ≥ 2 (N×C×…)", x)
	}
	at := a.Node.Attrs
	k := &batchNorm{
		ch: x[1], outer: x[0], inner: 1,
		eps:          float64(at.Float("epsilon", batchNormDefaultEpsilon)),
		mom:          float64(at.Float("momentum", batchNormDefaultMomentum)),
		attrTraining: at.Int("training_mode", 0) != 0,
	}
	k.fwdFn, k.bwdFn = k.forwardChannels, k.backwardChannels
	for _, d := range x[2:] {
		k.inner *= d
	}
	for i := 1; i < 5; i++ {
		if a.In[i].Size() != k.ch {
			return nil, nil, a.Errorf("input %d (%q) has shape %v, want %d elements for the %d channels of X %v", i, a.Node.Inputs[i], a.In[i], k.ch, k.ch, x)
		}
	}
	if v := at.Int("spatial", 1); v != 1 {
		return nil, nil, a.Unsupported("spatial", strconv.FormatInt(v, 10), "1")
	}
	if k.eps < 0 {
		return nil, nil, a.Errorf("epsilon %g is negative", k.eps)
	}
	outs := a.Node.Outputs
	for j := 3; j < len(outs); j++ {
		if outs[j] != "" {
			return nil, nil, &NotImplementedError{Op: a.Node.Op, Node: a.Node.Name, Opset: a.Opset, Attribute: "output " + strconv.Itoa(j), Value: strconv.Quote(outs[j]), Supported: "Y, running_mean, running_var"}
		}
	}
	k.runOut = len(outs) > 1 && (outs[1] != "" || len(outs) > 2 && outs[2] != "")
	k.mean, k.invstd = make([]float64, k.ch), make([]float64, k.ch)
	c := Shape{k.ch}
	return k, []Shape{x, c, c.Clone()}, nil
}

func (k *batchNorm) Forward(ctx *Ctx, in, out []*Tensor) {
	k.batch = ctx.Training || k.attrTraining
	k.ctx, k.in, k.out = ctx, in, out
	parallelFixed(k.ch, k.fwdFn, &k.wg)
	k.ctx, k.in, k.out = nil, nil, nil
}

func (k *batchNorm) forwardChannels(lo, hi int) {
	ctx, in, out := k.ctx, k.in, k.out
	train := k.batch
	x, scale, bias, rm, rv := in[0].Data, in[1].Data, in[2].Data, in[3].Data, in[4].Data
	y := out[0].Data
	var om, ov []float32
	if k.runOut {
		if len(out) > 1 && out[1] != nil {
			om = out[1].Data
		}
		if len(out) > 2 && out[2] != nil {
			ov = out[2].Data
		}
	}
	m := float64(k.outer * k.inner)
	for c := lo; c < hi; c++ {
		mean, variance := float64(rm[c]), float64(rv[c])
		if train {
			var s float64
			for n := range k.outer {
				for _, v := range x[(n*k.ch+c)*k.inner : (n*k.ch+c+1)*k.inner] {
					s += float64(v)
				}
			}
			mean = s / m
			var q float64
			for n := range k.outer {
				for _, v := range x[(n*k.ch+c)*k.inner : (n*k.ch+c+1)*k.inner] {
					d := float64(v) - mean
					q += d * d
				}
			}
			variance = q / m
		}
		inv := 1 / math.Sqrt(variance+k.eps)
		k.mean[c], k.invstd[c] = mean, inv
		g := float32(float64(scale[c]) * inv)
		b := float32(float64(bias[c]) - mean*float64(scale[c])*inv)
		for n := range k.outer {
			off := (n*k.ch + c) * k.inner
			yr := y[off : off+k.inner]
			for i, v := range x[off : off+k.inner] {
				yr[i] = v*g + b
			}
		}
		newMean, newVar := rm[c], rv[c]
		if train {
			newMean = float32(k.mom*float64(rm[c]) + (1-k.mom)*mean)
			newVar = float32(k.mom*float64(rv[c]) + (1-k.mom)*variance)
		}
		if om != nil {
			om[c] = newMean
		}
		if ov != nil {
			ov[c] = newVar
		}
		if ctx.Training {
			rm[c], rv[c] = newMean, newVar
		}
	}
}

func (k *batchNorm) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	k.in, k.dout, k.din = in, dout, din
	parallelFixed(k.ch, k.bwdFn, &k.wg)
	k.in, k.dout, k.din = nil, nil, nil
}

func (k *batchNorm) backwardChannels(lo, hi int) {
	in, dout, din := k.in, k.dout, k.din
	x, scale := in[0].Data, in[1].Data
	g := dout[0].Data
	var dRM, dRV []float32
	if len(dout) > 1 && dout[1] != nil && len(dout[1].Data) == k.ch {
		dRM = dout[1].Data
	}
	if len(dout) > 2 && dout[2] != nil && len(dout[2].Data) == k.ch {
		dRV = dout[2].Data
	}
	m := float64(k.outer * k.inner)
	for c := lo; c < hi; c++ {
		mean, inv := k.mean[c], k.invstd[c]
		var sg, sgx float64 // Σg, Σg·x̂
		for n := range k.outer {
			off := (n*k.ch + c) * k.inner
			xr := x[off : off+k.inner]
			for i, gv := range g[off : off+k.inner] {
				sg += float64(gv)
				sgx += float64(gv) * (float64(xr[i]) - mean)
			}
		}
		sgx *= inv
		var rmG, rvG float64
		if dRM != nil {
			rmG = float64(dRM[c])
		}
		if dRV != nil {
			rvG = float64(dRV[c])
		}
		sc := float64(scale[c])
		if din[1] != nil {
			din[1].Data[c] = float32(sgx)
		}
		if din[2] != nil {
			din[2].Data[c] = float32(sg)
		}
		if k.batch {
			if din[3] != nil {
				din[3].Data[c] = float32(k.mom * rmG)
			}
			if din[4] != nil {
				din[4].Data[c] = float32(k.mom * rvG)
			}
		} else {
			if din[3] != nil {
				din[3].Data[c] = float32(-sc*inv*sg + rmG)
			}
			if din[4] != nil {
				din[4].Data[c] = float32(-0.5*sc*inv*inv*sgx + rvG)
			}
		}
		if din[0] == nil {
			continue
		}
		dx := din[0].Data
		a := sc * inv
		// dx = a·(g − Σg/M − x̂·Σg·x̂/M) in training, plus what flows
		// back through the running statistics; a·g in inference.
		c0, c1, c2 := a, 0.0, 0.0 // dx = c0·g + c1 + c2·(x − μ)
		if k.batch {
			c1 = -a*sg/m + rmG*(1-k.mom)/m
			c2 = -a*sgx*inv/m + rvG*(1-k.mom)*2/m
		}
		for n := range k.outer {
			off := (n*k.ch + c) * k.inner
			xr := x[off : off+k.inner]
			dr := dx[off : off+k.inner]
			for i, gv := range g[off : off+k.inner] {
				dr[i] = float32(c0*float64(gv) + c1 + c2*(float64(xr[i])-mean))
			}
		}
	}
}

// dropout is Dropout: in training (the plan in training mode, or a constant
// training_mode input that is true) each element is zeroed with probability
// ratio and the others are scaled by 1/(1 − ratio); in inference it is the
// identity. The ratio is the attribute before opset 12 and the optional
// constant input 1 from opset 12 (default 0.5). The mask is drawn from
// Ctx.Rand, so a plan's Seed makes it reproducible; the seed attribute is
// ignored. The optional mask output (a bool tensor) is not supported.
type dropout struct {
	ratio      float32
	forceTrain bool
	mask       []float32
	active     bool // the last Forward dropped
}

func buildDropout(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) == 0 || len(a.In) > 3 || !inputGiven(a, 0) {
		return nil, nil, a.Errorf("takes 1 to 3 inputs, got %d", len(a.In))
	}
	if a.InType[0] != Float32 {
		return nil, nil, a.Errorf("input is %v, want float32", a.InType[0])
	}
	if outs := a.Node.Outputs; len(outs) > 1 && outs[1] != "" {
		return nil, nil, &NotImplementedError{Op: a.Node.Op, Node: a.Node.Name, Opset: a.Opset, Attribute: "output mask", Value: strconv.Quote(outs[1]), Supported: "output only"}
	}
	k := &dropout{ratio: a.Node.Attrs.Float("ratio", dropoutDefaultRatio)}
	if inputGiven(a, 1) {
		t, err := a.Const(1)
		if err != nil {
			return nil, nil, err
		}
		if t.Len() != 1 {
			return nil, nil, a.Errorf("ratio %q has shape %v, want a scalar", a.Node.Inputs[1], t.Shape)
		}
		k.ratio = float32(t.Floats()[0])
	}
	if inputGiven(a, 2) {
		t, err := a.Const(2)
		if err != nil {
			return nil, nil, err
		}
		if t.Len() != 1 {
			return nil, nil, a.Errorf("training_mode %q has shape %v, want a scalar", a.Node.Inputs[2], t.Shape)
		}
		k.forceTrain = t.Floats()[0] != 0
	}
	if !(k.ratio >= 0 && k.ratio < 1) {
		return nil, nil, a.Errorf("ratio %g must be in [0, 1)", k.ratio)
	}
	k.mask = make([]float32, a.In[0].Size())
	return k, []Shape{a.In[0]}, nil
}

func (k *dropout) Forward(ctx *Ctx, in, out []*Tensor) {
	x, y := in[0].Data, out[0].Data
	k.active = (ctx.Training || k.forceTrain) && k.ratio > 0
	if !k.active {
		copy(y, x)
		return
	}
	scale := 1 / (1 - k.ratio)
	for i, v := range x {
		if ctx.Rand.Float32() < k.ratio {
			k.mask[i] = 0
		} else {
			k.mask[i] = scale
		}
		y[i] = v * k.mask[i]
	}
}

func (k *dropout) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	g, dx := dout[0].Data, din[0].Data
	if !k.active {
		copy(dx, g)
		return
	}
	for i, v := range g {
		dx[i] = v * k.mask[i]
	}
}
