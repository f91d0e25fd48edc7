package graph

import (
	"math"
)

// Element-wise arithmetic with multidirectional (numpy) broadcasting: Add,
// Sub, Mul, Div and Pow on float32 with gradients, Add, Sub, Mul, Div and Pow
// on int64 forward only (the shape arithmetic of converter subgraphs), and
// the unary Sqrt, Neg, Abs, Exp and Log.
//
// The gradient with respect to an input that was broadcast is summed over
// the broadcast axes, in float64, in a fixed number of chunks that depends
// only on the shapes, so results are deterministic.

type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opPow
)

// ewBlock is the number of elements one parallel work unit covers.
const ewBlock = 8192

func init() {
	for _, o := range []struct {
		name string
		op   binOp
	}{{"Add", opAdd}, {"Sub", opSub}, {"Mul", opMul}, {"Div", opDiv}, {"Pow", opPow}} {
		op := o.op
		Register(OpDef{Type: o.name, Build: func(a BuildArgs) (Kernel, []Shape, error) { return buildBinary(a, op) }})
	}
	registerMath("Sqrt", func(x float32) float32 { return float32(math.Sqrt(float64(x))) },
		func(_, y, g float32) float32 { return g / (2 * y) })
	registerMath("Neg", func(x float32) float32 { return -x },
		func(_, _, g float32) float32 { return -g })
	registerMath("Abs", func(x float32) float32 { return float32(math.Abs(float64(x))) },
		func(x, _, g float32) float32 {
			switch {
			case x > 0:
				return g
			case x < 0:
				return -g
			}
			return 0
		})
	registerMath("Exp", func(x float32) float32 { return float32(math.Exp(float64(x))) },
		func(_, y, g float32) float32 { return g * y })
	registerMath("Log", func(x float32) float32 { return float32(math.Log(float64(x))) },
		func(x, _, g float32) float32 { return g / x })
}

// registerMath registers a float32 unary operator through the activation
// family's registerUnary, refusing int64 inputs.
func registerMath(op string, f func(float32) float32, dx func(x, y, g float32) float32) {
	registerUnary(op, func(a BuildArgs) (unary, error) {
		if len(a.InType) == 1 && a.InType[0] != Float32 {
			return unary{}, a.Unsupported("input type", a.InType[0].String(), "float32")
		}
		return unary{f: f, dx: dx}, nil
	})
}

// broadcastShapes returns the numpy broadcast of the shapes, or false when
// two of them disagree on a dimension that is not 1.
func broadcastShapes(shapes ...Shape) (Shape, bool) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make(Shape, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch {
			case d == out[off+i] || d == 1:
			case out[off+i] == 1:
				out[off+i] = d
			default:
				return nil, false
			}
		}
	}
	return out, true
}

// bcastStrides returns the element stride of an input of shape s for each
// dimension of out (s aligned to the right of out); the stride is 0 along
// dimensions s broadcasts.
func bcastStrides(s, out Shape) []int {
	st := make([]int, len(out))
	off := len(out) - len(s)
	step := 1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 1 {
			st[off+i] = step
		}
		step *= s[i]
	}
	return st
}

// bcastLoop walks an output shape as rows of its innermost collapsed
// dimension, giving the offsets of two broadcast operands at each row.
// Output dimensions of size 1 are dropped and neighbours along which both
// operands are laid out contiguously are merged, so the inner stride of
// each operand is 0 or 1.
type bcastLoop struct {
	n, inner int
	outer    []int // collapsed outer dimensions
	sa, sb   []int // operand strides along outer
	ia, ib   int   // operand strides along the inner dimension
}

func newBcastLoop(out, a, b Shape) bcastLoop {
	dims, st := collapseDims(out, bcastStrides(a, out), bcastStrides(b, out))
	l := bcastLoop{n: out.Size(), inner: 1}
	if k := len(dims); k > 0 {
		l.inner, l.ia, l.ib = dims[k-1], st[0][k-1], st[1][k-1]
		l.outer, l.sa, l.sb = dims[:k-1], st[0][:k-1], st[1][:k-1]
	}
	return l
}

// collapseDims drops the size-1 dimensions of out and merges neighbouring
// dimensions along which every operand's strides are contiguous.
func collapseDims(out Shape, strides ...[]int) ([]int, [][]int) {
	var dims []int
	st := make([][]int, len(strides))
	for d := range out {
		if out[d] == 1 {
			continue
		}
		k := len(dims)
		merge := k > 0
		for j, s := range strides {
			if merge && st[j][k-1] != s[d]*out[d] {
				merge = false
			}
		}
		if merge {
			dims[k-1] *= out[d]
			for j, s := range strides {
				st[j][k-1] = s[d]
			}
			continue
		}
		dims = append(dims, out[d])
		for j, s := range strides {
			st[j] = append(st[j], s[d])
		}
	}
	return dims, st
}

