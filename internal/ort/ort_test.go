package ort

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// TestFindModuleErrors checks that a missing onnxruntime-node is reported
// with where it was looked for and how to install it.
func TestFindModuleErrors(t *testing.T) {
	t.Setenv(EnvDir, t.TempDir())
	if _, err := findModule(); err == nil || !strings.Contains(err.Error(), EnvDir) || !strings.Contains(err.Error(), "package.json") {
		t.Errorf("bad %s: error %v", EnvDir, err)
	}
	t.Setenv(EnvDir, "")
	dir := t.TempDir()
	t.Chdir(dir)
	_, err := findModule()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "node_modules", "onnxruntime-node")) || !strings.Contains(err.Error(), "npm install --no-save onnxruntime-node@"+Version) {
		t.Errorf("no node_modules: error %v", err)
	}
}

// nodeTest returns the folder of an ONNX backend node test shipped by
// Debian's libonnx-testdata (installed by scripts/test-deps.sh).
func nodeTest(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("/usr/share/libonnx-testdata/data/node", name)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %v (install libonnx-testdata: scripts/test-deps.sh)", err)
		}
		t.Skipf("skipped: %v", err)
	}
	return dir
}

// TestRunAllDTypes runs a float model and two ONNX node tests with int64
// data — test_shape (int64 output) and test_gather_0 (int64 input) — in
// one node process, and compares with the expected outputs.
func TestRunAllDTypes(t *testing.T) {
	Require(t)
	g := graph.NewGraph("relu")
	g.Inputs = []graph.ValueInfo{{Name: "x", Shape: graph.Shape{2, 3}}}
	g.Nodes = []*graph.Node{{Name: "relu", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", Shape: graph.Shape{2, 3}}}
	path := filepath.Join(t.TempDir(), "relu.onnx")
	if err := onnx.WriteFile(path, g); err != nil {
		t.Fatal(err)
	}
	x := graph.FromData([]float32{-1, 2, -3, 4, 0, 0.5}, 2, 3)
	jobs := []Job{{Model: path, Inputs: map[string]*graph.Tensor{"x": x}}}
	var wants []*graph.Tensor
	for _, name := range []string{"test_shape", "test_gather_0"} {
		dir := nodeTest(t, name)
		m, err := onnx.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		in := map[string]*graph.Tensor{}
		for i, vi := range m.Inputs {
			tt, err := onnx.ReadTensorFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			in[vi.Name] = tt
		}
		want, err := onnx.ReadTensorFile(filepath.Join(dir, "test_data_set_0", "output_0.pb"))
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, Job{Model: filepath.Join(dir, "model.onnx"), Inputs: in})
		wants = append(wants, want)
	}
	outs, err := RunAll(jobs)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := MaxAbsDiff(outs[0]["y"], graph.FromData([]float32{0, 2, 0, 4, 0, 0.5}, 2, 3)); err != nil || d != 0 {
		t.Errorf("relu: %v, diff %g (%v)", outs[0]["y"], d, err)
	}
	for j, want := range wants {
		var got *graph.Tensor
		for _, v := range outs[j+1] {
			got = v
		}
		if got == nil || !got.Shape.Equal(want.Shape) || got.DType != want.DType {
			t.Fatalf("%s: got %+v, want %v %v", jobs[j+1].Model, got, want.DType, want.Shape)
		}
		for i := range want.Ints {
			if got.Ints[i] != want.Ints[i] {
				t.Errorf("%s: element %d = %d, want %d", jobs[j+1].Model, i, got.Ints[i], want.Ints[i])
			}
		}
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Errorf("%s: element %d = %g, want %g", jobs[j+1].Model, i, got.Data[i], want.Data[i])
			}
		}
	}
	// A file ORT cannot load: the error names it.
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(bad, map[string]*graph.Tensor{"x": x}); err == nil || !strings.Contains(err.Error(), "bad.onnx") {
		t.Errorf("bad model: error %v", err)
	}
}

// TestCheckReportsFailures checks that Check names each failing file and
// passes a valid one.
func TestCheckReportsFailures(t *testing.T) {
	RequireChecker(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.onnx")
	g := graph.NewGraph("good")
	g.Inputs = []graph.ValueInfo{{Name: "x", Shape: graph.Shape{-1, 3}}}
	g.Nodes = []*graph.Node{{Name: "relu", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", Shape: graph.Shape{-1, 3}}}
	if err := onnx.WriteFile(good, g); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(good); err != nil {
		t.Errorf("valid model: %v", err)
	}
	// Relu with two inputs breaks the schema.
	g.Nodes[0].Inputs = []string{"x", "x"}
	wrong := filepath.Join(dir, "wrong.onnx")
	if err := onnx.WriteFile(wrong, g); err != nil {
		t.Fatal(err)
	}
	_, err := Check(good, wrong)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 models fail") || !strings.Contains(err.Error(), "wrong.onnx") {
		t.Errorf("invalid model: error %v", err)
	}
}
