package graph

import "sync"

// Operator fusion. On the seed model most of a training step's time went
// to element-wise passes over 32×16×28×28 activations that no longer fit
// in the cache: the Relu after a Conv, the MaxPool after it, the Resize
// before the next Conv, and their gradients. Compile (unless
// Options.NoFuse) merges such neighbours into the Conv's step, which then
// does their work image by image while the image is in the cache:
//
//	[Resize] → Conv → [Relu | Sigmoid] → [MaxPool 2×2, stride 2]
//
// A neighbour is merged when the value between it and the Conv has no
// other consumer and is not a graph output; the MaxPool only after a Relu
// or directly after the Conv, without an Indices output, on an even-sized
// plane with no padding. The merged step computes the same bits as the
// separate ones (the fusion tests compare them on random data), and the
// values between merged operators get no buffer: Plan.Value returns nil
// for them and the step's output is the last merged operator's.

// Activations a fused Conv applies to its output.
const (
	actNone = iota
	actRelu
	actSigmoid
)

// fusedConv is a Conv with the operators around it merged in.
type fusedConv struct {
	conv *convKernel
	pre  *resizeKernel // the Resize whose output was the Conv's input, or nil
	up2  bool          // pre is a nearest 2× upsampling, done by the core (c.up2, c.sum2)
	act  int           // actNone, actRelu or actSigmoid
	pool bool          // a MaxPool 2×2/2 follows the activation

	inImg, outImg int     // elements per image of the step's input and output
	arg           []uint8 // pool: the winning tap (0 to 3) of every output
	fs            []fusedSlot

	// The operands of the call in progress; y is the step's output, read
	// by Backward for the activation's gradient.
	x, y, b, dy, dx []float32
	wantDW, wantDB  bool
	fwdFn, bwdFn    func(lo, hi int)
	wg              sync.WaitGroup
}

// fusedSlot is a conv slot's scratch for the merged operators, one image.
type fusedSlot struct {
	x  []float32 // pre without up2: the resized input
	dy []float32 // act or pool without c.share: the gradient of the Conv's output
	dx []float32 // pre without up2: the gradient of the resized input
}

// fuse merges the steps of p as the file comment says. It runs in Compile
// before the gradient buffers are allocated.
func (p *Plan) fuse() {
	uses := make([]int, len(p.vals))
	producer := make([]int, len(p.vals))
	consumer := make([]int, len(p.vals))
	for i := range producer {
		producer[i], consumer[i] = -1, -1
	}
	for s, st := range p.steps {
		for _, i := range st.in {
			if i >= 0 {
				uses[i]++
				consumer[i] = s
			}
		}
		for _, i := range st.out {
			if i >= 0 {
				producer[i] = s
			}
		}
	}
	for _, o := range p.outputs {
		uses[o] += 2 // a graph output is never merged away
	}
	// private reports whether value i flows only from one step into one
	// other: it may then be merged away.
	private := func(i int) bool { return i >= 0 && uses[i] == 1 && producer[i] >= 0 && consumer[i] >= 0 }
	removed := make([]bool, len(p.steps))
	var merged []int // slots merged away
	for s := range p.steps {
		st := &p.steps[s]
		ck, ok := st.kernel.(*convKernel)
		if removed[s] || !ok || ck.transpose || len(st.out) != 1 || st.out[0] < 0 {
			continue
		}
		c := ck.core
		f := &fusedConv{conv: ck}
		in := append([]int(nil), st.in...)
		last, lastStep := st.out[0], s
		var gone []int
		if x := st.in[0]; private(x) && !removed[producer[x]] {
			ps := &p.steps[producer[x]]
			if rk, ok := ps.kernel.(*resizeKernel); ok && len(ps.out) == 1 && ps.in[0] >= 0 && rk.planes == c.n*c.cin && rk.in[0] == 1 {
				f.pre, in[0] = rk, ps.in[0]
				removed[producer[x]] = true
				gone = append(gone, x)
			}
		}
		if private(last) {
			cs := &p.steps[consumer[last]]
			if _, ok := cs.kernel.(*unary); ok && len(cs.out) == 1 && cs.out[0] >= 0 {
				switch cs.node.Op {
				case "Relu":
					f.act = actRelu
				case "Sigmoid":
					f.act = actSigmoid
				}
				if f.act != actNone {
					gone = append(gone, last)
					removed[consumer[last]] = true
					last, lastStep = cs.out[0], consumer[last]
				}
			}
		}
		if f.act != actSigmoid && private(last) {
			cs := &p.steps[consumer[last]]
			pk, ok := cs.kernel.(*poolKernel)
			if ok && pk.max && pk.max2x2 && !pk.indices && len(cs.out) == 1 && cs.out[0] >= 0 &&
				c.hout%2 == 0 && c.wout%2 == 0 && pk.ax[1].out == c.hout/2 && pk.ax[2].out == c.wout/2 {
				f.pool = true
				gone = append(gone, last)
				removed[consumer[last]] = true
				last, lastStep = cs.out[0], consumer[last]
			}
		}
		if len(gone) == 0 {
			continue
		}
		f.init()
		fst := step{node: st.node, kernel: f, in: in, out: []int{last}, grad: p.steps[lastStep].grad}
		fst.ins = make([]*Tensor, len(in))
		for j, i := range in {
			if i >= 0 {
				fst.ins[j] = p.vals[i]
			}
		}
		fst.outs = []*Tensor{p.vals[last]}
		removed[s] = true
		p.steps[lastStep] = fst
		removed[lastStep] = false
		merged = append(merged, gone...)
	}
	kept := p.steps[:0]
	for s, st := range p.steps {
		if !removed[s] {
			kept = append(kept, st)
		}
	}
	p.steps = kept
	for _, i := range merged {
		p.vals[i] = nil
		p.need[i] = false
	}
}

