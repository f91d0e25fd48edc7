package graph

// Pad: constant, reflect, edge and wrap padding (negative pads crop), on
// float32 and int64 data, with its gradient for every mode.

func init() {
	Register(OpDef{Type: "Pad", Build: buildPad})
}

// PadDefaultMode is Pad's default mode.
const PadDefaultMode = "constant"

// padKernel maps each output element to an input element or to the
// constant: per axis, a table from output index to input index (-1: the
// constant); per output row (all axes but the last), the input row offset.
type padKernel struct {
	dt      DType
	value   float32 // the constant before opset 11 (attribute value)
	valueIn bool    // the constant is input 2, read at run time
	inner   []int   // last-axis table
	rowOff  []int   // input offset of each output row, -1: all constant
}

// OutDTypes gives the output type: the data's.
func (k *padKernel) OutDTypes() []DType { return []DType{k.dt} }

func buildPad(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 4); err != nil {
		return nil, nil, err
	}
	in := a.In[0]
	at := a.Node.Attrs
	k := &padKernel{dt: a.InType[0]}
	mode := at.String("mode", PadDefaultMode)
	var pads, axes []int64
	switch {
	case a.Opset < 2:
		pads = at.Ints("paddings", nil)
		k.value = at.Float("value", 0)
	case a.Opset < 11:
		pads = at.Ints("pads", nil)
		k.value = at.Float("value", 0)
	default:
		var err error
		if pads, err = intsInput(a, 1); err != nil {
			return nil, nil, err
		}
		k.valueIn = hasInput(a, 2)
		if hasInput(a, 3) {
			if axes, err = intsInput(a, 3); err != nil {
				return nil, nil, err
			}
		}
	}
	switch mode {
	case "constant", "reflect", "edge":
	case "wrap":
		if a.Opset < 19 {
			return nil, nil, a.Unsupported("mode", mode, "constant, reflect, edge")
		}
	default:
		return nil, nil, a.Unsupported("mode", mode, "constant, reflect, edge, wrap")
	}
	if axes == nil {
		for i := range in {
			axes = append(axes, int64(i))
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, nil, a.Errorf("pads %v: want %d values for input %v", pads, 2*len(axes), in)
	}
	begin, end := make([]int, len(in)), make([]int, len(in))
	for i, ax := range axes {
		d, err := normAxis(a, "axis", ax, len(in))
		if err != nil {
			return nil, nil, err
		}
		begin[d], end[d] = int(pads[i]), int(pads[i+len(axes)])
	}
	out := make(Shape, len(in))
	tables := make([][]int, len(in))
	for d, n := range in {
		out[d] = n + begin[d] + end[d]
		if out[d] < 0 {
			return nil, nil, a.Errorf("pads %v crop axis %d of input %v below zero", pads, d, in)
		}
		if n == 0 && out[d] > 0 && mode != "constant" {
			return nil, nil, a.Errorf("cannot %s-pad the empty axis %d of input %v", mode, d, in)
		}
		tables[d] = padTable(mode, n, begin[d], out[d])
	}
	if len(in) == 0 {
		k.inner, k.rowOff = []int{0}, []int{0}
		return k, []Shape{out}, nil
	}
	last := len(in) - 1
	k.inner = tables[last]
	st := rowStrides(in)
	rows := out[:last].Size()
	k.rowOff = make([]int, rows)
	for r := range rows {
		off, q := 0, r
		for d := last - 1; d >= 0 && off >= 0; d-- {
			i := tables[d][q%out[d]]
			q /= out[d]
			if i < 0 {
				off = -1
			} else {
				off += i * st[d]
			}
		}
		k.rowOff[r] = off
	}
	return k, []Shape{out}, nil
}

// padTable maps output indices 0..size-1 of an axis of n elements padded by
// begin in front to input indices, -1 where the constant goes.
func padTable(mode string, n, begin, size int) []int {
	t := make([]int, size)
	for o := range t {
		i := o - begin
		switch {
		case i >= 0 && i < n:
		case mode == "constant":
			i = -1
		case mode == "edge":
			i = min(max(i, 0), n-1)
		case mode == "wrap":
			i = (i%n + n) % n
		case n == 1: // reflect
			i = 0
		default: // reflect: period 2(n−1), mirrored about both ends
			p := 2 * (n - 1)
			i = (i%p + p) % p
			if i >= n {
				i = p - i
			}
		}
		t[o] = i
	}
	return t
}

func (k *padKernel) Forward(_ *Ctx, in, out []*Tensor) {
	if k.dt == Int64 {
		var v int64
		switch {
		case k.valueIn && in[2].DType == Int64:
			v = in[2].Ints[0]
		case k.valueIn:
			v = int64(in[2].Data[0])
		default:
			v = int64(k.value)
		}
		padRows(k, out[0].Ints, in[0].Ints, v)
		return
	}
	v := k.value
	if k.valueIn {
		v = in[2].Data[0]
	}
	padRows(k, out[0].Data, in[0].Data, v)
}

func padRows[T float32 | int64](k *padKernel, dst, src []T, value T) {
	n := len(k.inner)
	for r, off := range k.rowOff {
		row := dst[r*n : (r+1)*n]
		if off < 0 {
			for j := range row {
				row[j] = value
			}
			continue
		}
		for j, i := range k.inner {
			if i < 0 {
				row[j] = value
			} else {
				row[j] = src[off+i]
			}
		}
	}
}

func (k *padKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	dx, g := din[0].Data, dout[0].Data
	clear(dx)
	n := len(k.inner)
	for r, off := range k.rowOff {
		if off < 0 {
			continue
		}
		for j, i := range k.inner {
			if i >= 0 {
				dx[off+i] += g[r*n+j]
			}
		}
	}
}
