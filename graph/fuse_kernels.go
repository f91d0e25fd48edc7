package graph

// The element-wise pieces of fused convolutions (fuse.go), each an AVX2
// kernel (fuse_amd64.s) with a pure-Go twin that computes the same bits.

// copyRowsRelu is copyRows followed by Go's max(·, 0): NaN stays NaN and
// −0 becomes +0, as Relu's forward gives.
func copyRowsRelu(dst []float32, dstride int, src []float32, sstride int, rows, wd int, bias float32) {
	if rows <= 0 || wd <= 0 {
		return
	}
	if convAsm && wd >= 4 {
		if (rows-1)*dstride+wd > len(dst) || (rows-1)*sstride+wd > len(src) {
			panic("graph: copyRowsRelu out of range")
		}
		rowsBiasRelu(&dst[0], dstride, &src[0], sstride, rows, wd, bias)
		return
	}
	for r := 0; r < rows; r++ {
		d := dst[r*dstride : r*dstride+wd]
		s := src[r*sstride : r*sstride+wd]
		for i := range d {
			d[i] = max(s[i]+bias, 0)
		}
	}
}

// reluGrad writes d[i] = g[i] where y[i] > 0 and +0 elsewhere (NaN
// included): Relu's gradient, from its input or, equally, its output.
func reluGrad(d, g, y []float32) {
	n := len(y)
	d, g = d[:n], g[:n]
	i := 0
	if convAsm && n >= 8 {
		i = n &^ 7
		reluMask(&d[0], &g[0], &y[0], i)
	}
	for ; i < n; i++ {
		if y[i] > 0 {
			d[i] = g[i]
		} else {
			d[i] = 0
		}
	}
}

// maxPool2x2 is MaxPool 2×2 with stride 2 over rows output rows of outw
// columns: output row r reads rows 2r and 2r+1 of src (sstride apart),
// each value v taken as v + bias and, with relu, as max(v + bias, 0), the
// values copyRows and copyRowsRelu store. It writes the maxima to dst and
// the winning tap of each window (0 to 3, row-major) to arg. The taps are
// taken in row-major order and only a greater value displaces the winner,
// as poolKernel does.
func maxPool2x2(dst []float32, arg []uint8, src []float32, sstride, outw, rows int, bias float32, relu bool) {
	if rows <= 0 || outw <= 0 {
		return
	}
	if (2*rows-1)*sstride+2*outw > len(src) || len(dst) < rows*outw || len(arg) < rows*outw {
		panic("graph: maxPool2x2 out of range")
	}
	if convAsm && outw >= 4 {
		r := 0
		if relu {
			r = 1
		}
		pool2x2(&dst[0], &arg[0], &src[0], sstride, outw, rows, bias, r)
		return
	}
	val := func(v float32) float32 { // as copyRowsRelu and copyRows store v
		if relu {
			return max(v+bias, 0)
		}
		return v + bias
	}
	for r := range rows {
		r0 := src[2*r*sstride : 2*r*sstride+2*outw]
		r1 := src[(2*r+1)*sstride : (2*r+1)*sstride+2*outw]
		d, a := dst[r*outw:(r+1)*outw], arg[r*outw:(r+1)*outw]
		for o := range d {
			best, t := val(r0[2*o]), uint8(0)
			if v := val(r0[2*o+1]); v > best {
				best, t = v, 1
			}
			if v := val(r1[2*o]); v > best {
				best, t = v, 2
			}
			if v := val(r1[2*o+1]); v > best {
				best, t = v, 3
			}
			d[o], a[o] = best, t
		}
	}
}

