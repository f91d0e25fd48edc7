package graph

import "fmt"

// Operators that move elements: Transpose, Slice, Expand and Tile (each a
// strided view of its input, built once), Gather and Concat. All take
// float32 or int64 data; gradients flow through the float32 data input.

func init() {
	Register(OpDef{Type: "Transpose", Build: buildTranspose})
	Register(OpDef{Type: "Slice", Build: buildSlice})
	Register(OpDef{Type: "Expand", Build: buildExpand})
	Register(OpDef{Type: "Tile", Build: buildTile})
	Register(OpDef{Type: "Gather", Build: buildGather})
	Register(OpDef{Type: "Concat", Build: buildConcat})
}

// rowStrides returns the row-major element strides of s.
func rowStrides(s Shape) []int {
	st := make([]int, len(s))
	step := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = step
		step *= s[i]
	}
	return st
}

// stridedView maps the elements of an output, in order, to input offsets
// base + Σ i_d·stride_d. The dimensions are collapsed where contiguous.
type stridedView struct {
	n     int
	base  int
	inner int // length of the innermost collapsed dimension
	is    int // its stride
	outer []int
	os    []int
}

func newStridedView(dims Shape, strides []int, base int) stridedView {
	d, st := collapseDims(dims, strides)
	v := stridedView{n: dims.Size(), base: base, inner: 1}
	if k := len(d); k > 0 {
		v.inner, v.is = d[k-1], st[0][k-1]
		v.outer, v.os = d[:k-1], st[0][:k-1]
	}
	return v
}

// rowOffset returns the input offset of the start of output row r.
func (v *stridedView) rowOffset(r int) int {
	off := v.base
	for d := len(v.outer) - 1; d >= 0; d-- {
		q := r / v.outer[d]
		off += (r - q*v.outer[d]) * v.os[d]
		r = q
	}
	return off
}

// gatherView writes dst[i] = src[off(i)].
func gatherView[T float32 | int64](v *stridedView, dst, src []T) {
	if v.n == 0 {
		return
	}
	for r := 0; r*v.inner < v.n; r++ {
		off, d := v.rowOffset(r), dst[r*v.inner:(r+1)*v.inner]
		if v.is == 1 {
			copy(d, src[off:off+v.inner])
			continue
		}
		for j := range d {
			d[j] = src[off+j*v.is]
		}
	}
}

// scatterView writes dst[off(i)] = src[i] (the view must not repeat
// offsets).
func scatterView(v *stridedView, dst, src []float32) {
	if v.n == 0 {
		return
	}
	for r := 0; r*v.inner < v.n; r++ {
		off, s := v.rowOffset(r), src[r*v.inner:(r+1)*v.inner]
		if v.is == 1 {
			copy(dst[off:off+v.inner], s)
			continue
		}
		for j, x := range s {
			dst[off+j*v.is] = x
		}
	}
}

// viewOp is a strided view of its input: Transpose and Slice (a one-to-one
// view: the gradient is scattered back, zero elsewhere) and Expand and Tile
// (a broadcast view: the gradient is summed by red).
type viewOp struct {
	dt    DType
	v     stridedView
	zero  bool     // Slice: din has elements the view does not reach
	red   *reducer // Expand, Tile
	dxOut Shape
}

// OutDTypes gives the output type: the input's.
func (k *viewOp) OutDTypes() []DType { return []DType{k.dt} }

func (k *viewOp) Forward(_ *Ctx, in, out []*Tensor) {
	if k.dt == Int64 {
		gatherView(&k.v, out[0].Ints, in[0].Ints)
		return
	}
	gatherView(&k.v, out[0].Data, in[0].Data)
}

func (k *viewOp) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	if k.red != nil {
		k.red.reduce(din[0].Data, dout[0].Data, 1)
		return
	}
	if k.zero {
		clear(din[0].Data)
	}
	scatterView(&k.v, din[0].Data, dout[0].Data)
}

func buildTranspose(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 1); err != nil {
		return nil, nil, err
	}
	in := a.In[0]
	perm := a.Node.Attrs.Ints("perm", nil)
	if perm == nil {
		for i := len(in) - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != len(in) {
		return nil, nil, a.Errorf("perm %v does not match input rank %d", perm, len(in))
	}
	st := rowStrides(in)
	used := make([]bool, len(in))
	out := make(Shape, len(in))
	strides := make([]int, len(in))
	for i, p := range perm {
		if p < 0 || int(p) >= len(in) || used[p] {
			return nil, nil, a.Errorf("perm %v is not a permutation of 0..%d", perm, len(in)-1)
		}
		used[p] = true
		out[i], strides[i] = in[p], st[p]
	}
	return &viewOp{dt: a.InType[0], v: newStridedView(out, strides, 0)}, []Shape{out}, nil
}