// offsets returns the operand offsets at the start of row r.
func (l *bcastLoop) offsets(r int) (oa, ob int) {
	for d := len(l.outer) - 1; d >= 0; d-- {
		q := r / l.outer[d]
		i := r - q*l.outer[d]
		r = q
		oa += i * l.sa[d]
		ob += i * l.sb[d]
	}
	return oa, ob
}

// each calls fn for every row piece of the output elements [lo, hi): fn
// gets the output offset, the operand offsets and the piece length.
func (l *bcastLoop) each(lo, hi int, fn func(off, oa, ob, n int)) {
	for lo < hi {
		r := lo / l.inner
		j := lo - r*l.inner
		n := min(l.inner-j, hi-lo)
		oa, ob := l.offsets(r)
		fn(lo, oa+j*l.ia, ob+j*l.ib, n)
		lo += n
	}
}

// reducer sums an output-shaped tensor over the axes an input of a smaller
// (broadcast) shape was repeated along.
type reducer struct {
	same   bool // the input has the output's shape: nothing to sum
	rows   int
	inner  int
	ix     int // 1: the inner dimension is kept; 0: it is summed
	outer  []int
	sx     []int
	chunks int
	acc    [][]float64
	t      []float32 // the tensor being reduced, for sumFn
	sumFn  func(lo, hi int)
}

func newReducer(x, out Shape) *reducer {
	if x.Size() == out.Size() {
		return &reducer{same: true}
	}
	dims, st := collapseDims(out, bcastStrides(x, out))
	r := &reducer{inner: 1}
	if k := len(dims); k > 0 {
		r.inner, r.ix = dims[k-1], st[0][k-1]
		r.outer, r.sx = dims[:k-1], st[0][:k-1]
	}
	r.rows = max(out.Size()/r.inner, 1)
	n := x.Size()
	r.chunks = max(min(r.rows, out.Size()/ewBlock, 8, (1<<20)/max(n, 1)), 1)
	r.acc = make([][]float64, r.chunks)
	for c := range r.acc {
		r.acc[c] = make([]float64, n)
	}
	r.sumFn = func(lo, hi int) {
		for c := lo; c < hi; c++ {
			r.sumChunk(c)
		}
	}
	return r
}

// reduce writes scale·Σ t over the broadcast axes into dx.
func (r *reducer) reduce(dx, t []float32, scale float32) {
	if len(t) == 0 {
		clear(dx) // an empty output: no gradient reaches x
		return
	}
	if r.same {
		if scale == 1 {
			copy(dx, t)
			return
		}
		for i, v := range t {
			dx[i] = scale * v
		}
		return
	}
	r.t = t
	Parallel(r.chunks, r.sumFn)
	r.t = nil
	for i := range dx {
		s := r.acc[0][i]
		for c := 1; c < r.chunks; c++ {
			s += r.acc[c][i]
		}
		dx[i] = scale * float32(s)
	}
}

func (r *reducer) sumChunk(c int) {
	acc, t := r.acc[c], r.t
	clear(acc)
	for row := c * r.rows / r.chunks; row < (c+1)*r.rows/r.chunks; row++ {
		ox, q := 0, row
		for d := len(r.outer) - 1; d >= 0; d-- {
			p := q / r.outer[d]
			ox += (q - p*r.outer[d]) * r.sx[d]
			q = p
		}
		src := t[row*r.inner : (row+1)*r.inner]
		if r.ix == 1 {
			dst := acc[ox : ox+len(src)]
			for j, v := range src {
				dst[j] += float64(v)
			}
			continue
		}
		var s float64
		for _, v := range src {
			s += float64(v)
		}
		acc[ox] += s
	}
}

// legacyBroadcast returns the input shapes to broadcast. Before opset 7,
// B broadcasts to A only with broadcast=1, aligned at axis when given
// (B [C] at axis 1 of A [N,C,H,W] acts as [1,C,1,1]), else at the end.
func legacyBroadcast(a BuildArgs) (Shape, Shape, error) {
	sa, sb := a.In[0], a.In[1]
	if a.Opset >= 7 || a.Node.Op == "Pow" {
		return sa, sb, nil
	}
	if a.Node.Attrs.Int("broadcast", 0) == 0 {
		if !sa.Equal(sb) {
			return nil, nil, a.Errorf("shapes %v and %v differ and broadcast is 0 (opset %d)", sa, sb, a.Opset)
		}
		return sa, sb, nil
	}
	at, ok := a.Node.Attrs.Get("axis")
	if !ok {
		return sa, sb, nil
	}
	axis := int(at.Int)
	if axis < 0 {
		axis += len(sa)
	}
	if axis < 0 || axis+len(sb) > len(sa) {
		return nil, nil, a.Errorf("B %v does not fit A %v at axis %d", sb, sa, at.Int)
	}
	s := make(Shape, len(sa))
	for i := range s {
		s[i] = 1
	}
	copy(s[axis:], sb)
	return sa, s, nil
}

