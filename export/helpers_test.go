package export_test

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aekit/aekit/examples/mnist"
	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/internal/ort"
	"github.com/aekit/aekit/onnx"
	"github.com/spf13/viper"
)

// ortTol is issue 3's tolerance between aekit and ONNX Runtime on exports.
const ortTol = 1e-5

// seedGraph builds the seed model from examples/mnist/seed.yaml's model
// section through graph.ModelConfig.
func seedGraph(t testing.TB) *graph.Graph {
	t.Helper()
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(mnist.SeedYAML)); err != nil {
		t.Fatal(err)
	}
	var mc graph.ModelConfig
	if err := v.UnmarshalKey("model", &mc); err != nil {
		t.Fatal(err)
	}
	g, err := mc.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// exported is one file written by a test, with what it was made from.
type exported struct {
	name string
	path string
	opt  export.Options
}

// writeAll exports g once per option set into dir.
func writeAll(t *testing.T, g *graph.Graph, dir string, opts []export.Options) []exported {
	t.Helper()
	var files []exported
	for _, o := range opts {
		part, layout := o.Part, o.Layout
		if part == "" {
			part = export.PartFull
		}
		if layout == "" {
			layout = export.LayoutNCHW
		}
		name := fmt.Sprintf("%s-%s-%s-opset%d", g.Name, part, layout, o.Opset)
		path := filepath.Join(dir, name+".onnx")
		if err := export.WriteFile(path, g, o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files = append(files, exported{name: name, path: path, opt: o})
	}
	return files
}

// checkFiles runs the ONNX checker (full check, strict shape inference) on
// every file.
func checkFiles(t *testing.T, files []exported) {
	t.Helper()
	ort.RequireChecker(t)
	var paths []string
	for _, f := range files {
		paths = append(paths, f.path)
	}
	notes, err := ort.Check(paths...)
	for _, n := range notes {
		t.Logf("checker: %s", filepath.Base(n))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ONNX checker (full_check, strict shape inference): %d files pass", len(paths))
}

// compareORT runs every file in aekit (as read back) and in ONNX Runtime on
// the same random batch and checks each output within ortTol; it returns
// the largest difference per file.
func compareORT(t *testing.T, files []exported, batch int) map[string]float64 {
	t.Helper()
	ort.Require(t)
	var jobs []ort.Job
	var want []map[string]*graph.Tensor
	for i, f := range files {
		g, err := onnx.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		ins, err := export.RandomInputs(g, batch, uint64(100+i))
		if err != nil {
			t.Fatal(err)
		}
		feeds := map[string]*graph.Tensor{}
		shapes := map[string]graph.Shape{}
		for j, in := range g.Inputs {
			feeds[in.Name] = ins[j]
			shapes[in.Name] = ins[j].Shape
		}
		p, err := graph.Compile(g, shapes, graph.Options{NoGrad: true})
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		outs, err := p.Forward(ins...)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		res := map[string]*graph.Tensor{}
		for j, o := range g.Outputs {
			res[o.Name] = outs[j].Clone()
		}
		want = append(want, res)
		jobs = append(jobs, ort.Job{Model: f.path, Inputs: feeds})
	}
	got, err := ort.RunAll(jobs)
	if err != nil {
		t.Fatal(err)
	}
	diffs := map[string]float64{}
	for i, f := range files {
		if len(got[i]) != len(want[i]) {
			t.Errorf("%s: ORT gives %d outputs, aekit %d", f.name, len(got[i]), len(want[i]))
		}
		worst := 0.0
		for name, w := range want[i] {
			r, ok := got[i][name]
			if !ok {
				t.Errorf("%s: ORT gives no output %q", f.name, name)
				continue
			}
			d, err := ort.MaxAbsDiff(w, r)
			if err != nil {
				t.Errorf("%s: output %q: %v", f.name, name, err)
				continue
			}
			if !(d <= ortTol) {
				t.Errorf("%s: output %q: max abs diff aekit vs ORT %.3g > %g", f.name, name, d, ortTol)
			}
			worst = math.Max(worst, d)
		}
		diffs[f.name] = worst
	}
	var lines []string
	for name, d := range diffs {
		lines = append(lines, fmt.Sprintf("%-40s %.3g", name, d))
	}
	sort.Strings(lines)
	t.Logf("max abs diff aekit vs ONNX Runtime (batch %d, tolerance %g):\n%s", batch, ortTol, strings.Join(lines, "\n"))
	return diffs
}

// opsOf counts a graph's operators.
func opsOf(g *graph.Graph) map[string]int {
	m := map[string]int{}
	for _, n := range g.Nodes {
		m[n.Op]++
	}
	return m
}
