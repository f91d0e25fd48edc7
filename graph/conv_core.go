package graph

import "runtime"

// convGeom is the geometry of one 2-D convolution
//
//	y[n][m][oy][ox] = Σ_{c in m's group, ky, kx} w[m][c][ky][kx] · x[n][c][sh·oy + dh·ky − pt][sw·ox + dw·kx − pl]
//
// with x [n, cin, hin, win], w [cout, cin/group, kh, kw], y [n, cout, hout,
// wout]. ConvTranspose is the same geometry run backwards.
type convGeom struct {
	n, cin, hin, win, cout, hout, wout int
	kh, kw, sh, sw, dh, dw             int
	pt, pl, pb, pr                     int
	group                              int
}

// convCore runs a convGeom's three products image by image on flat planes
// (see conv_kernels.go):
//
//	forward        y  = conv(x, w)
//	data gradient  dx = convᵀ(dy, w), which is also ConvTranspose's forward
//	filter grad.   dw = Σ_n corr(x, dy)
//
// Forward frame: x is copied into zero-padded planes of hp×wp; output
// position p = oy·wq + ox reads xp[sw·p + offsF[t]]. The row width wp is a
// multiple of sw and wq = sh·wp/sw, so sw·p lands on row sh·oy; with sw > 1
// the kernels read the frame's sw phases instead (xin), at unit stride.
//
// Data-gradient frame, unit stride: dy is copied into planes of hu×wu,
// dy[y][x] at row rowU + y and column colU + x (entries falling outside
// only ever meet padding and are dropped); dx position p = i·wu + j reads
// u[p + offsD[t]] with the kernel flipped and its channels swapped. With
// strides above 1, initPhases builds a phased frame instead (conv_phase.go).
//
// Scratch is per slot: the batch is split into a fixed number of slots at
// build time, each worked by one goroutine, so results do not depend on
// timing; filter and bias gradients are summed per slot in float64 and the
// slots added in order.
type convCore struct {
	convGeom
	cg, mg, kf, kd int // channels per group in and out; taps per output and per dx channel

	hp, wp, wq, planeX, lenX int
	lf, spanF                int
	offsF                    []int
	// With a column stride sw > 1 the forward frame is also kept as sw
	// phases of phaseLen (phase r holds xp[sw·q + r]), read at offsP: the
	// strided reads become unit-stride ones the AVX2 kernels stream.
	phaseLen int
	offsP    []int

	hu, wu, planeU, lenU int
	rowU, colU           int
	share                bool // stride 1 with pads within the kernel extent: see newConvCore
	shift                int  // where dy[0][0] sits in u when share
	ld, spanD            int
	offsD                []int
	// With strides above 1 the data gradient runs by phases instead
	// (conv_phase.go): dy sits compact at (offY, offX) in the frame.
	phases     []dataPhase
	offY, offX int

	wF, wD []float32 // weights packed for the forward and data-gradient frames
	slots  []convSlot
	// Set by operator fusion (fuse.go), for Conv only: relu makes
	// forward store max(y, 0); up2 makes fillX take x at half the height
	// and width and upsample it 2× (nearest) into the frame, and sum2
	// makes data write dx summed over 2×2 blocks, its adjoint.
	relu, up2, sum2 bool
}

type convSlot struct {
	xp []float32 // x in the forward frame
	xs []float32 // xp split into phases (sw > 1 only)
	yf []float32 // forward output, 4 rows of spanF
	gf []float32 // dy in the forward frame, cout rows of spanF, zero past the data (nil when Conv shares u)
	u  []float32 // dy in the data-gradient frame
	xf []float32 // data-gradient output, 4 rows of spanD
	dw []float64 // filter gradient of this slot's images
	db []float64 // bias gradient of this slot's images
}

