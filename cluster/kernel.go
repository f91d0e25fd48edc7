package cluster

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkSize is the number of points one parallel task handles. It is fixed
// (not derived from the core count) so that per-chunk partial sums, reduced
// in chunk order, give bit-identical results on any number of cores.
const chunkSize = 256

// numChunks returns how many chunks of chunkSize cover n points.
func numChunks(n int) int { return (n + chunkSize - 1) / chunkSize }

// forChunks runs fn on every chunk of [0, n), handing chunks to one worker
// per core as they free up. fn must write only to per-chunk or per-point
// storage.
func forChunks(n int, fn func(c, lo, hi int)) {
	nc := numChunks(n)
	w := min(runtime.GOMAXPROCS(0), nc)
	if w <= 1 {
		for c := range nc {
			fn(c, c*chunkSize, min(n, (c+1)*chunkSize))
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= nc {
				return
			}
			fn(c, c*chunkSize, min(n, (c+1)*chunkSize))
		}
	}
	var wg sync.WaitGroup
	wg.Add(w - 1)
	for range w - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// dot returns x·y in float32 with four independent accumulators.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sqDistGo returns ||x-y||² in float32 with four independent accumulators.
func sqDistGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0 := x[i] - y[i]
		d1 := x[i+1] - y[i+1]
		d2 := x[i+2] - y[i+2]
		d3 := x[i+3] - y[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := x[i] - y[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// dot4Go returns x·a, x·b, x·c and x·e in one pass over x.
func dot4Go(x, a, b, c, e []float32) (s0, s1, s2, s3 float32) {
	n := len(x)
	a, b, c, e = a[:n], b[:n], c[:n], e[:n]
	for i, v := range x {
		s0 += v * a[i]
		s1 += v * b[i]
		s2 += v * c[i]
		s3 += v * e[i]
	}
	return
}

// nearest returns the index of the center nearest to x and its score
// ||c||² - 2 x·c (the squared distance less ||x||²); ties go to the lower
// index. centers is k×d row-major, cnorm holds each ||c||².
func nearest(x, centers, cnorm []float32) (int, float32) {
	d := len(x)
	k := len(cnorm)
	best, bestScore := 0, float32(math.Inf(1))
	for j := 0; j < k; j += 4 {
		// Past the last center, the last one is repeated.
		j1, j2, j3 := min(j+1, k-1), min(j+2, k-1), min(j+3, k-1)
		s0, s1, s2, s3 := dot4(x, centers[j*d:(j+1)*d], centers[j1*d:(j1+1)*d],
			centers[j2*d:(j2+1)*d], centers[j3*d:(j3+1)*d])
		if s := cnorm[j] - 2*s0; s < bestScore {
			best, bestScore = j, s
		}
		if s := cnorm[j1] - 2*s1; s < bestScore {
			best, bestScore = j1, s
		}
		if s := cnorm[j2] - 2*s2; s < bestScore {
			best, bestScore = j2, s
		}
		if s := cnorm[j3] - 2*s3; s < bestScore {
			best, bestScore = j3, s
		}
	}
	return best, bestScore
}

// addToGo adds x to the float64 accumulator acc.
func addToGo(acc []float64, x []float32) {
	acc = acc[:len(x)]
	for t, v := range x {
		acc[t] += float64(v)
	}
}

// blockSize is the number of points the block kernel labels at once; the
// points of a block are stored transposed (coordinate-major) so that the
// assembly kernel keeps one point per vector lane.
const blockSize = 16

// transposeBlocks copies the n×d points of x into blocks of blockSize
// points, coordinate-major within a block (block b, coordinate t, lane l
// at (b·d + t)·blockSize + l); the last block is padded with zeros.
func transposeBlocks(x []float32, n, d int) []float32 {
	nb := (n + blockSize - 1) / blockSize
	xt := make([]float32, nb*blockSize*d)
	for i := range n {
		b, l := i/blockSize, i%blockSize
		blk := xt[b*blockSize*d:]
		for t, v := range x[i*d : (i+1)*d] {
			blk[t*blockSize+l] = v
		}
	}
	return xt
}

// nearestBlock labels the blockSize points of one transposed block with
// their nearest centers (ties to the lower index) and their scores
// ||c||² - 2x·c.
func nearestBlock(xt []float32, d int, centers, cnorm []float32, labels *[blockSize]int32, scores *[blockSize]float32) {
	k := len(cnorm)
	inf := float32(math.Inf(1))
	for l := range scores {
		scores[l], labels[l] = inf, 0
	}
	xt = xt[:blockSize*d]
	for j := 0; j < k; j += 4 {
		// Past the last center, the last one is repeated; it never wins
		// over itself (strict <).
		var c [4][]float32
		var cn [4]float32
		var ids [4]int32
		for u := range 4 {
			jj := min(j+u, k-1)
			c[u], cn[u], ids[u] = centers[jj*d:(jj+1)*d], cnorm[jj], int32(jj)
		}
		group4x16(xt, d, &c, &cn, &ids, scores, labels)
	}
}

// group4x16Go is the portable twin of the assembly block kernel: for the
// 16 points of a transposed block and 4 centers, it computes the scores
// cn[u] - 2x·c[u] and keeps, per point, the lowest (strict <, centers in
// order) in best and its center index in bestIdx.
func group4x16Go(xt []float32, d int, c *[4][]float32, cn *[4]float32, ids *[4]int32, best *[blockSize]float32, bestIdx *[blockSize]int32) {
	var acc [4][blockSize]float32
	for t := range d {
		row := xt[t*blockSize : (t+1)*blockSize]
		for u := range 4 {
			cv := c[u][t]
			a := &acc[u]
			for l, v := range row {
				a[l] += v * cv
			}
		}
	}
	for u := range 4 {
		for l := range blockSize {
			if s := cn[u] - (acc[u][l] + acc[u][l]); s < best[l] {
				best[l], bestIdx[l] = s, ids[u]
			}
		}
	}
}