// unpoolMax2x2 is the adjoint of maxPool2x2, with its Relu when relu: for
// output row r, the windows on rows 2r and 2r+1 of dst (dstride apart) get
// g + 0 at the winning tap (0 instead when relu and the pooled value out
// is not > 0) and +0 at the others: the bits that MaxPool's and then
// Relu's backward give.
func unpoolMax2x2(dst []float32, dstride int, g, out []float32, arg []uint8, outw, rows int, relu bool) {
	if rows <= 0 || outw <= 0 {
		return
	}
	if (2*rows-1)*dstride+2*outw > len(dst) || len(g) < rows*outw || len(out) < rows*outw || len(arg) < rows*outw {
		panic("graph: unpoolMax2x2 out of range")
	}
	if convAsm && outw >= 4 {
		r := 0
		if relu {
			r = 1
		}
		unpool2x2(&dst[0], dstride, &g[0], &out[0], &arg[0], outw, rows, r)
		return
	}
	for r := range rows {
		r0 := dst[2*r*dstride : 2*r*dstride+2*outw]
		r1 := dst[(2*r+1)*dstride : (2*r+1)*dstride+2*outw]
		for o := range outw {
			i := r*outw + o
			v := g[i] + 0
			if relu && !(out[i] > 0) {
				v = 0
			}
			r0[2*o], r0[2*o+1], r1[2*o], r1[2*o+1] = 0, 0, 0, 0
			switch arg[i] {
			case 0:
				r0[2*o] = v
			case 1:
				r0[2*o+1] = v
			case 2:
				r1[2*o] = v
			default:
				r1[2*o+1] = v
			}
		}
	}
}

// reluGradRows is reluGrad from rows×wd images g and y into rows of d
// (dstride apart).
func reluGradRows(d []float32, dstride int, g, y []float32, rows, wd int) {
	if rows <= 0 || wd <= 0 {
		return
	}
	if (rows-1)*dstride+wd > len(d) || len(g) < rows*wd || len(y) < rows*wd {
		panic("graph: reluGradRows out of range")
	}
	if convAsm && wd >= 4 {
		reluRows(&d[0], dstride, &g[0], &y[0], rows, wd)
		return
	}
	for r := range rows {
		reluGrad(d[r*dstride:r*dstride+wd], g[r*wd:(r+1)*wd], y[r*wd:(r+1)*wd])
	}
}

// upsample2 writes every value of the rows×wd image src (row stride
// sstride) twice into two rows of dst (row stride dstride): nearest 2×
// upsampling, into a convolution frame.
func upsample2(dst []float32, dstride int, src []float32, sstride, rows, wd int) {
	if rows <= 0 || wd <= 0 {
		return
	}
	if (2*rows-1)*dstride+2*wd > len(dst) || (rows-1)*sstride+wd > len(src) {
		panic("graph: upsample2 out of range")
	}
	if convAsm && wd >= 4 {
		upRows2(&dst[0], dstride, &src[0], sstride, rows, wd)
		return
	}
	for r := range rows {
		s := src[r*sstride : r*sstride+wd]
		d0 := dst[2*r*dstride : 2*r*dstride+2*wd]
		d1 := dst[(2*r+1)*dstride : (2*r+1)*dstride+2*wd]
		for i, v := range s {
			d0[2*i], d0[2*i+1], d1[2*i], d1[2*i+1] = v, v, v, v
		}
	}
}

// sum2x2 is the adjoint of upsample2 from a strided source: dst[r·outw +
// j] = (0 + (a + b)) + (c + d), a and b the values at columns 2j and 2j+1
// of src row 2r, c and d of row 2r+1, rows sstride apart; the sums, in
// their order, of resizeKernel.blockBackward.
func sum2x2(dst, src []float32, sstride, rows, outw int) {
	if rows <= 0 || outw <= 0 {
		return
	}
	if (2*rows-1)*sstride+2*outw > len(src) || rows*outw > len(dst) {
		panic("graph: sum2x2 out of range")
	}
	if convAsm && outw >= 4 {
		sumRows2(&dst[0], &src[0], sstride, rows, outw)
		return
	}
	for r := range rows {
		s0 := src[2*r*sstride : 2*r*sstride+2*outw]
		s1 := src[(2*r+1)*sstride : (2*r+1)*sstride+2*outw]
		d := dst[r*outw : (r+1)*outw]
		for j := range d {
			d[j] = (0 + (s0[2*j] + s0[2*j+1])) + (s1[2*j] + s1[2*j+1])
		}
	}
}