// newConvCore sizes the frames and allocates the scratch for geometry g;
// nbias is the length of the bias gradient (cout for Conv, cin for
// ConvTranspose, which also sets transpose).
func newConvCore(g convGeom, nbias int, transpose bool) *convCore {
	c := &convCore{convGeom: g}
	c.cg, c.mg = g.cin/g.group, g.cout/g.group
	c.kf = c.cg * g.kh * g.kw
	c.kd = c.mg * g.kh * g.kw

	c.rowU = g.dh*(g.kh-1) - g.pt
	c.colU = g.dw*(g.kw-1) - g.pl
	c.hu = g.hin + g.dh*(g.kh-1)
	c.wu = g.win + g.dw*(g.kw-1)
	c.wp = convRoundUp(g.win+g.pl+g.pr, g.sw)
	c.wq = g.sh * c.wp / g.sw
	if c.share = g.sh == 1 && g.sw == 1 && c.rowU >= 0 && c.colU >= 0; c.share {
		// One row width for both frames, so that dy copied into
		// the data-gradient frame is also dy in the forward frame's
		// output layout, shift positions on, with zero rows below it
		// for the filter kernel's last vector.
		c.wp = max(c.wp, c.wu)
		c.wq, c.wu = c.wp, c.wp
		c.hu = max(c.hu, c.rowU+g.hout) + 1 + (8+c.wu-1)/c.wu
		c.shift = c.rowU*c.wu + c.colU
	}
	c.hp = g.hin + g.pt + g.pb
	c.planeX = c.hp * c.wp
	c.lf = g.hout * c.wq
	c.spanF = corrSpan(c.lf)
	c.offsF = make([]int, 0, c.kf)
	for ci := 0; ci < c.cg; ci++ {
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				c.offsF = append(c.offsF, ci*c.planeX+g.dh*ky*c.wp+g.dw*kx)
			}
		}
	}
	c.lenX = max(g.cin*c.planeX, (g.group-1)*c.cg*c.planeX+g.sw*(c.spanF-1)+c.offsF[len(c.offsF)-1]+1)
	if g.sw > 1 {
		// wp, hence planeX, is a multiple of sw: a group's planes start
		// in phase 0, at planeX/sw per channel within every phase.
		c.phaseLen = (c.lenX + g.sw - 1) / g.sw
		c.offsP = make([]int, len(c.offsF))
		for t, o := range c.offsF {
			c.offsP[t] = o%g.sw*c.phaseLen + o/g.sw
		}
	}

	if g.sh > 1 || g.sw > 1 {
		c.initPhases()
	} else {
		c.initData()
	}

	c.wF = make([]float32, g.cout*c.kf)
	nslot := max(min(runtime.GOMAXPROCS(0), g.n), 1)
	c.slots = make([]convSlot, nslot)
	for i := range c.slots {
		c.slots[i] = convSlot{
			xp: make([]float32, c.lenX),
			yf: make([]float32, 4*c.spanF),
			u:  make([]float32, c.lenU),
			xf: make([]float32, 4*c.spanD),
			dw: make([]float64, g.cout*c.kf),
			db: make([]float64, nbias),
		}
		if transpose || !c.share {
			c.slots[i].gf = make([]float32, g.cout*c.spanF)
		}
		if g.sw > 1 {
			// The last phase is read up to spanF past its start.
			c.slots[i].xs = make([]float32, g.sw*c.phaseLen+c.spanF)
		}
	}
	return c
}

// images returns the batch range of slot s.
func (c *convCore) images(s int) (lo, hi int) {
	ns := len(c.slots)
	return s * c.n / ns, (s + 1) * c.n / ns
}

// initData lays out the unit-stride data-gradient frame (hu×wu, set by
// newConvCore) and its packed weights.
func (c *convCore) initData() {
	g := c.convGeom
	c.planeU = c.hu * c.wu
	c.ld = g.hin * c.wu
	c.spanD = corrSpan(c.ld)
	c.offsD = make([]int, 0, c.kd)
	for m := 0; m < c.mg; m++ {
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				c.offsD = append(c.offsD, m*c.planeU+g.dh*ky*c.wu+g.dw*kx)
			}
		}
	}
	c.lenU = max(g.cout*c.planeU, (g.group-1)*c.mg*c.planeU+c.spanD-1+c.offsD[len(c.offsD)-1]+1)
	c.wD = make([]float32, g.cin*c.kd)
}

// packForward packs w [cout][cg][kh][kw] for the forward frame.
func (c *convCore) packForward(w []float32) {
	kf := c.kf
	for g := 0; g < c.group; g++ {
		rows := w[g*c.mg*kf : (g+1)*c.mg*kf]
		packRows(c.wF[g*c.mg*kf:], c.mg, kf, func(j, t int) float32 { return rows[j*kf+t] })
	}
}

// packData packs w flipped and with its channel axes swapped, for the
// data-gradient frame: row c (an input channel), tap (m, ky', kx') holds
// w[m][c][kh−1−ky'][kw−1−kx'].
func (c *convCore) packData(w []float32) {
	if len(c.phases) > 0 {
		c.packPhases(w)
		return
	}
	kh, kw, cg, mg := c.kh, c.kw, c.cg, c.mg
	for g := 0; g < c.group; g++ {
		wg := w[g*mg*c.kf : (g+1)*mg*c.kf]
		packRows(c.wD[g*cg*c.kd:], cg, c.kd, func(j, t int) float32 {
			m, r := t/(kh*kw), t%(kh*kw)
			ky, kx := kh-1-r/kw, kw-1-r%kw
			return wg[((m*cg+j)*kh+ky)*kw+kx]
		})
	}
}

