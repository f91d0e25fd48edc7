package graph

import (
	"math"
	"sync"
)

// Activations. The element-wise ones (Relu, Sigmoid, LeakyRelu, Tanh, Elu)
// each register a forward f(x) and a backward that needs either the input x
// or the output y; Clip and Softmax have kernels of their own below.

func init() {
	registerUnary("Relu", func(a BuildArgs) (unary, error) {
		return unary{
			f: func(x float32) float32 {
				if x > 0 {
					return x
				}
				return 0
			},
			// TensorFlow's rule: the gradient is 1 only where x > 0. At
			// step 1 every bias is 0 and background pixels sit exactly
			// at 0, so x >= 0 would give different gradients there.
			dx: func(x, _, g float32) float32 {
				if x > 0 {
					return g
				}
				return 0
			},
			fwd: reluForward,
			bwd: reluBackward,
		}, nil
	})
	registerUnary("Sigmoid", func(a BuildArgs) (unary, error) {
		return unary{
			f:   sigmoid,
			dx:  func(_, y, g float32) float32 { return g * y * (1 - y) },
			fwd: sigmoidForward,
			bwd: sigmoidBackward,
		}, nil
	})
	// LeakyRelu: y = x for x > 0, alpha·x otherwise; the gradient is 1
	// only where x > 0, as for Relu.
	registerUnary("LeakyRelu", func(a BuildArgs) (unary, error) {
		alpha := a.Node.Attrs.Float("alpha", leakyReluDefaultAlpha)
		return unary{
			f: func(x float32) float32 {
				if x > 0 {
					return x
				}
				return alpha * x
			},
			dx: func(x, _, g float32) float32 {
				if x > 0 {
					return g
				}
				return alpha * g
			},
		}, nil
	})
	registerUnary("Tanh", func(a BuildArgs) (unary, error) {
		return unary{
			f:  func(x float32) float32 { return float32(math.Tanh(float64(x))) },
			dx: func(_, y, g float32) float32 { return g * (1 - y*y) },
		}, nil
	})
	// Elu: y = x for x > 0, alpha·(eˣ − 1) otherwise.
	registerUnary("Elu", func(a BuildArgs) (unary, error) {
		alpha := a.Node.Attrs.Float("alpha", eluDefaultAlpha)
		return unary{
			f: func(x float32) float32 {
				if x > 0 {
					return x
				}
				return alpha * float32(math.Expm1(float64(x)))
			},
			dx: func(x, y, g float32) float32 {
				if x > 0 {
					return g
				}
				return g * (y + alpha)
			},
		}, nil
	})
	Register(OpDef{Type: "Clip", Build: buildClip})
	Register(OpDef{Type: "Softmax", Build: buildSoftmax})
}

// Activation attribute defaults (ONNX).
const (
	leakyReluDefaultAlpha = 0.01
	eluDefaultAlpha       = 1.0
)

func reluForward(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

func reluBackward(x, _, g, d []float32) {
	g, d = g[:len(x)], d[:len(x)]
	for i, v := range x {
		if v > 0 {
			d[i] = g[i]
		} else {
			d[i] = 0
		}
	}
}

// sigmoidForward writes y = sigmoid(x), four at a time on the assembly
// path (the same bits as sigmoid); x and y may be the same slice.
func sigmoidForward(x, y []float32) {
	y = y[:len(x)]
	i := 0
	if convAsm && len(x) >= 4 {
		i = len(x) &^ 3
		if sigmoid4(&y[0], &x[0], i) != 0 {
			// Groups of four with an |x| > 700 or a NaN, which
			// sigmoid4 leaves untouched (the others hold results in
			// [0, 1] when x is y).
			for j := 0; j < i; j += 4 {
				g := x[j : j+4]
				if !(g[0] >= -700 && g[0] <= 700 && g[1] >= -700 && g[1] <= 700 && g[2] >= -700 && g[2] <= 700 && g[3] >= -700 && g[3] <= 700) {
					for l, v := range g {
						y[j+l] = sigmoid(v)
					}
				}
			}
		}
	}
	for ; i < len(x); i++ {
		y[i] = sigmoid(x[i])
	}
}

func sigmoidBackward(_, y, g, d []float32) {
	g, d = g[:len(y)], d[:len(y)]
	for i, v := range y {
		d[i] = g[i] * v * (1 - v)
	}
}

func sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}

