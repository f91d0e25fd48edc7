package graph

import (
	"math"
	"strconv"
	"strings"
	"sync"
)

// Pooling over the 1 to 3 spatial axes of an N×C×… tensor: MaxPool,
// AveragePool, GlobalMaxPool and GlobalAveragePool, with ONNX attributes
// kernel_shape, strides, pads, auto_pad (NOTSET, VALID, SAME_UPPER,
// SAME_LOWER), ceil_mode, dilations, count_include_pad (AveragePool) and
// storage_order (MaxPool's optional Indices output).
//
// Geometry, per spatial axis with input length n, kernel k, stride s,
// dilation d, pads b (begin) and e (end), and extent x = (k−1)·d + 1:
//
//	out = ⌊(n + b + e − x) / s⌋ + 1          (ceil_mode: ⌈…⌉ + 1, dropping a
//	                                         last window that starts in the end pad)
//	SAME_*: out = ⌈n / s⌉, b + e = max(0, (out−1)·s + x − n), the odd unit at
//	        the end (SAME_UPPER, Keras 'same') or at the beginning (SAME_LOWER).
//
// Padded positions never take part in a max and never win it. MaxPool's
// gradient goes to the first maximum of each window in row-major order
// (TensorFlow's rule). AveragePool divides by the number of valid taps, or
// with count_include_pad=1 by the taps inside the padded extent [−b, n+e).
// A window that lies entirely in padding is an error.

// Pooling attribute defaults (ONNX).
const (
	poolDefaultAutoPad         = "NOTSET"
	poolDefaultCeilMode        = 0
	poolDefaultCountIncludePad = 0
	poolDefaultStorageOrder    = 0
)

func init() {
	Register(OpDef{Type: "MaxPool", Build: func(a BuildArgs) (Kernel, []Shape, error) { return buildPool(a, true, false) }})
	Register(OpDef{Type: "AveragePool", Build: func(a BuildArgs) (Kernel, []Shape, error) { return buildPool(a, false, false) }})
	Register(OpDef{Type: "GlobalMaxPool", Build: func(a BuildArgs) (Kernel, []Shape, error) { return buildPool(a, true, true) }})
	Register(OpDef{Type: "GlobalAveragePool", Build: func(a BuildArgs) (Kernel, []Shape, error) { return buildPool(a, false, true) }})
}

// poolAxis is the geometry of one spatial axis. The kernel works on three
// axes (D, H, W); a tensor with fewer spatial axes gets leading axes of
// length 1 with a 1-tap window.
type poolAxis struct {
	in, out, k, s, d int
	start            []int // o·s − b: input position of tap 0 of window o
	lo, hi           []int // taps [lo, hi) of window o fall inside the input
	cnt              []int // taps of window o inside the padded extent
}

// poolKernel runs one pooling node bound to its shapes.
type poolKernel struct {
	max      bool
	countPad bool
	ax       [3]poolAxis
	planes   int       // N·C
	inPlane  int       // elements per input plane
	outPlane int       // elements per output plane
	inv      []float32 // AveragePool: 1/divisor per output position
	arg      []int32   // MaxPool: plane-local input index of each output's winner
	indices  bool      // MaxPool's Indices output is requested
	colMajor bool      // storage_order=1
	max2x2   bool      // MaxPool 2×2, stride 2, no begin pads, ≤ 2 spatial axes

	// The tensors of the call in progress (input and output, or output
	// gradient and input gradient), and the per-plane loops handed to the
	// worker pool, made once so that calls allocate nothing.
	x, y         []float32
	fwdFn, bwdFn func(lo, hi int)
	wg           sync.WaitGroup
}

