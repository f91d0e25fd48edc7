package cluster

import (
	"math"
	"slices"
)

// runner holds the buffers of one k-means run; they are reused by every
// restart. x is the centered data.
type runner struct {
	x          []float32
	xt         []float32 // x in transposed blocks, for the block kernel (nil without it)
	n, d, k    int
	maxIter    int
	tol        float64
	elkan      bool
	centers    []float32 // k×d, the centers the current assignment uses
	centersNew []float32
	cnorm      []float32 // ||c||² of centers
	labels     []int32
	labelsOld  []int32

	// Per-chunk partial sums, reduced in chunk order (deterministic).
	psum  [][]float64 // chunk → k×d coordinate sums
	pcnt  [][]int     // chunk → k counts
	pinrt []float64   // chunk → inertia
	sum   []float64
	cnt   []int
	shift []float64 // per center, ||new - old||
	far   []float32 // relocation scratch: distance of each point to its center

	// Elkan's bounds (elkan.go).
	upper []float64   // n: upper bound on the distance to the own center
	lower []float64   // n×k: lower bounds on the distance to each center
	half  []float64   // k×k: half the distance between centers
	next  []float64   // k: half the distance to the nearest other center
	dists [][]float64 // per chunk scratch

	run  int
	hook iterHook
}

func newRunner(x []float32, n, d, k, maxIter int, tol float64, elkan bool) *runner {
	nc := numChunks(n)
	r := &runner{
		x: x, n: n, d: d, k: k, maxIter: maxIter, tol: tol, elkan: elkan,
		centers:    make([]float32, k*d),
		centersNew: make([]float32, k*d),
		cnorm:      make([]float32, k),
		labels:     make([]int32, n),
		labelsOld:  make([]int32, n),
		psum:       make([][]float64, nc),
		pcnt:       make([][]int, nc),
		pinrt:      make([]float64, nc),
		sum:        make([]float64, k*d),
		cnt:        make([]int, k),
		shift:      make([]float64, k),
	}
	for c := range nc {
		r.psum[c] = make([]float64, k*d)
		r.pcnt[c] = make([]int, k)
	}
	if useAVX2 && !elkan {
		r.xt = transposeBlocks(x, n, d)
	}
	if elkan {
		r.upper = make([]float64, n)
		r.lower = make([]float64, n*k)
		r.half = make([]float64, k*k)
		r.next = make([]float64, k)
	}
	return r
}

// fit runs k-means from the centers init (k×d, centered coordinates) and
// returns the inertia and the number of iterations; the centers and labels
// are left in r.centers and r.labels.
func (r *runner) fit(init []float32) (float64, int) {
	copy(r.centers, init)
	r.updateNorms()
	for i := range r.labelsOld {
		r.labelsOld[i] = -1
	}
	if r.elkan {
		r.centerDistances()
		r.initBounds()
	}
	strict := false
	it := 0
	for ; it < r.maxIter; it++ {
		r.assign(true)
		if r.hook != nil {
			r.hook(r.run, it, r.inertia())
		}
		r.reduce()
		r.relocate()
		r.average()
		if r.elkan {
			r.shiftBounds()
		}
		r.centers, r.centersNew = r.centersNew, r.centers
		r.updateNorms()
		if r.elkan {
			r.centerDistances()
		}
		if slices.Equal(r.labels, r.labelsOld) {
			strict = true
			break
		}
		total := 0.0
		for _, s := range r.shift {
			total += s * s
		}
		if total <= r.tol {
			break
		}
		copy(r.labelsOld, r.labels)
	}
	if it == r.maxIter {
		it--
	}
	if !strict {
		// A last assignment so that the labels match the centers.
		r.assign(false)
	}
	return r.inertia(), it + 1
}

func (r *runner) updateNorms() {
	for j := range r.k {
		c := r.centers[j*r.d : (j+1)*r.d]
		r.cnorm[j] = dot(c, c)
	}
}

// assign labels every point with its nearest center and, with update, adds
// it to its chunk's partial sums.
func (r *runner) assign(update bool) {
	if r.elkan {
		r.assignElkan(update)
		return
	}
	d := r.d
	forChunks(r.n, func(c, lo, hi int) {
		sum, cnt := r.psum[c], r.pcnt[c]
		if update {
			clear(sum)
			clear(cnt)
		}
		if r.xt != nil {
			// Blocks of 16 points (chunks are whole blocks).
			var lab [blockSize]int32
			var sc [blockSize]float32
			for b := lo; b < hi; b += blockSize {
				nearestBlock(r.xt[b*d:(b+blockSize)*d], d, r.centers, r.cnorm, &lab, &sc)
				copy(r.labels[b:min(hi, b+blockSize)], lab[:])
			}
		} else {
			for i := lo; i < hi; i++ {
				j, _ := nearest(r.x[i*d:(i+1)*d], r.centers, r.cnorm)
				r.labels[i] = int32(j)
			}
		}
		if update {
			for i := lo; i < hi; i++ {
				j := int(r.labels[i])
				addTo(sum[j*d:(j+1)*d], r.x[i*d:(i+1)*d])
				cnt[j]++
			}
		}
	})
}

