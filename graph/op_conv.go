package graph

import (
	"fmt"
	"sync"
)

// The convolution family: Conv and ConvTranspose (every ONNX opset to 22:
// their attributes have not changed), over 2-D spatial data (4-D NCHW
// tensors). Inputs X, W and an optional bias B;
// attributes strides, pads, dilations, group, kernel_shape and auto_pad, and
// for ConvTranspose output_padding and output_shape, with the ONNX defaults
// below. 1-D and 3-D convolutions are refused with a NotImplementedError.
//
// Conv:           Y[n,m,y,x] = B[m] + Σ_{c,ky,kx} W[m,c,ky,kx] · X[n, g·C/G + c, sh·y + dh·ky − pt, sw·x + dw·kx − pl]
//                 with G groups, g = m·G/M the group of m, c < C/G, and X zero outside.
// ConvTranspose:  the adjoint of that map in X, plus B; W is [C, M/G, kH, kW].
//
// Both run on convCore (conv_core.go), which computes the forward product,
// the data gradient and the filter gradient with AVX2 micro-kernels over the
// batch in parallel. Filter and bias gradients are summed in float64.

// ONNX defaults of the convolution attributes.
const (
	ConvDefaultGroup    = 1
	ConvDefaultStride   = 1
	ConvDefaultDilation = 1
	ConvDefaultAutoPad  = "NOTSET"
)

func init() {
	Register(OpDef{Type: "Conv", Build: buildConv})
	Register(OpDef{Type: "ConvTranspose", Build: buildConvTranspose})
}

// convAttrs are a Conv or ConvTranspose node's attributes, decoded.
type convAttrs struct {
	autoPad       string
	group         int
	strides       [2]int
	dilations     [2]int
	pads          [4]int // top, left, bottom, right
	padsGiven     bool
	outputPadding [2]int
	outputShape   []int // spatial, nil when absent
}

// decodeConv reads the attributes common to both operators and checks the
// shapes of X, W and B; it returns X's and W's shapes.
func decodeConv(a BuildArgs) (convAttrs, Shape, Shape, error) {
	var at convAttrs
	if len(a.In) < 2 || len(a.In) > 3 || a.In[0] == nil || a.In[1] == nil {
		return at, nil, nil, a.Errorf("takes inputs X, W and optional B, got %d inputs", len(a.In))
	}
	for i, t := range a.InType {
		if t != Float32 && a.In[i] != nil {
			return at, nil, nil, a.Errorf("input %d is %v, want float32", i, t)
		}
	}
	x, w := a.In[0], a.In[1]
	if len(x) != len(w) {
		return at, nil, nil, a.Errorf("input X is %v but weight W is %v: ranks differ", x, w)
	}
	switch len(x) {
	case 4:
	case 3, 5:
		return at, nil, nil, a.Unsupported("spatial rank", fmt.Sprintf("%d (X %v)", len(x)-2, x), "2-D convolutions (4-D NCHW tensors)")
	default:
		return at, nil, nil, a.Errorf("input X is %v: want a 4-D NCHW tensor", x)
	}
	for i := range 4 {
		if x[i] < 0 || w[i] <= 0 {
			return at, nil, nil, a.Errorf("input X %v and weight W %v must have known positive dimensions", x, w)
		}
	}
	at.autoPad = a.Node.Attrs.String("auto_pad", ConvDefaultAutoPad)
	switch at.autoPad {
	case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID":
	default:
		return at, nil, nil, a.Errorf("auto_pad %q is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", at.autoPad)
	}
	at.group = int(a.Node.Attrs.Int("group", ConvDefaultGroup))
	if at.group < 1 {
		return at, nil, nil, a.Errorf("group %d must be at least 1", at.group)
	}
	pair := func(name string, def int, dst *[2]int, minv int) error {
		v := a.Node.Attrs.Ints(name, nil)
		if v == nil {
			*dst = [2]int{def, def}
			return nil
		}
		if len(v) != 2 {
			return a.Errorf("%s %v: want 2 values for a 2-D convolution", name, v)
		}
		for i, e := range v {
			if e < int64(minv) {
				return a.Errorf("%s %v: value %d below %d", name, v, e, minv)
			}
			dst[i] = int(e)
		}
		return nil
	}
	if err := pair("strides", ConvDefaultStride, &at.strides, 1); err != nil {
		return at, nil, nil, err
	}
	if err := pair("dilations", ConvDefaultDilation, &at.dilations, 1); err != nil {
		return at, nil, nil, err
	}
	if err := pair("output_padding", 0, &at.outputPadding, 0); err != nil {
		return at, nil, nil, err
	}
	if ks := a.Node.Attrs.Ints("kernel_shape", nil); ks != nil {
		if len(ks) != 2 || int(ks[0]) != w[2] || int(ks[1]) != w[3] {
			return at, nil, nil, a.Errorf("kernel_shape %v does not match weight W %v", ks, w)
		}
	}
	if p := a.Node.Attrs.Ints("pads", nil); p != nil {
		if len(p) != 4 {
			return at, nil, nil, a.Errorf("pads %v: want 4 values (top, left, bottom, right)", p)
		}
		for i, e := range p {
			if e < 0 {
				return at, nil, nil, a.Errorf("pads %v: negative padding not supported", p)
			}
			at.pads[i] = int(e)
		}
		at.padsGiven = true
	}
	if os := a.Node.Attrs.Ints("output_shape", nil); os != nil {
		if len(os) == 4 {
			os = os[2:]
		}
		if len(os) != 2 {
			return at, nil, nil, a.Errorf("output_shape %v: want 2 spatial values", os)
		}
		at.outputShape = []int{int(os[0]), int(os[1])}
	}
	if len(a.In) == 3 && a.In[2] != nil {
		if len(a.In[2]) != 1 {
			return at, nil, nil, a.Errorf("bias B is %v: want 1-D", a.In[2])
		}
	}
	return at, x, w, nil
}

