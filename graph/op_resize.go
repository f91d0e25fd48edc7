package graph

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Resize (opsets 10, 11, 13, 18, 19) and Upsample (opsets 7 and 9): nearest
// and linear interpolation over the spatial axes of an N×C×… tensor (the
// last 1 to 3 axes; a tensor of rank 1 or 2 is all spatial).
//
// Inputs by version: Upsample-7 X with a scales attribute; Upsample-9 and
// Resize-10 X, scales; Resize-11+ X, roi, scales, sizes, where roi and one of
// scales/sizes may be omitted ("") or empty. scales and sizes must be
// constants known at compile time (initializers, or folded shape
// subgraphs); roi is read only by tf_crop_and_resize, which is not
// supported. Scales on N and C must be 1.
//
// Output length per axis: ⌊n·scale⌋, or sizes[i]. With sizes, scale =
// out/n. The input coordinate of output index x (ONNX
// coordinate_transformation_mode):
//
//	half_pixel            (x + ½)/scale − ½          (the Resize-11+ default)
//	pytorch_half_pixel    as half_pixel, 0 when the output length is 1
//	tf_half_pixel_for_nn  (x + ½)/scale
//	align_corners         x·(n − 1)/(L − 1), L = n·scale (0 when L = 1)
//	asymmetric            x/scale                      (Upsample, Resize-10)
//	half_pixel_symmetric  half_pixel shifted to keep the image centred (19)
//
// nearest takes the input index round_prefer_floor (default),
// round_prefer_ceil, floor or ceil of that coordinate; Upsample and
// Resize-10 truncate it (ceil when downscaling), as ONNX Runtime does.
// Indices are clamped to the input. linear interpolates between the two
// neighbours of the coordinate clamped to [0, n−1], separably on each
// spatial axis. The gradient is the adjoint: each output's gradient is
// added into the input pixels it read, with their weights. An integer
// nearest upscale whose output index o reads input o/k (Keras UpSampling2D,
// the seed's 2×) takes a fast path that sums each k×k block.
//
// Not supported, with a NotImplementedError naming the attribute: mode
// cubic, antialias, exclude_outside, coordinate_transformation_mode
// tf_crop_and_resize, scales ≠ 1 on N or C.

// Resize attribute defaults (ONNX).
const (
	resizeDefaultMode        = "nearest"
	resizeDefaultCoord       = "half_pixel"
	resizeDefaultNearestMode = "round_prefer_floor"
	resizeDefaultAspect      = "stretch"
)

func init() {
	Register(OpDef{Type: "Resize", Build: buildResize})
	Register(OpDef{Type: "Upsample", Build: buildResize})
}

// resizeKernel runs one Resize or Upsample node. Axes are (D, H, W): the
// last three axes, leading ones of length 1 added when the tensor has
// fewer spatial axes.
type resizeKernel struct {
	linear            bool
	planes            int
	in, out           [3]int
	inPlane, outPlane int
	idx               [3][]int     // nearest: input index per output index
	i0, i1            [3][]int     // linear: the two neighbours
	w1                [3][]float32 // linear: weight of i1 (i0 gets 1 − w1)
	block             [3]int       // nearest: k when output o reads o/k on that axis, else 0

	// The tensors of the call in progress, and the per-plane loops handed
	// to the worker pool, made once so that calls allocate nothing.
	x, y         []float32
	fwdFn, bwdFn func(lo, hi int)
	wg           sync.WaitGroup
}

// resizeSpec is a Resize node's decoded attributes and constant inputs.
type resizeSpec struct {
	mode, coord, nearest string
	scales               []float64 // per axis of X, or nil
	sizes                []int     // per axis of X, or nil
}

