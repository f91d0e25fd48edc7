package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// scikit-learn's defaults for MiniBatchKMeans.
const (
	DefaultBatchSize         = 1024
	DefaultMiniBatchMaxIter  = 100
	DefaultMiniBatchNInit    = 3
	DefaultReassignmentRatio = 0.01
	DefaultMaxNoImprovement  = 10
)

// MiniBatchConfig sets up mini-batch k-means. Zero fields take
// scikit-learn's defaults.
type MiniBatchConfig struct {
	// K is the number of clusters (required).
	K int
	// BatchSize is the number of points drawn per step by MiniBatchKMeans
	// (DefaultBatchSize).
	BatchSize int
	// MaxIter bounds the passes over the data in MiniBatchKMeans
	// (DefaultMiniBatchMaxIter).
	MaxIter int
	// NInit is the number of k-means++ initialisations MiniBatchKMeans
	// compares on a validation sample (DefaultMiniBatchNInit).
	NInit int
	// InitSize is the number of points k-means++ initialises from
	// (default 3·BatchSize, at least 3·K, at most the points available).
	InitSize int
	// ReassignmentRatio: a center whose count falls below this fraction
	// of the largest count is moved to a random point of the batch
	// (DefaultReassignmentRatio; negative means never).
	ReassignmentRatio float64
	// MaxNoImprovement stops MiniBatchKMeans after this many steps without
	// improvement of the smoothed batch inertia (DefaultMaxNoImprovement;
	// negative means never).
	MaxNoImprovement int
	// Tol stops MiniBatchKMeans when the squared center change of a step is
	// at most Tol times the mean per-feature variance (0: not used).
	Tol float64
	// Seed seeds initialisation, sampling and reassignment.
	Seed uint64
}

func (cfg MiniBatchConfig) withDefaults() (MiniBatchConfig, error) {
	if cfg.K < 1 {
		return cfg, fmt.Errorf("cluster.MiniBatch: K = %d clusters (want ≥ 1)", cfg.K)
	}
	if cfg.BatchSize < 0 || cfg.MaxIter < 0 || cfg.NInit < 0 || cfg.InitSize < 0 {
		return cfg, fmt.Errorf("cluster.MiniBatch: BatchSize = %d, MaxIter = %d, NInit = %d, InitSize = %d must not be negative",
			cfg.BatchSize, cfg.MaxIter, cfg.NInit, cfg.InitSize)
	}
	if math.IsNaN(cfg.Tol) || math.IsInf(cfg.Tol, 0) || cfg.Tol < 0 {
		return cfg, fmt.Errorf("cluster.MiniBatch: Tol = %v (want a finite value ≥ 0)", cfg.Tol)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = DefaultMiniBatchMaxIter
	}
	if cfg.NInit == 0 {
		cfg.NInit = DefaultMiniBatchNInit
	}
	switch {
	case cfg.ReassignmentRatio == 0:
		cfg.ReassignmentRatio = DefaultReassignmentRatio
	case cfg.ReassignmentRatio < 0:
		cfg.ReassignmentRatio = 0
	}
	if cfg.MaxNoImprovement == 0 {
		cfg.MaxNoImprovement = DefaultMaxNoImprovement
	}
	return cfg, nil
}

// initSize returns how many of n points k-means++ initialises from.
func (cfg MiniBatchConfig) initSize(n int) int {
	s := cfg.InitSize
	if s == 0 {
		s = 3 * min(cfg.BatchSize, n)
	}
	if s < cfg.K {
		s = 3 * cfg.K
	}
	return min(s, n)
}

// MiniBatch is mini-batch k-means (Sculley 2010, as scikit-learn's
// MiniBatchKMeans): each batch assigns its points to the nearest centers,
// then every center moves to the mean of all the points it has ever been
// given — c ← c + (x̄ − c)·m/count with count the number seen so far — so
// each point's learning rate is 1/count. Centers that fall far behind in
// counts are reseeded on random batch points. Feed it with PartialFit for
// data that does not fit in memory.
type MiniBatch struct {
	// K and D are the number of clusters and the dimension of a point.
	K, D int
	// Centers holds the current centers, K×D row-major.
	Centers []float32
	// Counts is the number of points each center has absorbed (reset on
	// reassignment as scikit-learn does).
	Counts []float64
	// Steps is the number of batches seen.
	Steps int

	cfg           MiniBatchConfig
	rng           *rand.Rand
	sinceReassign int
	batchSize     int // size of the first batch (scikit-learn's _batch_size)
	labels        []int32
	sum           []float64
	batchCnt      []int
}