func buildPool(a BuildArgs, isMax, global bool) (Kernel, []Shape, error) {
	if len(a.In) != 1 || !inputGiven(a, 0) {
		return nil, nil, a.Errorf("takes 1 input, got %d", len(a.In))
	}
	if a.InType[0] != Float32 {
		return nil, nil, a.Errorf("input is %v, want float32", a.InType[0])
	}
	x := a.In[0]
	r := len(x) - 2
	if r < 1 || r > 3 {
		return nil, nil, a.Errorf("input %v: want N×C and 1 to 3 spatial axes", x)
	}
	for i, n := range x {
		if n <= 0 {
			return nil, nil, a.Errorf("input %v: axis %d has length %d", x, i, n)
		}
	}
	at := a.Node.Attrs
	kernel := make([]int, r)
	strides := onesInts(r)
	dil := onesInts(r)
	pads := make([]int, 2*r)
	autoPad := poolDefaultAutoPad
	ceil := false
	k := &poolKernel{max: isMax}
	k.fwdFn, k.bwdFn = k.forwardPlanes, k.backwardPlanes
	if global {
		copy(kernel, x[2:])
	} else {
		ks, ok := at.Get("kernel_shape")
		if !ok {
			return nil, nil, a.Errorf("attribute kernel_shape is required")
		}
		var err error
		if kernel, err = intList(a, "kernel_shape", ks.Ints, r, 1); err != nil {
			return nil, nil, err
		}
		if v := at.Ints("strides", nil); v != nil {
			if strides, err = intList(a, "strides", v, r, 1); err != nil {
				return nil, nil, err
			}
		}
		if v := at.Ints("dilations", nil); v != nil {
			if dil, err = intList(a, "dilations", v, r, 1); err != nil {
				return nil, nil, err
			}
		}
		if v := at.Ints("pads", nil); v != nil {
			if pads, err = intList(a, "pads", v, 2*r, 0); err != nil {
				return nil, nil, err
			}
		}
		autoPad = strings.ToUpper(at.String("auto_pad", poolDefaultAutoPad))
		ceil = at.Int("ceil_mode", poolDefaultCeilMode) != 0
		k.countPad = !isMax && at.Int("count_include_pad", poolDefaultCountIncludePad) != 0
	}
	outs := 1
	if isMax && !global && len(a.Node.Outputs) > 1 && a.Node.Outputs[1] != "" {
		k.indices = true
		outs = 2
		switch so := at.Int("storage_order", poolDefaultStorageOrder); so {
		case 0:
		case 1:
			k.colMajor = true
		default:
			return nil, nil, a.Unsupported("storage_order", strconv.FormatInt(so, 10), "0, 1")
		}
	}
	y := Shape{x[0], x[1], 1, 1, 1}[:len(x)]
	for i := range 3 {
		ax := &k.ax[i]
		j := i - (3 - r) // spatial axis of the tensor, or < 0 for a padding axis
		if j < 0 {
			*ax = poolAxis{in: 1, out: 1, k: 1, s: 1, d: 1, start: []int{0}, lo: []int{0}, hi: []int{1}, cnt: []int{1}}
			continue
		}
		var err error
		if *ax, err = poolGeometry(a, j, x[2+j], kernel[j], strides[j], dil[j], pads[j], pads[r+j], autoPad, ceil); err != nil {
			return nil, nil, err
		}
		y[2+j] = ax.out
	}
	k.planes = x[0] * x[1]
	k.inPlane = k.ax[0].in * k.ax[1].in * k.ax[2].in
	k.outPlane = k.ax[0].out * k.ax[1].out * k.ax[2].out
	if isMax {
		k.arg = make([]int32, k.planes*k.outPlane)
		H, W := &k.ax[1], &k.ax[2]
		k.max2x2 = k.ax[0].in == 1 && k.ax[0].k == 1 &&
			H.k == 2 && H.s == 2 && H.d == 1 && H.start[0] == 0 &&
			W.k == 2 && W.s == 2 && W.d == 1 && W.start[0] == 0
	} else {
		k.inv = make([]float32, 0, k.outPlane)
		D, H, W := &k.ax[0], &k.ax[1], &k.ax[2]
		for od := range D.out {
			for oh := range H.out {
				for ow := range W.out {
					n := (D.hi[od] - D.lo[od]) * (H.hi[oh] - H.lo[oh]) * (W.hi[ow] - W.lo[ow])
					if k.countPad {
						n = D.cnt[od] * H.cnt[oh] * W.cnt[ow]
					}
					k.inv = append(k.inv, float32(1/float64(n)))
				}
			}
		}
	}
	shapes := []Shape{y}
	if outs == 2 {
		shapes = append(shapes, y.Clone())
	}
	return k, shapes, nil
}

