// Package ort runs ONNX models in ONNX Runtime, aekit's reference executor,
// for tests. ONNX Runtime comes from the npm package onnxruntime-node
// (installed by scripts/test-deps.sh into the repository's node_modules);
// Run pipes the script run.js to `node` and passes tensors as raw
// little-endian files with their shapes in JSON.
//
// Available says exactly what is missing when ONNX Runtime cannot run;
// Require turns that into a test failure when the environment variable CI
// is set, and into a skip naming the reason otherwise.
//
// The package also wraps the ONNX checker of the python3 onnx package
// (Check), for tests that validate exported files.
package ort

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aekit/aekit/graph"
)

//go:embed run.js
var runJS []byte

// Version is the onnxruntime-node version the tests expect.
const Version = "1.30.0"

// EnvDir names an environment variable that, when set, is the
// onnxruntime-node package folder to use instead of searching for
// node_modules/onnxruntime-node from the working directory upwards.
const EnvDir = "AEKIT_ORT_NODE"

// installHint tells how to install what is missing.
const installHint = "run scripts/test-deps.sh (or, in the repository root: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node@" + Version + ")"

var (
	availOnce sync.Once
	availDir  string
	availErr  error
)

// Available reports whether ONNX Runtime can run: nil, or an error saying
// exactly what is missing (node, the onnxruntime-node package and where it
// was looked for, or its native library failing to load). The answer is
// computed once per process.
func Available() error {
	availOnce.Do(func() { availDir, availErr = probe() })
	return availErr
}

// probe finds node and onnxruntime-node and loads it once.
func probe() (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("ONNX Runtime: the node executable (Node.js ≥ 16) is not in PATH: %w", err)
	}
	dir, err := findModule()
	if err != nil {
		return "", err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(node, "-e", "const o = require(process.argv[1]); if (!o.InferenceSession) throw new Error('no InferenceSession export')", dir)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ONNX Runtime: %s does not load in %s (%v): %s; %s", dir, node, err, lastLine(stderr.String()), installHint)
	}
	return dir, nil
}

// findModule locates the onnxruntime-node package folder.
func findModule() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		if _, err := os.Stat(filepath.Join(d, "package.json")); err != nil {
			return "", fmt.Errorf("ONNX Runtime: %s=%q has no package.json: %w", EnvDir, d, err)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("ONNX Runtime: working directory: %w", err)
	}
	var tried []string
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "node_modules", "onnxruntime-node")
		if _, err := os.Stat(filepath.Join(cand, "package.json")); err == nil {
			return cand, nil
		}
		tried = append(tried, cand)
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("ONNX Runtime: the npm package onnxruntime-node is not installed (looked for %s, and %s is unset); %s",
		strings.Join(tried, ", "), EnvDir, installHint)
}

// Require makes a test depend on ONNX Runtime: when it is unavailable the
// test fails if the environment variable CI is set (CI must run it), and is
// skipped with the reason otherwise.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %v", err)
		}
		t.Skipf("skipped: %v", err)
	}
}

// Job is one model run: the model file and its inputs by graph input name.
type Job struct {
	Model  string
	Inputs map[string]*graph.Tensor
}