// NewMiniBatch returns an empty mini-batch k-means for points of dimension
// d; its centers are initialised (k-means++) by the first PartialFit.
func NewMiniBatch(d int, cfg MiniBatchConfig) (*MiniBatch, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if d < 1 {
		return nil, fmt.Errorf("cluster.NewMiniBatch: dimension %d (want ≥ 1)", d)
	}
	return &MiniBatch{K: cfg.K, D: d, cfg: cfg, rng: newRand(cfg.Seed, 0)}, nil
}

// PartialFit updates the centers with one batch of points (row-major, D
// values per point). The first batch must hold at least K points: it
// initialises the centers by k-means++.
func (mb *MiniBatch) PartialFit(batch []float32) error {
	if len(batch)%mb.D != 0 {
		return fmt.Errorf("cluster.PartialFit: %d values is not a whole number of %d-dimensional points", len(batch), mb.D)
	}
	n := len(batch) / mb.D
	if err := checkData("PartialFit", batch, n, mb.D); err != nil {
		return err
	}
	if mb.Centers == nil {
		if n < mb.K {
			return fmt.Errorf("cluster.PartialFit: the first batch has %d points, fewer than K = %d", n, mb.K)
		}
		mb.batchSize = min(mb.cfg.BatchSize, n)
		mb.Centers = mb.initCenters(batch, n, mb.cfg.initSize(n))
		mb.Counts = make([]float64, mb.K)
	}
	mb.step(batch, n, mb.randomReassign())
	mb.Steps++
	return nil
}

// initCenters runs k-means++ on initSize points drawn (with replacement)
// from x, or on all of x when initSize is n.
func (mb *MiniBatch) initCenters(x []float32, n, initSize int) []float32 {
	d := mb.D
	sub := x
	if initSize < n {
		sub = make([]float32, initSize*d)
		for i := range initSize {
			p := mb.rng.IntN(n)
			copy(sub[i*d:(i+1)*d], x[p*d:(p+1)*d])
		}
		n = initSize
	}
	centers := make([]float32, mb.K*d)
	newPlusPlus(sub, n, d, mb.K).init(mb.rng, centers)
	return centers
}

// randomReassign reports whether this step reassigns low-count centers:
// when some center has never been used, or every 10·K points.
func (mb *MiniBatch) randomReassign() bool {
	mb.sinceReassign += mb.batchSize
	if slices.Contains(mb.Counts, 0) || mb.sinceReassign >= 10*mb.K {
		mb.sinceReassign = 0
		return true
	}
	return false
}

// step is scikit-learn's _mini_batch_step: assign, move each center to the
// running mean of its points, then optionally reseed low-count centers. It
// returns the batch inertia with respect to the centers before the move.
func (mb *MiniBatch) step(x []float32, n int, reassign bool) float64 {
	k, d := mb.K, mb.D
	mb.labels = slices.Grow(mb.labels[:0], n)[:n]
	inertia := labelPoints(x, n, d, mb.Centers, mb.labels)
	if mb.sum == nil {
		mb.sum = make([]float64, k*d)
		mb.batchCnt = make([]int, k)
	}
	clear(mb.sum)
	clear(mb.batchCnt)
	for i, l := range mb.labels {
		addTo(mb.sum[int(l)*d:(int(l)+1)*d], x[i*d:(i+1)*d])
		mb.batchCnt[l]++
	}
	for j := range k {
		m := mb.batchCnt[j]
		if m == 0 {
			continue
		}
		old := mb.Counts[j]
		total := old + float64(m)
		c := mb.Centers[j*d : (j+1)*d]
		for t := range c {
			c[t] = float32((float64(c[t])*old + mb.sum[j*d+t]) / total)
		}
		mb.Counts[j] = total
	}
	if reassign && mb.cfg.ReassignmentRatio > 0 {
		mb.reassign(x, n)
	}
	return inertia
}

// reassign moves the centers whose count is below ReassignmentRatio times
// the largest count to random distinct points of the batch (at most half
// the batch), and gives them the smallest remaining count.
func (mb *MiniBatch) reassign(x []float32, n int) {
	k, d := mb.K, mb.D
	limit := mb.cfg.ReassignmentRatio * slices.Max(mb.Counts)
	var moved []int
	for j, c := range mb.Counts {
		if c < limit {
			moved = append(moved, j)
		}
	}
	if len(moved) > n/2 {
		// Keep only the n/2 lowest counts (stable by index).
		slices.SortStableFunc(moved, func(a, b int) int {
			switch {
			case mb.Counts[a] < mb.Counts[b]:
				return -1
			case mb.Counts[a] > mb.Counts[b]:
				return 1
			}
			return 0
		})
		moved = moved[:n/2]
		slices.Sort(moved)
	}
	if len(moved) == 0 {
		return
	}
	isMoved := make([]bool, k)
	for _, j := range moved {
		isMoved[j] = true
	}
	perm := mb.rng.Perm(n)
	for t, j := range moved {
		p := perm[t]
		copy(mb.Centers[j*d:(j+1)*d], x[p*d:(p+1)*d])
	}
	least := math.Inf(1)
	for j, c := range mb.Counts {
		if !isMoved[j] {
			least = min(least, c)
		}
	}
	if math.IsInf(least, 1) {
		least = 0
	}
	for _, j := range moved {
		mb.Counts[j] = least
	}
}

