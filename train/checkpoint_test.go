package train

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// resumeConfig is a run that exercises everything resuming must restore:
// shuffling, a partial last batch, a validation split and an optimizer
// with state and a step count (Adam's bias correction).
func resumeConfig(epochs int, path string) Config {
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Seed, cfg.ValidationSplit = epochs, 7, 42, 0.2
	cfg.Optimizer = NewAdam()
	cfg.CheckpointPath = path
	cfg.Resume = true
	return cfg
}

func TestResumeIsBitIdentical(t *testing.T) {
	x := tinyData(30, 6, 9)
	whole := tinyAE(6, 3, 5, false)
	want, err := Fit(whole, x, nil, resumeConfig(3, ""))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ck.onnx")
	first := tinyAE(6, 3, 5, false)
	if _, err := Fit(first, x, nil, resumeConfig(1, path)); err != nil {
		t.Fatal(err)
	}
	// A new process: fresh model and optimizer, the same configuration.
	resumed := tinyAE(6, 3, 5, false)
	h, err := Fit(resumed, x, nil, resumeConfig(3, path))
	if err != nil {
		t.Fatal(err)
	}
	paramsEqual(t, resumed, whole)
	for e := range 3 {
		if h.Loss[e] != want.Loss[e] || h.ValLoss[e] != want.ValLoss[e] {
			t.Errorf("epoch %d: resumed loss %v/%v, uninterrupted %v/%v", e, h.Loss[e], h.ValLoss[e], want.Loss[e], want.ValLoss[e])
		}
	}
	if h.Epoch != 3 || len(h.Seconds) != 3 {
		t.Errorf("history %+v", h)
	}
	// Resuming a finished run does nothing.
	again := tinyAE(6, 3, 5, false)
	if h, err := Fit(again, x, nil, resumeConfig(3, path)); err != nil || len(h.Loss) != 3 {
		t.Fatalf("resuming a finished run: %v, %v", h, err)
	}
	paramsEqual(t, again, whole)
}

func TestCheckpointContents(t *testing.T) {
	x := tinyData(30, 6, 9)
	path := filepath.Join(t.TempDir(), "ck.onnx")
	g := tinyAE(6, 3, 5, false)
	g.Meta["producer"] = "test"
	if _, err := Fit(g, x, nil, resumeConfig(2, path)); err != nil {
		t.Fatal(err)
	}
	ck, err := onnx.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range g.TrainableNames() {
		for _, slot := range []string{"m", "v"} {
			s := ck.Params[OptimizerStatePrefix+slot+"/"+name]
			if s == nil || !s.Shape.Equal(g.Params[name].Shape) || ck.Trainable[OptimizerStatePrefix+slot+"/"+name] {
				t.Errorf("checkpoint slot %s of %s: %v", slot, name, s)
			}
		}
		if !ck.Trainable[name] {
			t.Errorf("checkpoint: %s not trainable", name)
		}
	}
	// 24 training samples in batches of 7: 4 steps an epoch.
	for k, want := range map[string]string{MetaEpoch: "2", MetaOptimizer: "adam", MetaIterations: "8", MetaSeed: "42", MetaBatchSize: "7", MetaLoss: "binary_crossentropy", "producer": "test"} {
		if ck.Meta[k] != want {
			t.Errorf("checkpoint meta %s = %q, want %q", k, ck.Meta[k], want)
		}
	}
	if !strings.HasPrefix(ck.Meta[MetaHistory], `{"loss":[`) {
		t.Errorf("history meta %q", ck.Meta[MetaHistory])
	}
	// The model itself carries neither the optimizer state nor the
	// training metadata.
	for k := range g.Params {
		if strings.HasPrefix(k, OptimizerStatePrefix) {
			t.Errorf("model holds optimizer state %q", k)
		}
	}
	if len(g.Meta) != 1 {
		t.Errorf("model meta changed: %v", g.Meta)
	}
}