// fillX copies one image x [cin][hin][win] into the forward frame (with
// up2, x is [cin][hin/2][win/2], upsampled 2× on the way), and with a
// stride above 1 splits the frame into its phases.
func (c *convCore) fillX(sl *convSlot, x []float32) {
	if c.up2 {
		h, w := c.hin/2, c.win/2
		for ci := 0; ci < c.cin; ci++ {
			upsample2(sl.xp[ci*c.planeX+c.pt*c.wp+c.pl:], c.wp, x[ci*h*w:], w, h, w)
		}
	} else {
		for ci := 0; ci < c.cin; ci++ {
			copyRows(sl.xp[ci*c.planeX+c.pt*c.wp+c.pl:], c.wp, x[ci*c.hin*c.win:], c.win, c.hin, c.win, 0)
		}
	}
	if c.sw > 1 {
		deinterleave(sl.xs, sl.xp, c.sw, c.phaseLen)
	}
}

// deinterleave writes dst[r·n + q] = src[s·q + r] for r < s and s·q + r <
// len(src).
func deinterleave(dst, src []float32, s, n int) {
	for r := 0; r < s; r++ {
		d := dst[r*n : (r+1)*n]
		q := 0
		for i := r; i < len(src); i += s {
			d[q] = src[i]
			q++
		}
	}
}

// xin returns the forward frame of group g and the tap offsets to read it
// at with unit stride: the padded planes themselves, or their phases when
// sw > 1.
func (c *convCore) xin(sl *convSlot, g int) ([]float32, []int) {
	if c.sw == 1 {
		return sl.xp[g*c.cg*c.planeX:], c.offsF
	}
	return sl.xs[g*c.cg*c.planeX/c.sw:], c.offsP
}

// forward computes one image y [cout][hout][wout] from the x in sl.xp, plus
// bias (nil for none), with weights packed by packForward.
func (c *convCore) forward(sl *convSlot, y, bias []float32) {
	ys := c.hout * c.wout
	for g := 0; g < c.group; g++ {
		xp, offs := c.xin(sl, g)
		for j := g * c.mg; j < (g+1)*c.mg; {
			// A block of up to 4 rows at a time, extracted while it
			// is still in L1.
			mb := blockRows((g+1)*c.mg - j)
			corrRows(sl.yf, c.spanF, xp, offs, c.wF[j*c.kf:], mb, c.lf)
			var b []float32
			if bias != nil {
				b = bias[j:]
			}
			extract(y[j*ys:], sl.yf, mb, c.hout, c.wout, c.spanF, c.wq, b, c.relu)
			j += mb
		}
	}
}

// forwardPool is forward with the output max-pooled 2×2 (stride 2) as it
// leaves the flat rows, the Relu (c.relu) applied before the pool:
// pooled [cout][hout/2][wout/2] and the winning taps in arg. hout and wout
// are even.
func (c *convCore) forwardPool(sl *convSlot, pooled []float32, arg []uint8, bias []float32) {
	ps := c.hout * c.wout / 4
	for g := 0; g < c.group; g++ {
		xp, offs := c.xin(sl, g)
		for j := g * c.mg; j < (g+1)*c.mg; {
			mb := blockRows((g+1)*c.mg - j)
			corrRows(sl.yf, c.spanF, xp, offs, c.wF[j*c.kf:], mb, c.lf)
			for r := 0; r < mb; r++ {
				var b float32
				if bias != nil {
					b = bias[j+r]
				}
				maxPool2x2(pooled[(j+r)*ps:], arg[(j+r)*ps:], sl.yf[r*c.spanF:], c.wq, c.wout/2, c.hout/2, b, c.relu)
			}
			j += mb
		}
	}
}

// fillU copies one image dy [cout][hout][wout] into the data-gradient
// frame.
func (c *convCore) fillU(sl *convSlot, dy []float32) {
	if len(c.phases) > 0 {
		c.fillPhased(sl, dy)
		return
	}
	// Unit stride here (strides above 1 run by phases): columns x0 ≤ x <
	// x1 and rows y0 ≤ y < y1 land inside the frame.
	x0, x1 := max(0, -c.colU), min(c.wout, c.wu-c.colU)
	y0, y1 := max(0, -c.rowU), min(c.hout, c.hu-c.rowU)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	for m := 0; m < c.cout; m++ {
		copyRows(sl.u[m*c.planeU+(c.rowU+y0)*c.wu+c.colU+x0:], c.wu, dy[m*c.hout*c.wout+y0*c.wout+x0:], c.wout, y1-y0, x1-x0, 0)
	}
}

