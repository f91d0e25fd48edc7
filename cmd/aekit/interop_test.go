package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/internal/ort"
	"github.com/aekit/aekit/onnx"
)

// Tests of the interop verbs: run, inspect and export.

const seedYAML = "../../examples/mnist/seed.yaml"

// TestRunMNIST7TestData runs mnist-7 on its three test_data_set folders
// through `aekit run` and compares output_0.pb with the expected one.
func TestRunMNIST7TestData(t *testing.T) {
	dir := filepath.Join(ort.SharedModels(t), "mnist-7_cntk_via_onnx-go")
	model := filepath.Join(dir, "model.onnx")
	for _, set := range []string{"test_data_set_0", "test_data_set_1", "test_data_set_2"} {
		out := t.TempDir()
		code, stdout, stderr := runCLI(t, "run", model, "--inputs", filepath.Join(dir, set), "--out", out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", set, code, stderr)
		}
		if !strings.Contains(stdout, "output_0.pb: Plus214_Output_0 float32 1×10") {
			t.Errorf("%s: stdout %q", set, stdout)
		}
		data, err := os.ReadFile(filepath.Join(out, "output_0.pb"))
		if err != nil {
			t.Fatal(err)
		}
		name, got, err := onnx.DecodeNamedTensor(data)
		if err != nil {
			t.Fatal(err)
		}
		want, err := onnx.ReadTensorFile(filepath.Join(dir, set, "output_0.pb"))
		if err != nil {
			t.Fatal(err)
		}
		if name != "Plus214_Output_0" || !got.Shape.Equal(want.Shape) {
			t.Fatalf("%s: output %q %v, want Plus214_Output_0 %v", set, name, got.Shape, want.Shape)
		}
		// Logits up to ~6.6e3 from 0..255 pixels: 1e-3 + 1e-4·|want|.
		for i, w := range want.Data {
			d := float64(got.Data[i] - w)
			if d < 0 {
				d = -d
			}
			if d > 1e-3+1e-4*float64(max(w, -w)) {
				t.Errorf("%s: logit %d = %g, want %g", set, i, got.Data[i], w)
			}
		}
	}
}

// TestRunNPY runs the seed's NHWC encoder export on .npy input and checks
// that .pb and .npy outputs are written and agree with aekit's own run.
func TestRunNPY(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "enc.onnx")
	if code, _, stderr := runCLI(t, "export", "--model", seedYAML, "--part", "encoder", "--layout", "nhwc", "--out", model); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	mn, err := data.MNIST(data.SplitTest)
	if err != nil {
		t.Fatal(err)
	}
	x := mn.Slice(0, 5).X.Clone()
	x.Shape = graph.Shape{5, 28, 28, 1} // one channel: NCHW bytes are NHWC bytes
	in := filepath.Join(dir, "in")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteNPY(filepath.Join(in, "input_0.npy"), x); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "run", model, "--inputs", in, "--out", out)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	fromPB, err := onnx.ReadTensorFile(filepath.Join(out, "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	fromNPY, err := data.ReadNPY(filepath.Join(out, "output_0.npy"))
	if err != nil {
		t.Fatalf("%v (stdout %q)", err, stdout)
	}
	g, err := onnx.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	want, err := graph.Run(g, x)
	if err != nil {
		t.Fatal(err)
	}
	if !fromPB.Shape.Equal(graph.Shape{5, 7, 7, 2}) || !fromNPY.Shape.Equal(fromPB.Shape) {
		t.Fatalf("output shapes %v (pb) %v (npy), want 5×7×7×2", fromPB.Shape, fromNPY.Shape)
	}
	for i, w := range want[0].Data {
		if fromPB.Data[i] != w || fromNPY.Data[i] != w {
			t.Fatalf("element %d: pb %g npy %g, want %g", i, fromPB.Data[i], fromNPY.Data[i], w)
		}
	}
}

// TestRunErrors checks that run's errors name the flag or file at fault.
func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "seed.onnx")
	if code, _, stderr := runCLI(t, "export", "--model", seedYAML, "--out", model); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	empty := t.TempDir()
	two := t.TempDir()
	x := graph.New(1, 1, 28, 28)
	for _, name := range []string{"input_0.pb", "input_1.pb"} {
		if err := onnx.WriteTensorFile(filepath.Join(two, name), x); err != nil {
			t.Fatal(err)
		}
	}
	wrong := t.TempDir()
	if err := onnx.WriteTensorFile(filepath.Join(wrong, "input_0.pb"), graph.New(1, 28, 28, 1)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", model, "--out", dir}, "--inputs is required"},
		{[]string{"run", model, "--inputs", empty}, "--out is required"},
		{[]string{"run", model, "--inputs", filepath.Join(dir, "nope"), "--out", dir}, "--inputs"},
		{[]string{"run", model, "--inputs", empty, "--out", dir}, "the model takes 1 inputs, the folder holds 0"},
		{[]string{"run", model, "--inputs", two, "--out", dir}, "holds more (input_1)"},
		{[]string{"run", model, "--inputs", wrong, "--out", dir}, "shape 1×28×28×1, the model declares ?×1×28×28"},
		{[]string{"run", filepath.Join(dir, "missing.onnx"), "--inputs", two, "--out", dir}, "missing.onnx"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to contain %q", c.args, code, stderr, c.want)
		}
	}
}

