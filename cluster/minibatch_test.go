package cluster

import (
	"math"
	"slices"
	"testing"
)

// With learning rate 1/count, one center is the running mean of every
// point it has seen.
func TestPartialFitCenterIsRunningMean(t *testing.T) {
	x, _ := blobs(20, 1000, 4, 3, 5)
	mb, err := NewMiniBatch(4, MiniBatchConfig{K: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	sum := make([]float64, 4)
	for lo := 0; lo < 1000; lo += 100 {
		batch := x[lo*4 : (lo+100)*4]
		if err := mb.PartialFit(batch); err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			for j := range 4 {
				sum[j] += float64(batch[i*4+j])
			}
		}
		seen := float64(lo + 100)
		for j := range 4 {
			if want := sum[j] / seen; math.Abs(float64(mb.Centers[j])-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("after %v points: center[%d] = %v, running mean %v", seen, j, mb.Centers[j], want)
			}
		}
		if mb.Counts[0] != seen {
			t.Fatalf("count %v after %v points", mb.Counts[0], seen)
		}
	}
	if mb.Steps != 10 {
		t.Errorf("Steps = %d, want 10", mb.Steps)
	}
}

func TestPartialFitStreamsBlobs(t *testing.T) {
	const n, d, k = 6000, 6, 5
	x, y := blobs(21, n, d, k, 25)
	mb, err := NewMiniBatch(d, MiniBatchConfig{K: k, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for epoch := range 2 {
		for lo := 0; lo < n; lo += 500 {
			if err := mb.PartialFit(x[lo*d : (lo+500)*d]); err != nil {
				t.Fatalf("epoch %d: %v", epoch, err)
			}
		}
	}
	pred, err := mb.Model().Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if ari, _ := ARI(y, pred); ari != 1 {
		t.Errorf("streamed mini-batch k-means: ARI %v, want 1", ari)
	}
	if err := mb.PartialFit(x[:5]); err == nil {
		t.Error("batch of 5 values in 6 dimensions: no error")
	}
	fresh, _ := NewMiniBatch(d, MiniBatchConfig{K: k})
	if _, err := fresh.Model().Predict(x[:d]); err == nil {
		t.Error("Predict before any data: no error")
	}
	if err := fresh.PartialFit(x[:3*d]); err == nil {
		t.Error("first batch smaller than K: no error")
	}
}

func TestMiniBatchKMeansInertiaNearKMeans(t *testing.T) {
	const n, d, k = 5000, 8, 6
	x, y := blobs(22, n, d, k, 2) // overlapping
	full, err := KMeans(x, n, d, Config{K: k, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := MiniBatchKMeans(x, n, d, MiniBatchConfig{K: k, Seed: 1, BatchSize: 512})
	if err != nil {
		t.Fatal(err)
	}
	if m.Inertia > full.Inertia*1.03 {
		t.Errorf("mini-batch inertia %v is more than 3%% above k-means' %v", m.Inertia, full.Inertia)
	}
	if len(m.Labels) != n || m.NIter < 1 {
		t.Fatalf("%d labels, %d steps", len(m.Labels), m.NIter)
	}
	if s, _ := m.Score(x); math.Abs(s-m.Inertia) > 1e-9*s {
		t.Errorf("Score %v, Inertia %v", s, m.Inertia)
	}
	t.Logf("k-means inertia %.6g (%d iterations), mini-batch %.6g (%d steps)", full.Inertia, full.NIter, m.Inertia, m.NIter)

	// Separated blobs are recovered exactly, and the seed fixes the result.
	x, y = blobs(23, n, d, k, 30)
	a, _ := MiniBatchKMeans(x, n, d, MiniBatchConfig{K: k, Seed: 4})
	b, _ := MiniBatchKMeans(x, n, d, MiniBatchConfig{K: k, Seed: 4})
	if ari, _ := ARI(y, a.Labels); ari != 1 {
		t.Errorf("separated blobs: ARI %v, want 1", ari)
	}
	if !slices.Equal(a.Centers, b.Centers) {
		t.Error("same seed, different mini-batch centers")
	}
}

func TestMiniBatchReassignsStarvedCenters(t *testing.T) {
	// Two tight groups and K = 3 from a start where one center sits far
	// away: it never gets a point, its count stays 0, and the reassignment
	// moves it onto a data point.
	x, _ := blobs(24, 400, 2, 2, 20)
	mb, _ := NewMiniBatch(2, MiniBatchConfig{K: 3, Seed: 3})
	if err := mb.PartialFit(x[:200]); err != nil {
		t.Fatal(err)
	}
	copy(mb.Centers[4:], []float32{1e5, 1e5})
	mb.Counts[2] = 0
	if err := mb.PartialFit(x[200:400]); err != nil {
		t.Fatal(err)
	}
	if mb.Centers[4] > 1e4 {
		t.Errorf("the starved center stayed at %v", mb.Centers[4:])
	}
	if mb.Counts[2] == 0 {
		t.Error("the reassigned center kept count 0")
	}
}