// unary is an element-wise operator: y = f(x), dx = dx(x, y, dy). The
// hottest ones (Relu, Sigmoid) also give slice kernels, fwd and bwd, whose
// loops the compiler keeps free of calls.
type unary struct {
	f   func(x float32) float32
	dx  func(x, y, g float32) float32
	fwd func(x, y []float32)
	bwd func(x, y, g, dx []float32)

	// The tensors of the call in progress, and the method values handed
	// to the worker pool, made once so that calls allocate nothing.
	x, y, g, d       []float32
	fwdPart, bwdPart func(lo, hi int)
	wg               *sync.WaitGroup
}

// unaryChunk is the number of elements per unit of parallel work.
const unaryChunk = 4096

func registerUnary(op string, configure func(BuildArgs) (unary, error)) {
	Register(OpDef{Type: op, Build: func(a BuildArgs) (Kernel, []Shape, error) {
		if len(a.In) != 1 || !inputGiven(a, 0) {
			return nil, nil, a.Errorf("takes 1 input, got %d", len(a.In))
		}
		u, err := configure(a)
		if err != nil {
			return nil, nil, err
		}
		k := &unary{f: u.f, dx: u.dx, fwd: u.fwd, bwd: u.bwd, wg: new(sync.WaitGroup)}
		k.fwdPart, k.bwdPart = k.forwardPart, k.backwardPart
		return k, []Shape{a.In[0]}, nil
	}})
}

func (u *unary) forwardPart(lo, hi int) {
	lo, hi = lo*unaryChunk, min(hi*unaryChunk, len(u.x))
	x, y := u.x[lo:hi], u.y[lo:hi]
	if u.fwd != nil {
		u.fwd(x, y)
		return
	}
	for i, v := range x {
		y[i] = u.f(v)
	}
}

func (u *unary) backwardPart(lo, hi int) {
	lo, hi = lo*unaryChunk, min(hi*unaryChunk, len(u.x))
	x, y, g, d := u.x[lo:hi], u.y[lo:hi], u.g[lo:hi], u.d[lo:hi]
	if u.bwd != nil {
		u.bwd(x, y, g, d)
		return
	}
	for i := range x {
		d[i] = u.dx(x[i], y[i], g[i])
	}
}

func (u *unary) Forward(_ *Ctx, in, out []*Tensor) {
	u.x, u.y = in[0].Data, out[0].Data
	parallelFixed((len(u.x)+unaryChunk-1)/unaryChunk, u.fwdPart, u.wg)
}

func (u *unary) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	u.x, u.y, u.g, u.d = in[0].Data, out[0].Data, dout[0].Data, din[0].Data
	parallelFixed((len(u.x)+unaryChunk-1)/unaryChunk, u.bwdPart, u.wg)
}

// clip is Clip: y = min(max(x, lo), hi). Opset 6 reads the bounds from the
// min and max attributes, opset 11 and later from the optional inputs 1 and
// 2, which must be constant scalars. An absent bound is ±MaxFloat32. The
// gradient passes where lo ≤ x ≤ hi (TensorFlow's clip_by_value and
// PyTorch's clamp).
type clip struct{ lo, hi float32 }

func buildClip(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) == 0 || len(a.In) > 3 || !inputGiven(a, 0) {
		return nil, nil, a.Errorf("takes 1 to 3 inputs, got %d", len(a.In))
	}
	if a.InType[0] != Float32 {
		return nil, nil, a.Errorf("input is %v, want float32", a.InType[0])
	}
	k := &clip{
		lo: a.Node.Attrs.Float("min", -math.MaxFloat32),
		hi: a.Node.Attrs.Float("max", math.MaxFloat32),
	}
	for i, bound := range []*float32{&k.lo, &k.hi} {
		if !inputGiven(a, i+1) {
			continue
		}
		t, err := a.Const(i + 1)
		if err != nil {
			return nil, nil, err
		}
		if t.Len() != 1 {
			return nil, nil, a.Errorf("input %d (%q) has shape %v, want a scalar", i+1, a.Node.Inputs[i+1], t.Shape)
		}
		*bound = float32(t.Floats()[0])
	}
	return k, []Shape{a.In[0]}, nil
}

