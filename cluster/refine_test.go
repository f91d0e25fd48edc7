package cluster

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

// TestKLGradFiniteDifferences checks klGrad's gradients with respect to the
// codes and the centres against central differences of its loss.
func TestKLGradFiniteDifferences(t *testing.T) {
	const b, d, k, gamma = 5, 3, 4, 0.3
	rng := rand.New(rand.NewPCG(3, 4))
	z, mu := make([]float32, b*d), make([]float32, k*d)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	for i := range mu {
		mu[i] = float32(rng.NormFloat64())
	}
	p := make([]float64, b*k)
	for i := 0; i < b; i++ {
		var s float64
		for j := 0; j < k; j++ {
			p[i*k+j] = rng.Float64()
			if i == 0 && j == 1 {
				// A zero target term contributes nothing, and no NaN.
				p[i*k+j] = 0
			}
			s += p[i*k+j]
		}
		for j := 0; j < k; j++ {
			p[i*k+j] /= s
		}
	}
	dz, dmu := make([]float32, b*d), make([]float32, k*d)
	klGrad(z, mu, p, b, d, k, gamma, dz, dmu)
	loss := func() float64 {
		return klGrad(z, mu, p, b, d, k, gamma, make([]float32, b*d), make([]float32, k*d))
	}
	check := func(what string, v []float32, grad []float32) {
		const h = 1e-2
		for i := range v {
			orig := v[i]
			v[i] = orig + h
			up := loss()
			v[i] = orig - h
			down := loss()
			v[i] = orig
			num := (up - down) / (float64(float32(orig+h)) - float64(float32(orig-h)))
			if diff := math.Abs(num - float64(grad[i])); diff > 1e-4+1e-3*math.Abs(num) {
				t.Errorf("%s[%d]: analytic %g, numeric %g", what, i, grad[i], num)
			}
		}
	}
	check("dz", z, dz)
	check("dmu", mu, dmu)
}

func TestTargetSharpensSoftAssignment(t *testing.T) {
	x, _ := blobs(5, 60, 4, 3, 3)
	mu := slices.Clone(x[:3*4])
	q, p := make([]float64, 60*3), make([]float64, 60*3)
	labels := make([]int, 60)
	softAssign(q, nil, x, mu, 60, 4, 3)
	target(p, x, mu, 60, 4, 3, labels)
	for i := 0; i < 60; i++ {
		qi, pi := q[i*3:(i+1)*3], p[i*3:(i+1)*3]
		var sq, sp float64
		for j := range qi {
			sq += qi[j]
			sp += pi[j]
		}
		if math.Abs(sq-1) > 1e-12 || math.Abs(sp-1) > 1e-12 {
			t.Fatalf("row %d: q sums to %v, p to %v", i, sq, sp)
		}
		best := 0
		for j := range qi {
			if qi[j] > qi[best] {
				best = j
			}
		}
		if labels[i] != best {
			t.Fatalf("row %d: label %d, argmax q %d", i, labels[i], best)
		}
		// Squaring sharpens: the strongest assignment never weakens much
		// (the division by cluster frequency can shift it a little).
		if pi[best] < qi[best]-0.05 {
			t.Errorf("row %d: target %v is flatter than q %v", i, pi, qi)
		}
	}
}

// denseAutoencoder is a small 8→16→2→16→8 autoencoder whose code is
// "code".
func denseAutoencoder(t *testing.T, seed uint64) *graph.Graph {
	t.Helper()
	g, err := graph.Sequential("dense-ae", seed,
		graph.Input{Shape: []int{8}},
		graph.Dense{Units: 16, Activation: "relu"},
		graph.Dense{Units: 2, Name: "code"},
		graph.Dense{Units: 16, Activation: "relu"},
		graph.Dense{Units: 8},
	)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRefineClustersBlobsDeterministically(t *testing.T) {
	const n, d, k = 600, 8, 3
	xs, truth := blobs(11, n, d, k, 4)
	x := graph.FromData(xs, n, d)
	run := func() (*Refinement, *graph.Graph, []float64) {
		g := denseAutoencoder(t, 2)
		var clus []float64
		cfg := RefineConfig{K: k, BatchSize: 32, UpdateInterval: 20, MaxIter: 200, Tol: -1, Seed: 9,
			Progress: func(it int, changed, recon, cl float64) {
				if it > 0 {
					clus = append(clus, cl)
				}
			}}
		r, err := Refine(g, "code", x, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r, g, clus
	}
	r1, g1, clus := run()
	r2, g2, _ := run()
	if r1.Iterations != 200 || len(r1.Labels) != n || len(r1.Centers) != k*2 || r1.D != 2 {
		t.Fatalf("refinement: %d steps, %d labels, %d centre values, D %d", r1.Iterations, len(r1.Labels), len(r1.Centers), r1.D)
	}
	if len(clus) != 10 {
		t.Fatalf("%d progress reports after step 0, want 10", len(clus))
	}
	for _, c := range clus {
		if !(c > 0) || math.IsInf(c, 0) {
			t.Fatalf("clustering losses %v: not all positive and finite", clus)
		}
	}
	s, err := Evaluate(truth, r1.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if s.Acc < 0.99 {
		t.Errorf("accuracy %.4f on separated blobs, want ≥ 0.99", s.Acc)
	}
	if !slices.Equal(r1.Labels, r2.Labels) || !slices.Equal(r1.Centers, r2.Centers) {
		t.Error("two runs with the same seed differ")
	}
	untouched := denseAutoencoder(t, 2)
	moved := false
	for name, w := range g1.Params {
		if !slices.Equal(w.Data, g2.Params[name].Data) {
			t.Fatalf("weights %q differ between identical runs", name)
		}
		if !slices.Equal(w.Data, untouched.Params[name].Data) {
			moved = true
		}
	}
	if !moved {
		t.Error("Refine left every weight where it was")
	}
}

func TestRefineRejectsBadInput(t *testing.T) {
	xs, _ := blobs(1, 64, 8, 2, 3)
	x := graph.FromData(xs, 64, 8)
	g := denseAutoencoder(t, 1)
	cases := []struct {
		name string
		cut  string
		x    *graph.Tensor
		cfg  RefineConfig
		want string
	}{
		{"no k", "code", x, RefineConfig{}, "K = 0"},
		{"negative gamma", "code", x, RefineConfig{K: 2, Gamma: -1}, "Gamma = -1"},
		{"batch larger than data", "code", x, RefineConfig{K: 2, BatchSize: 128}, "64 samples"},
		{"unknown cut", "nope", x, RefineConfig{K: 2, BatchSize: 16}, "nope"},
		{"not an autoencoder input", "code", graph.FromData(make([]float32, 64*4), 64, 4), RefineConfig{K: 2, BatchSize: 16}, ""},
	}
	for _, c := range cases {
		_, err := Refine(g, c.cut, c.x, c.cfg)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.want != "" && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.want)
		}
	}
}