// convSplitPad splits the total padding of one axis as auto_pad asks.
func convSplitPad(total int, autoPad string) (begin, end int) {
	total = max(total, 0)
	if autoPad == "SAME_LOWER" {
		return total - total/2, total / 2
	}
	return total / 2, total - total/2
}

func buildConv(a BuildArgs) (Kernel, []Shape, error) {
	at, x, w, err := decodeConv(a)
	if err != nil {
		return nil, nil, err
	}
	g := convGeom{n: x[0], cin: x[1], hin: x[2], win: x[3], cout: w[0], kh: w[2], kw: w[3],
		sh: at.strides[0], sw: at.strides[1], dh: at.dilations[0], dw: at.dilations[1], group: at.group}
	if g.cout%g.group != 0 {
		return nil, nil, a.Errorf("weight W %v: %d output channels do not split into group %d", w, g.cout, g.group)
	}
	if w[1]*g.group != g.cin {
		return nil, nil, a.Errorf("weight W %v expects %d×%d = %d input channels, input X %v has %d", w, w[1], g.group, w[1]*g.group, x, g.cin)
	}
	if len(a.In) == 3 && a.In[2] != nil && a.In[2][0] != g.cout {
		return nil, nil, a.Errorf("bias B %v does not match the %d output channels of weight W %v", a.In[2], g.cout, w)
	}
	ext := [2]int{g.dh*(g.kh-1) + 1, g.dw*(g.kw-1) + 1}
	in := [2]int{g.hin, g.win}
	switch at.autoPad {
	case "NOTSET":
		g.pt, g.pl, g.pb, g.pr = at.pads[0], at.pads[1], at.pads[2], at.pads[3]
	case "SAME_UPPER", "SAME_LOWER":
		var p [4]int
		for i := range 2 {
			out := (in[i] + at.strides[i] - 1) / at.strides[i]
			p[i], p[i+2] = convSplitPad((out-1)*at.strides[i]+ext[i]-in[i], at.autoPad)
		}
		g.pt, g.pl, g.pb, g.pr = p[0], p[1], p[2], p[3]
	}
	hp, wp := g.hin+g.pt+g.pb, g.win+g.pl+g.pr
	if hp < ext[0] || wp < ext[1] {
		return nil, nil, a.Errorf("kernel %d×%d with dilations %v spans %d×%d, larger than the padded input %d×%d (X %v, pads %d,%d,%d,%d)",
			g.kh, g.kw, at.dilations, ext[0], ext[1], hp, wp, x, g.pt, g.pl, g.pb, g.pr)
	}
	g.hout = (hp-ext[0])/g.sh + 1
	g.wout = (wp-ext[1])/g.sw + 1
	k := &convKernel{core: newConvCore(g, g.cout, false)}
	k.init()
	return k, []Shape{{g.n, g.cout, g.hout, g.wout}}, nil
}

