package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// runCLI runs the command line in-process and returns its exit code,
// stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSummaryOfSeed(t *testing.T) {
	code, out, errs := runCLI(t, "summary", "--config", "../../examples/mnist/seed.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"conv2d_1 (Conv2D)            (None, 28, 28, 16)        160",
		"conv2d_2 (Conv2D)            (None, 14, 14, 2)         290",
		"max_pooling2d_2 (MaxPooling2 (None, 7, 7, 2)           0",
		"conv2d_3 (Conv2D)            (None, 7, 7, 2)           38",
		"conv2d_4 (Conv2D)            (None, 14, 14, 16)        304",
		"conv2d_5 (Conv2D)            (None, 28, 28, 1)         145",
		"Total params: 937",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// No --config: the embedded seed, the same table.
	code, out2, _ := runCLI(t, "summary")
	if code != 0 || out2 != out {
		t.Errorf("embedded seed summary differs (exit %d)", code)
	}
}

func TestBadInputFailsWithNamedCause(t *testing.T) {
	dir := t.TempDir()
	unknownKey := writeFile(t, dir, "unknown-key.yaml", "model:\n  input: [28, 28, 1]\n  layers:\n    - {type: Conv2D, filters: 2, kernel_size: [3, 3], colour: red}\n")
	unknownTop := writeFile(t, dir, "unknown-top.yaml", "model:\n  input: [28, 28, 1]\n  layers: [{type: Flatten}]\nepochs: 3\n")
	unknownLayer := writeFile(t, dir, "unknown-layer.yaml", "model:\n  input: [28, 28, 1]\n  layers:\n    - {type: Conv3D, filters: 2}\n")
	impossible := writeFile(t, dir, "impossible.yaml", "model:\n  input: [2, 2, 1]\n  layers:\n    - {type: MaxPooling2D}\n    - {type: MaxPooling2D}\n")
	huge := writeFile(t, dir, "huge.yaml", "model:\n  input: [28, 28, 1]\n  layers:\n    - {type: Conv2D, filters: 100000000, kernel_size: 3}\n")
	corruptDir := filepath.Join(dir, "images")
	if err := os.Mkdir(corruptDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, corruptDir, "broken.png", "\x89PNG\r\n\x1a\nthis is not a png")
	blocker := writeFile(t, dir, "not-a-folder", "x")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"missing config", []string{"summary", "--config", filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml", "not found"}},
		{"unknown config key", []string{"summary", "--config", unknownKey}, []string{"colour"}},
		{"unknown top-level key", []string{"summary", "--config", unknownTop}, []string{"epochs", "top-level"}},
		{"unknown layer", []string{"summary", "--config", unknownLayer}, []string{"Conv3D", "known types"}},
		{"impossible shape", []string{"summary", "--config", impossible}, []string{"max_pooling2d_2", "1×1"}},
		{"absurd size refused before allocating", []string{"summary", "--config", huge}, []string{"conv2d_1", "exceeds"}},
		{"corrupt data file", []string{"train", "--epochs", "1", "--quiet", "--data", corruptDir, "--out", filepath.Join(dir, "o1")}, []string{"broken.png"}},
		{"unwritable output folder", []string{"train", "--epochs", "1", "--quiet", "--out", filepath.Join(blocker, "out")}, []string{"--out", "not-a-folder"}},
		{"bad optimizer", []string{"train", "--optimizer", "adagrad", "--quiet", "--out", filepath.Join(dir, "o2")}, []string{"adagrad", "known optimizers"}},
		{"bad epochs", []string{"train", "--epochs", "0", "--quiet", "--out", filepath.Join(dir, "o3")}, []string{"--epochs"}},
		{"unknown data set", []string{"train", "--data", "cifar-10", "--quiet", "--out", filepath.Join(dir, "o4")}, []string{"--data", "cifar-10"}},
		{"reconstruct without model", []string{"reconstruct"}, []string{"--model"}},
		{"reconstruct missing model", []string{"reconstruct", "--model", filepath.Join(dir, "none.onnx")}, []string{"none.onnx"}},
	}
	for _, c := range cases {
		code, _, errs := runCLI(t, c.args...)
		if code == 0 {
			t.Errorf("%s: exit 0, want failure", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%s: error %q does not mention %q", c.name, strings.TrimSpace(errs), w)
			}
		}
	}
}

// TestTrainInitFineTunesNHWCModel fine-tunes an ONNX model whose input is
// Keras's NHWC layout (the seed exported with --layout nhwc) on a folder of
// images, and exports the result again.
func TestTrainInitFineTunesNHWCModel(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		m := image.NewGray(image.Rect(0, 0, 28, 28))
		for p := range m.Pix {
			m.Pix[p] = uint8((p*7 + i*13) % 256)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		writeFile(t, imgs, fmt.Sprintf("%02d.png", i), buf.String())
	}
	nhwc := filepath.Join(dir, "nhwc.onnx")
	if code, _, errs := runCLI(t, "export", "--model", "../../examples/mnist/seed.yaml", "--part", "full", "--layout", "nhwc", "--out", nhwc); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	out := filepath.Join(dir, "ft")
	code, stdout, errs := runCLI(t, "train", "--init", nhwc, "--data", imgs, "--epochs", "1", "--batch-size", "8", "--quiet", "--out", out)
	if code != 0 {
		t.Fatalf("train --init: %s", errs)
	}
	_ = stdout
	g, err := onnx.ReadFile(filepath.Join(out, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Inputs[0].Shape; !s.Equal(graph.Shape{-1, 28, 28, 1}) {
		t.Fatalf("fine-tuned model's input is %v, want the NHWC [-1 28 28 1] it was given", s)
	}
	before, err := onnx.ReadFile(nhwc)
	if err != nil {
		t.Fatal(err)
	}
	if w0, w1 := before.Params["conv2d_1.kernel"].Data, g.Params["conv2d_1.kernel"].Data; w0[0] == w1[0] && w0[1] == w1[1] {
		t.Errorf("weights did not move in fine-tuning")
	}
	if code, _, errs := runCLI(t, "export", "--model", filepath.Join(out, "model.onnx"), "--part", "encoder", "--out", filepath.Join(dir, "enc.onnx")); code != 0 {
		t.Fatalf("export after fine-tuning: %s", errs)
	}
}
