package export_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
)

// kerasModel is a classifier-like model that uses the layers the seed does
// not: BatchNormalization (with non-trivial moving statistics), Dropout, a
// channel softmax on a 4-D value, bilinear UpSampling2D, Flatten and Dense
// with softmax.
func kerasModel(t *testing.T) *graph.Graph {
	t.Helper()
	g, err := graph.Sequential("keras", 7,
		graph.Input{Shape: []int{12, 12, 1}},
		graph.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		graph.BatchNormalization{},
		graph.Dropout{Rate: 0.25},
		graph.MaxPooling2D{PoolSize: [2]int{2, 2}},
		graph.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "softmax"},
		graph.UpSampling2D{Size: [2]int{2, 2}, Interpolation: "bilinear"},
		graph.Flatten{},
		graph.Dense{Units: 5, Activation: "softmax"},
	)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range []string{"batch_normalization_1.moving_mean", "batch_normalization_1.moving_variance", "batch_normalization_1.gamma", "batch_normalization_1.beta"} {
		p := g.Params[name]
		if p == nil {
			t.Fatalf("no parameter %q", name)
		}
		for i := range p.Data {
			p.Data[i] = 0.5 + rng.Float32()
		}
	}
	return g
}

// TestKerasLayerExports exports kerasModel at every tested opset and layout
// (WriteFile verifies each bit for bit against the source at opset 13),
// checks that Dropout is gone and that the channel softmax is rewritten for
// opset 11, and compares the files with the checker and ONNX Runtime.
func TestKerasLayerExports(t *testing.T) {
	g := kerasModel(t)
	var opts []export.Options
	for _, l := range testLayouts {
		for _, o := range testOpsets {
			opts = append(opts, export.Options{Layout: l, Opset: o})
		}
	}
	files := writeAll(t, g, t.TempDir(), opts)
	for _, o := range testOpsets {
		e, err := export.Model(g, export.Options{Opset: o})
		if err != nil {
			t.Fatal(err)
		}
		ops := opsOf(e)
		if ops["Dropout"] != 0 || ops["Identity"] != 1 {
			t.Errorf("opset %d: ops %v: Dropout should have become one Identity", o, ops)
		}
		// The channel softmax: Transpose → Softmax → Transpose at 11, on
		// top of Flatten's Transpose.
		wantT := 1
		if o < 13 {
			wantT = 3
		}
		if ops["Transpose"] != wantT {
			t.Errorf("opset %d: %d Transpose nodes, want %d", o, ops["Transpose"], wantT)
		}
	}
	checkFiles(t, files)
	compareORT(t, files, 3)
}

// oldGraph is a graph of opset 9 whose operators changed signature since:
// Upsample-9, Clip-6 (attributes), Pad-2 (attributes), Unsqueeze/Squeeze-1
// (axes attribute), Softmax-1 coercing to 2-D at axis 1, Slice-1
// (attributes).
func oldGraph() *graph.Graph {
	g := graph.NewGraph("old")
	g.Opset = 9
	g.Inputs = []graph.ValueInfo{{Name: "x", Shape: graph.Shape{-1, 2, 3, 3}}}
	g.AddParam("up.scales", graph.FromData([]float32{1, 1, 2, 2}, 4), false)
	node := func(name, op string, ins, outs []string, attrs ...graph.Attr) {
		g.Nodes = append(g.Nodes, &graph.Node{Name: name, Op: op, Inputs: ins, Outputs: outs, Attrs: attrs})
	}
	node("up", "Upsample", []string{"x", "up.scales"}, []string{"u"}, graph.StringAttr("mode", "nearest"))
	node("clip", "Clip", []string{"u"}, []string{"c"}, graph.FloatAttr("min", 0.2), graph.FloatAttr("max", 0.7))
	node("pad", "Pad", []string{"c"}, []string{"p"}, graph.IntsAttr("pads", 0, 0, 1, 0, 0, 0, 0, 2), graph.FloatAttr("value", 0.5))
	node("unsq", "Unsqueeze", []string{"p"}, []string{"q"}, graph.IntsAttr("axes", 0))
	node("sq", "Squeeze", []string{"q"}, []string{"s"}, graph.IntsAttr("axes", 0))
	node("soft", "Softmax", []string{"s"}, []string{"m"}, graph.IntAttr("axis", 1))
	node("slice", "Slice", []string{"m"}, []string{"y"}, graph.IntsAttr("starts", 1, 0), graph.IntsAttr("ends", 6, 7), graph.IntsAttr("axes", 2, 3))
	g.Outputs = []graph.ValueInfo{{Name: "y", Shape: graph.Shape{-1, 2, 5, 7}}}
	return g
}