// inputGiven reports whether the node names input i. (BuildArgs.In[i] is
// nil both for an omitted input and for a scalar, whose shape is empty.)
func inputGiven(a BuildArgs, i int) bool {
	return i < len(a.Node.Inputs) && a.Node.Inputs[i] != ""
}

func (k *clip) Forward(_ *Ctx, in, out []*Tensor) {
	x, y := in[0].Data, out[0].Data
	for i, v := range x {
		y[i] = min(max(v, k.lo), k.hi)
	}
}

func (k *clip) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	x, g, dx := in[0].Data, dout[0].Data, din[0].Data
	for i, v := range x {
		if v >= k.lo && v <= k.hi {
			dx[i] = g[i]
		} else {
			dx[i] = 0
		}
	}
}

// softmax is Softmax along one axis: y = exp(x − max) / Σ exp(x − max).
// From opset 13 the axis defaults to −1 and the softmax runs along that
// axis alone; before, the axis defaults to 1 and the input is coerced to
// 2-D at it, so the softmax runs over all the axes from it on. The
// gradient is dx = y·(g − Σ g·y).
type softmax struct {
	outer, n, inner int

	// The operands of the call in progress (x, y, and for Backward g and
	// dx), and the loops handed to the worker pool, made once.
	x, y, g, dx  []float32
	fwdFn, bwdFn func(lo, hi int)
	wg           sync.WaitGroup
}

func buildSoftmax(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) != 1 || !inputGiven(a, 0) {
		return nil, nil, a.Errorf("takes 1 input, got %d", len(a.In))
	}
	if a.InType[0] != Float32 {
		return nil, nil, a.Errorf("input is %v, want float32", a.InType[0])
	}
	x := a.In[0]
	def := int64(-1)
	if a.Opset < 13 {
		def = 1
	}
	axis := a.Node.Attrs.Int("axis", def)
	if axis < 0 {
		axis += int64(len(x))
	}
	if axis < 0 || axis >= int64(len(x)) {
		return nil, nil, a.Errorf("axis %d out of range for input %v", a.Node.Attrs.Int("axis", def), x)
	}
	k := &softmax{outer: 1, n: 1, inner: 1}
	k.fwdFn, k.bwdFn = k.forwardRows, k.backwardRows
	for i, d := range x {
		switch {
		case int64(i) < axis:
			k.outer *= d
		case int64(i) == axis || a.Opset < 13:
			k.n *= d
		default:
			k.inner *= d
		}
	}
	return k, []Shape{x}, nil
}

func (k *softmax) Forward(_ *Ctx, in, out []*Tensor) {
	k.x, k.y = in[0].Data, out[0].Data
	parallelFixed(k.outer, k.fwdFn, &k.wg)
	k.x, k.y = nil, nil
}

func (k *softmax) forwardRows(lo, hi int) {
	x, y := k.x, k.y
	for b := lo; b < hi; b++ {
		for j := range k.inner {
			base := b*k.n*k.inner + j
			m := float32(math.Inf(-1))
			for i := range k.n {
				m = max(m, x[base+i*k.inner])
			}
			var s float64
			for i := range k.n {
				e := math.Exp(float64(x[base+i*k.inner] - m))
				y[base+i*k.inner] = float32(e)
				s += e
			}
			inv := float32(1 / s)
			for i := range k.n {
				y[base+i*k.inner] *= inv
			}
		}
	}
}

func (k *softmax) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	k.y, k.g, k.dx = out[0].Data, dout[0].Data, din[0].Data
	parallelFixed(k.outer, k.bwdFn, &k.wg)
	k.y, k.g, k.dx = nil, nil, nil
}

func (k *softmax) backwardRows(lo, hi int) {
	y, g, dx := k.y, k.g, k.dx
	for b := lo; b < hi; b++ {
		for j := range k.inner {
			base := b*k.n*k.inner + j
			var s float64
			for i := range k.n {
				s += float64(g[base+i*k.inner]) * float64(y[base+i*k.inner])
			}
			for i := range k.n {
				p := base + i*k.inner
				dx[p] = y[p] * (g[p] - float32(s))
			}
		}
	}
}
