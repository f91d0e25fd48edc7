package bench

import (
	"bufio"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// seedModel is the seed autoencoder with the golden test's fixed weights.
func seedModel(t testing.TB) *graph.Graph {
	t.Helper()
	g, err := onnx.ReadFile("../train/testdata/seed-adadelta/init.onnx")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// images returns n random 28×28 images with pixels in [0, 1).
func images(seed uint64, n int) *graph.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := graph.New(n, 1, 28, 28)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	return x
}

// The seed's multiply-adds per image, by hand from its layer shapes
// (output elements × input channels × 3×3):
// conv1 28·28·16·1·9, conv2 14·14·2·16·9, conv3 7·7·2·2·9,
// conv4 14·14·16·2·9, conv5 28·28·1·16·9.
func TestFLOPsOfSeed(t *testing.T) {
	g := seedModel(t)
	conv1 := 28.0 * 28 * 16 * 1 * 9
	fwd := conv1 + 14*14*2*16*9 + 7*7*2*2*9 + 14*14*16*2*9 + 28*28*1*16*9
	if fwd != 340452 {
		t.Fatalf("hand count %v", fwd)
	}
	got, err := ForwardFLOPs(g)
	if err != nil {
		t.Fatal(err)
	}
	if got != 2*fwd {
		t.Errorf("ForwardFLOPs = %v, want %v", got, 2*fwd)
	}
	// Training: forward, weight gradients, input gradients except conv1's
	// (its input is the data).
	got, err = TrainFLOPs(g)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * (3*fwd - conv1); got != want {
		t.Errorf("TrainFLOPs = %v, want %v", got, want)
	}
	// Per 60,000-image epoch: about 109 GFLOP (122 with conv1's input
	// gradient, which no engine computes).
	if e := got * 60000 / 1e9; math.Abs(e-109.0152) > 1e-3 {
		t.Errorf("GFLOP per epoch %v", e)
	}
}

func TestRunSmall(t *testing.T) {
	g := seedModel(t)
	before := g.Params["conv2d_1.kernel"].Clone()
	var log strings.Builder
	cfg := Config{Model: g, Train: images(1, 160), Test: images(2, 300), Steps: 3, WarmupSteps: 1,
		GorgoniaSteps: 2, K: 3, NInit: 2, Repeats: 1, Log: &log}
	r, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{
		"NativeEpochS": r.NativeEpochS, "GorgoniaEpochS": r.GorgoniaEpochS, "SpeedupVsGorgonia": r.SpeedupVsGorgonia,
		"Encode10kS": r.Encode10kS, "KMeansS": r.KMeansS, "Forward10kS": r.Forward10kS,
		"NativeImagesPerS": r.NativeImagesPerS, "GorgoniaImagesPerS": r.GorgoniaImagesPerS,
		"NativeGFLOPS": r.NativeGFLOPS, "NativeLoss": r.NativeLoss, "GorgoniaLoss": r.GorgoniaLoss,
	} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s = %v, want positive", name, v)
		}
	}
	if processCPUSeconds() > 0 && !(r.NativeCPUEpochS > 0 && r.GorgoniaCPUEpochS > 0) {
		t.Errorf("CPU seconds per epoch: native %v, gorgonia %v", r.NativeCPUEpochS, r.GorgoniaCPUEpochS)
	}
	if r.PeakRSSMB <= 0 && PeakRSSMB() != 0 {
		t.Errorf("PeakRSSMB %v", r.PeakRSSMB)
	}
	if r.PeakRSSMB < r.NativePeakRSSMB || r.NativePeakRSSMB < r.TrainPeakRSSMB {
		t.Errorf("peak %v, native phase %v, training %v: not increasing", r.PeakRSSMB, r.NativePeakRSSMB, r.TrainPeakRSSMB)
	}
	if r.NativeSteps != 3 || r.GorgoniaSteps != 2 || r.BatchSize != 32 || r.EpochImages != 160 ||
		r.EncodedImages != 300 || r.CodeDim != 98 || r.KMeansIter < 1 || r.GOMAXPROCS < 1 {
		t.Errorf("counts %+v", r)
	}
	// Epoch times are the epoch's images over the measured rate.
	if e := 160 / r.NativeImagesPerS; math.Abs(e-r.NativeEpochS) > 1e-9*e {
		t.Errorf("NativeEpochS %v, want %v", r.NativeEpochS, e)
	}
	if s := r.GorgoniaEpochS / r.NativeEpochS; math.Abs(s-r.SpeedupVsGorgonia) > 1e-9*s {
		t.Errorf("speedup %v, want %v", r.SpeedupVsGorgonia, s)
	}
	if want := r.TrainGFLOPPerEpoch / r.NativeEpochS; math.Abs(want-r.NativeGFLOPS) > 1e-9*want {
		t.Errorf("NativeGFLOPS %v, want %v", r.NativeGFLOPS, want)
	}
	for _, phase := range []string{"native:", "encode:", "k-means:", "gorgonia:", "peak RSS:"} {
		if !strings.Contains(log.String(), phase) {
			t.Errorf("log lacks %q:\n%s", phase, log.String())
		}
	}
	// Run trains clones: the model's weights are untouched.
	for i, v := range g.Params["conv2d_1.kernel"].Data {
		if v != before.Data[i] {
			t.Fatalf("Run changed the model's weights")
		}
	}

	// Negative GorgoniaSteps skips the gorgonia engine.
	cfg.GorgoniaSteps, cfg.Log = -1, nil
	if r, err = Run(cfg); err != nil {
		t.Fatal(err)
	}
	if r.GorgoniaEpochS != 0 || r.SpeedupVsGorgonia != 0 || r.NativeEpochS <= 0 {
		t.Errorf("without gorgonia: %+v", r)
	}
}

func TestRunErrors(t *testing.T) {
	g := seedModel(t)
	ok := Config{Model: g, Train: images(1, 64), Test: images(2, 20), Steps: 2, WarmupSteps: -1, GorgoniaSteps: -1, K: 2, NInit: 1, Repeats: 1}
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Model = nil }, "needs Model"},
		{func(c *Config) { c.Steps = 3 }, "3 steps of batch 32 need 96 training images, have 64"},
		{func(c *Config) { c.Steps = -1 }, "steps -1"},
		{func(c *Config) { c.K = 21 }, "k = 21 clusters for 20 test images"},
		{func(c *Config) { c.Test = &graph.Tensor{Shape: graph.Shape{2, 3}, Data: make([]float32, 5)} }, "test data must be float32"},
		{func(c *Config) { c.EncodeBatch = -4 }, "encode batch -4"},
		{func(c *Config) { c.Repeats = -2 }, "-2 encoding repeats"},
	} {
		cfg := ok
		c.edit(&cfg)
		_, err := Run(cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	if _, err := Run(ok); err != nil {
		t.Errorf("the valid config fails: %v", err)
	}
}

func TestVmHWM(t *testing.T) {
	status := "Name:\taekit\nVmPeak:\t 2000 kB\nVmHWM:\t  337920 kB\nVmRSS:\t 1024 kB\n"
	if got := vmHWM(bufio.NewScanner(strings.NewReader(status))); got != 330 {
		t.Errorf("VmHWM 337920 kB read as %v MiB, want 330", got)
	}
	if got := vmHWM(bufio.NewScanner(strings.NewReader("VmHWM: many\n"))); got != 0 {
		t.Errorf("bad line read as %v", got)
	}
}
