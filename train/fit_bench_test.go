package train

import (
	"testing"
	"time"

	"github.com/aekit/aekit/graph"
)

// mnistEpoch is the number of images in an MNIST training epoch.
const mnistEpoch = 60000

// seedBatches returns the golden model (the seed autoencoder, decoded from
// init.onnx) and n images made of the golden batch repeated.
func seedBatches(b testing.TB, n int) (*graph.Graph, *graph.Tensor) {
	g, batch, _, _ := loadGolden(b)
	x := graph.New(n, 1, 28, 28)
	for i := 0; i < len(x.Data); i += len(batch.Data) {
		copy(x.Data[i:], batch.Data)
	}
	return g, x
}

// BenchmarkTrainStep times one training step of the seed model (batch 32:
// gather, forward, binary cross-entropy, backward, Adadelta) and
// extrapolates to a 60,000-image epoch. cpu-ms/step is the process's CPU
// time (all threads) per step: on a shared machine wall time also counts
// the waits for a core.
func BenchmarkTrainStep(b *testing.B) {
	g, x := seedBatches(b, 256)
	tr, err := newTrainer(g, x, nil, DefaultConfig(), false)
	if err != nil {
		b.Fatal(err)
	}
	tr.order(0)
	rp := tr.plans[32]
	steps := 0
	cpu0 := processCPUSeconds()
	for b.Loop() {
		lo := (steps % 8) * 32
		if _, err := tr.step(rp, tr.perm[lo:lo+32]); err != nil {
			b.Fatal(err)
		}
		steps++
	}
	perImage := b.Elapsed().Seconds() / float64(steps*32)
	b.ReportMetric(1/perImage, "images/s")
	b.ReportMetric(perImage*mnistEpoch, "s/epoch")
	b.ReportMetric((processCPUSeconds()-cpu0)/float64(steps)*1e3, "cpu-ms/step")
}

// BenchmarkSeedEpoch runs Fit for one epoch over 2,048 images (shuffled,
// progress off) and Evaluate over 1,024, and extrapolates to the seed's
// epoch: 60,000 training and 10,000 validation images.
func BenchmarkSeedEpoch(b *testing.B) {
	g, x := seedBatches(b, 2048)
	_, val := seedBatches(b, 1024)
	cfg := DefaultConfig()
	var train, eval float64
	n := 0
	for b.Loop() {
		began := time.Now()
		if _, err := Fit(g, x, nil, cfg); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := Evaluate(g, val, nil, cfg.Loss, 32); err != nil {
			b.Fatal(err)
		}
		train += mid.Sub(began).Seconds()
		eval += time.Since(mid).Seconds()
		n++
	}
	b.ReportMetric((train*mnistEpoch/2048+eval*10000/1024)/float64(n), "s/epoch")
}
