package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Algorithm selects how KMeans assigns points to centers in each iteration.
type Algorithm string

// The k-means algorithms. Both run the same iterations and reach the same
// result; Elkan skips distance computations that the triangle inequality
// rules out, at the cost of an n×k matrix of lower bounds.
const (
	Lloyd Algorithm = "lloyd"
	Elkan Algorithm = "elkan"
)

// scikit-learn's defaults for KMeans.
const (
	DefaultNInit   = 10
	DefaultMaxIter = 300
	DefaultTol     = 1e-4
)

// Config sets up KMeans. Zero fields take scikit-learn's defaults.
type Config struct {
	// K is the number of clusters (required, 1 ≤ K ≤ n).
	K int
	// NInit is the number of k-means++ restarts; the run with the lowest
	// inertia is kept. 0 means DefaultNInit.
	NInit int
	// MaxIter bounds the iterations of one run. 0 means DefaultMaxIter.
	MaxIter int
	// Tol is the convergence tolerance relative to the data: a run stops
	// when the squared center shifts summed over the centers are at most
	// Tol times the mean of the per-feature variances of X. 0 means
	// DefaultTol; a negative Tol means 0 (stop only when no label changes).
	Tol float64
	// Algorithm is Lloyd (the default, "") or Elkan.
	Algorithm Algorithm
	// Seed seeds the k-means++ initialisation; the same seed gives the
	// same result on any number of cores.
	Seed uint64
	// Init, when not nil, gives the K×D initial centers (row-major)
	// instead of k-means++; there is then a single run, whatever NInit.
	Init []float32
}

// Model is a fitted k-means clustering.
type Model struct {
	// K and D are the number of clusters and the dimension of a point.
	K, D int
	// Centers holds the K cluster centers, row-major K×D.
	Centers []float32
	// Labels gives, for each training point, the index of its center.
	Labels []int
	// Inertia is the sum over training points of the squared distance to
	// their center.
	Inertia float64
	// NIter is the number of iterations the kept run took.
	NIter int
}

// Center returns center j (a view into Centers).
func (m *Model) Center(j int) []float32 { return m.Centers[j*m.D : (j+1)*m.D] }

// KMeans clusters the n points of x (row-major n×d) into cfg.K clusters
// with scikit-learn's algorithm: the data are centered, each of cfg.NInit
// runs starts from greedy k-means++ (2+⌊ln k⌋ candidates per center) and
// iterates until the labels stop changing, the center shift falls within the
// tolerance or MaxIter is reached; empty clusters are re-seeded with the
// points farthest from their centers; a final assignment makes the labels
// match the centers. The run with the lowest inertia is returned.
func KMeans(x []float32, n, d int, cfg Config) (*Model, error) {
	return kmeans(x, n, d, cfg, nil)
}

// iterHook, when not nil, is told the inertia of every iteration's
// assignment with respect to the centers it was made with (tests).
type iterHook func(run, iter int, inertia float64)

func kmeans(x []float32, n, d int, cfg Config, hook iterHook) (*Model, error) {
	if err := checkData("KMeans", x, n, d); err != nil {
		return nil, err
	}
	cfg, err := cfg.withDefaults(n, d)
	if err != nil {
		return nil, err
	}
	k := cfg.K

	// Center the data, as scikit-learn does, for accurate distances.
	mean := make([]float64, d)
	for i := range n {
		for t, v := range x[i*d : (i+1)*d] {
			mean[t] += float64(v)
		}
	}
	mean32 := make([]float32, d)
	for t := range mean {
		mean[t] /= float64(n)
		mean32[t] = float32(mean[t])
	}
	xc := make([]float32, n*d)
	variance := 0.0
	for i := range n {
		row := xc[i*d : (i+1)*d]
		for t, v := range x[i*d : (i+1)*d] {
			row[t] = v - mean32[t]
			dv := float64(v) - mean[t]
			variance += dv * dv
		}
	}
	tol := cfg.Tol * variance / float64(n*d)

	r := newRunner(xc, n, d, k, cfg.MaxIter, tol, cfg.Algorithm == Elkan)
	r.hook = hook
	pp := newPlusPlus(xc, n, d, k)
	init := make([]float32, k*d)
	var best *Model
	for run := range cfg.NInit {
		if cfg.Init != nil {
			for j := range k {
				for t := range d {
					init[j*d+t] = cfg.Init[j*d+t] - mean32[t]
				}
			}
		} else {
			pp.init(newRand(cfg.Seed, uint64(run)), init)
		}
		r.run = run
		inertia, nIter := r.fit(init)
		if best == nil || (inertia < best.Inertia && !sameClustering(r.labels, best.Labels, k)) {
			if best == nil {
				best = &Model{K: k, D: d, Centers: make([]float32, k*d), Labels: make([]int, n)}
			}
			copy(best.Centers, r.centers)
			for i, l := range r.labels {
				best.Labels[i] = int(l)
			}
			best.Inertia, best.NIter = inertia, nIter
		}
	}
	for j := range k {
		for t := range d {
			best.Centers[j*d+t] += mean32[t]
		}
	}
	return best, nil
}