// Model returns the current centers as a Model (without labels) for
// Predict, Transform and Score.
func (mb *MiniBatch) Model() *Model {
	return &Model{K: mb.K, D: mb.D, Centers: slices.Clone(mb.Centers), NIter: mb.Steps}
}

// MiniBatchKMeans clusters the n points of x (row-major n×d) with
// mini-batch k-means, following scikit-learn's MiniBatchKMeans.fit: the best
// of NInit k-means++ initialisations (on InitSize sampled points, judged on
// a validation sample), then MaxIter·n/BatchSize steps on batches drawn with
// replacement, stopped early when the smoothed batch inertia has not
// improved for MaxNoImprovement steps (or by Tol). The returned model has
// the labels and inertia of all n points; NIter counts steps.
func MiniBatchKMeans(x []float32, n, d int, cfg MiniBatchConfig) (*Model, error) {
	if err := checkData("MiniBatchKMeans", x, n, d); err != nil {
		return nil, err
	}
	mb, err := NewMiniBatch(d, cfg)
	if err != nil {
		return nil, err
	}
	cfg = mb.cfg
	if cfg.K > n {
		return nil, fmt.Errorf("cluster.MiniBatchKMeans: K = %d clusters for %d points", cfg.K, n)
	}
	batch := min(cfg.BatchSize, n)
	mb.batchSize = batch
	initSize := cfg.initSize(n)
	tol := 0.0
	if cfg.Tol > 0 {
		tol = cfg.Tol * meanVariance(x, n, d)
	}

	// The initialisations are compared on one validation sample.
	valid := make([]float32, initSize*d)
	for i := range initSize {
		p := mb.rng.IntN(n)
		copy(valid[i*d:(i+1)*d], x[p*d:(p+1)*d])
	}
	validLabels := make([]int32, initSize)
	best := math.Inf(1)
	for range cfg.NInit {
		centers := mb.initCenters(x, n, initSize)
		if in := labelPoints(valid, initSize, d, centers, validLabels); in < best {
			best, mb.Centers = in, centers
		}
	}
	mb.Counts = make([]float64, cfg.K)

	steps := cfg.MaxIter * n / batch
	xb := make([]float32, batch*d)
	prev := make([]float32, cfg.K*d)
	var ewa, ewaMin float64
	haveEwa, haveMin := false, false
	noImprovement := 0
	for s := range steps {
		for i := range batch {
			p := mb.rng.IntN(n)
			copy(xb[i*d:(i+1)*d], x[p*d:(p+1)*d])
		}
		copy(prev, mb.Centers)
		inertia := mb.step(xb, batch, mb.randomReassign()) / float64(batch)
		mb.Steps++
		if s == 0 {
			continue // the first inertia is the initialisation's
		}
		if !haveEwa {
			ewa, haveEwa = inertia, true
		} else {
			alpha := min(float64(batch)*2/float64(n+1), 1)
			ewa = ewa*(1-alpha) + inertia*alpha
		}
		if tol > 0 {
			diff := 0.0
			for t, v := range mb.Centers {
				dv := float64(v) - float64(prev[t])
				diff += dv * dv
			}
			if diff <= tol {
				break
			}
		}
		if !haveMin || ewa < ewaMin {
			ewaMin, haveMin, noImprovement = ewa, true, 0
		} else {
			noImprovement++
		}
		if cfg.MaxNoImprovement > 0 && noImprovement >= cfg.MaxNoImprovement {
			break
		}
	}
	m := mb.Model()
	labels := make([]int32, n)
	m.Inertia = labelPoints(x, n, d, m.Centers, labels)
	m.Labels = make([]int, n)
	for i, l := range labels {
		m.Labels[i] = int(l)
	}
	return m, nil
}

// meanVariance returns the mean over features of the variance of x.
func meanVariance(x []float32, n, d int) float64 {
	mean := make([]float64, d)
	for i := range n {
		for t, v := range x[i*d : (i+1)*d] {
			mean[t] += float64(v)
		}
	}
	for t := range mean {
		mean[t] /= float64(n)
	}
	s := 0.0
	for i := range n {
		for t, v := range x[i*d : (i+1)*d] {
			dv := float64(v) - mean[t]
			s += dv * dv
		}
	}
	return s / float64(n*d)
}
