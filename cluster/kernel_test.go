package cluster

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// The dispatching kernels (assembly where the CPU has AVX2 and FMA) agree
// with float64 references for every length, tails included.
func TestKernelsAgainstFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 70; n++ {
		if n > 40 && n != 49 && n != 64 && n != 70 {
			continue
		}
		x, a, b, c, e := randVec(rng, n), randVec(rng, n), randVec(rng, n), randVec(rng, n), randVec(rng, n)
		var want [4]float64
		wantSq := 0.0
		for i := range n {
			for u, r := range [][]float32{a, b, c, e} {
				want[u] += float64(x[i]) * float64(r[i])
			}
			dv := float64(x[i]) - float64(a[i])
			wantSq += dv * dv
		}
		s0, s1, s2, s3 := dot4(x, a, b, c, e)
		for u, got := range []float32{s0, s1, s2, s3} {
			if math.Abs(float64(got)-want[u]) > 1e-5*(1+math.Sqrt(float64(n))) {
				t.Errorf("n=%d: dot4[%d] = %v, want %v", n, u, got, want[u])
			}
		}
		g0, _, _, _ := dot4Go(x, a, b, c, e)
		if math.Abs(float64(g0)-want[0]) > 1e-5*(1+math.Sqrt(float64(n))) {
			t.Errorf("n=%d: dot4Go = %v, want %v", n, g0, want[0])
		}
		if got := sqDist(x, a); math.Abs(float64(got)-wantSq) > 1e-5*(1+wantSq) {
			t.Errorf("n=%d: sqDist = %v, want %v", n, got, wantSq)
		}
		acc := make([]float64, n)
		for i := range acc {
			acc[i] = float64(i)
		}
		addTo(acc, x)
		for i := range acc {
			if acc[i] != float64(i)+float64(x[i]) {
				t.Fatalf("n=%d: addTo[%d] = %v, want %v", n, i, acc[i], float64(i)+float64(x[i]))
			}
		}
	}
}

// The block kernel labels like the row kernel, and its scores are
// ||c||² − 2x·c.
func TestNearestBlockMatchesRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ n, d, k int }{{16, 1, 1}, {37, 5, 3}, {100, 98, 10}, {64, 13, 8}, {50, 3, 17}} {
		x := randVec(rng, c.n*c.d)
		centers := randVec(rng, c.k*c.d)
		cnorm := make([]float32, c.k)
		for j := range c.k {
			cnorm[j] = dot(centers[j*c.d:(j+1)*c.d], centers[j*c.d:(j+1)*c.d])
		}
		xt := transposeBlocks(x, c.n, c.d)
		var lab [blockSize]int32
		var sc [blockSize]float32
		for b := 0; b < c.n; b += blockSize {
			nearestBlock(xt[b*c.d:(b+blockSize)*c.d], c.d, centers, cnorm, &lab, &sc)
			for l := 0; l < blockSize && b+l < c.n; l++ {
				i := b + l
				want, wantScore := nearest(x[i*c.d:(i+1)*c.d], centers, cnorm)
				if int(lab[l]) != want {
					t.Errorf("%+v point %d: block label %d, row label %d", c, i, lab[l], want)
				}
				if math.Abs(float64(sc[l]-wantScore)) > 1e-4*(1+math.Abs(float64(wantScore))) {
					t.Errorf("%+v point %d: block score %v, row score %v", c, i, sc[l], wantScore)
				}
			}
		}
		// The portable block kernel gives the same labels.
		for b := 0; b < c.n; b += blockSize {
			var best [blockSize]float32
			var idx [blockSize]int32
			for l := range best {
				best[l] = float32(math.Inf(1))
			}
			for j := 0; j < c.k; j += 4 {
				var cs [4][]float32
				var cn [4]float32
				var ids [4]int32
				for u := range 4 {
					jj := min(j+u, c.k-1)
					cs[u], cn[u], ids[u] = centers[jj*c.d:(jj+1)*c.d], cnorm[jj], int32(jj)
				}
				group4x16Go(xt[b*c.d:(b+blockSize)*c.d], c.d, &cs, &cn, &ids, &best, &idx)
			}
			nearestBlock(xt[b*c.d:(b+blockSize)*c.d], c.d, centers, cnorm, &lab, &sc)
			if idx != lab {
				t.Errorf("%+v block %d: portable kernel labels %v, dispatched %v", c, b/blockSize, idx, lab)
			}
		}
	}
}

func TestForChunksCoversEveryPointOnce(t *testing.T) {
	for _, n := range []int{1, 255, 256, 257, 10000} {
		seen := make([]int32, n)
		var chunks atomic.Int32
		forChunks(n, func(c, lo, hi int) {
			chunks.Add(1)
			if lo != c*chunkSize || hi > n || hi <= lo {
				t.Errorf("n=%d chunk %d: [%d, %d)", n, c, lo, hi)
			}
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		})
		for i, s := range seen {
			if s != 1 {
				t.Fatalf("n=%d: point %d handled %d times", n, i, s)
			}
		}
		if int(chunks.Load()) != numChunks(n) {
			t.Errorf("n=%d: %d chunks, want %d", n, chunks.Load(), numChunks(n))
		}
	}
}
