package cluster

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// scikit-learn's documented examples (docstrings of adjusted_rand_score and
// normalized_mutual_info_score, version 1.2).
func TestMetricsScikitLearnDocExamples(t *testing.T) {
	for _, c := range []struct {
		labels, clusters []int
		ari, nmi         float64
	}{
		{[]int{0, 0, 1, 1}, []int{0, 0, 1, 1}, 1, 1},
		{[]int{0, 0, 1, 1}, []int{1, 1, 0, 0}, 1, 1},
		// ARI docs: 0.57..., NMI of this pair computed by hand below.
		{[]int{0, 0, 1, 2}, []int{0, 0, 1, 1}, 0.5714285714285714, 0.8},
		{[]int{0, 0, 1, 1}, []int{0, 0, 1, 2}, 0.5714285714285714, 0.8},
		// "If classes members are completely split across different
		// clusters, the assignment is totally incomplete": 0 for both.
		{[]int{0, 0, 0, 0}, []int{0, 1, 2, 3}, 0, 0},
		{[]int{0, 0, 1, 1}, []int{0, 1, 0, 1}, -0.5, 0},
	} {
		ari, err := ARI(c.labels, c.clusters)
		if err != nil {
			t.Fatal(err)
		}
		nmi, _ := NMI(c.labels, c.clusters)
		if !near(ari, c.ari, 1e-15) {
			t.Errorf("ARI(%v, %v) = %v, want %v", c.labels, c.clusters, ari, c.ari)
		}
		if !near(nmi, c.nmi, 1e-12) {
			t.Errorf("NMI(%v, %v) = %v, want %v", c.labels, c.clusters, nmi, c.nmi)
		}
	}
}

// Small cases worked by hand.
func TestMetricsHandComputed(t *testing.T) {
	// labels 0 0 0 1 1 2, clusters 5 5 7 7 7 7:
	// contingency (rows labels 0,1,2; cols clusters 5,7) = [[2 1] [0 2] [0 1]].
	labels := []int{0, 0, 0, 1, 1, 2}
	clusters := []int{5, 5, 7, 7, 7, 7}
	c, err := NewContingency(labels, clusters)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Labels, []int{0, 1, 2}) || !slices.Equal(c.Clusters, []int{5, 7}) {
		t.Fatalf("labels %v clusters %v", c.Labels, c.Clusters)
	}
	want := [][]int{{2, 1}, {0, 2}, {0, 1}}
	for i := range want {
		if !slices.Equal(c.Counts[i], want[i]) {
			t.Fatalf("contingency row %d = %v, want %v", i, c.Counts[i], want[i])
		}
	}
	// Matching: cluster 5 → label 0 (2 points), cluster 7 → label 1 (2):
	// accuracy 4/6. Purity: max per cluster 2 + 2 = 4/6.
	if got := c.Accuracy(); !near(got, 4.0/6, 1e-15) {
		t.Errorf("accuracy %v, want 4/6", got)
	}
	if got := c.Purity(); !near(got, 4.0/6, 1e-15) {
		t.Errorf("purity %v, want 4/6", got)
	}
	// Pairs: 15. Same label: C(3,2)+C(2,2) = 4; same cluster: 1 + C(4,2) = 7;
	// both: C(2,2) [0,0 in 5] + C(2,2) [1,1 in 7] = 2.
	// ARI = (2 − 4·7/15) / ((4+7)/2 − 4·7/15) = 0.1333… / 3.6333… = 4/109.
	if got := c.ARI(); !near(got, 4.0/109, 1e-15) {
		t.Errorf("ARI %v, want 4/109", got)
	}
	// MI = Σ p_ij log(p_ij/(p_i p_j)); H(L) and H(C) from 3,2,1 and 2,4.
	p := func(v float64) float64 { return v / 6 }
	mi := p(2)*math.Log(p(2)/(p(3)*p(2))) + p(1)*math.Log(p(1)/(p(3)*p(4))) +
		p(2)*math.Log(p(2)/(p(2)*p(4))) + p(1)*math.Log(p(1)/(p(1)*p(4)))
	hl := -(p(3)*math.Log(p(3)) + p(2)*math.Log(p(2)) + p(1)*math.Log(p(1)))
	hc := -(p(2)*math.Log(p(2)) + p(4)*math.Log(p(4)))
	if got := c.NMI(); !near(got, mi/((hl+hc)/2), 1e-14) {
		t.Errorf("NMI %v, want %v", got, mi/((hl+hc)/2))
	}
	// Label distribution per cluster, most frequent first.
	s := c.Summaries()
	if len(s) != 2 || s[0].Cluster != 5 || s[0].Size != 2 || s[1].Size != 4 {
		t.Fatalf("summaries %+v", s)
	}
	if !slices.Equal(s[1].Labels, []LabelCount{{1, 2}, {0, 1}, {2, 1}}) {
		t.Errorf("cluster 7 labels %v", s[1].Labels)
	}
	if got := s[1].String(); got != "cluster 7 (4): 2×1, 1×0, 1×2" {
		t.Errorf("String() = %q", got)
	}
}

