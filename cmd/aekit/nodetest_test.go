package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// nodeTestDir is where Debian's libonnx-testdata puts the ONNX backend node
// tests (onnx 1.12).
const nodeTestDir = "/usr/share/libonnx-testdata/data/node"

// TestRunNodeTests runs every ONNX backend node test through `aekit run`,
// in-process, and compares what it writes with the expected outputs
// (|d| ≤ 1e-4 + 1e-3·|expected|). A test aekit refuses (an unsupported
// operator or type, an input that must be constant) is counted and its
// reason logged; a test that runs must give the right numbers. The onnx
// package's runner covers the same tests through the library with
// reasons per operator; this one proves the command line gives the same.
func TestRunNodeTests(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(nodeTestDir, "test_*"))
	if err != nil || len(dirs) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("no ONNX node tests under %s (Debian package libonnx-testdata): %v", nodeTestDir, err)
		}
		t.Skipf("no ONNX node tests under %s (install libonnx-testdata)", nodeTestDir)
	}
	sort.Strings(dirs)
	passed, refused := 0, map[string]int{}
	tmp := t.TempDir()
	for i, dir := range dirs {
		name := filepath.Base(dir)
		if strings.HasPrefix(name, "test_training_dropout") {
			// Training-mode Dropout draws a random mask; the expected
			// outputs come from numpy's generator, which aekit's is not.
			refused["training-mode Dropout: random mask"]++
			continue
		}
		ds := filepath.Join(dir, "test_data_set_0")
		out := filepath.Join(tmp, fmt.Sprint(i))
		code, _, errs := runCLI(t, "run", filepath.Join(dir, "model.onnx"), "--inputs", ds, "--out", out)
		if code != 0 {
			refused[reason(errs)]++
			continue
		}
		want, _ := filepath.Glob(filepath.Join(ds, "output_*.pb"))
		if len(want) == 0 {
			t.Errorf("%s: no expected outputs", name)
			continue
		}
		ok := true
		for k := range want {
			exp, err := onnx.ReadTensorFile(filepath.Join(ds, fmt.Sprintf("output_%d.pb", k)))
			if err != nil {
				t.Errorf("%s: expected output %d: %v", name, k, err)
				ok = false
				break
			}
			got, err := onnx.ReadTensorFile(filepath.Join(out, fmt.Sprintf("output_%d.pb", k)))
			if err != nil {
				t.Errorf("%s: aekit run wrote no output %d: %v", name, k, err)
				ok = false
				break
			}
			if msg := compareTensors(exp, got); msg != "" {
				t.Errorf("%s: output %d: %s", name, k, msg)
				ok = false
			}
		}
		if ok {
			passed++
		}
	}
	var rs []string
	for r, n := range refused {
		rs = append(rs, fmt.Sprintf("%4d  %s", n, r))
	}
	sort.Strings(rs)
	t.Logf("aekit run over %d ONNX node tests: %d passed, %d refused:\n%s", len(dirs), passed, len(dirs)-passed, strings.Join(rs, "\n"))
	// 225 pass today; fewer than 220 means the command lost ground.
	if passed < 220 {
		t.Errorf("only %d node tests pass through aekit run", passed)
	}
}

// reason shortens an error to its kind, for the refusal tally.
func reason(errs string) string {
	e := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(errs), "aekit:"))
	switch {
	case strings.Contains(e, "operator not supported"):
		return "operator not supported"
	case strings.Contains(e, "must be a constant"):
		return "input must be a constant known before run"
	case strings.Contains(e, "not supported"):
		return "attribute or type not supported"
	}
	if len(e) > 60 {
		e = e[:60]
	}
	return e
}

func compareTensors(exp, got *graph.Tensor) string {
	if !exp.Shape.Equal(got.Shape) {
		return fmt.Sprintf("shape %v, want %v", got.Shape, exp.Shape)
	}
	if exp.DType != got.DType {
		return fmt.Sprintf("type %v, want %v", got.DType, exp.DType)
	}
	if exp.DType == graph.Int64 {
		for i := range exp.Ints {
			if exp.Ints[i] != got.Ints[i] {
				return fmt.Sprintf("element %d is %d, want %d", i, got.Ints[i], exp.Ints[i])
			}
		}
		return ""
	}
	for i := range exp.Data {
		e, g := float64(exp.Data[i]), float64(got.Data[i])
		if math.IsNaN(e) && math.IsNaN(g) {
			continue
		}
		if math.Abs(e-g) > 1e-4+1e-3*math.Abs(e) || math.IsNaN(g) {
			return fmt.Sprintf("element %d is %g, want %g", i, g, e)
		}
	}
	return ""
}
