package graph

// The two primitives every convolution here reduces to, on "flat" planes.
//
// A plane of H rows padded to width Wp is stored row after row, so the input
// under tap (ky, kx) of output (y, x) sits at flat index (y·Wp + x)·s +
// ky·dh·Wp + kx·dw (stride s along the flat axis, see convCore; for s > 1
// convCore splits the plane into s phases first, so that the reads below
// are unit-stride). Computing every flat position p = y·Wp + x, including
// the few x ≥ Wout that wrap into the next row and are thrown away, turns a
// 2-D convolution into
//
//	corrRows:  out[j][p] = Σ_t w[j][t] · in[p + offs[t]]     (forward, data gradient)
//	dotRows:   acc[j][t] += Σ_p g[j][p] · in[p + offs[t]]    (filter gradient)
//
// with one tap offset per (input channel, ky, kx): long unit-stride runs that
// the AVX2 micro-kernels (conv_kernels_amd64.s) stream through with their
// accumulators held in registers across all taps: corrRows in blocks of 4
// rows × 24 positions, 2 × 48 or 1 × 96, dotRows 4 rows × 3 taps, 2 × 6 or
// 1 × 8 dot products at a time. The pure-Go loops below
// compute the same and run where the CPU lacks AVX2/FMA and under the
// purego build tag.

// corrSpan returns the number of flat positions corrRows may write for l
// valid ones: callers size each output row, and the input's slack, by it.
func corrSpan(l int) int {
	return max(convRoundUp(l, 24), convRoundUp(l, 48), convRoundUp(l, 96))
}

func convRoundUp(a, b int) int { return (a + b - 1) / b * b }

// blockRows is how many rows corrRows and dotRows handle at once when r rows
// are left: 4, then 2, then 1.
func blockRows(r int) int {
	switch {
	case r >= 4:
		return 4
	case r >= 2:
		return 2
	}
	return 1
}

// packRows lays out an m×k weight matrix (at(j, t) is row j, tap t) the way
// corrRows reads it: row blocks of blockRows rows, each stored tap-major
// ([t][j]), so that a kernel finds the weights of one tap side by side.
func packRows(dst []float32, m, k int, at func(j, t int) float32) {
	i := 0
	for j0 := 0; j0 < m; {
		mb := blockRows(m - j0)
		for t := 0; t < k; t++ {
			for j := j0; j < j0+mb; j++ {
				dst[i] = at(j, t)
				i++
			}
		}
		j0 += mb
	}
}

// corrRows computes out[j·ostride + p] = Σ_t w(j, t) · in[p + offs[t]] for
// j < m and p < l, with w packed by packRows. On the assembly path
// it writes up to corrSpan(l) positions of each row and reads in up to index
// corrSpan(l) − 1 + max(offs); buffers are sized for that.
func corrRows(out []float32, ostride int, in []float32, offs []int, w []float32, m, l int) {
	k := len(offs)
	if m == 0 || l == 0 || k == 0 {
		for j := 0; j < m; j++ {
			clear(out[j*ostride : j*ostride+l])
		}
		return
	}
	asm := convAsm
	if asm {
		maxOff := 0
		for _, o := range offs {
			maxOff = max(maxOff, o)
		}
		if corrSpan(l)+maxOff > len(in) || (m-1)*ostride+corrSpan(l) > len(out) {
			panic("graph: conv scratch smaller than the flat kernel reads")
		}
	}
	for j := 0; j < m; {
		mb := blockRows(m - j)
		wb := w[j*k : (j+mb)*k]
		o := out[j*ostride:]
		switch {
		case !asm:
			corrGo(o, ostride, in, offs, wb, mb, l)
		case mb == 4:
			corr4x24(&o[0], ostride, &in[0], &offs[0], k, &wb[0], (l+23)/24)
		case mb == 2:
			corr2x48(&o[0], ostride, &in[0], &offs[0], k, &wb[0], (l+47)/48)
		default:
			corr1x96(&o[0], &in[0], &offs[0], k, &wb[0], (l+95)/96)
		}
		j += mb
	}
}

// corrGo is corrRows for one block of mb rows in plain Go.
func corrGo(out []float32, ostride int, in []float32, offs []int, w []float32, mb, l int) {
	for j := 0; j < mb; j++ {
		row := out[j*ostride : j*ostride+l]
		clear(row)
		for t, off := range offs {
			wv := w[t*mb+j]
			src := in[off : off+l]
			for p := range row {
				row[p] += wv * src[p]
			}
		}
	}
}