// poolGeometry resolves the output length, the pads and the per-window tap
// ranges of spatial axis j.
func poolGeometry(a BuildArgs, j, n, k, s, d, b, e int, autoPad string, ceil bool) (poolAxis, error) {
	ext := (k-1)*d + 1
	var out int
	switch autoPad {
	case "NOTSET", "":
		num := n + b + e - ext
		if num < 0 {
			return poolAxis{}, a.Errorf("spatial axis %d: input length %d with pads %d+%d is smaller than the window %d (kernel %d, dilation %d)", j, n, b, e, ext, k, d)
		}
		out = num/s + 1
		if ceil {
			out = (num+s-1)/s + 1
			if (out-1)*s >= n+b {
				out-- // the last window would start in the end padding
			}
		}
	case "VALID":
		b, e = 0, 0
		if n < ext {
			return poolAxis{}, a.Errorf("spatial axis %d: input length %d is smaller than the window %d (kernel %d, dilation %d, auto_pad VALID)", j, n, ext, k, d)
		}
		out = (n-ext)/s + 1
	case "SAME_UPPER", "SAME_LOWER":
		out = (n + s - 1) / s
		total := max(0, (out-1)*s+ext-n)
		if autoPad == "SAME_UPPER" {
			b = total / 2
		} else {
			b = total - total/2
		}
		e = total - b
	default:
		return poolAxis{}, a.Unsupported("auto_pad", autoPad, "NOTSET, VALID, SAME_UPPER, SAME_LOWER")
	}
	ax := poolAxis{in: n, out: out, k: k, s: s, d: d,
		start: make([]int, out), lo: make([]int, out), hi: make([]int, out), cnt: make([]int, out)}
	for o := range out {
		st := o*s - b
		lo := 0
		if st < 0 {
			lo = (-st + d - 1) / d
		}
		hi := 0
		if st <= n-1 {
			hi = min(k, (n-1-st)/d+1)
		}
		if hi <= lo {
			return poolAxis{}, a.Errorf("spatial axis %d: window %d (positions %d…%d) lies entirely in the padding of an input of length %d", j, o, st, st+ext-1, n)
		}
		ax.start[o], ax.lo[o], ax.hi[o] = st, lo, hi
		ax.cnt[o] = min(k, (n+e-st+d-1)/d)
	}
	return ax, nil
}