func buildConvTranspose(a BuildArgs) (Kernel, []Shape, error) {
	at, x, w, err := decodeConv(a)
	if err != nil {
		return nil, nil, err
	}
	// The Conv this ConvTranspose is the adjoint of maps Y [n, M, ho, wo]
	// to X [n, C, h, w]: its input is our output.
	g := convGeom{n: x[0], cout: x[1], hout: x[2], wout: x[3], kh: w[2], kw: w[3],
		sh: at.strides[0], sw: at.strides[1], dh: at.dilations[0], dw: at.dilations[1], group: at.group}
	if w[0] != g.cout {
		return nil, nil, a.Errorf("weight W %v expects %d input channels, input X %v has %d", w, w[0], x, g.cout)
	}
	if g.cout%g.group != 0 {
		return nil, nil, a.Errorf("input X %v: %d channels do not split into group %d", x, g.cout, g.group)
	}
	g.cin = w[1] * g.group
	if len(a.In) == 3 && a.In[2] != nil && a.In[2][0] != g.cin {
		return nil, nil, a.Errorf("bias B %v does not match the %d×%d = %d output channels of weight W %v", a.In[2], w[1], g.group, g.cin, w)
	}
	for i := range 2 {
		if at.outputPadding[i] >= at.strides[i] {
			return nil, nil, a.Errorf("output_padding %v must be smaller than the strides %v", at.outputPadding, at.strides)
		}
	}
	ext := [2]int{g.dh*(g.kh-1) + 1, g.dw*(g.kw-1) + 1}
	in := [2]int{g.hout, g.wout}
	full := [2]int{}
	for i := range 2 {
		full[i] = at.strides[i]*(in[i]-1) + at.outputPadding[i] + ext[i]
	}
	var p [4]int
	var out [2]int
	switch {
	case at.outputShape != nil:
		for i := range 2 {
			// A larger output_shape than the input gives adds rows and
			// columns at the end, as output_padding does.
			mode := at.autoPad
			if mode != "SAME_UPPER" {
				mode = "SAME_LOWER"
			}
			if extra := at.outputShape[i] - full[i]; extra+at.outputPadding[i] >= at.strides[i] {
				return nil, nil, a.Errorf("output_shape %v exceeds the %d×%d that input X %v, strides %v and kernel %d×%d give by a stride or more",
					at.outputShape, full[0], full[1], x, at.strides, g.kh, g.kw)
			}
			p[i], p[i+2] = convSplitPad(full[i]-at.outputShape[i], mode)
			out[i] = at.outputShape[i]
		}
	case at.autoPad == "SAME_UPPER" || at.autoPad == "SAME_LOWER":
		for i := range 2 {
			out[i] = in[i] * at.strides[i]
			p[i], p[i+2] = convSplitPad(full[i]-out[i], at.autoPad)
		}
	default:
		if at.autoPad == "NOTSET" {
			p = at.pads
		}
		for i := range 2 {
			out[i] = full[i] - p[i] - p[i+2]
			if out[i] < 1 {
				return nil, nil, a.Errorf("pads %v leave no output of the %d×%d the input %v and kernel give", at.pads, full[0], full[1], x)
			}
		}
	}
	g.pt, g.pl, g.pb, g.pr = p[0], p[1], p[2], p[3]
	g.hin, g.win = out[0], out[1]
	// The adjoint Conv must map our output size back onto our input size.
	if hp, wp := g.hin+g.pt+g.pb, g.win+g.pl+g.pr; hp < ext[0] || wp < ext[1] ||
		(hp-ext[0])/g.sh+1 != g.hout || (wp-ext[1])/g.sw+1 != g.wout {
		return nil, nil, a.Errorf("output %d×%d with pads %v is inconsistent with input X %v, strides %v and kernel %d×%d",
			g.hin, g.win, p, x, at.strides, g.kh, g.kw)
	}
	k := &convKernel{core: newConvCore(g, g.cin, true), transpose: true}
	k.init()
	return k, []Shape{{g.n, g.cin, g.hin, g.win}}, nil
}

