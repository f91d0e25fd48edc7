package cluster

import (
	"math"
	"math/rand/v2"
	"sort"
)

// plusPlus is greedy k-means++ (scikit-learn's _kmeans_plusplus): the first
// center is a uniformly drawn point; each next one is the best, by the
// resulting potential (sum of squared distances to the nearest center), of
// 2+⌊ln k⌋ candidates drawn with probability proportional to the squared
// distance to the nearest center chosen so far.
type plusPlus struct {
	x       []float32
	n, d, k int
	trials  int
	xnorm   []float32   // ||x||² of every point
	closest []float32   // squared distance to the nearest chosen center
	cand    [][]float32 // per trial: min(closest, distance to candidate)
	cum     []float64
	ppot    [][]float64 // chunk → per-trial potential
}

func newPlusPlus(x []float32, n, d, k int) *plusPlus {
	p := &plusPlus{x: x, n: n, d: d, k: k, trials: 2 + int(math.Log(float64(k)))}
	p.xnorm = make([]float32, n)
	for i := range n {
		r := x[i*d : (i+1)*d]
		p.xnorm[i] = dot(r, r)
	}
	p.closest = make([]float32, n)
	p.cand = make([][]float32, p.trials)
	for t := range p.cand {
		p.cand[t] = make([]float32, n)
	}
	p.cum = make([]float64, n)
	p.ppot = make([][]float64, numChunks(n))
	for c := range p.ppot {
		p.ppot[c] = make([]float64, p.trials)
	}
	return p
}

// init writes k initial centers into centers (k×d).
func (p *plusPlus) init(rng *rand.Rand, centers []float32) {
	n, d := p.n, p.d
	first := rng.IntN(n)
	copy(centers[:d], p.x[first*d:(first+1)*d])
	ids := make([]int, p.trials)
	ids[0] = first
	pot := p.distances(ids[:1], p.closest, nil)[0]
	for c := 1; c < p.k; c++ {
		// Candidates drawn in proportion to the squared distances:
		// the first index whose running sum reaches u·potential.
		s := 0.0
		for i, v := range p.closest {
			s += float64(v)
			p.cum[i] = s
		}
		for t := range ids {
			v := rng.Float64() * pot
			ids[t] = min(sort.SearchFloat64s(p.cum, v), n-1)
		}
		pots := p.distances(ids, nil, p.closest)
		best := 0
		for t, v := range pots {
			if v < pots[best] {
				best = t
			}
		}
		pot = pots[best]
		p.closest, p.cand[best] = p.cand[best], p.closest
		copy(centers[c*d:(c+1)*d], p.x[ids[best]*d:(ids[best]+1)*d])
	}
}

// distances computes, for each candidate point ids[t], the squared distance
// of every point to it, capped by prev when prev is not nil, into dst (when
// there is one candidate and dst is not nil) or p.cand[t]. It returns each
// candidate's potential. Distances use ||x||² + ||c||² - 2x·c, clipped at 0.
func (p *plusPlus) distances(ids []int, dst, prev []float32) []float64 {
	d := p.d
	out := make([][]float32, len(ids))
	for t := range ids {
		out[t] = p.cand[t]
	}
	if dst != nil {
		out[0] = dst
	}
	forChunks(p.n, func(c, lo, hi int) {
		pot := p.ppot[c]
		clear(pot)
		for t0 := 0; t0 < len(ids); t0 += 4 {
			m := min(4, len(ids)-t0)
			var rows [4][]float32
			var cn [4]float32
			for u := range 4 {
				id := ids[t0+min(u, m-1)]
				rows[u] = p.x[id*d : (id+1)*d]
				cn[u] = p.xnorm[id]
			}
			for i := lo; i < hi; i++ {
				x := p.x[i*d : (i+1)*d]
				var s [4]float32
				s[0], s[1], s[2], s[3] = dot4(x, rows[0], rows[1], rows[2], rows[3])
				for u := range m {
					v := max(p.xnorm[i]+cn[u]-2*s[u], 0)
					if prev != nil {
						v = min(v, prev[i])
					}
					out[t0+u][i] = v
					pot[t0+u] += float64(v)
				}
			}
		}
	})
	pots := make([]float64, len(ids))
	for c := range p.ppot {
		for t := range ids {
			pots[t] += p.ppot[c][t]
		}
	}
	return pots
}