// init sizes the fused kernel's scratch and makes its work functions.
func (k *fusedConv) init() {
	c := k.conv.core
	xs, ys := c.cin*c.hin*c.win, c.cout*c.hout*c.wout
	k.inImg, k.outImg = xs, ys
	if k.pre != nil {
		k.inImg = c.cin * k.pre.inPlane
	}
	if k.pool {
		k.outImg = ys / 4
		k.arg = make([]uint8, c.n*k.outImg)
	}
	c.relu = k.act == actRelu
	if r := k.pre; r != nil && !r.linear && r.block == [3]int{1, 2, 2} && c.hin%2 == 0 && c.win%2 == 0 && len(c.phases) == 0 {
		k.up2, c.up2, c.sum2 = true, true, true
	}
	k.fs = make([]fusedSlot, len(c.slots))
	for i := range k.fs {
		fs := &k.fs[i]
		if k.pre != nil && !k.up2 {
			fs.x = make([]float32, xs)
			fs.dx = make([]float32, xs)
		}
		if (k.pool || k.act != actNone) && !c.share {
			fs.dy = make([]float32, ys)
		}
	}
	k.fwdFn, k.bwdFn = k.forwardSlots, k.backwardSlots
}

// Forward implements Kernel: in are the Conv's (with the Resize's input
// as X when one is merged), out the last merged operator's.
func (k *fusedConv) Forward(_ *Ctx, in, out []*Tensor) {
	c := k.conv.core
	c.packForward(in[1].Data)
	k.x, k.y, k.b = in[0].Data, out[0].Data, nil
	if len(in) > 2 && in[2] != nil {
		k.b = in[2].Data
	}
	parallelFixed(len(c.slots), k.fwdFn, &k.wg)
	k.x, k.y, k.b = nil, nil, nil
}

// input returns image n of the Conv's input: the step's own, or the
// merged Resize's output made from it in the slot's scratch.
func (k *fusedConv) input(fs *fusedSlot, n int) []float32 {
	x := k.x[n*k.inImg : (n+1)*k.inImg]
	r := k.pre
	if r == nil || k.up2 {
		return x // fillX upsamples it with up2
	}
	for ch := range k.conv.core.cin {
		r.forwardPlane(x[ch*r.inPlane:(ch+1)*r.inPlane], fs.x[ch*r.outPlane:(ch+1)*r.outPlane])
	}
	return fs.x
}