// sliceArgs reads Slice's starts, ends, axes and steps: attributes before
// opset 10, constant inputs from 10 on.
func sliceArgs(a BuildArgs) (starts, ends, axes, steps []int64, err error) {
	if a.Opset < 10 {
		at := a.Node.Attrs
		return at.Ints("starts", nil), at.Ints("ends", nil), at.Ints("axes", nil), nil, nil
	}
	if len(a.In) < 3 {
		return nil, nil, nil, nil, a.Errorf("takes inputs data, starts, ends, optional axes and steps; got %d inputs", len(a.In))
	}
	vals := make([][]int64, 4)
	for i := 1; i < len(a.In) && i <= 4; i++ {
		if !hasInput(a, i) {
			continue
		}
		if vals[i-1], err = intsInput(a, i); err != nil {
			return
		}
	}
	return vals[0], vals[1], vals[2], vals[3], nil
}

func buildSlice(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 5); err != nil {
		return nil, nil, err
	}
	starts, ends, axes, steps, err := sliceArgs(a)
	if err != nil {
		return nil, nil, err
	}
	in := a.In[0]
	if len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return nil, nil, a.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	out := in.Clone()
	st := rowStrides(in)
	strides := append([]int(nil), st...)
	base := 0
	seen := make([]bool, len(in))
	for i := range starts {
		ax := int64(i)
		if axes != nil {
			ax = axes[i]
		}
		d, err := normAxis(a, "axis", ax, len(in))
		if err != nil {
			return nil, nil, err
		}
		if seen[d] {
			return nil, nil, a.Errorf("axes %v repeat axis %d", axes, ax)
		}
		seen[d] = true
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, nil, a.Errorf("step 0 on axis %d", ax)
		}
		start, count := sliceRange(starts[i], ends[i], step, int64(in[d]))
		out[d] = count
		strides[d] = st[d] * int(step)
		if count > 0 {
			base += int(start) * st[d]
		}
	}
	k := &viewOp{dt: a.InType[0], v: newStridedView(out, strides, base), zero: out.Size() != in.Size()}
	return k, []Shape{out}, nil
}

// sliceRange clamps a slice of a dimension of size dim as ONNX does and
// returns its first index and element count.
func sliceRange(start, end, step, dim int64) (int64, int) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
		if end <= start {
			return start, 0
		}
		return start, int((end - start + step - 1) / step)
	}
	start = min(max(start, 0), dim-1)
	end = min(max(end, -1), dim-1)
	if start <= end {
		return start, 0
	}
	return start, int((start - end - step - 1) / -step)
}

func buildExpand(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 2); err != nil {
		return nil, nil, err
	}
	shape, err := intsInput(a, 1)
	if err != nil {
		return nil, nil, err
	}
	to := make(Shape, len(shape))
	for i, d := range shape {
		if d < 0 {
			return nil, nil, a.Errorf("shape %v has a negative dimension", shape)
		}
		to[i] = int(d)
	}
	in := a.In[0]
	out, ok := broadcastShapes(in, to)
	if !ok {
		return nil, nil, a.Errorf("input %v does not broadcast to %v", in, shape)
	}
	k := &viewOp{dt: a.InType[0], v: newStridedView(out, bcastStrides(in, out), 0)}
	if k.dt == Float32 {
		k.red = newReducer(in, out)
	}
	return k, []Shape{out}, nil
}

// buildTile treats Tile as Expand: x of shape [d0, d1, …] repeated [r0, r1,
// …] is x viewed as [1, d0, 1, d1, …] broadcast to [r0, d0, r1, d1, …].
func buildTile(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 2); err != nil {
		return nil, nil, err
	}
	if a.Opset < 6 {
		return nil, nil, a.Unsupported("opset", fmt.Sprint(a.Opset), "Tile-6 and later (repeats input)")
	}
	reps, err := intsInput(a, 1)
	if err != nil {
		return nil, nil, err
	}
	in := a.In[0]
	if len(reps) != len(in) {
		return nil, nil, a.Errorf("repeats %v do not match input rank %d", reps, len(in))
	}
	var x, big Shape
	out := make(Shape, len(in))
	for i, r := range reps {
		if r < 0 {
			return nil, nil, a.Errorf("repeats %v has a negative count", reps)
		}
		x = append(x, 1, in[i])
		big = append(big, int(r), in[i])
		out[i] = int(r) * in[i]
	}
	k := &viewOp{dt: a.InType[0], v: newStridedView(big, bcastStrides(x, big), 0)}
	if k.dt == Float32 {
		k.red = newReducer(x, big)
	}
	return k, []Shape{out}, nil
}

// gatherKernel picks slices of data along an axis. Indices out of range at
// run time (they are checked at build time when constant) give zeros.
type gatherKernel struct {
	dt                DType
	outer, dim, inner int
	nIdx              int
	idx               []int64 // the indices when constant
}

// OutDTypes gives the output type: the data's.
func (k *gatherKernel) OutDTypes() []DType { return []DType{k.dt} }