// TestOldOpsetExports lifts oldGraph from opset 9 to each tested opset:
// WriteFile verifies every file bit for bit against the graph read with
// opset 9 rules, and the files pass the checker and match ONNX Runtime.
func TestOldOpsetExports(t *testing.T) {
	g := oldGraph()
	var opts []export.Options
	for _, o := range testOpsets {
		opts = append(opts, export.Options{Opset: o}, export.Options{Opset: o, Layout: export.LayoutNHWC})
	}
	files := writeAll(t, g, t.TempDir(), opts)
	e, err := export.Model(g, export.Options{Opset: 13})
	if err != nil {
		t.Fatal(err)
	}
	ops := opsOf(e)
	if ops["Upsample"] != 0 || ops["Resize"] != 1 || ops["Flatten"] != 1 || ops["Reshape"] != 1 || ops["Shape"] != 1 {
		t.Errorf("opset 13 ops %v: want Upsample → Resize and the coerced softmax as Flatten/Softmax/Reshape(Shape)", ops)
	}
	checkFiles(t, files)
	compareORT(t, files, 2)
}

// newGraph is a graph of opset 13 whose operators must be rewritten for
// opset 11: Unsqueeze/Squeeze with axes inputs, a Softmax on axis 1 of a
// 4-D value, and a Resize by sizes with roi and scales omitted.
func newGraph() *graph.Graph {
	g := graph.NewGraph("new")
	g.Inputs = []graph.ValueInfo{{Name: "x", Shape: graph.Shape{2, 3, 4, 4}}}
	g.AddParam("axes", graph.FromInts([]int64{1}, 1), false)
	g.AddParam("sizes", graph.FromInts([]int64{2, 3, 6, 10}, 4), false)
	node := func(name, op string, ins, outs []string, attrs ...graph.Attr) {
		g.Nodes = append(g.Nodes, &graph.Node{Name: name, Op: op, Inputs: ins, Outputs: outs, Attrs: attrs})
	}
	node("unsq", "Unsqueeze", []string{"x", "axes"}, []string{"q"})
	node("sq", "Squeeze", []string{"q", "axes"}, []string{"s"})
	node("soft", "Softmax", []string{"s"}, []string{"m"}, graph.IntAttr("axis", 1))
	node("resize", "Resize", []string{"m", "", "", "sizes"}, []string{"y"},
		graph.StringAttr("mode", "nearest"), graph.StringAttr("coordinate_transformation_mode", "half_pixel"), graph.StringAttr("nearest_mode", "round_prefer_ceil"))
	g.Outputs = []graph.ValueInfo{{Name: "y", Shape: graph.Shape{2, 3, 6, 10}}}
	return g
}

// TestNewOpsetExports lowers newGraph from opset 13 to 11 and lifts it to
// 17 and 21, verified as above.
func TestNewOpsetExports(t *testing.T) {
	g := newGraph()
	var opts []export.Options
	for _, o := range testOpsets {
		opts = append(opts, export.Options{Opset: o})
	}
	files := writeAll(t, g, t.TempDir(), opts)
	e, err := export.Model(g, export.Options{Opset: 11})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Nodes {
		switch n.Op {
		case "Squeeze", "Unsqueeze":
			if len(n.Inputs) != 1 || n.Attrs.Ints("axes", nil) == nil {
				t.Errorf("opset 11 %s: inputs %v attrs %v, want the axes attribute", n.Op, n.Inputs, n.Attrs)
			}
		case "Resize":
			if len(n.Inputs) != 4 || n.Inputs[1] == "" || n.Inputs[2] == "" || e.Params[n.Inputs[1]].Len() != 0 {
				t.Errorf("opset 11 Resize inputs %v: want empty roi and scales constants", n.Inputs)
			}
		}
	}
	checkFiles(t, files)
	compareORT(t, files, 2)
}

// TestOpsetErrors checks nodes that cannot be written for the target.
func TestOpsetErrors(t *testing.T) {
	g := graph.NewGraph("e")
	g.Opset = 19
	g.Inputs = []graph.ValueInfo{{Name: "x", Shape: graph.Shape{1, 1, 4, 4}}}
	g.AddParam("pads", graph.FromInts([]int64{0, 0, 1, 1, 0, 0, 1, 1}, 8), false)
	g.Nodes = []*graph.Node{{Name: "wrap", Op: "Pad", Inputs: []string{"x", "pads"}, Outputs: []string{"y"}, Attrs: graph.Attrs{graph.StringAttr("mode", "wrap")}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", Shape: graph.Shape{1, 1, 6, 6}}}
	if _, err := export.Model(g, export.Options{Opset: 17}); err == nil {
		t.Error("Pad mode wrap accepted for opset 17")
	} else if want := `Pad "wrap": mode wrap needs opset 19`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
	if _, err := export.Model(g, export.Options{Opset: 21}); err != nil {
		t.Errorf("Pad mode wrap at opset 21: %v", err)
	}
}
