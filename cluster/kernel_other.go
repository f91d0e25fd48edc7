//go:build !amd64 || purego

package cluster

// useAVX2 is false where there are no assembly kernels.
const useAVX2 = false

// dot4 returns x·a, x·b, x·c and x·e in one pass over x.
func dot4(x, a, b, c, e []float32) (float32, float32, float32, float32) {
	return dot4Go(x, a, b, c, e)
}

// sqDist returns ||x-y||².
func sqDist(x, y []float32) float32 { return sqDistGo(x, y) }

// addTo adds x to the float64 accumulator acc.
func addTo(acc []float64, x []float32) { addToGo(acc, x) }

// group4x16 updates the best scores of a transposed block of 16 points
// with 4 centers (see group4x16Go).
func group4x16(xt []float32, d int, c *[4][]float32, cn *[4]float32, ids *[4]int32, best *[blockSize]float32, bestIdx *[blockSize]int32) {
	group4x16Go(xt, d, c, cn, ids, best, bestIdx)
}
