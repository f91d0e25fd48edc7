package cluster

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
)

// blobs returns n points in d dimensions around k centers spread uniformly
// in [-spread, spread]^d, with unit Gaussian noise, and the true blob of
// each point.
func blobs(seed uint64, n, d, k int, spread float64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	centers := make([]float64, k*d)
	for i := range centers {
		centers[i] = (2*rng.Float64() - 1) * spread
	}
	x := make([]float32, n*d)
	y := make([]int, n)
	for i := range n {
		y[i] = i % k
		for t := range d {
			x[i*d+t] = float32(centers[y[i]*d+t] + rng.NormFloat64())
		}
	}
	return x, y
}

func TestKMeansRecoversSeparatedBlobs(t *testing.T) {
	x, y := blobs(1, 2000, 7, 5, 30)
	for _, alg := range []Algorithm{Lloyd, Elkan} {
		m, err := KMeans(x, 2000, 7, Config{K: 5, Seed: 3, Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		ari, err := ARI(y, m.Labels)
		if err != nil {
			t.Fatal(err)
		}
		if ari != 1 {
			t.Errorf("%s: ARI %v, want exactly 1", alg, ari)
		}
		// The labels match the centers (the final assignment).
		pred, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pred, m.Labels) {
			t.Errorf("%s: Predict on the training data differs from Labels", alg)
		}
		// The inertia is the sum of squared distances to the centers.
		s, err := m.Score(x)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(s-m.Inertia) > 1e-4*m.Inertia {
			t.Errorf("%s: Score %v, Inertia %v", alg, s, m.Inertia)
		}
		if m.NIter < 1 || m.NIter > DefaultMaxIter {
			t.Errorf("%s: NIter = %d", alg, m.NIter)
		}
	}
}

func TestKMeansIsDeterministic(t *testing.T) {
	x, _ := blobs(2, 3000, 10, 8, 3) // overlapping: many iterations
	cfg := Config{K: 8, Seed: 11, NInit: 3}
	a, err := KMeans(x, 3000, 10, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := KMeans(x, 3000, 10, cfg)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	c, _ := KMeans(x, 3000, 10, cfg)
	for _, o := range []*Model{b, c} {
		if !slices.Equal(a.Centers, o.Centers) || !slices.Equal(a.Labels, o.Labels) || a.Inertia != o.Inertia || a.NIter != o.NIter {
			t.Fatalf("same seed, different result (inertia %v vs %v, %d vs %d iterations)", a.Inertia, o.Inertia, a.NIter, o.NIter)
		}
	}
	cfg.Seed = 12
	d, _ := KMeans(x, 3000, 10, cfg)
	if slices.Equal(a.Centers, d.Centers) {
		t.Errorf("seeds 11 and 12 gave identical centers")
	}
}

func TestLloydInertiaNeverIncreases(t *testing.T) {
	x, _ := blobs(3, 3000, 6, 12, 2) // heavy overlap: long runs
	for _, alg := range []Algorithm{Lloyd, Elkan} {
		last := map[int]float64{}
		iters := 0
		_, err := kmeans(x, 3000, 6, Config{K: 12, Seed: 5, NInit: 4, Tol: -1, Algorithm: alg}, func(run, it int, inertia float64) {
			iters++
			if prev, ok := last[run]; ok && inertia > prev*(1+1e-6) {
				t.Errorf("%s run %d: inertia rose from %v to %v at iteration %d", alg, run, prev, inertia, it)
			}
			last[run] = inertia
		})
		if err != nil {
			t.Fatal(err)
		}
		if iters < 40 {
			t.Errorf("%s: only %d iterations over 4 runs: the test does not exercise much", alg, iters)
		}
	}
}

func TestElkanMatchesLloyd(t *testing.T) {
	for _, c := range []struct {
		seed      uint64
		n, d, k   int
		spread    float64
		tol       float64
		initWidth int
	}{
		{4, 2000, 5, 6, 4, 0, 0},
		{5, 1500, 20, 10, 2, -1, 0},
		{6, 500, 3, 3, 30, 0, 0},
		{7, 800, 9, 1, 3, 0, 0},
	} {
		x, _ := blobs(c.seed, c.n, c.d, c.k, c.spread)
		cfg := Config{K: c.k, Seed: c.seed, NInit: 3, Tol: c.tol}
		l, err := KMeans(x, c.n, c.d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Algorithm = Elkan
		e, err := KMeans(x, c.n, c.d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(l.Labels, e.Labels) || l.NIter != e.NIter {
			t.Errorf("seed %d: Elkan labels or iterations (%d) differ from Lloyd's (%d)", c.seed, e.NIter, l.NIter)
		}
		if !slices.Equal(l.Centers, e.Centers) || math.Abs(l.Inertia-e.Inertia) > 1e-9*l.Inertia {
			t.Errorf("seed %d: Elkan centers or inertia (%v) differ from Lloyd's (%v)", c.seed, e.Inertia, l.Inertia)
		}
	}
}

// kmeansRef is testdata/kmeans.json, made by make_reference.py.
type kmeansRef struct {
	Overlap struct {
		N, D, K     int
		X           []float64
		BestInertia float64 `json:"best_inertia"`
	}
	GivenInit struct {
		N, D, K int
		X       []float64
		Runs    []struct {
			Name, Algorithm string
			Tol             float64
			Init            []float64
			Labels          []int
			NIter           int `json:"n_iter"`
			Inertia         float64
			Centers         []float64
		}
	} `json:"given_init"`
}

func loadKMeansRef(t *testing.T) *kmeansRef {
	b, err := os.ReadFile("testdata/kmeans.json")
	if err != nil {
		t.Fatal(err)
	}
	var r kmeansRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func TestKMeansReachesScikitLearnInertia(t *testing.T) {
	ref := loadKMeansRef(t).Overlap
	x := f32(ref.X)
	for _, alg := range []Algorithm{Lloyd, Elkan} {
		for seed := range uint64(3) {
			m, err := KMeans(x, ref.N, ref.D, Config{K: ref.K, Seed: seed, Algorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			if rel := (m.Inertia - ref.BestInertia) / ref.BestInertia; rel > 1e-3 {
				t.Errorf("%s seed %d: inertia %v, scikit-learn's best %v (%.2g above)", alg, seed, m.Inertia, ref.BestInertia, rel)
			}
		}
	}
}

// Started from the same centers, the iterations are scikit-learn's: same
// labels, iterations, inertia and centers (empty-cluster relocation and
// the tolerance-based stop with its final assignment included).
func TestKMeansFollowsScikitLearnIterations(t *testing.T) {
	ref := loadKMeansRef(t).GivenInit
	x := f32(ref.X)
	for _, run := range ref.Runs {
		m, err := KMeans(x, ref.N, ref.D, Config{K: ref.K, Init: f32(run.Init), Tol: run.Tol, Algorithm: Algorithm(run.Algorithm)})
		if err != nil {
			t.Fatal(err)
		}
		name := run.Name + "/" + run.Algorithm
		if !slices.Equal(m.Labels, run.Labels) {
			t.Errorf("%s: labels differ from scikit-learn's", name)
		}
		if m.NIter != run.NIter {
			t.Errorf("%s: %d iterations, scikit-learn %d", name, m.NIter, run.NIter)
		}
		if math.Abs(m.Inertia-run.Inertia) > 1e-5*run.Inertia {
			t.Errorf("%s: inertia %v, scikit-learn %v", name, m.Inertia, run.Inertia)
		}
		for i, c := range run.Centers {
			if math.Abs(float64(m.Centers[i])-c) > 1e-4*(1+math.Abs(c)) {
				t.Errorf("%s: center value %d is %v, scikit-learn %v", name, i, m.Centers[i], c)
				break
			}
		}
	}
}

func TestKMeansRelocatesEmptyClusters(t *testing.T) {
	// Four clusters for three distinct points: some cluster is always
	// empty or a duplicate, and relocation must keep the result sound.
	var x []float32
	for i := range 30 {
		x = append(x, float32(i%3)*10, 0)
	}
	m, err := KMeans(x, 30, 2, Config{K: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Inertia != 0 || firstNonFinite(m.Centers) >= 0 {
		t.Errorf("3 distinct points in 4 clusters: inertia %v, centers %v", m.Inertia, m.Centers)
	}
	// An initial center far from all data gets no point at first.
	x2, y2 := blobs(9, 300, 2, 3, 20)
	init := []float32{x2[0], x2[1], x2[2], x2[3], 1e4, 1e4}
	m, err = KMeans(x2, 300, 2, Config{K: 3, Init: init})
	if err != nil {
		t.Fatal(err)
	}
	for j := range 3 {
		if !slices.Contains(m.Labels, j) {
			t.Errorf("cluster %d is empty after relocation", j)
		}
	}
	if ari, _ := ARI(y2, m.Labels); ari < 0.99 {
		t.Errorf("ARI %v after relocating the far center", ari)
	}
}

func TestKMeansTransform(t *testing.T) {
	x, _ := blobs(10, 200, 3, 4, 10)
	m, err := KMeans(x, 200, 3, Config{K: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dists, err := m.Transform(x[:30])
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		for j := range 4 {
			want := 0.0
			for t := range 3 {
				dv := float64(x[i*3+t]) - float64(m.Centers[j*3+t])
				want += dv * dv
			}
			want = math.Sqrt(want)
			if got := float64(dists[i*4+j]); math.Abs(got-want) > 1e-5*(1+want) {
				t.Fatalf("distance of point %d to center %d: %v, want %v", i, j, got, want)
			}
		}
	}
}

func TestKMeansRejectsBadInput(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6}
	nan := []float32{1, 2, float32(math.NaN()), 4}
	for name, f := range map[string]func() error{
		"size mismatch": func() error { _, err := KMeans(x, 4, 2, Config{K: 2}); return err },
		"K too large":   func() error { _, err := KMeans(x, 3, 2, Config{K: 4}); return err },
		"K zero":        func() error { _, err := KMeans(x, 3, 2, Config{}); return err },
		"NaN":           func() error { _, err := KMeans(nan, 2, 2, Config{K: 1}); return err },
		"algorithm":     func() error { _, err := KMeans(x, 3, 2, Config{K: 2, Algorithm: "hartigan"}); return err },
		"init size":     func() error { _, err := KMeans(x, 3, 2, Config{K: 2, Init: []float32{1}}); return err },
		"predict size": func() error {
			m, err := KMeans(x, 3, 2, Config{K: 2})
			if err != nil {
				return nil
			}
			_, err = m.Predict([]float32{1, 2, 3})
			return err
		},
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