// Run runs the model in modelPath on inputs (by graph input name) and
// returns its outputs by graph output name.
func Run(modelPath string, inputs map[string]*graph.Tensor) (map[string]*graph.Tensor, error) {
	outs, err := RunAll([]Job{{Model: modelPath, Inputs: inputs}})
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// RunAll runs several jobs in one node process (ONNX Runtime loads once)
// and returns each job's outputs by name, in the order of jobs.
func RunAll(jobs []Job) ([]map[string]*graph.Tensor, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "aekit-ort-")
	if err != nil {
		return nil, fmt.Errorf("ONNX Runtime: %w", err)
	}
	defer os.RemoveAll(tmp)
	type input struct {
		Name  string `json:"name"`
		DType string `json:"dtype"`
		Dims  []int  `json:"dims"`
		File  string `json:"file"`
	}
	type job struct {
		Model  string  `json:"model"`
		Out    string  `json:"out"`
		Inputs []input `json:"inputs"`
	}
	var req struct {
		Jobs []job `json:"jobs"`
	}
	for j, jb := range jobs {
		model, err := filepath.Abs(jb.Model)
		if err != nil {
			return nil, fmt.Errorf("ONNX Runtime: model %q: %w", jb.Model, err)
		}
		out := filepath.Join(tmp, fmt.Sprintf("job%d", j))
		if err := os.Mkdir(out, 0o755); err != nil {
			return nil, fmt.Errorf("ONNX Runtime: %w", err)
		}
		rj := job{Model: model, Out: out}
		names := make([]string, 0, len(jb.Inputs))
		for name := range jb.Inputs {
			names = append(names, name)
		}
		sort.Strings(names)
		for i, name := range names {
			t := jb.Inputs[name]
			if t == nil {
				return nil, fmt.Errorf("ONNX Runtime: model %q: input %q is nil", jb.Model, name)
			}
			file := filepath.Join(out, fmt.Sprintf("input_%d.bin", i))
			if err := os.WriteFile(file, rawBytes(t), 0o644); err != nil {
				return nil, fmt.Errorf("ONNX Runtime: %w", err)
			}
			rj.Inputs = append(rj.Inputs, input{Name: name, DType: t.DType.String(), Dims: append([]int{}, t.Shape...), File: file})
		}
		req.Jobs = append(req.Jobs, rj)
	}
	reqFile := filepath.Join(tmp, "request.json")
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ONNX Runtime: %w", err)
	}
	if err := os.WriteFile(reqFile, data, 0o644); err != nil {
		return nil, fmt.Errorf("ONNX Runtime: %w", err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("node", "-", availDir, reqFile)
	cmd.Stdin = bytes.NewReader(runJS)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ONNX Runtime: %s (%v)", strings.TrimSpace(stderr.String()), err)
	}
	results := make([]map[string]*graph.Tensor, len(jobs))
	for j, rj := range req.Jobs {
		res, err := readResult(rj.Out)
		if err != nil {
			return nil, fmt.Errorf("ONNX Runtime: model %q: %w", jobs[j].Model, err)
		}
		results[j] = res
	}
	return results, nil
}

// readResult reads the outputs run.js wrote into dir.
func readResult(dir string) (map[string]*graph.Tensor, error) {
	data, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		return nil, err
	}
	var res struct {
		Outputs []struct {
			Name  string `json:"name"`
			DType string `json:"dtype"`
			Dims  []int  `json:"dims"`
			File  string `json:"file"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("result.json: %w", err)
	}
	outs := map[string]*graph.Tensor{}
	for _, o := range res.Outputs {
		raw, err := os.ReadFile(o.File)
		if err != nil {
			return nil, err
		}
		shape := graph.Shape(o.Dims)
		n := shape.Size()
		t := &graph.Tensor{Shape: shape}
		switch o.DType {
		case "float32":
			if len(raw) != 4*n {
				return nil, fmt.Errorf("output %q: %d bytes for shape %v", o.Name, len(raw), shape)
			}
			t.Data = make([]float32, n)
			for i := range t.Data {
				t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		case "int64":
			if len(raw) != 8*n {
				return nil, fmt.Errorf("output %q: %d bytes for shape %v", o.Name, len(raw), shape)
			}
			t.DType = graph.Int64
			t.Ints = make([]int64, n)
			for i := range t.Ints {
				t.Ints[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		default:
			return nil, fmt.Errorf("output %q: dtype %q", o.Name, o.DType)
		}
		outs[o.Name] = t
	}
	return outs, nil
}

// rawBytes returns t's elements as little-endian bytes.
func rawBytes(t *graph.Tensor) []byte {
	if t.DType == graph.Int64 {
		b := make([]byte, 8*len(t.Ints))
		for i, v := range t.Ints {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
		}
		return b
	}
	b := make([]byte, 4*len(t.Data))
	for i, v := range t.Data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// MaxAbsDiff returns the largest absolute difference between the elements
// of two float32 tensors of the same shape; NaN on either side counts as
// an infinite difference.
func MaxAbsDiff(a, b *graph.Tensor) (float64, error) {
	if a == nil || b == nil {
		return 0, errors.New("max abs diff: nil tensor")
	}
	if !a.Shape.Equal(b.Shape) {
		return 0, fmt.Errorf("max abs diff: shapes %v and %v differ", a.Shape, b.Shape)
	}
	if a.DType != graph.Float32 || b.DType != graph.Float32 {
		return 0, fmt.Errorf("max abs diff: dtypes %v and %v (float32 only)", a.DType, b.DType)
	}
	m := 0.0
	for i := range a.Data {
		d := math.Abs(float64(a.Data[i]) - float64(b.Data[i]))
		if math.IsNaN(d) {
			return math.Inf(1), nil
		}
		m = max(m, d)
	}
	return m, nil
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