// withDefaults fills in scikit-learn's defaults and checks cfg against the
// data.
func (cfg Config) withDefaults(n, d int) (Config, error) {
	if cfg.K < 1 || cfg.K > n {
		return cfg, fmt.Errorf("cluster.KMeans: K = %d clusters for %d points (want 1 ≤ K ≤ n)", cfg.K, n)
	}
	if cfg.NInit == 0 {
		cfg.NInit = DefaultNInit
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = DefaultMaxIter
	}
	if cfg.NInit < 0 || cfg.MaxIter < 0 {
		return cfg, fmt.Errorf("cluster.KMeans: NInit = %d, MaxIter = %d must not be negative", cfg.NInit, cfg.MaxIter)
	}
	switch {
	case cfg.Tol == 0:
		cfg.Tol = DefaultTol
	case cfg.Tol < 0:
		cfg.Tol = 0
	case math.IsNaN(cfg.Tol) || math.IsInf(cfg.Tol, 0):
		return cfg, fmt.Errorf("cluster.KMeans: Tol = %v is not finite", cfg.Tol)
	}
	switch cfg.Algorithm {
	case "":
		cfg.Algorithm = Lloyd
	case Lloyd, Elkan:
	default:
		return cfg, fmt.Errorf("cluster.KMeans: unknown algorithm %q (want %q or %q)", cfg.Algorithm, Lloyd, Elkan)
	}
	if cfg.Init != nil {
		if len(cfg.Init) != cfg.K*d {
			return cfg, fmt.Errorf("cluster.KMeans: Init has %d values, want K×D = %d×%d", len(cfg.Init), cfg.K, d)
		}
		if i := firstNonFinite(cfg.Init); i >= 0 {
			return cfg, fmt.Errorf("cluster.KMeans: Init value %d is %v", i, cfg.Init[i])
		}
		cfg.NInit = 1
	}
	return cfg, nil
}

// checkData checks that x holds n finite points of dimension d.
func checkData(what string, x []float32, n, d int) error {
	if n < 1 || d < 1 {
		return fmt.Errorf("cluster.%s: %d points of dimension %d (want both ≥ 1)", what, n, d)
	}
	if len(x) != n*d {
		return fmt.Errorf("cluster.%s: %d values for %d points × %d dimensions", what, len(x), n, d)
	}
	if i := firstNonFinite(x); i >= 0 {
		return fmt.Errorf("cluster.%s: point %d, dimension %d is %v", what, i/d, i%d, x[i])
	}
	return nil
}

func firstNonFinite(x []float32) int {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}

// newRand returns the generator of one run: a PCG stream derived from the
// seed and the run index through splitmix64.
func newRand(seed, run uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(seed), splitmix(seed^splitmix(run+1))))
}

func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// sameClustering reports whether two labellings are the same partition up
// to a renaming of the clusters (scikit-learn's _is_same_clustering, which
// keeps a run with slightly lower inertia only if it differs).
func sameClustering(a []int32, b []int, k int) bool {
	mapping := make([]int, k)
	for i := range mapping {
		mapping[i] = -1
	}
	for i, l := range a {
		switch {
		case mapping[l] == -1:
			mapping[l] = b[i]
		case mapping[l] != b[i]:
			return false
		}
	}
	return true
}

// Predict returns the index of the nearest center for each point of x
// (row-major, m.D values per point).
func (m *Model) Predict(x []float32) ([]int, error) {
	labels, _, err := m.predict("Predict", x)
	return labels, err
}

// check reports a model without centers (a MiniBatch before any data).
func (m *Model) check(what string) error {
	if m.K < 1 || m.D < 1 || len(m.Centers) != m.K*m.D {
		return fmt.Errorf("cluster.%s: model has %d center values for K = %d, D = %d", what, len(m.Centers), m.K, m.D)
	}
	return nil
}

func (m *Model) predict(what string, x []float32) ([]int, float64, error) {
	if err := m.check(what); err != nil {
		return nil, 0, err
	}
	if len(x)%m.D != 0 || len(x) == 0 {
		return nil, 0, fmt.Errorf("cluster.%s: %d values is not a whole, non-zero number of %d-dimensional points", what, len(x), m.D)
	}
	n := len(x) / m.D
	if err := checkData(what, x, n, m.D); err != nil {
		return nil, 0, err
	}
	l32 := make([]int32, n)
	inertia := labelPoints(x, n, m.D, m.Centers, l32)
	labels := make([]int, n)
	for i, l := range l32 {
		labels[i] = int(l)
	}
	return labels, inertia, nil
}

// Transform returns the Euclidean distance of each point of x to each
// center, row-major n×K.
func (m *Model) Transform(x []float32) ([]float32, error) {
	if err := m.check("Transform"); err != nil {
		return nil, err
	}
	if len(x)%m.D != 0 {
		return nil, fmt.Errorf("cluster.Transform: %d values is not a whole number of %d-dimensional points", len(x), m.D)
	}
	n := len(x) / m.D
	out := make([]float32, n*m.K)
	forChunks(n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			p := x[i*m.D : (i+1)*m.D]
			for j := range m.K {
				out[i*m.K+j] = float32(math.Sqrt(float64(sqDist(p, m.Center(j)))))
			}
		}
	})
	return out, nil
}

// Score returns the inertia of x with respect to the model: the sum of
// squared distances of each point to its nearest center.
func (m *Model) Score(x []float32) (float64, error) {
	_, inertia, err := m.predict("Score", x)
	return inertia, err
}