// convKernel runs Conv (transpose false) or ConvTranspose (true) on its
// convCore. The operands of the current call sit in fields so that the
// per-slot work functions, made once in init, allocate nothing.
type convKernel struct {
	core      *convCore
	transpose bool

	x, y, b, dy, dx []float32
	wantDW, wantDB  bool
	fwdFn, bwdFn    func(lo, hi int)
	wg              sync.WaitGroup
}

func (k *convKernel) init() {
	k.fwdFn = k.forwardSlots
	k.bwdFn = k.backwardSlots
}

// Forward implements Kernel.
func (k *convKernel) Forward(_ *Ctx, in, out []*Tensor) {
	c := k.core
	if k.transpose {
		c.packData(in[1].Data)
	} else {
		c.packForward(in[1].Data)
	}
	k.x, k.y, k.b = in[0].Data, out[0].Data, nil
	if len(in) > 2 && in[2] != nil {
		k.b = in[2].Data
	}
	parallelFixed(len(c.slots), k.fwdFn, &k.wg)
	k.x, k.y, k.b = nil, nil, nil
}

func (k *convKernel) forwardSlots(lo, hi int) {
	c := k.core
	xs, ys := c.cin*c.hin*c.win, c.cout*c.hout*c.wout
	for s := lo; s < hi; s++ {
		sl := &c.slots[s]
		n0, n1 := c.images(s)
		for n := n0; n < n1; n++ {
			if k.transpose {
				c.fillU(sl, k.x[n*ys:(n+1)*ys])
				c.data(sl, k.y[n*xs:(n+1)*xs], k.b)
			} else {
				c.fillX(sl, k.x[n*xs:(n+1)*xs])
				c.forward(sl, k.y[n*ys:(n+1)*ys], k.b)
			}
		}
	}
}

// Backward implements Kernel.
func (k *convKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	c := k.core
	k.x, k.dy, k.dx = in[0].Data, dout[0].Data, nil
	if din[0] != nil {
		k.dx = din[0].Data
		if k.transpose {
			c.packForward(in[1].Data)
		} else {
			c.packData(in[1].Data)
		}
	}
	k.wantDW = len(din) > 1 && din[1] != nil
	k.wantDB = len(din) > 2 && din[2] != nil
	parallelFixed(len(c.slots), k.bwdFn, &k.wg)
	if k.wantDW {
		c.reduceSlots(din[1].Data, func(sl *convSlot) []float64 { return sl.dw })
	}
	if k.wantDB {
		c.reduceSlots(din[2].Data, func(sl *convSlot) []float64 { return sl.db })
	}
	k.x, k.dy, k.dx = nil, nil, nil
}

func (k *convKernel) backwardSlots(lo, hi int) {
	c := k.core
	xs, ys := c.cin*c.hin*c.win, c.cout*c.hout*c.wout
	for s := lo; s < hi; s++ {
		sl := &c.slots[s]
		if k.wantDW {
			clear(sl.dw)
		}
		if k.wantDB {
			clear(sl.db)
		}
		n0, n1 := c.images(s)
		for n := n0; n < n1; n++ {
			if k.transpose {
				// Our dY is the adjoint Conv's input, our X its output.
				dy := k.dy[n*xs : (n+1)*xs]
				if k.dx != nil || k.wantDW {
					c.fillX(sl, dy)
				}
				if k.dx != nil {
					c.forward(sl, k.dx[n*ys:(n+1)*ys], nil)
				}
				if k.wantDW {
					c.fillG(sl, k.x[n*ys:(n+1)*ys])
					c.filter(sl, false)
				}
				if k.wantDB {
					sumPlanes(sl.db, dy, c.cin, c.hin*c.win)
				}
				continue
			}
			var dx []float32
			if k.dx != nil {
				dx = k.dx[n*xs : (n+1)*xs]
			}
			c.backwardImage(sl, k.x[n*xs:(n+1)*xs], k.dy[n*ys:(n+1)*ys], dx, k.wantDW, k.wantDB)
		}
	}
}
