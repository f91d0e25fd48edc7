package graph

import "math"

// Element-wise activations. Each registers a forward f(x) and a backward that
// needs either the input x or the output y.

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
		}, nil
	})
	registerUnary("Sigmoid", func(a BuildArgs) (unary, error) {
		return unary{
			f:  sigmoid,
			dx: func(_, y, g float32) float32 { return g * y * (1 - y) },
		}, nil
	})
}

func sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}

// unary is an element-wise operator: y = f(x), dx = dx(x, y, dy).
type unary struct {
	f  func(x float32) float32
	dx func(x, y, g float32) float32
}

func registerUnary(op string, configure func(BuildArgs) (unary, error)) {
	Register(OpDef{Type: op, Build: func(a BuildArgs) (Kernel, []Shape, error) {
		if len(a.In) != 1 || a.In[0] == nil {
			return nil, nil, a.Errorf("takes 1 input, got %d", len(a.In))
		}
		u, err := configure(a)
		if err != nil {
			return nil, nil, err
		}
		return &u, []Shape{a.In[0]}, nil
	}})
}

func (u *unary) Forward(_ *Ctx, in, out []*Tensor) {
	x, y := in[0].Data, out[0].Data
	Parallel(len(x)/4096+1, func(lo, hi int) {
		lo, hi = lo*4096, min(hi*4096, len(x))
		for i := lo; i < hi; i++ {
			y[i] = u.f(x[i])
		}
	})
}

func (u *unary) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	x, y, g, dx := in[0].Data, out[0].Data, dout[0].Data, din[0].Data
	Parallel(len(x)/4096+1, func(lo, hi int) {
		lo, hi = lo*4096, min(hi*4096, len(x))
		for i := lo; i < hi; i++ {
			dx[i] = u.dx(x[i], y[i], g[i])
		}
	})
}