// dotRows adds to acc[j·astride + t] the dot product Σ_{p<l} g[j·gstride +
// p] · in[p + offs[t]] for j < m and t < len(offs). Each dot product is
// summed in float32 (in 8 lanes on the assembly path, ~l/8 terms each) and
// added in float64. On
// the assembly path rows of g are read up to convRoundUp(l, 8) and must
// be zero past l; in is read up to index convRoundUp(l, 8) − 1 + max(offs).
func dotRows(acc []float64, astride int, g []float32, gstride int, in []float32, offs []int, m, l int) {
	k := len(offs)
	if m == 0 || l == 0 || k == 0 {
		return
	}
	if !convAsm {
		dotGo(acc, astride, g, gstride, in, offs, m, l)
		return
	}
	nvec := (l + 7) / 8
	maxOff := 0
	for _, o := range offs {
		maxOff = max(maxOff, o)
	}
	if 8*nvec+maxOff > len(in) || (m-1)*gstride+8*nvec > len(g) {
		panic("graph: conv scratch smaller than the flat kernel reads")
	}
	var sums [12]float32
	var pad [8]int
	for j := 0; j < m; {
		mb := blockRows(m - j)
		kb := 8
		switch mb {
		case 4:
			kb = 3
		case 2:
			kb = 6
		}
		gb := g[j*gstride:]
		for t := 0; t < k; t += kb {
			o := offs[t:]
			n := min(kb, k-t)
			if n < kb {
				copy(pad[:], offs[t:])
				for i := n; i < kb; i++ {
					pad[i] = offs[k-1]
				}
				o = pad[:]
			}
			switch mb {
			case 4:
				dot4x3(&sums[0], &gb[0], gstride, &in[0], &o[0], nvec)
			case 2:
				dot2x6(&sums[0], &gb[0], gstride, &in[0], &o[0], nvec)
			default:
				dot1x8(&sums[0], &gb[0], &in[0], &o[0], nvec)
			}
			for jj := 0; jj < mb; jj++ {
				a := acc[(j+jj)*astride+t:]
				v := sums[jj*kb:][:n]
				for tt, e := range v {
					a[tt] += float64(e)
				}
			}
		}
		j += mb
	}
}

// dotGo is dotRows in plain Go.
func dotGo(acc []float64, astride int, g []float32, gstride int, in []float32, offs []int, m, l int) {
	for j := 0; j < m; j++ {
		row := g[j*gstride : j*gstride+l]
		a := acc[j*astride:]
		for t, off := range offs {
			var s0, s1, s2, s3 float32
			src := in[off : off+l]
			p := 0
			for ; p+4 <= l; p += 4 {
				s0 += row[p] * src[p]
				s1 += row[p+1] * src[p+1]
				s2 += row[p+2] * src[p+2]
				s3 += row[p+3] * src[p+3]
			}
			for ; p < l; p++ {
				s0 += row[p] * src[p]
			}
			a[t] += float64(s0) + float64(s1) + float64(s2) + float64(s3)
		}
	}
}

// copyRows writes dst[r·dstride + i] = src[r·sstride + i] + bias for r <
// rows and i < wd: the copies between tensors and flat planes.
func copyRows(dst []float32, dstride int, src []float32, sstride int, rows, wd int, bias float32) {
	if rows <= 0 || wd <= 0 {
		return
	}
	if convAsm && wd >= 4 {
		if (rows-1)*dstride+wd > len(dst) || (rows-1)*sstride+wd > len(src) {
			panic("graph: copyRows out of range")
		}
		rowsBias(&dst[0], dstride, &src[0], sstride, rows, wd, bias)
		return
	}
	// bias is added even when 0 (turning −0 into +0), as rowsBias does,
	// so that both paths store the same bits.
	for r := 0; r < rows; r++ {
		d := dst[r*dstride : r*dstride+wd]
		s := src[r*sstride : r*sstride+wd]
		for i := range d {
			d[i] = s[i] + bias
		}
	}
}

// sumPlane returns Σ p, summed in float32 over 8 interleaved lanes (32 on
// the assembly path) and then in float64.
func sumPlane(p []float32) float64 {
	var s [8]float32
	i := 0
	if convAsm && len(p) >= 8 {
		i = len(p) &^ 7
		sum8(&p[0], i, &s[0])
	}
	for ; i+8 <= len(p); i += 8 {
		for l := range s {
			s[l] += p[i+l]
		}
	}
	for ; i < len(p); i++ {
		s[0] += p[i]
	}
	return float64(s[0]) + float64(s[1]) + float64(s[2]) + float64(s[3]) +
		float64(s[4]) + float64(s[5]) + float64(s[6]) + float64(s[7])
}
