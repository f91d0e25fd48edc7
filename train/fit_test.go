package train

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

func TestFitReducesLoss(t *testing.T) {
	for _, name := range OptimizerNames() {
		g := tinyAE(8, 4, 1, false)
		x := tinyData(50, 8, 2)
		cfg := DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.Seed = 8, 8, 3
		cfg.Optimizer, _ = NewOptimizer(name)
		if name == "sgd" {
			cfg.Optimizer.(*SGD).LearningRate = 1
		}
		if name == "adam" || name == "rmsprop" {
			cfg.Epochs = 20
		}
		cfg.ValidationSplit = 0.2
		h, err := Fit(g, x, nil, cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.Epoch != cfg.Epochs || len(h.Loss) != cfg.Epochs || len(h.ValLoss) != cfg.Epochs || len(h.Seconds) != cfg.Epochs {
			t.Fatalf("%s: history %+v", name, h)
		}
		if last := h.Loss[len(h.Loss)-1]; !(last < h.Loss[0]-0.01) {
			t.Errorf("%s: loss went from %.4f to %.4f", name, h.Loss[0], last)
		}
		if last := h.ValLoss[len(h.ValLoss)-1]; !(last < h.ValLoss[0]) {
			t.Errorf("%s: val_loss went from %.4f to %.4f", name, h.ValLoss[0], last)
		}
	}
}

// With a learning rate of 0 the weights never move, so an epoch's loss —
// the batch losses weighted by batch size — is the loss of the whole
// training set, whatever the shuffle and the uneven last batch.
func TestEpochLossIsSampleWeighted(t *testing.T) {
	g := tinyAE(8, 4, 1, false)
	x := tinyData(23, 8, 2)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Seed = 2, 5, 1
	sgd := NewSGD()
	sgd.LearningRate = 0
	cfg.Optimizer = sgd
	cfg.ValidationSplit = 0.3 // 23·0.7 = 16 training samples (batches 5,5,5,1), 7 held out
	h, err := Fit(g, x, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	trainX := graph.FromData(x.Data[:16*8], 16, 8)
	valX := graph.FromData(x.Data[16*8:], 7, 8)
	wantLoss, err := Evaluate(g, trainX, nil, &BinaryCrossentropy{}, 16)
	if err != nil {
		t.Fatal(err)
	}
	wantVal, err := Evaluate(g, valX, nil, &BinaryCrossentropy{}, 7)
	if err != nil {
		t.Fatal(err)
	}
	for e := range 2 {
		if math.Abs(h.Loss[e]-wantLoss) > 1e-12 || math.Abs(h.ValLoss[e]-wantVal) > 1e-12 {
			t.Errorf("epoch %d: loss %.15g val_loss %.15g, want %.15g %.15g", e, h.Loss[e], h.ValLoss[e], wantLoss, wantVal)
		}
	}
	// The same through ValidationX, and with explicit targets.
	cfg.ValidationSplit, cfg.ValidationX, cfg.ValidationY = 0, valX, valX.Clone()
	h2, err := Fit(g, trainX, trainX.Clone(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(h2.Loss[0]-wantLoss) > 1e-12 || math.Abs(h2.ValLoss[0]-wantVal) > 1e-12 {
		t.Errorf("validation data: loss %.15g val_loss %.15g, want %.15g %.15g", h2.Loss[0], h2.ValLoss[0], wantLoss, wantVal)
	}
}

func TestShuffleOrder(t *testing.T) {
	g := tinyAE(4, 2, 1, false)
	cfg := DefaultConfig()
	cfg.Seed = 11
	tr, err := newTrainer(g, tinyData(40, 4, 1), nil, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	tr.order(3)
	e3 := slices.Clone(tr.perm)
	tr.order(0)
	e0 := slices.Clone(tr.perm)
	tr.order(3)
	if !slices.Equal(e3, tr.perm) {
		t.Error("the order of epoch 3 depends on what ran before")
	}
	if slices.Equal(e0, e3) {
		t.Error("epochs 0 and 3 have the same order")
	}
	sorted := slices.Clone(e3)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != i {
			t.Fatalf("not a permutation: %v", e3)
		}
	}
	tr.cfg.Shuffle = false
	tr.order(5)
	for i, v := range tr.perm {
		if v != i {
			t.Fatalf("no shuffle: order %v", tr.perm)
		}
	}
}

// One training step (gather, forward, loss, backward, optimizer update)
// allocates no buffers: the plan, the batch tensors and the optimizer's
// slots are reused. What remains are the executor's per-call slice of
// outputs and the goroutine closures of parallel loops, a few small
// objects whose number does not grow with the data.
func TestTrainStepReusesBuffers(t *testing.T) {
	for _, features := range []int{16, 1024} {
		g := tinyAE(features, 8, 1, false)
		x := tinyData(64, features, 2)
		cfg := DefaultConfig()
		tr, err := newTrainer(g, x, nil, cfg, false)
		if err != nil {
			t.Fatal(err)
		}
		tr.order(0)
		rp := tr.plans[32]
		idx := tr.perm[:32]
		if _, err := tr.step(rp, idx); err != nil { // warm-up: slots created
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := tr.step(rp, idx); err != nil {
				t.Fatal(err)
			}
		})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 50 {
			tr.step(rp, idx)
		}
		runtime.ReadMemStats(&after)
		perStep := float64(after.TotalAlloc-before.TotalAlloc) / 50
		t.Logf("%d features: %.1f allocations, %.0f bytes per step", features, allocs, perStep)
		// The batch alone is 32·features·4 bytes (2 KiB, 128 KiB); with
		// 1024 features the loops go parallel and their goroutines
		// allocate a little.
		if features == 16 && (allocs > 8 || perStep > 1024) || perStep > 16384 {
			t.Errorf("%d features: %.1f allocations and %.0f bytes per step: buffers are not reused", features, allocs, perStep)
		}
	}
}

func TestEarlyStopping(t *testing.T) {
	g := tinyAE(4, 2, 1, false)
	es := &EarlyStopping{Monitor: "loss", Patience: 2, MinDelta: 0.1, RestoreBest: true}
	losses := []float64{1, 0.5, 0.45, 0.3, 0.35, 0.9}
	stopAt := -1
	for e, l := range losses {
		for i := range g.Params["dense_1.bias"].Data {
			g.Params["dense_1.bias"].Data[i] = float32(e)
		}
		stop, err := es.EpochEnd(EpochLogs{Epoch: e, Loss: l, ValLoss: math.NaN(), Graph: g})
		if err != nil {
			t.Fatal(err)
		}
		if stop {
			stopAt = e
			break
		}
	}
	// Improvements (by more than 0.1): epochs 0, 1, 3. Epochs 4 and 5 do
	// not improve: patience 2 stops at epoch 5 and restores epoch 3.
	if stopAt != 5 || es.StoppedEpoch != 5 {
		t.Errorf("stopped at %d (StoppedEpoch %d), want 5", stopAt, es.StoppedEpoch)
	}
	if best, at := es.Best(); best != 0.3 || at != 3 {
		t.Errorf("best %v at %d, want 0.3 at 3", best, at)
	}
	if b := g.Params["dense_1.bias"].Data[0]; b != 3 {
		t.Errorf("restored bias %v, want epoch 3's", b)
	}
	if _, err := (&EarlyStopping{}).EpochEnd(EpochLogs{ValLoss: math.NaN()}); err == nil {
		t.Error("val_loss without validation data: no error")
	}
	// Through Fit: a learning rate of 0 never improves after epoch 0.
	cfg := DefaultConfig()
	cfg.Epochs, cfg.ValidationSplit = 10, 0.25
	sgd := NewSGD()
	sgd.LearningRate = 0
	cfg.Optimizer = sgd
	cfg.Callbacks = []Callback{&EarlyStopping{Patience: 2}}
	h, err := Fit(g, tinyData(20, 4, 3), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Loss) != 3 || h.Epoch != 3 {
		t.Errorf("stopped after %d epochs (history %d), want 3", h.Epoch, len(h.Loss))
	}
}

func TestProgress(t *testing.T) {
	g := tinyAE(4, 2, 1, false)
	x := tinyData(20, 4, 3)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.ValidationSplit = 2, 0.2
	var buf bytes.Buffer
	cfg.Progress = &buf
	if _, err := Fit(g, x, nil, cfg); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^Epoch [12]/2 - \d+s - loss: \d\.\d{4} - val_loss: \d\.\d{4}$`)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !line.MatchString(lines[0]) || !line.MatchString(lines[1]) {
		t.Errorf("log lines:\n%s", buf.String())
	}
	buf.Reset()
	cfg.ProgressStyle, cfg.ValidationSplit, cfg.BatchSize = ProgressBar, 0, 4
	if _, err := Fit(g, x, nil, cfg); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "Epoch 2/2 - 0s - loss: ") || !strings.Contains(s, "0/5") || strings.Contains(s, "val_loss") {
		t.Errorf("bar output: %q", s)
	}
}

func TestFitErrors(t *testing.T) {
	g := tinyAE(4, 2, 1, false)
	x := tinyData(10, 4, 3)
	cases := []struct {
		name string
		edit func(*Config, **graph.Tensor, **graph.Tensor)
		want string
	}{
		{"no loss", func(c *Config, _, _ **graph.Tensor) { c.Loss = nil }, "Loss is nil"},
		{"no optimizer", func(c *Config, _, _ **graph.Tensor) { c.Optimizer = nil }, "Optimizer is nil"},
		{"bad split", func(c *Config, _, _ **graph.Tensor) { c.ValidationSplit = 1 }, "validation split 1"},
		{"large split", func(c *Config, _, _ **graph.Tensor) { c.ValidationSplit = 0.95 }, "leaves 0 for training and 10"},
		{"input shape", func(_ *Config, x, _ **graph.Tensor) { *x = tinyData(10, 5, 1) }, "input"},
		{"target count", func(_ *Config, _, y **graph.Tensor) { *y = tinyData(9, 4, 1) }, "same number of samples"},
		{"target shape", func(_ *Config, _, y **graph.Tensor) { *y = tinyData(10, 3, 1) }, "targets"},
		{"validation shape", func(c *Config, _, _ **graph.Tensor) { c.ValidationX = tinyData(3, 6, 1) }, "validation inputs"},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		xx, yy := x, (*graph.Tensor)(nil)
		c.edit(&cfg, &xx, &yy)
		_, err := Fit(g, xx, yy, cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestNumericFaults(t *testing.T) {
	dir := t.TempDir()
	x := tinyData(20, 4, 3)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.CheckpointPath = 3, 5, dir+"/ck.onnx"

	// A NaN in a layer's output during epoch 2, batch 3 (forward 7).
	g := tinyAE(4, 2, 1, true)
	faultForward.Store(7)
	_, err := Fit(g, x, nil, cfg)
	var ne *NumericError
	if !errors.As(err, &ne) {
		t.Fatalf("forward NaN: got %v", err)
	}
	if ne.Epoch != 2 || ne.Batch != 3 || ne.Quantity != "loss" || ne.Node != "fault" || ne.Batches != 4 || !math.IsNaN(float64(ne.Value)) {
		t.Errorf("forward NaN: %+v", ne)
	}
	t.Log(err)
	if ne.Checkpoint != cfg.CheckpointPath || !strings.Contains(err.Error(), `node "fault"`) || !strings.Contains(err.Error(), "epoch 2/3, batch 3/4") {
		t.Errorf("forward NaN message: %v", err)
	}
	// The checkpoint on disk is epoch 1's.
	tr, _ := newTrainer(tinyAE(4, 2, 1, true), x, nil, cfg, false)
	if r, err := tr.resume(); err != nil || r == nil || r.epoch != 1 {
		t.Errorf("checkpoint after the fault: %+v, %v", r, err)
	}

	// An infinite gradient: the step is refused, the weights stay as they
	// were, and the first parameter it reached is named with its layer.
	g = tinyAE(4, 2, 1, true)
	cfg.CheckpointPath = ""
	cfg.Epochs = 1
	cfg.Optimizer = NewAdadelta() // the last Fit left its state in the old one
	faultForward.Store(0)
	faultBackward.Store(2)
	before := g.Clone()
	_, err = Fit(g, x, nil, cfg)
	if !errors.As(err, &ne) || ne.Quantity != "gradient" || ne.Batch != 2 || ne.Param != "dense_1.kernel" || ne.Layer != "dense_1" {
		t.Fatalf("gradient Inf: %v", err)
	}
	t.Log(err)
	// Batch 1's update happened, batch 2's not: replay batch 1 alone.
	cfg.Epochs, cfg.BatchSize = 1, 5
	ref := before.Clone()
	cfg.Optimizer = NewAdadelta()
	tr, err = newTrainer(ref, x, nil, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	tr.order(0)
	if _, err := tr.step(tr.plans[5], tr.perm[:5]); err != nil {
		t.Fatal(err)
	}
	paramsEqual(t, g, ref)

	// A NaN weight before training is refused up front.
	g = tinyAE(4, 2, 1, false)
	g.Params["dense_2.bias"].Data[1] = float32(math.NaN())
	if _, err := Fit(g, x, nil, cfg); !errors.As(err, &ne) || ne.Param != "dense_2.bias" || ne.Quantity != "weight" ||
		!strings.HasPrefix(err.Error(), "train: before epoch 1/1: non-finite weight") {
		t.Errorf("NaN weight: %v", err)
	}
	// Data holding a NaN is reported as such.
	bad := x.Clone()
	bad.Data[3] = float32(math.Inf(-1))
	if _, err := Fit(tinyAE(4, 2, 1, false), bad, nil, cfg); !errors.As(err, &ne) || ne.Quantity != "input" {
		t.Errorf("Inf input: %v", err)
	}
	cfg.ValidationX = graph.New(7, 4)
	cfg.ValidationX.Data[27] = float32(math.NaN())
	if _, err := Fit(tinyAE(4, 2, 1, false), x, nil, cfg); !errors.As(err, &ne) || ne.Quantity != "validation input" || ne.Batch != 2 ||
		!strings.Contains(err.Error(), "validation batch 2/2") {
		t.Errorf("NaN in validation data: %v", err)
	}
}

// TestFitOnPixelsMatchesFloat: a Uint8 pixel data set trains bit for bit as
// its float32(p)/255 form does (inputs, targets and validation).
func TestFitOnPixelsMatchesFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n = 24
	pix := &graph.Tensor{Shape: graph.Shape{n, 1, 6, 6}, DType: graph.Uint8, Bytes: make([]uint8, n*36)}
	for i := range pix.Bytes {
		pix.Bytes[i] = uint8(rng.IntN(256))
	}
	flt := graph.New(n, 1, 6, 6)
	for i, p := range pix.Bytes {
		flt.Data[i] = float32(p) / 255
	}
	run := func(x, val *graph.Tensor) (*graph.Graph, *History) {
		g, err := graph.Sequential("tiny", 7,
			graph.Input{Shape: []int{6, 6, 1}},
			graph.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
			graph.Conv2D{Filters: 1, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "sigmoid"},
		)
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.ValidationX = 2, 5, val
		h, err := Fit(g, x, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return g, h
	}
	gp, hp := run(pix, pix)
	gf, hf := run(flt, flt)
	for e := range hf.Loss {
		if hp.Loss[e] != hf.Loss[e] || hp.ValLoss[e] != hf.ValLoss[e] {
			t.Fatalf("epoch %d: pixels %v/%v, float %v/%v", e, hp.Loss[e], hp.ValLoss[e], hf.Loss[e], hf.ValLoss[e])
		}
	}
	for name, p := range gf.Params {
		for i, v := range p.Data {
			if gp.Params[name].Data[i] != v {
				t.Fatalf("%s[%d]: pixels %v, float %v", name, i, gp.Params[name].Data[i], v)
			}
		}
	}
}
