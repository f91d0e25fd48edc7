package graph

// The data gradient of a strided convolution (which is also ConvTranspose's
// forward) by phases.
//
// Zero-inserted into a frame (the textbook way), all but 1/(sh·sw) of dy's
// frame would be zeros that the kernels multiply through. Instead dx is cut into
// its sh·sw phases, the rows i ≡ ri (mod sh) and columns j ≡ rj (mod sw):
// a phase meets only the taps ky' with sh | ri + dh·ky' − rowU (and likewise
// kx'), and for output (ri + sh·a, rj + sw·b) such a tap reads
// dy[a + qy][b + qx], qy = (ri + dh·ky' − rowU)/sh. So each phase is a
// unit-stride correlation of the compact dy, zero-padded by offY rows and
// offX columns, with its own subset of the flipped taps; the phases together
// hold every tap once. The frame (sl.u) is hu×wu per channel, dy at
// (offY, offX).

// dataPhase is one phase's correlation.
type dataPhase struct {
	ri, rj int // dx rows ri + sh·a and columns rj + sw·b
	na, nb int // a < na, b < nb
	l      int // flat positions computed: na·wu
	offs   []int
	taps   [][3]int  // (m, ky', kx') of each offset, for packing
	w      []float32 // weights packed per group, rows cg·len(offs) apart
}

// phaseAxis is one axis of one phase: n outputs, reached by the flipped
// taps ks reading input a + q for output a.
type phaseAxis struct {
	n      int
	ks, qs []int
}

// phaseAxes splits an axis of n data-gradient outputs, stride s, dilation
// d, k taps and zero-inserted origin row0 into its s phases.
func phaseAxes(n, s, d, k, row0 int) []phaseAxis {
	ax := make([]phaseAxis, s)
	for r := range ax {
		if r < n {
			ax[r].n = (n - r + s - 1) / s
		}
		for kk := 0; kk < k; kk++ {
			if v := r + d*kk - row0; v%s == 0 {
				ax[r].ks = append(ax[r].ks, kk)
				ax[r].qs = append(ax[r].qs, v/s)
			}
		}
	}
	return ax
}

// phaseFrame returns the zero padding before the data (off) and the frame
// extent along one axis that every phase's reads fit in.
func phaseFrame(ax []phaseAxis, nIn int) (off, extent int) {
	lo, hi, nmax := 0, 0, 0
	for _, a := range ax {
		if a.n == 0 {
			continue
		}
		nmax = max(nmax, a.n)
		for _, q := range a.qs {
			lo, hi = min(lo, q), max(hi, q)
		}
	}
	off = -lo
	return off, max(off+nIn, nmax+off+hi)
}

// initPhases lays out the phased data-gradient frame; newConvCore calls it,
// instead of initData, for strides above 1, before sizing the slots.
func (c *convCore) initPhases() {
	g := c.convGeom
	rows := phaseAxes(g.hin, g.sh, g.dh, g.kh, c.rowU)
	cols := phaseAxes(g.win, g.sw, g.dw, g.kw, c.colU)
	var hu, wu int
	c.offY, hu = phaseFrame(rows, g.hout)
	c.offX, wu = phaseFrame(cols, g.wout)
	// One spare row so the flat reads past a phase's last output stay
	// inside the frame.
	c.hu, c.wu = hu+1, wu
	c.planeU = c.hu * c.wu
	c.lenU, c.spanD = g.cout*c.planeU, 0
	c.phases = c.phases[:0]
	for ri, ry := range rows {
		if ry.n == 0 {
			continue
		}
		for rj, rx := range cols {
			if rx.n == 0 {
				continue
			}
			ph := dataPhase{ri: ri, rj: rj, na: ry.n, nb: rx.n, l: ry.n * c.wu}
			maxOff := 0
			for m := 0; m < c.mg; m++ {
				for iy, ky := range ry.ks {
					for ix, kx := range rx.ks {
						o := m*c.planeU + (c.offY+ry.qs[iy])*c.wu + c.offX + rx.qs[ix]
						ph.offs = append(ph.offs, o)
						ph.taps = append(ph.taps, [3]int{m, ky, kx})
						maxOff = max(maxOff, o)
					}
				}
			}
			ph.w = make([]float32, g.cin*len(ph.offs))
			span := corrSpan(ph.l)
			c.spanD = max(c.spanD, span)
			c.lenU = max(c.lenU, (g.group-1)*c.mg*c.planeU+span+maxOff)
			c.phases = append(c.phases, ph)
		}
	}
}

// packPhases is packData for the phased frame.
func (c *convCore) packPhases(w []float32) {
	kh, kw, cg, mg := c.kh, c.kw, c.cg, c.mg
	for p := range c.phases {
		ph := &c.phases[p]
		kt := len(ph.offs)
		for g := 0; g < c.group; g++ {
			wg := w[g*mg*c.kf : (g+1)*mg*c.kf]
			packRows(ph.w[g*cg*kt:], cg, kt, func(j, t int) float32 {
				tp := ph.taps[t]
				return wg[((tp[0]*cg+j)*kh+kh-1-tp[1])*kw+kw-1-tp[2]]
			})
		}
	}
}

// fillPhased copies one image dy [cout][hout][wout] into the phased frame.
func (c *convCore) fillPhased(sl *convSlot, dy []float32) {
	for m := 0; m < c.cout; m++ {
		copyRows(sl.u[m*c.planeU+c.offY*c.wu+c.offX:], c.wu, dy[m*c.hout*c.wout:], c.wout, c.hout, c.wout, 0)
	}
}

// dataPhased is data for the phased frame.
func (c *convCore) dataPhased(sl *convSlot, dx, bias []float32) {
	xs := c.hin * c.win
	for g := 0; g < c.group; g++ {
		u := sl.u[g*c.mg*c.planeU:]
		for j := g * c.cg; j < (g+1)*c.cg; {
			mb := blockRows((g+1)*c.cg - j)
			for p := range c.phases {
				ph := &c.phases[p]
				corrRows(sl.xf, c.spanD, u, ph.offs, ph.w[j*len(ph.offs):], mb, ph.l)
				for r := 0; r < mb; r++ {
					var b float32
					if bias != nil {
						b = bias[j+r]
					}
					scatterPhase(dx[(j+r)*xs:], c.win, sl.xf[r*c.spanD:], c.wu, ph, c.sh, c.sw, b)
				}
			}
			j += mb
		}
	}
}

// scatterPhase writes dst[(ri + sh·a)·w + rj + sw·b] = flat[a·fw + b] + bias
// for one phase's outputs.
func scatterPhase(dst []float32, w int, flat []float32, fw int, ph *dataPhase, sh, sw int, bias float32) {
	for a := 0; a < ph.na; a++ {
		row := dst[(ph.ri+sh*a)*w+ph.rj:]
		src := flat[a*fw : a*fw+ph.nb]
		for b, v := range src {
			row[sw*b] = v + bias
		}
	}
}