func TestAccuracyWithMoreClustersThanLabels(t *testing.T) {
	// 2 labels, 3 clusters: the third cluster (id 2) has no label to take.
	labels := []int{0, 0, 0, 0, 1, 1, 1, 1}
	clusters := []int{0, 0, 0, 2, 1, 1, 1, 2}
	acc, err := Accuracy(labels, clusters)
	if err != nil {
		t.Fatal(err)
	}
	if acc != 6.0/8 {
		t.Errorf("accuracy %v, want 6/8", acc)
	}
	// 3 labels, 2 clusters: one label is unmatched.
	acc, _ = Accuracy(clusters, labels)
	if acc != 6.0/8 {
		t.Errorf("accuracy %v, want 6/8", acc)
	}
	// A permutation of the labels scores 1 everywhere.
	sc, _ := Evaluate([]int{3, 3, 1, 1, 2}, []int{0, 0, 2, 2, 1})
	if sc != (Scores{Acc: 1, NMI: 1, ARI: 1, Purity: 1}) {
		t.Errorf("scores of a relabelling: %+v", sc)
	}
}

func TestMetricsSingleGroups(t *testing.T) {
	one := []int{4, 4, 4}
	if v, _ := NMI(one, one); v != 1 {
		t.Errorf("NMI of one group against itself = %v, want 1", v)
	}
	if v, _ := ARI(one, one); v != 1 {
		t.Errorf("ARI of one group against itself = %v, want 1", v)
	}
	if v, _ := NMI(one, []int{0, 1, 2}); v != 0 {
		t.Errorf("NMI one group vs singletons = %v, want 0", v)
	}
	if _, err := NMI([]int{1}, []int{1, 2}); err == nil {
		t.Error("length mismatch: no error")
	}
	if _, err := ARI(nil, nil); err == nil {
		t.Error("no points: no error")
	}
}

// ARI with many points, where tp·tn overflows int64: still exact.
func TestARILargeCounts(t *testing.T) {
	n := 200000
	labels := make([]int, n)
	clusters := make([]int, n)
	for i := range n {
		labels[i] = i % 10
		clusters[i] = (i % 10) / 2 // merges label pairs
	}
	got, _ := ARI(labels, clusters)
	// Closed form: 5 clusters of 2m, 10 labels of m, m = n/10.
	m := float64(n / 10)
	comb := func(v float64) float64 { return v * (v - 1) / 2 }
	index := 10 * comb(m)
	sumA, sumB := 10*comb(m), 5*comb(2*m)
	expected := sumA * sumB / comb(float64(n))
	want := (index - expected) / ((sumA+sumB)/2 - expected)
	if !near(got, want, 1e-12) {
		t.Errorf("ARI = %.15g, want %.15g", got, want)
	}
}

func TestMetricsAgainstScikitLearn(t *testing.T) {
	b, err := os.ReadFile("testdata/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Labels, Clusters          []int
			NMI, ARI, MI, Acc, Purity float64
		}
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 5 {
		t.Fatalf("%d cases in metrics.json", len(ref.Cases))
	}
	for i, c := range ref.Cases {
		con, err := NewContingency(c.Labels, c.Clusters)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			name      string
			got, want float64
		}{
			{"NMI", con.NMI(), c.NMI}, {"ARI", con.ARI(), c.ARI}, {"MI", con.MutualInfo(), c.MI},
			{"accuracy", con.Accuracy(), c.Acc}, {"purity", con.Purity(), c.Purity},
		} {
			if !near(m.got, m.want, 1e-12) {
				t.Errorf("case %d (n=%d): %s = %.15g, scikit-learn %.15g", i, len(c.Labels), m.name, m.got, m.want)
			}
		}
	}
}

// bruteAssign returns the least total cost of assigning every row of a
// small square-or-wide matrix to a distinct column.
func bruteAssign(cost [][]float64) float64 {
	rows, cols := len(cost), len(cost[0])
	used := make([]bool, cols)
	best := math.Inf(1)
	var rec func(i int, s float64)
	rec = func(i int, s float64) {
		if i == rows {
			best = min(best, s)
			return
		}
		for j := range cols {
			if !used[j] {
				used[j] = true
				rec(i+1, s+cost[i][j])
				used[j] = false
			}
		}
	}
	rec(0, 0)
	return best
}

func TestHungarianAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		rows, cols := 1+rng.IntN(6), 1+rng.IntN(6)
		cost := make([][]float64, rows)
		for i := range cost {
			cost[i] = make([]float64, cols)
			for j := range cost[i] {
				cost[i][j] = float64(rng.IntN(20) - 5)
				if trial%3 == 0 {
					cost[i][j] = rng.NormFloat64()
				}
			}
		}
		a, err := Hungarian(cost)
		if err != nil {
			t.Fatal(err)
		}
		total, seen, assigned := 0.0, map[int]bool{}, 0
		for i, j := range a {
			if j < 0 {
				continue
			}
			if seen[j] {
				t.Fatalf("column %d assigned twice", j)
			}
			seen[j] = true
			assigned++
			total += cost[i][j]
		}
		if assigned != min(rows, cols) {
			t.Fatalf("%d×%d: %d rows assigned", rows, cols, assigned)
		}
		var want float64
		if rows <= cols {
			want = bruteAssign(cost)
		} else {
			tr := make([][]float64, cols)
			for j := range tr {
				tr[j] = make([]float64, rows)
				for i := range rows {
					tr[j][i] = cost[i][j]
				}
			}
			want = bruteAssign(tr)
		}
		if !near(total, want, 1e-9) {
			t.Fatalf("trial %d %d×%d: cost %v, optimum %v", trial, rows, cols, total, want)
		}
	}
	if _, err := Hungarian([][]float64{{1, 2}, {3}}); err == nil {
		t.Error("ragged matrix: no error")
	}
	if _, err := Hungarian([][]float64{{math.NaN()}}); err == nil {
		t.Error("NaN cost: no error")
	}
}