func buildResize(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) == 0 || !inputGiven(a, 0) {
		return nil, nil, a.Errorf("input X is missing")
	}
	if a.InType[0] != Float32 {
		return nil, nil, a.Errorf("input X is %v, want float32", a.InType[0])
	}
	x := a.In[0]
	sp, err := resizeDecode(a, x)
	if err != nil {
		return nil, nil, err
	}
	rank := len(x)
	lead := 0
	if rank >= 3 {
		lead = 2
	}
	if rank-lead > 3 {
		return nil, nil, a.Errorf("input %v: at most 3 spatial axes are supported", x)
	}
	y := x.Clone()
	scale := make([]float64, rank)
	outF := make([]float64, rank)
	for i, n := range x {
		if n <= 0 {
			return nil, nil, a.Errorf("input %v: axis %d has length %d", x, i, n)
		}
		if sp.sizes != nil {
			y[i] = sp.sizes[i]
			scale[i] = float64(y[i]) / float64(n)
			outF[i] = float64(y[i])
		} else {
			scale[i] = sp.scales[i]
			outF[i] = float64(n) * scale[i]
			y[i] = int(math.Floor(outF[i]))
		}
		if y[i] <= 0 {
			return nil, nil, a.Errorf("axis %d: input length %d resizes to %d (scale %g)", i, n, y[i], scale[i])
		}
		if i < lead && (y[i] != n || scale[i] != 1) {
			what, val := "scales", fmt.Sprint(sp.scales)
			if sp.sizes != nil {
				what, val = "sizes", fmt.Sprint(sp.sizes)
			}
			return nil, nil, a.Unsupported(what, val, "1 (no resize) on axes N and C")
		}
	}
	k := &resizeKernel{linear: sp.mode == "linear", planes: 1}
	for i := range lead {
		k.planes *= x[i]
	}
	for i := range 3 {
		j := lead + i - (3 - (rank - lead)) // axis of X, < lead for a padding axis
		if j < lead {
			k.in[i], k.out[i] = 1, 1
			k.idx[i], k.i0[i], k.i1[i], k.w1[i] = []int{0}, []int{0}, []int{0}, []float32{0}
			k.block[i] = 1
			continue
		}
		k.in[i], k.out[i] = x[j], y[j]
		k.resizeAxis(i, sp, scale[j], outF[j])
	}
	k.inPlane = k.in[0] * k.in[1] * k.in[2]
	k.outPlane = k.out[0] * k.out[1] * k.out[2]
	k.fwdFn, k.bwdFn = k.forwardPlanes, k.backwardPlanes
	return k, []Shape{y}, nil
}