func (k *fusedConv) forwardSlots(lo, hi int) {
	c := k.conv.core
	for s := lo; s < hi; s++ {
		sl, fs := &c.slots[s], &k.fs[s]
		n0, n1 := c.images(s)
		for n := n0; n < n1; n++ {
			c.fillX(sl, k.input(fs, n))
			y := k.y[n*k.outImg : (n+1)*k.outImg]
			switch {
			case k.pool: // with the Relu when c.relu
				c.forwardPool(sl, y, k.arg[n*k.outImg:(n+1)*k.outImg], k.b)
			case k.act == actSigmoid:
				c.forward(sl, y, k.b)
				sigmoidForward(y, y)
			default: // with the Relu when c.relu
				c.forward(sl, y, k.b)
			}
		}
	}
}

// gradInto writes the gradient of image n's Conv output, from the
// gradient g and the value out of the step's output, into d: plane m at
// d[m·plane:], rows stride apart.
func (k *fusedConv) gradInto(d []float32, plane, stride int, g, out []float32, n int) {
	c := k.conv.core
	hw, ps := c.hout*c.wout, c.hout*c.wout/4
	for m := 0; m < c.cout; m++ {
		dm := d[m*plane:]
		switch {
		case k.pool:
			arg := k.arg[n*k.outImg+m*ps : n*k.outImg+(m+1)*ps]
			unpoolMax2x2(dm, stride, g[m*ps:(m+1)*ps], out[m*ps:(m+1)*ps], arg, c.wout/2, c.hout/2, k.act == actRelu)
		case k.act == actRelu:
			reluGradRows(dm, stride, g[m*hw:(m+1)*hw], out[m*hw:(m+1)*hw], c.hout, c.wout)
		default: // Sigmoid
			for r := 0; r < c.hout; r++ {
				o := m*hw + r*c.wout
				sigmoidBackward(nil, out[o:o+c.wout], g[o:], dm[r*stride:])
			}
		}
	}
}

// Backward implements Kernel.
func (k *fusedConv) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	c := k.conv.core
	k.x, k.y, k.dy, k.dx = in[0].Data, out[0].Data, dout[0].Data, nil
	if din[0] != nil {
		k.dx = din[0].Data
		c.packData(in[1].Data)
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
	k.x, k.y, k.dy, k.dx = nil, nil, nil, nil
}

func (k *fusedConv) backwardSlots(lo, hi int) {
	c := k.conv.core
	for s := lo; s < hi; s++ {
		sl, fs := &c.slots[s], &k.fs[s]
		if k.wantDW {
			clear(sl.dw)
		}
		if k.wantDB {
			clear(sl.db)
		}
		n0, n1 := c.images(s)
		for n := n0; n < n1; n++ {
			out := k.y[n*k.outImg : (n+1)*k.outImg]
			g := k.dy[n*k.outImg : (n+1)*k.outImg]
			dy := g
			switch {
			case k.act == actNone && !k.pool:
			case c.share:
				k.gradInto(sl.u[c.shift:], c.planeU, c.wu, g, out, n)
				dy = nil // backwardImage finds it in sl.u
			default:
				k.gradInto(fs.dy, c.hout*c.wout, c.wout, g, out, n)
				dy = fs.dy
			}
			var x, dx []float32
			if k.wantDW {
				x = k.input(fs, n)
			}
			if k.dx != nil {
				dx = k.dx[n*k.inImg : (n+1)*k.inImg]
				if k.pre != nil && !k.up2 {
					dx = fs.dx
				}
			}
			c.backwardImage(sl, x, dy, dx, k.wantDW, k.wantDB) // with sum2 when up2
			if r := k.pre; r != nil && !k.up2 && k.dx != nil {
				d := k.dx[n*k.inImg : (n+1)*k.inImg]
				for ch := range c.cin {
					r.backwardPlane(fs.dx[ch*r.outPlane:(ch+1)*r.outPlane], d[ch*r.inPlane:(ch+1)*r.inPlane])
				}
			}
		}
	}
}
