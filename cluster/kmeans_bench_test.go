package cluster

import (
	"math/rand/v2"
	"testing"
)

// codes returns n synthetic encoder codes of dimension d from k classes:
// each class has a mean and a 6-dimensional spread of its own (like the
// styles of a digit), plus noise, passed through a ReLU as the codes of a
// ReLU bottleneck are. Classes overlap, so k-means needs tens of
// iterations per run, as on real codes.
func codes(seed uint64, n, d, k int) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	const rank = 6
	means := make([]float64, k*d)
	for i := range means {
		means[i] = rng.NormFloat64()
	}
	basis := make([]float64, k*rank*d)
	for i := range basis {
		basis[i] = rng.NormFloat64() * 0.7
	}
	x := make([]float32, n*d)
	y := make([]int, n)
	var z [rank]float64
	for i := range n {
		c := rng.IntN(k)
		y[i] = c
		for r := range z {
			z[r] = rng.NormFloat64()
		}
		for t := range d {
			v := means[c*d+t] + rng.NormFloat64()
			for r := range z {
				v += z[r] * basis[(c*rank+r)*d+t]
			}
			x[i*d+t] = float32(max(v, 0))
		}
	}
	return x, y
}

func benchKMeans(b *testing.B, alg Algorithm) {
	x, _ := codes(1, 10000, 98, 10)
	iters := 0
	b.ResetTimer()
	for i := range b.N {
		m, err := KMeans(x, 10000, 98, Config{K: 10, Seed: uint64(i), Algorithm: alg})
		if err != nil {
			b.Fatal(err)
		}
		iters += m.NIter
	}
	b.ReportMetric(float64(iters)/float64(b.N), "iters/best-run")
}

// BenchmarkKMeans10kx98 is the target: 10,000 codes of 98 numbers,
// k = 10, n_init = 10 (scikit-learn's defaults otherwise), ≤ 1 s.
func BenchmarkKMeans10kx98(b *testing.B) { benchKMeans(b, Lloyd) }

// BenchmarkKMeans10kx98Elkan is the same with Elkan's algorithm.
func BenchmarkKMeans10kx98Elkan(b *testing.B) { benchKMeans(b, Elkan) }
