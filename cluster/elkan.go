package cluster

import "math"

// Elkan's algorithm (Elkan 2003, "Using the triangle inequality to
// accelerate k-means"), as scikit-learn runs it: each point keeps an upper
// bound u on the distance to its own center and a lower bound l_j on the
// distance to every center j. A center j cannot be nearer than the own
// center c when u ≤ l_j or u ≤ ½·d(c, j), and no center can be when
// u ≤ ½·min_j d(c, j); only the remaining distances are computed. After
// the centers move by δ_j, u grows by δ_c and each l_j shrinks by δ_j.
// The labels are those of Lloyd's algorithm.

// dist returns the Euclidean distance between x and y.
func dist(x, y []float32) float64 { return math.Sqrt(float64(sqDist(x, y))) }

// centerDistances computes half the distance between every two centers and
// for each center half the distance to its nearest other center.
func (r *runner) centerDistances() {
	k, d := r.k, r.d
	for a := range k {
		r.half[a*k+a] = 0
		for b := a + 1; b < k; b++ {
			h := dist(r.centers[a*d:(a+1)*d], r.centers[b*d:(b+1)*d]) / 2
			r.half[a*k+b], r.half[b*k+a] = h, h
		}
	}
	for a := range k {
		m := math.Inf(1)
		for b := range k {
			if b != a && r.half[a*k+b] < m {
				m = r.half[a*k+b]
			}
		}
		if k == 1 {
			m = 0
		}
		r.next[a] = m
	}
}

// initBounds assigns every point to its nearest center, computing only the
// distances the triangle inequality does not rule out, and sets the bounds.
func (r *runner) initBounds() {
	k, d := r.k, r.d
	forChunks(r.n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			x := r.x[i*d : (i+1)*d]
			lower := r.lower[i*k : (i+1)*k]
			clear(lower)
			best := 0
			m := dist(x, r.centers[:d])
			lower[0] = m
			for j := 1; j < k; j++ {
				if m > r.half[best*k+j] {
					dj := dist(x, r.centers[j*d:(j+1)*d])
					lower[j] = dj
					if dj < m {
						m, best = dj, j
					}
				}
			}
			r.labels[i] = int32(best)
			r.upper[i] = m
		}
	})
}

// assignElkan is the bounded assignment step: like Lloyd's, it labels every
// point with its nearest center and, with update, adds it to its chunk's
// partial sums.
func (r *runner) assignElkan(update bool) {
	k, d := r.k, r.d
	forChunks(r.n, func(c, lo, hi int) {
		sum, cnt := r.psum[c], r.pcnt[c]
		if update {
			clear(sum)
			clear(cnt)
		}
		for i := lo; i < hi; i++ {
			x := r.x[i*d : (i+1)*d]
			lower := r.lower[i*k : (i+1)*k]
			label := int(r.labels[i])
			u := r.upper[i]
			if !(r.next[label] >= u) {
				tight := false
				for j := range k {
					if j == label || u <= lower[j] || u <= r.half[label*k+j] {
						continue
					}
					if !tight {
						u = dist(x, r.centers[label*d:(label+1)*d])
						lower[label] = u
						tight = true
						if u <= lower[j] || u <= r.half[label*k+j] {
							continue
						}
					}
					dj := dist(x, r.centers[j*d:(j+1)*d])
					lower[j] = dj
					if dj < u {
						label, u = j, dj
					}
				}
			}
			r.labels[i] = int32(label)
			r.upper[i] = u
			if update {
				addTo(sum[label*d:(label+1)*d], x)
				cnt[label]++
			}
		}
	})
}

// shiftBounds loosens the bounds by how far the centers moved: the upper
// bound grows by the own center's shift, each lower bound shrinks by its
// center's shift (not below 0).
func (r *runner) shiftBounds() {
	k := r.k
	forChunks(r.n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			r.upper[i] += r.shift[r.labels[i]]
			lower := r.lower[i*k : (i+1)*k]
			for j, s := range r.shift {
				if v := lower[j] - s; v > 0 {
					lower[j] = v
				} else {
					lower[j] = 0
				}
			}
		}
	})
}
