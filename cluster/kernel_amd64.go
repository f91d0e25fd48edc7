//go:build amd64 && !purego

package cluster

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels (AVX2 and FMA); without them the
// pure-Go kernels run.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dot4AVX2(x, a, b, c, e *float32, n int, out *[4]float32)

//go:noescape
func sqDistAVX2(x, y *float32, n int) float32

//go:noescape
func addToAVX2(acc *float64, x *float32, n int)

// dot4 returns x·a, x·b, x·c and x·e in one pass over x.
func dot4(x, a, b, c, e []float32) (float32, float32, float32, float32) {
	n := len(x)
	if !useAVX2 || n == 0 {
		return dot4Go(x, a, b, c, e)
	}
	a, b, c, e = a[:n], b[:n], c[:n], e[:n]
	var out [4]float32
	dot4AVX2(&x[0], &a[0], &b[0], &c[0], &e[0], n, &out)
	return out[0], out[1], out[2], out[3]
}

// sqDist returns ||x-y||².
func sqDist(x, y []float32) float32 {
	n := len(x)
	if !useAVX2 || n == 0 {
		return sqDistGo(x, y)
	}
	y = y[:n]
	return sqDistAVX2(&x[0], &y[0], n)
}

// addTo adds x to the float64 accumulator acc.
func addTo(acc []float64, x []float32) {
	n := len(x)
	if !useAVX2 || n == 0 {
		addToGo(acc, x)
		return
	}
	acc = acc[:n]
	addToAVX2(&acc[0], &x[0], n)
}

//go:noescape
func group4x16AVX2(xt *float32, d int, c0, c1, c2, c3 *float32, cn *[4]float32, ids *[4]int32, best *[16]float32, bestIdx *[16]int32)

// group4x16 updates the best scores of a transposed block of 16 points
// with 4 centers (see group4x16Go).
func group4x16(xt []float32, d int, c *[4][]float32, cn *[4]float32, ids *[4]int32, best *[blockSize]float32, bestIdx *[blockSize]int32) {
	if !useAVX2 || d == 0 {
		group4x16Go(xt, d, c, cn, ids, best, bestIdx)
		return
	}
	xt = xt[:blockSize*d]
	c0, c1, c2, c3 := c[0][:d], c[1][:d], c[2][:d], c[3][:d]
	group4x16AVX2(&xt[0], d, &c0[0], &c1[0], &c2[0], &c3[0], cn, ids, best, bestIdx)
}