// TestInspect checks inspect on an aekit export (layer table) and on a
// converter file (node table).
func TestInspect(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "seed.onnx")
	if code, _, stderr := runCLI(t, "export", "--model", seedYAML, "--layout", "nhwc", "--opset", "17", "--doc", "trained for testing", "--out", model); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	code, out, stderr := runCLI(t, "inspect", model)
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"producer    aekit " + export.Version,
		"IR version  8",
		"opsets      ai.onnx 17",
		"doc         trained for testing",
		"inputs      input   [?, 28, 28, 1]",
		"outputs     output  [?, 28, 28, 1]",
		"Conv×5",
		"Resize×2",
		"parameters  945 (937 trainable, 8 in constants",
		"aekit.export.layout = nhwc",
		"max_pooling2d_2 (MaxPooling2 (None, 7, 7, 2)           0",
		"conv2d_5 (Conv2D)            (None, 28, 28, 1)         145",
		"Total params: 937",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
	lenet := filepath.Join(ort.SharedModels(t), "tf2onnx-1.16.1_keras3_lenet", "model.onnx")
	code, out, stderr = runCLI(t, "inspect", lenet)
	if code != 0 {
		t.Fatalf("inspect lenet: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"producer    tf2onnx 1.16.1", "opsets      ai.onnx 15, ai.onnx.ml 2", "IR version  8", "inputs      input   [?, 28, 28]", "MatMul×3", "61,713", "Conv__28", "1×16×10×10"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lenet lacks %q:\n%s", want, out)
		}
	}
	if code, _, stderr := runCLI(t, "inspect", filepath.Join(dir, "none.onnx")); code == 0 || !strings.Contains(stderr, "none.onnx") {
		t.Errorf("inspect of a missing file: exit %d, %q", code, stderr)
	}
}

// TestExportVerb exports the seed's parts and checks the flags' errors.
func TestExportVerb(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "dec.onnx")
	code, stdout, stderr := runCLI(t, "export", "--model", seedYAML, "--part", "decoder", "--layout", "nhwc", "--opset", "11", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `decoder (cut at "max_pooling2d_2"), layout nhwc, opset 11; inputs max_pooling2d_2 [?, 7, 7, 2], outputs output [?, 28, 28, 1]; verified`) {
		t.Errorf("stdout %q", stdout)
	}
	// An exported ONNX file exports again (here its encoder, cut at a layer).
	full := filepath.Join(dir, "full.onnx")
	if code, _, stderr := runCLI(t, "export", "--model", seedYAML, "--out", full); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, "export", "--model", full, "--part", "encoder", "--layer", "conv2d_2", "--out", filepath.Join(dir, "enc.onnx"))
	if code != 0 || !strings.Contains(stdout, `cut at "conv2d_2"`) {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--out", out}, "--model is required"},
		{[]string{"export", "--model", seedYAML}, "--out is required"},
		{[]string{"export", "--model", seedYAML, "--part", "middle", "--out", out}, `--part "middle"`},
		{[]string{"export", "--model", seedYAML, "--layout", "hwcn", "--out", out}, `--layout "hwcn"`},
		{[]string{"export", "--model", seedYAML, "--opset", "9", "--out", out}, "--opset 9"},
		{[]string{"export", "--model", seedYAML, "--layer", "conv2d_2", "--out", out}, `--layer "conv2d_2": a cut applies to --part encoder or decoder`},
		{[]string{"export", "--model", seedYAML, "--part", "encoder", "--layer", "nope", "--out", out}, `--layer "nope"`},
		{[]string{"export", "--model", filepath.Join(dir, "missing.onnx"), "--out", out}, "missing.onnx"},
		{[]string{"export", "--model", seedYAML, "--out", filepath.Join(dir, "no", "such", "dir.onnx")}, "dir.onnx"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to contain %q", c.args, code, stderr, c.want)
		}
	}
}