// resizeDecode reads the attributes and the constant scales/sizes of a
// Resize or Upsample node, by opset.
func resizeDecode(a BuildArgs, x Shape) (resizeSpec, error) {
	at := a.Node.Attrs
	sp := resizeSpec{mode: strings.ToLower(at.String("mode", resizeDefaultMode)), coord: "asymmetric", nearest: "simple"}
	switch sp.mode {
	case "nearest", "linear":
	case "bilinear": // Upsample-7 spelling
		sp.mode = "linear"
	default:
		return sp, a.Unsupported("mode", sp.mode, "nearest, linear")
	}
	if v := at.Int("antialias", 0); v != 0 {
		return sp, a.Unsupported("antialias", strconv.FormatInt(v, 10), "0")
	}
	if v := at.Int("exclude_outside", 0); v != 0 {
		return sp, a.Unsupported("exclude_outside", strconv.FormatInt(v, 10), "0")
	}
	axes := make([]int, len(x))
	for i := range axes {
		axes[i] = i
	}
	scalesIn, sizesIn := -1, -1
	modern := a.Node.Op == "Resize" && a.Opset >= 11
	switch {
	case a.Node.Op == "Upsample" && len(a.In) < 2:
		s := at.Floats("scales", nil)
		if s == nil {
			return sp, a.Errorf("attribute scales is required (Upsample-7)")
		}
		sp.scales = make([]float64, len(s))
		for i, v := range s {
			sp.scales[i] = float64(v)
		}
	case !modern:
		scalesIn = 1
	default:
		scalesIn, sizesIn = 2, 3
		sp.coord = strings.ToLower(at.String("coordinate_transformation_mode", resizeDefaultCoord))
		sp.nearest = strings.ToLower(at.String("nearest_mode", resizeDefaultNearestMode))
		if v := at.Ints("axes", nil); v != nil {
			axes = axes[:0]
			for _, ax := range v {
				if ax < 0 {
					ax += int64(len(x))
				}
				if ax < 0 || ax >= int64(len(x)) {
					return sp, a.Errorf("attribute axes = %v out of range for rank %d", v, len(x))
				}
				axes = append(axes, int(ax))
			}
		}
	}
	switch sp.coord {
	case "half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn", "align_corners", "asymmetric", "half_pixel_symmetric":
	default:
		return sp, a.Unsupported("coordinate_transformation_mode", sp.coord, "half_pixel, pytorch_half_pixel, tf_half_pixel_for_nn, align_corners, asymmetric, half_pixel_symmetric")
	}
	switch sp.nearest {
	case "simple", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return sp, a.Unsupported("nearest_mode", sp.nearest, "round_prefer_floor, round_prefer_ceil, floor, ceil")
	}
	given := func(i int) (bool, error) {
		if i < 0 || i >= len(a.In) || !inputGiven(a, i) || a.In[i].Size() == 0 {
			return false, nil
		}
		if _, err := a.Const(i); err != nil {
			return false, err
		}
		return true, nil
	}
	hasScales, err := given(scalesIn)
	if err != nil {
		return sp, err
	}
	hasSizes, err := given(sizesIn)
	if err != nil {
		return sp, err
	}
	switch {
	case hasScales && hasSizes:
		return sp, a.Errorf("both scales and sizes are given; exactly one may be")
	case hasScales:
		sp.scales = a.Consts[scalesIn].Floats()
	case hasSizes:
		v := a.Consts[sizesIn].Int64s()
		sp.sizes = make([]int, len(v))
		for i, s := range v {
			sp.sizes[i] = int(s)
		}
	case sp.scales == nil:
		return sp, a.Errorf("neither scales nor sizes is given")
	}
	// Expand scales or sizes given for the listed axes (Resize-18 axes).
	n := len(axes)
	if sp.scales != nil {
		if len(sp.scales) != n {
			return sp, a.Errorf("scales has %d values %v for %d axes of input %v", len(sp.scales), sp.scales, n, x)
		}
		full := make([]float64, len(x))
		for i := range full {
			full[i] = 1
		}
		for i, ax := range axes {
			if sp.scales[i] <= 0 || math.IsInf(sp.scales[i], 0) || math.IsNaN(sp.scales[i]) {
				return sp, a.Errorf("scales %v: value %g on axis %d must be positive", sp.scales, sp.scales[i], ax)
			}
			full[ax] = sp.scales[i]
		}
		sp.scales = full
		return sp, nil
	}
	if len(sp.sizes) != n {
		return sp, a.Errorf("sizes has %d values %v for %d axes of input %v", len(sp.sizes), sp.sizes, n, x)
	}
	full := x.Clone()
	policy := resizeDefaultAspect
	if modern {
		policy = strings.ToLower(at.String("keep_aspect_ratio_policy", resizeDefaultAspect))
	}
	var s float64
	for i, ax := range axes {
		r := float64(sp.sizes[i]) / float64(x[ax])
		switch policy {
		case "stretch":
			full[ax] = sp.sizes[i]
		case "not_larger":
			if i == 0 || r < s {
				s = r
			}
		case "not_smaller":
			if i == 0 || r > s {
				s = r
			}
		default:
			return sp, a.Unsupported("keep_aspect_ratio_policy", policy, "stretch, not_larger, not_smaller")
		}
	}
	if policy != "stretch" {
		for _, ax := range axes {
			full[ax] = int(math.RoundToEven(s * float64(x[ax])))
		}
	}
	sp.sizes = full
	return sp, nil
}