// intList checks an integer-list attribute's length and lower bound.
func intList(a BuildArgs, name string, v []int64, n int, least int64) ([]int, error) {
	if len(v) != n {
		return nil, a.Errorf("attribute %s has %d values %v, want %d", name, len(v), v, n)
	}
	out := make([]int, n)
	for i, x := range v {
		if x < least || x > math.MaxInt32 {
			return nil, a.Errorf("attribute %s = %v: value %d out of range", name, v, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

func onesInts(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// OutDTypes gives MaxPool's Indices output its int64 type.
func (k *poolKernel) OutDTypes() []DType {
	if k.indices {
		return []DType{Float32, Int64}
	}
	return []DType{Float32}
}

func (k *poolKernel) Forward(_ *Ctx, in, out []*Tensor) {
	k.x, k.y = in[0].Data, out[0].Data
	parallelFixed(k.planes, k.fwdFn, &k.wg)
	k.x, k.y = nil, nil
	if k.indices {
		k.writeIndices(out[1].Ints)
	}
}

func (k *poolKernel) forwardPlanes(p0, p1 int) {
	x, y := k.x, k.y
	D, H, W := &k.ax[0], &k.ax[1], &k.ax[2]
	for p := p0; p < p1; p++ {
		xp := x[p*k.inPlane : (p+1)*k.inPlane]
		yp := y[p*k.outPlane : (p+1)*k.outPlane]
		if k.max2x2 {
			k.forwardMax2x2(xp, yp, k.arg[p*k.outPlane:(p+1)*k.outPlane])
			continue
		}
		o := 0
		for od := range D.out {
			d0, dd := D.start[od], D.d
			for oh := range H.out {
				h0, hd := H.start[oh], H.d
				for ow := range W.out {
					w0, wd := W.start[ow], W.d
					if k.max {
						best, bi := float32(0), -1
						for td := D.lo[od]; td < D.hi[od]; td++ {
							for th := H.lo[oh]; th < H.hi[oh]; th++ {
								row := ((d0+td*dd)*H.in+h0+th*hd)*W.in + w0
								for tw := W.lo[ow]; tw < W.hi[ow]; tw++ {
									i := row + tw*wd
									if v := xp[i]; bi < 0 || v > best {
										best, bi = v, i
									}
								}
							}
						}
						yp[o] = best
						k.arg[p*k.outPlane+o] = int32(bi)
					} else {
						var sum float32
						for td := D.lo[od]; td < D.hi[od]; td++ {
							for th := H.lo[oh]; th < H.hi[oh]; th++ {
								row := ((d0+td*dd)*H.in+h0+th*hd)*W.in + w0
								for tw := W.lo[ow]; tw < W.hi[ow]; tw++ {
									sum += xp[row+tw*wd]
								}
							}
						}
						yp[o] = sum * k.inv[o]
					}
					o++
				}
			}
		}
	}
}

// forwardMax2x2 is MaxPool 2×2 with stride 2 (Keras's MaxPooling2D) on one
// plane. Each window's taps are taken in row-major order and only a
// greater value displaces the winner; a last row or column that hangs
// over the end (Keras 'same' on an odd size) has its one valid tap.
func (k *poolKernel) forwardMax2x2(xp, yp []float32, arg []int32) {
	inH, inW, outH, outW := k.ax[1].in, k.ax[2].in, k.ax[1].out, k.ax[2].out
	full := inW / 2 // output columns whose window has both columns
	for oh := range outH {
		i0 := 2 * oh * inW
		r0 := xp[i0 : i0+inW]
		r1 := r0
		if 2*oh+1 < inH {
			r1 = xp[i0+inW : i0+2*inW]
		}
		two := 2*oh+1 < inH
		yr := yp[oh*outW : (oh+1)*outW]
		ar := arg[oh*outW : (oh+1)*outW]
		for ow := range full {
			c := 2 * ow
			best, bi := r0[c], i0+c
			if v := r0[c+1]; v > best {
				best, bi = v, i0+c+1
			}
			if two {
				if v := r1[c]; v > best {
					best, bi = v, i0+inW+c
				}
				if v := r1[c+1]; v > best {
					best, bi = v, i0+inW+c+1
				}
			}
			yr[ow], ar[ow] = best, int32(bi)
		}
		for ow := full; ow < outW; ow++ { // the column over the edge
			c := 2 * ow
			best, bi := r0[c], i0+c
			if two {
				if v := r1[c]; v > best {
					best, bi = v, i0+inW+c
				}
			}
			yr[ow], ar[ow] = best, int32(bi)
		}
	}
}

// writeIndices fills MaxPool's Indices output: the flat index of each
// winner in the whole input, row-major (storage_order 0) or with the
// spatial axes in column-major order (storage_order 1).
func (k *poolKernel) writeIndices(idx []int64) {
	D, H := k.ax[0].in, k.ax[1].in
	W := k.ax[2].in
	for p := range k.planes {
		for o := range k.outPlane {
			i := int(k.arg[p*k.outPlane+o])
			if k.colMajor {
				// The spatial axes, outermost first, are (d, h, w); a
				// missing leading axis has length 1 and coordinate 0.
				d, h, w := i/(H*W), i/W%H, i%W
				i = d + h*D + w*D*H
			}
			idx[p*k.outPlane+o] = int64(p*k.inPlane + i)
		}
	}
}

func (k *poolKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	k.x, k.y = dout[0].Data, din[0].Data
	parallelFixed(k.planes, k.bwdFn, &k.wg)
	k.x, k.y = nil, nil
}

func (k *poolKernel) backwardPlanes(p0, p1 int) {
	g, dx := k.x, k.y
	D, H, W := &k.ax[0], &k.ax[1], &k.ax[2]
	for p := p0; p < p1; p++ {
		dp := dx[p*k.inPlane : (p+1)*k.inPlane]
		gp := g[p*k.outPlane : (p+1)*k.outPlane]
		clear(dp)
		if k.max {
			for o, i := range k.arg[p*k.outPlane : (p+1)*k.outPlane] {
				dp[i] += gp[o]
			}
			continue
		}
		o := 0
		for od := range D.out {
			d0, dd := D.start[od], D.d
			for oh := range H.out {
				h0, hd := H.start[oh], H.d
				for ow := range W.out {
					w0, wd := W.start[ow], W.d
					v := gp[o] * k.inv[o]
					for td := D.lo[od]; td < D.hi[od]; td++ {
						for th := H.lo[oh]; th < H.hi[oh]; th++ {
							row := ((d0+td*dd)*H.in+h0+th*hd)*W.in + w0
							for tw := W.lo[ow]; tw < W.hi[ow]; tw++ {
								dp[row+tw*wd] += v
							}
						}
					}
					o++
				}
			}
		}
	}
}