// reduce sums the per-chunk partial sums in chunk order.
func (r *runner) reduce() {
	clear(r.sum)
	clear(r.cnt)
	for c := range r.psum {
		for t, v := range r.psum[c] {
			r.sum[t] += v
		}
		for j, v := range r.pcnt[c] {
			r.cnt[j] += v
		}
	}
}

// relocate re-seeds every empty cluster with one of the points farthest
// from their current centers, taking the point out of its cluster's sum
// (scikit-learn's _relocate_empty_clusters). The labels are left alone: the
// next assignment settles them.
func (r *runner) relocate() {
	empty := 0
	for _, c := range r.cnt {
		if c == 0 {
			empty++
		}
	}
	if empty == 0 {
		return
	}
	d := r.d
	if r.far == nil {
		r.far = make([]float32, r.n)
	}
	forChunks(r.n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			l := int(r.labels[i])
			r.far[i] = sqDist(r.x[i*d:(i+1)*d], r.centers[l*d:(l+1)*d])
		}
	})
	for j := range r.k {
		if r.cnt[j] != 0 {
			continue
		}
		// The farthest point not yet used; ties go to the lower index.
		p := 0
		for i, v := range r.far {
			if v > r.far[p] {
				p = i
			}
		}
		r.far[p] = -1
		x := r.x[p*d : (p+1)*d]
		old := int(r.labels[p])
		for t, v := range x {
			r.sum[old*d+t] -= float64(v)
			r.sum[j*d+t] = float64(v)
		}
		r.cnt[old]--
		r.cnt[j] = 1
	}
}

// average turns the sums into the new centers and records each center's
// shift.
func (r *runner) average() {
	d := r.d
	for j := range r.k {
		scale := 1.0
		if r.cnt[j] > 0 {
			scale = 1 / float64(r.cnt[j])
		}
		s := 0.0
		for t := range d {
			v := float32(r.sum[j*d+t] * scale)
			r.centersNew[j*d+t] = v
			dv := float64(v) - float64(r.centers[j*d+t])
			s += dv * dv
		}
		r.shift[j] = math.Sqrt(s)
	}
}

// inertia returns the sum of squared distances of the points to the
// centers they are labelled with.
func (r *runner) inertia() float64 {
	d := r.d
	forChunks(r.n, func(c, lo, hi int) {
		s := 0.0
		for i := lo; i < hi; i++ {
			l := int(r.labels[i])
			s += float64(sqDist(r.x[i*d:(i+1)*d], r.centers[l*d:(l+1)*d]))
		}
		r.pinrt[c] = s
	})
	s := 0.0
	for _, v := range r.pinrt {
		s += v
	}
	return s
}

// labelPoints labels each of the n points of x (n×d) with its nearest
// center (k×d) and returns the inertia: the sum of squared distances to
// those centers.
func labelPoints(x []float32, n, d int, centers []float32, labels []int32) float64 {
	k := len(centers) / d
	cnorm := make([]float32, k)
	for j := range k {
		c := centers[j*d : (j+1)*d]
		cnorm[j] = dot(c, c)
	}
	partial := make([]float64, numChunks(n))
	forChunks(n, func(c, lo, hi int) {
		if useAVX2 {
			xt := transposeBlocks(x[lo*d:hi*d], hi-lo, d)
			var lab [blockSize]int32
			var sc [blockSize]float32
			for b := 0; b < hi-lo; b += blockSize {
				nearestBlock(xt[b*d:(b+blockSize)*d], d, centers, cnorm, &lab, &sc)
				copy(labels[lo+b:hi], lab[:])
			}
		} else {
			for i := lo; i < hi; i++ {
				j, _ := nearest(x[i*d:(i+1)*d], centers, cnorm)
				labels[i] = int32(j)
			}
		}
		s := 0.0
		for i := lo; i < hi; i++ {
			l := int(labels[i])
			s += float64(sqDist(x[i*d:(i+1)*d], centers[l*d:(l+1)*d]))
		}
		partial[c] = s
	})
	s := 0.0
	for _, v := range partial {
		s += v
	}
	return s
}