// resizeAxis fills the tables of kernel axis i from the coordinate
// transformation.
func (k *resizeKernel) resizeAxis(i int, sp resizeSpec, scale, outF float64) {
	n, out := k.in[i], k.out[i]
	if k.linear {
		k.i0[i], k.i1[i], k.w1[i] = make([]int, out), make([]int, out), make([]float32, out)
	} else {
		k.idx[i] = make([]int, out)
	}
	for o := range out {
		c := resizeCoord(sp.coord, float64(o), scale, n, out, outF)
		if k.linear {
			c = min(max(c, 0), float64(n-1))
			f := math.Floor(c)
			i0 := int(f)
			k.i0[i][o], k.i1[i][o] = i0, min(i0+1, n-1)
			k.w1[i][o] = float32(c - f)
			continue
		}
		f := math.Floor(c)
		frac := c - f
		var r float64
		switch sp.nearest {
		case "round_prefer_floor":
			r = f
			if frac > 0.5 {
				r = f + 1
			}
		case "round_prefer_ceil":
			r = f
			if frac >= 0.5 {
				r = f + 1
			}
		case "floor":
			r = f
		case "ceil":
			r = math.Ceil(c)
		default: // simple: Upsample and Resize-10, as ONNX Runtime
			r = math.Trunc(c)
			if scale < 1 {
				r = math.Ceil(c)
			}
		}
		k.idx[i][o] = int(min(max(r, 0), float64(n-1)))
	}
	if !k.linear && out%n == 0 {
		f := out / n
		k.block[i] = f
		for o, src := range k.idx[i] {
			if src != o/f {
				k.block[i] = 0
				break
			}
		}
	}
}

// resizeCoord maps output index x to an input coordinate.
func resizeCoord(mode string, x, scale float64, n, out int, outF float64) float64 {
	switch mode {
	case "asymmetric":
		return x / scale
	case "pytorch_half_pixel":
		if outF > 1 {
			return (x+0.5)/scale - 0.5
		}
		return 0
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / scale
	case "align_corners":
		if outF == 1 {
			return 0
		}
		return x * float64(n-1) / (outF - 1)
	case "half_pixel_symmetric":
		adj := float64(out) / outF
		off := float64(n) / 2 * (1 - adj)
		return off + (x+0.5)/scale - 0.5
	default: // half_pixel
		return (x+0.5)/scale - 0.5
	}
}

func (k *resizeKernel) Forward(_ *Ctx, in, out []*Tensor) {
	k.x, k.y = in[0].Data, out[0].Data
	parallelFixed(k.planes, k.fwdFn, &k.wg)
	k.x, k.y = nil, nil
}

func (k *resizeKernel) forwardPlanes(p0, p1 int) {
	for p := p0; p < p1; p++ {
		k.forwardPlane(k.x[p*k.inPlane:(p+1)*k.inPlane], k.y[p*k.outPlane:(p+1)*k.outPlane])
	}
}

// forwardPlane resizes one plane xp into yp.
func (k *resizeKernel) forwardPlane(xp, yp []float32) {
	if k.linear {
		k.linearForward(xp, yp)
	} else {
		k.nearestForward(xp, yp)
	}
}

func (k *resizeKernel) nearestForward(xp, yp []float32) {
	inH, inW, outW := k.in[1], k.in[2], k.out[2]
	o, prev := 0, -1
	for _, sd := range k.idx[0] {
		for _, sh := range k.idx[1] {
			src := (sd*inH + sh) * inW
			row := yp[o : o+outW]
			xr := xp[src : src+inW]
			switch {
			case src == prev:
				copy(row, yp[o-outW:o])
			case k.block[2] == 2:
				row = row[:2*len(xr)]
				for w, v := range xr {
					row[2*w], row[2*w+1] = v, v
				}
			default:
				for ow, iw := range k.idx[2] {
					row[ow] = xr[iw]
				}
			}
			prev = src
			o += outW
		}
	}
}

func (k *resizeKernel) linearForward(xp, yp []float32) {
	inH, inW := k.in[1], k.in[2]
	o := 0
	for od := range k.out[0] {
		nd := 1
		if k.w1[0][od] != 0 {
			nd = 2
		}
		for oh := range k.out[1] {
			h0, h1, wh := k.i0[1][oh], k.i1[1][oh], k.w1[1][oh]
			for ow := range k.out[2] {
				w0, w1, ww := k.i0[2][ow], k.i1[2][ow], k.w1[2][ow]
				var v float32
				for t := range nd {
					d, wd := k.i0[0][od], 1-k.w1[0][od]
					if t == 1 {
						d, wd = k.i1[0][od], k.w1[0][od]
					}
					r0 := (d*inH + h0) * inW
					r1 := (d*inH + h1) * inW
					top := xp[r0+w0]*(1-ww) + xp[r0+w1]*ww
					bot := xp[r1+w0]*(1-ww) + xp[r1+w1]*ww
					v += wd * (top*(1-wh) + bot*wh)
				}
				yp[o] = v
				o++
			}
		}
	}
}