// binary is a broadcasting element-wise operator on two inputs.
type binary struct {
	op     binOp
	dt     DType // output type: the first input's
	loop   bcastLoop
	ra, rb *reducer  // float32 only
	tmp    []float32 // output-sized scratch for gradient terms
	bconv  []float32 // Pow with an int64 exponent: the exponent as float32
	// The operands of the current call, read by the bound functions below
	// (bound once in Build so that a call allocates nothing).
	a, b, y, g, t       []float32
	which               int
	fwdFn, termFn       func(lo, hi int)
	fwdRowFn, termRowFn func(off, oa, ob, n int)
}

func buildBinary(a BuildArgs, op binOp) (Kernel, []Shape, error) {
	if len(a.In) != 2 || !hasInput(a, 0) || !hasInput(a, 1) {
		return nil, nil, a.Errorf("takes 2 inputs, got %d", len(a.In))
	}
	sa, sb, err := legacyBroadcast(a)
	if err != nil {
		return nil, nil, err
	}
	out, ok := broadcastShapes(sa, sb)
	if !ok {
		return nil, nil, a.Errorf("shapes %v and %v do not broadcast", sa, sb)
	}
	if a.InType[0] != a.InType[1] && op != opPow {
		return nil, nil, a.Errorf("input types differ: %v and %v", a.InType[0], a.InType[1])
	}
	k := &binary{op: op, dt: a.InType[0], loop: newBcastLoop(out, sa, sb)}
	if k.dt == Int64 {
		return k, []Shape{out}, nil
	}
	if a.InType[1] == Int64 {
		k.bconv = make([]float32, sb.Size())
	}
	k.ra, k.rb = newReducer(sa, out), newReducer(sb, out)
	if op != opAdd && op != opSub {
		k.tmp = make([]float32, out.Size())
	}
	n := k.loop.n
	k.fwdRowFn, k.termRowFn = k.fwdRow, k.termRow
	k.fwdFn = func(lo, hi int) { k.loop.each(lo*ewBlock, min(hi*ewBlock, n), k.fwdRowFn) }
	k.termFn = func(lo, hi int) { k.loop.each(lo*ewBlock, min(hi*ewBlock, n), k.termRowFn) }
	return k, []Shape{out}, nil
}

// OutDTypes gives the output type: the first input's.
func (k *binary) OutDTypes() []DType { return []DType{k.dt} }

func (k *binary) Forward(_ *Ctx, in, out []*Tensor) {
	if k.dt == Int64 {
		k.forwardInts(in, out)
		return
	}
	k.a, k.b, k.y = in[0].Data, in[1].Data, out[0].Data
	if k.bconv != nil {
		for i, v := range in[1].Ints {
			k.bconv[i] = float32(v)
		}
		k.b = k.bconv
	}
	Parallel((k.loop.n+ewBlock-1)/ewBlock, k.fwdFn)
}

func (k *binary) fwdRow(off, oa, ob, n int) {
	y := k.y[off : off+n]
	switch {
	case k.loop.ia == 1 && k.loop.ib == 1 || n == 1:
		a, b := k.a[oa:oa+n], k.b[ob:ob+n]
		switch k.op {
		case opAdd:
			for i := range y {
				y[i] = a[i] + b[i]
			}
		case opSub:
			for i := range y {
				y[i] = a[i] - b[i]
			}
		case opMul:
			for i := range y {
				y[i] = a[i] * b[i]
			}
		case opDiv:
			for i := range y {
				y[i] = a[i] / b[i]
			}
		case opPow:
			for i := range y {
				y[i] = float32(math.Pow(float64(a[i]), float64(b[i])))
			}
		}
	case k.loop.ib == 0:
		a, s := k.a[oa:oa+n], k.b[ob]
		switch k.op {
		case opAdd:
			for i := range y {
				y[i] = a[i] + s
			}
		case opSub:
			for i := range y {
				y[i] = a[i] - s
			}
		case opMul:
			for i := range y {
				y[i] = a[i] * s
			}
		case opDiv:
			for i := range y {
				y[i] = a[i] / s
			}
		case opPow:
			for i := range y {
				y[i] = float32(math.Pow(float64(a[i]), float64(s)))
			}
		}
	default:
		s, b := k.a[oa], k.b[ob:ob+n]
		switch k.op {
		case opAdd:
			for i := range y {
				y[i] = s + b[i]
			}
		case opSub:
			for i := range y {
				y[i] = s - b[i]
			}
		case opMul:
			for i := range y {
				y[i] = s * b[i]
			}
		case opDiv:
			for i := range y {
				y[i] = s / b[i]
			}
		case opPow:
			for i := range y {
				y[i] = float32(math.Pow(float64(s), float64(b[i])))
			}
		}
	}
}