// data computes one image dx [cin][hin][win] from the dy in sl.u, plus bias
// (nil for none), with weights packed by packData. With sum2, dx is
// [cin][hin/2][win/2], each value the sum of a 2×2 block (bias ignored).
func (c *convCore) data(sl *convSlot, dx, bias []float32) {
	if len(c.phases) > 0 {
		if c.sum2 {
			panic("graph: sum2 fusion on a strided convolution")
		}
		c.dataPhased(sl, dx, bias)
		return
	}
	xs := c.hin * c.win
	for g := 0; g < c.group; g++ {
		u := sl.u[g*c.mg*c.planeU:]
		for j := g * c.cg; j < (g+1)*c.cg; {
			mb := blockRows((g+1)*c.cg - j)
			corrRows(sl.xf, c.spanD, u, c.offsD, c.wD[j*c.kd:], mb, c.ld)
			if c.sum2 {
				for r := 0; r < mb; r++ {
					sum2x2(dx[(j+r)*xs/4:], sl.xf[r*c.spanD:], c.wu, c.hin/2, c.win/2)
				}
				j += mb
				continue
			}
			var b []float32
			if bias != nil {
				b = bias[j:]
			}
			extract(dx[j*xs:], sl.xf, mb, c.hin, c.win, c.spanD, c.wu, b, false)
			j += mb
		}
	}
}

// fillG copies one image dy [cout][hout][wout] into the forward frame's
// output layout.
func (c *convCore) fillG(sl *convSlot, dy []float32) {
	for m := 0; m < c.cout; m++ {
		copyRows(sl.gf[m*c.spanF:], c.wq, dy[m*c.hout*c.wout:], c.wout, c.hout, c.wout, 0)
	}
}

// filter adds to sl.dw the filter gradient of one image, from the x in
// sl.xp and the dy in sl.gf (fromU false) or, when c.share, in sl.u.
func (c *convCore) filter(sl *convSlot, fromU bool) {
	gf, gstride, base := sl.gf, c.spanF, 0
	if fromU {
		gf, gstride, base = sl.u, c.planeU, c.shift
	}
	for g := 0; g < c.group; g++ {
		xp, offs := c.xin(sl, g)
		dotRows(sl.dw[g*c.mg*c.kf:], c.kf, gf[base+g*c.mg*gstride:], gstride, xp, offs, c.mg, c.lf)
	}
}

// extract copies the valid positions of rows flat rows (row stride span,
// image row stride w) into t [rows][h][wd], adding bias[row] when bias is
// not nil, and then with relu taking max(·, 0).
func extract(t, flat []float32, rows, h, wd, span, w int, bias []float32, relu bool) {
	for r := 0; r < rows; r++ {
		var b float32
		if bias != nil {
			b = bias[r]
		}
		if relu {
			copyRowsRelu(t[r*h*wd:], wd, flat[r*span:], w, h, wd, b)
			continue
		}
		copyRows(t[r*h*wd:], wd, flat[r*span:], w, h, wd, b)
	}
}

// sumPlanes adds to acc[r] the sum of plane r of t [rows][size].
func sumPlanes(acc []float64, t []float32, rows, size int) {
	for r := 0; r < rows; r++ {
		acc[r] += sumPlane(t[r*size : (r+1)*size])
	}
}

// reduceSlots writes dst[i] = Σ_slots part(slot)[i], slots in order.
func (c *convCore) reduceSlots(dst []float32, part func(*convSlot) []float64) {
	for i := range dst {
		var s float64
		for k := range c.slots {
			s += part(&c.slots[k])[i]
		}
		dst[i] = float32(s)
	}
}

// backwardImage computes one image's gradients from its dy [cout][hout][wout]:
// the data gradient into dx (nil for none, with weights packed by
// packData), and with wantDW and wantDB the filter and bias gradients,
// added to sl.dw and sl.db. x, the image's input, is read only for the
// filter gradient. When c.share, dy may be nil: the caller has written it
// into the data-gradient frame (sl.u from c.shift on, rows wu apart).
func (c *convCore) backwardImage(sl *convSlot, x, dy, dx []float32, wantDW, wantDB bool) {
	if c.share {
		// dy is copied once, into the data-gradient frame, and read
		// from there by all three gradients.
		if dy != nil {
			c.fillU(sl, dy)
		}
		if wantDW {
			c.fillX(sl, x)
			c.filter(sl, true)
		}
		if dx != nil {
			c.data(sl, dx, nil)
		}
		if wantDB {
			sumPlanes(sl.db, sl.u, c.cout, c.planeU)
		}
		return
	}
	if wantDW {
		c.fillX(sl, x)
		c.fillG(sl, dy)
		c.filter(sl, false)
	}
	if dx != nil {
		c.fillU(sl, dy)
		c.data(sl, dx, nil)
	}
	if wantDB {
		sumPlanes(sl.db, dy, c.cout, c.hout*c.wout)
	}
}