func buildGather(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) != 2 || !hasInput(a, 0) || !hasInput(a, 1) {
		return nil, nil, a.Errorf("takes inputs data and indices, got %d inputs", len(a.In))
	}
	data, ind := a.In[0], a.In[1]
	if len(data) == 0 {
		return nil, nil, a.Errorf("data must have rank ≥ 1, got a scalar")
	}
	axis, err := normAxis(a, "axis", a.Node.Attrs.Int("axis", 0), len(data))
	if err != nil {
		return nil, nil, err
	}
	k := &gatherKernel{dt: a.InType[0], outer: data[:axis].Size(), dim: data[axis], inner: data[axis+1:].Size(), nIdx: ind.Size()}
	if a.Consts[1] != nil {
		k.idx = a.Consts[1].Int64s()
		for _, i := range k.idx {
			if i < -int64(k.dim) || i >= int64(k.dim) {
				return nil, nil, a.Errorf("index %d out of range for axis %d of data %v", i, axis, data)
			}
		}
	}
	out := append(append(data[:axis].Clone(), ind...), data[axis+1:]...)
	return k, []Shape{out}, nil
}

// index returns the source row of index j along the axis, or -1.
func (k *gatherKernel) index(ind *Tensor, j int) int {
	var i int64
	switch {
	case k.idx != nil:
		i = k.idx[j]
	case ind.DType == Int64:
		i = ind.Ints[j]
	default:
		i = int64(ind.Data[j])
	}
	if i < 0 {
		i += int64(k.dim)
	}
	if i < 0 || i >= int64(k.dim) {
		return -1
	}
	return int(i)
}

func (k *gatherKernel) Forward(_ *Ctx, in, out []*Tensor) {
	if k.dt == Int64 {
		gatherRows(k, in[1], out[0].Ints, in[0].Ints)
		return
	}
	gatherRows(k, in[1], out[0].Data, in[0].Data)
}

func gatherRows[T float32 | int64](k *gatherKernel, ind *Tensor, dst, src []T) {
	for o := range k.outer {
		for j := range k.nIdx {
			d := dst[(o*k.nIdx+j)*k.inner : (o*k.nIdx+j+1)*k.inner]
			if i := k.index(ind, j); i >= 0 {
				copy(d, src[(o*k.dim+i)*k.inner:])
			} else {
				clear(d)
			}
		}
	}
}

func (k *gatherKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	dx, g := din[0].Data, dout[0].Data
	clear(dx)
	for o := range k.outer {
		for j := range k.nIdx {
			i := k.index(in[1], j)
			if i < 0 {
				continue
			}
			d := dx[(o*k.dim+i)*k.inner : (o*k.dim+i+1)*k.inner]
			for t, v := range g[(o*k.nIdx+j)*k.inner : (o*k.nIdx+j+1)*k.inner] {
				d[t] += v
			}
		}
	}
}

// concatKernel joins its inputs along an axis: outer blocks of each input,
// block[i] elements long, interleave in the output.
type concatKernel struct {
	dt     DType
	outer  int
	block  []int
	stride int // output elements per outer index
}

// OutDTypes gives the output type: the inputs'.
func (k *concatKernel) OutDTypes() []DType { return []DType{k.dt} }

func buildConcat(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) == 0 {
		return nil, nil, a.Errorf("takes at least 1 input")
	}
	first := a.In[0]
	for i, s := range a.In {
		if !hasInput(a, i) || len(s) != len(first) || a.InType[i] != a.InType[0] {
			return nil, nil, a.Errorf("input %d (%v, %v) does not match input 0 (%v, %v) in rank or type", i, s, a.InType[i], first, a.InType[0])
		}
	}
	at, ok := a.Node.Attrs.Get("axis")
	switch {
	case !ok && a.Opset >= 4:
		return nil, nil, a.Errorf("attribute axis missing")
	case !ok:
		at.Int = 1 // Concat-1's default
	}
	axis, err := normAxis(a, "axis", at.Int, len(first))
	if err != nil {
		return nil, nil, err
	}
	out := first.Clone()
	out[axis] = 0
	k := &concatKernel{dt: a.InType[0], outer: first[:axis].Size()}
	for i, s := range a.In {
		for d := range s {
			if d != axis && s[d] != first[d] {
				return nil, nil, a.Errorf("input %d %v differs from input 0 %v outside axis %d", i, s, first, axis)
			}
		}
		out[axis] += s[axis]
		k.block = append(k.block, s[axis:].Size())
	}
	k.stride = out[axis:].Size()
	return k, []Shape{out}, nil
}

func (k *concatKernel) Forward(_ *Ctx, in, out []*Tensor) {
	if k.dt == Int64 {
		for i, t := range in {
			concatCopy(k, i, out[0].Ints, t.Ints, true)
		}
		return
	}
	for i, t := range in {
		concatCopy(k, i, out[0].Data, t.Data, true)
	}
}

// concatCopy moves input i's blocks into (join) or out of the output.
func concatCopy[T float32 | int64](k *concatKernel, i int, whole, part []T, join bool) {
	off := 0
	for j := range i {
		off += k.block[j]
	}
	b := k.block[i]
	for o := range k.outer {
		w, p := whole[o*k.stride+off:o*k.stride+off+b], part[o*b:(o+1)*b]
		if join {
			copy(w, p)
		} else {
			copy(p, w)
		}
	}
}

func (k *concatKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	for i, d := range din {
		if d != nil {
			concatCopy(k, i, dout[0].Data, d.Data, false)
		}
	}
}