func TestResumeRefusesAnotherRun(t *testing.T) {
	x := tinyData(30, 6, 9)
	path := filepath.Join(t.TempDir(), "ck.onnx")
	if _, err := Fit(tinyAE(6, 3, 5, false), x, nil, resumeConfig(1, path)); err != nil {
		t.Fatal(err)
	}
	cfg := resumeConfig(2, path)
	cfg.Seed = 43
	if _, err := Fit(tinyAE(6, 3, 5, false), x, nil, cfg); err == nil || !strings.Contains(err.Error(), "aekit.train.seed = 42") {
		t.Errorf("other seed: %v", err)
	}
	cfg = resumeConfig(2, path)
	cfg.Optimizer = NewAdadelta()
	if _, err := Fit(tinyAE(6, 3, 5, false), x, nil, cfg); err == nil || !strings.Contains(err.Error(), "adam") {
		t.Errorf("other optimizer: %v", err)
	}
	if _, err := Fit(tinyAE(7, 3, 5, false), tinyData(30, 7, 9), nil, resumeConfig(2, path)); err == nil || !strings.Contains(err.Error(), "dense_") {
		t.Errorf("other model: %v", err)
	}
	// Without a checkpoint, Resume starts afresh.
	fresh := filepath.Join(t.TempDir(), "none.onnx")
	if h, err := Fit(tinyAE(6, 3, 5, false), x, nil, resumeConfig(1, fresh)); err != nil || len(h.Loss) != 1 {
		t.Errorf("resume without checkpoint: %v, %v", h, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("no checkpoint written: %v", err)
	}
}

// crashEpochs is the length of the run the crash test kills.
const crashEpochs = 400

func crashRun(path string) (*graph.Graph, error) {
	g := tinyAE(6, 3, 5, false)
	_, err := Fit(g, tinyData(30, 6, 9), nil, resumeConfig(crashEpochs, path))
	return g, err
}

func TestMain(m *testing.M) {
	if path := os.Getenv("AEKIT_TRAIN_CRASH_CHILD"); path != "" {
		if _, err := crashRun(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestKillDuringTraining kills (SIGKILL) a training process 20 times at
// random moments; after each kill the checkpoint must read back whole, and
// the run resumed to the end must give the uninterrupted run's weights bit
// for bit.
func TestKillDuringTraining(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ck.onnx")
	rng := rand.New(rand.NewPCG(2024, 6))
	kills, finished, lastEpoch := 0, 0, 0
	for try := 0; kills < 20 && try < 100; try++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "AEKIT_TRAIN_CRASH_CHILD="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(10+rng.IntN(60)) * time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("training process failed: %v", err)
			}
			// A fast machine finished the run: start a new one.
			finished++
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			lastEpoch = 0
			continue
		default:
		}
		cmd.Process.Kill()
		<-done
		kills++
		if _, err := os.Stat(path); err != nil {
			continue // killed before its first checkpoint
		}
		ck, err := onnx.ReadFile(path)
		if err != nil {
			t.Fatalf("after kill %d the checkpoint is corrupt: %v", kills, err)
		}
		e, err := strconv.Atoi(ck.Meta[MetaEpoch])
		if err != nil || e < lastEpoch || e > crashEpochs {
			t.Fatalf("after kill %d: checkpoint epoch %q (before: %d)", kills, ck.Meta[MetaEpoch], lastEpoch)
		}
		lastEpoch = e
	}
	t.Logf("%d kills, %d runs finished unkilled; the last kill left epoch %d/%d", kills, finished, lastEpoch, crashEpochs)
	if kills < 20 || lastEpoch == 0 {
		t.Fatalf("%d kills, last checkpoint at epoch %d: the test did not interrupt training as meant", kills, lastEpoch)
	}
	got, err := crashRun(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := crashRun("")
	if err != nil {
		t.Fatal(err)
	}
	paramsEqual(t, got, want)
}