func (k *resizeKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] == nil {
		return
	}
	// x and y carry the output gradient and the input gradient.
	k.y, k.x = dout[0].Data, din[0].Data
	parallelFixed(k.planes, k.bwdFn, &k.wg)
	k.x, k.y = nil, nil
}

func (k *resizeKernel) backwardPlanes(p0, p1 int) {
	for p := p0; p < p1; p++ {
		k.backwardPlane(k.y[p*k.outPlane:(p+1)*k.outPlane], k.x[p*k.inPlane:(p+1)*k.inPlane])
	}
}

// backwardPlane overwrites dp with the gradient of one input plane, given
// the gradient gp of its output plane.
func (k *resizeKernel) backwardPlane(gp, dp []float32) {
	switch {
	case k.linear:
		clear(dp)
		k.linearBackward(gp, dp)
	case k.block[0] > 0 && k.block[1] > 0 && k.block[2] > 0:
		k.blockBackward(gp, dp)
	default:
		clear(dp)
		k.nearestBackward(gp, dp)
	}
}

// blockBackward sums each kd×kh×kw block of the output gradient into the
// input pixel it repeats.
func (k *resizeKernel) blockBackward(gp, dp []float32) {
	kd, kh, kw := k.block[0], k.block[1], k.block[2]
	inH, inW, outH, outW := k.in[1], k.in[2], k.out[1], k.out[2]
	for d := range k.in[0] {
		for h := range inH {
			dr := dp[(d*inH+h)*inW : (d*inH+h+1)*inW]
			clear(dr)
			for a := range kd {
				for b := range kh {
					gr := gp[((d*kd+a)*outH+h*kh+b)*outW:]
					if kw == 2 {
						gr = gr[:2*len(dr)]
						for w := range dr {
							dr[w] += gr[2*w] + gr[2*w+1]
						}
						continue
					}
					for w := range dr {
						var s float32
						for _, v := range gr[w*kw : w*kw+kw] {
							s += v
						}
						dr[w] += s
					}
				}
			}
		}
	}
}

func (k *resizeKernel) nearestBackward(gp, dp []float32) {
	inH, inW, outW := k.in[1], k.in[2], k.out[2]
	o := 0
	for _, sd := range k.idx[0] {
		for _, sh := range k.idx[1] {
			dr := dp[(sd*inH+sh)*inW : (sd*inH+sh+1)*inW]
			for ow, iw := range k.idx[2] {
				dr[iw] += gp[o+ow]
			}
			o += outW
		}
	}
}

func (k *resizeKernel) linearBackward(gp, dp []float32) {
	inH, inW := k.in[1], k.in[2]
	o := 0
	for od := range k.out[0] {
		nd := 1
		if k.w1[0][od] != 0 {
			nd = 2
		}
		for oh := range k.out[1] {
			h0, h1, wh := k.i0[1][oh], k.i1[1][oh], k.w1[1][oh]
			for ow := range k.out[2] {
				w0, w1, ww := k.i0[2][ow], k.i1[2][ow], k.w1[2][ow]
				g := gp[o]
				for t := range nd {
					d, wd := k.i0[0][od], 1-k.w1[0][od]
					if t == 1 {
						d, wd = k.i1[0][od], k.w1[0][od]
					}
					r0 := (d*inH + h0) * inW
					r1 := (d*inH + h1) * inW
					gt := g * wd * (1 - wh)
					gb := g * wd * wh
					dp[r0+w0] += gt * (1 - ww)
					dp[r0+w1] += gt * ww
					dp[r1+w0] += gb * (1 - ww)
					dp[r1+w1] += gb * ww
				}
				o++
			}
		}
	}
}