// forwardInts computes int64 results (shape arithmetic: small, serial).
// Division truncates toward zero, as ONNX Runtime does, and division by zero
// gives 0 rather than a crash. Pow of an int64 base truncates the result.
func (k *binary) forwardInts(in, out []*Tensor) {
	y, l := out[0].Ints, &k.loop
	ai, bi, bf := in[0].Ints, in[1].Ints, in[1].Data
	for r := 0; r*l.inner < l.n; r++ {
		oa, ob := l.offsets(r)
		for j := range l.inner {
			x, i := ai[oa+j*l.ia], r*l.inner+j
			if bf != nil { // Pow with a float exponent
				y[i] = int64(math.Pow(float64(x), float64(bf[ob+j*l.ib])))
				continue
			}
			w := bi[ob+j*l.ib]
			switch k.op {
			case opAdd:
				y[i] = x + w
			case opSub:
				y[i] = x - w
			case opMul:
				y[i] = x * w
			case opDiv:
				y[i] = 0
				if w != 0 {
					y[i] = x / w
				}
			case opPow:
				y[i] = int64(math.Pow(float64(x), float64(w)))
			}
		}
	}
}

func (k *binary) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if k.dt == Int64 {
		return // int64 arithmetic has no gradient; the executor never asks
	}
	k.a, k.b, k.y, k.g = in[0].Data, in[1].Data, out[0].Data, dout[0].Data
	if k.bconv != nil {
		k.b = k.bconv
	}
	for which, r := range []*reducer{k.ra, k.rb} {
		if din[which] == nil {
			continue
		}
		dx, sign := din[which].Data, float32(1)
		if which == 1 && (k.op == opSub || k.op == opDiv) {
			sign = -1
		}
		if k.op == opAdd || k.op == opSub {
			r.reduce(dx, k.g, sign)
			continue
		}
		// The term ∂y/∂x·g goes straight into dx when x is not broadcast.
		k.which, k.t = which, k.tmp
		if r.same {
			k.t = dx
		}
		Parallel((k.loop.n+ewBlock-1)/ewBlock, k.termFn)
		if !r.same || sign != 1 {
			r.reduce(dx, k.t, sign)
		}
	}
	k.a, k.b, k.y, k.g, k.t = nil, nil, nil, nil, nil
}

// termRow writes ∂y/∂x·g for the input k.which over one row piece. For
// Div's divisor it writes g·y/b, which the caller negates.
func (k *binary) termRow(off, oa, ob, n int) {
	l := &k.loop
	t, g := k.t[off:off+n], k.g[off:off+n]
	switch {
	case k.op == opMul:
		x, o, s := k.b, ob, l.ib
		if k.which == 1 {
			x, o, s = k.a, oa, l.ia
		}
		if s == 1 {
			x := x[o : o+n]
			for i := range t {
				t[i] = g[i] * x[i]
			}
		} else {
			v := x[o]
			for i := range t {
				t[i] = g[i] * v
			}
		}
	case k.op == opDiv:
		y := k.y[off : off+n]
		if l.ib == 1 {
			b := k.b[ob : ob+n]
			if k.which == 0 {
				for i := range t {
					t[i] = g[i] / b[i]
				}
			} else {
				for i := range t {
					t[i] = g[i] * y[i] / b[i]
				}
			}
		} else {
			v := k.b[ob]
			if k.which == 0 {
				for i := range t {
					t[i] = g[i] / v
				}
			} else {
				for i := range t {
					t[i] = g[i] * y[i] / v
				}
			}
		}
	default: // Pow
		for i := range t {
			a, b := float64(k.a[oa+i*l.ia]), float64(k.b[ob+i*l.ib])
			switch {
			case k.which == 0: // ∂/∂a = b·a^(b−1)
				t[i] = g[i] * float32(b*math.Pow(a, b-1))
			case a > 0: // ∂/∂b = y·ln a
				t[i] = g[i] * k.y[off+i] * float32(math.Log(a))
			default: // ln a is undefined: no gradient
				t[i] = 0
			}
		}
	}
}
