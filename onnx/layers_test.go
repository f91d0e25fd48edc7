package onnx

import (
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aekit/aekit/graph"
)

// layerModels builds graphs with aekit's Keras-style layers: the seed
// autoencoder and a model that uses every other layer type.
func layerModels(t *testing.T) map[string]*graph.Graph {
	t.Helper()
	conv := func(f int) graph.Layer {
		return graph.Conv2D{Filters: f, KernelSize: [2]int{3, 3}, Padding: "same"}
	}
	act := func(a string) graph.Layer { return graph.Activation{Activation: a} }
	pool := graph.MaxPooling2D{PoolSize: [2]int{2, 2}, Padding: "same"}
	seed, err := graph.Sequential("seed", 1,
		graph.Input{Shape: []int{28, 28, 1}},
		conv(16), act("relu"), pool,
		conv(2), act("relu"), pool,
		conv(2), act("relu"), graph.UpSampling2D{Size: [2]int{2, 2}},
		conv(16), act("relu"), graph.UpSampling2D{},
		conv(1), act("sigmoid"),
	)
	if err != nil {
		t.Fatal(err)
	}
	all, err := graph.Sequential("all-layers", 2,
		graph.Input{Shape: []int{12, 12, 3}},
		graph.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: "same", Activation: "relu"},
		graph.BatchNormalization{},
		graph.AveragePooling2D{PoolSize: [2]int{2, 2}},
		graph.Dropout{Rate: 0.25},
		graph.Flatten{},
		graph.Dense{Units: 8, Activation: "tanh"},
		graph.Dense{Units: 36},
		graph.Reshape{TargetShape: []int{3, 3, 4}},
		graph.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: "same", Activation: "sigmoid"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*graph.Graph{"seed": seed, "all-layers": all}
}

// TestLayerModelsRoundTrip writes layer-built models, reads them back and
// runs both: the graphs are equal (Layers and Trainable included) and their
// outputs identical bit for bit. Python's checker accepts the files.
func TestLayerModelsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for name, g := range layerModels(t) {
		path := filepath.Join(dir, name+".onnx")
		if err := WriteFile(path, g); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := graphDiff(g, back); d != "" {
			t.Errorf("%s: round trip differs: %s", name, d)
		}
		if len(back.Layers) == 0 || len(back.Trainable) == 0 {
			t.Errorf("%s: %d layers, %d trainable after decoding", name, len(back.Layers), len(back.Trainable))
		}
		shape := g.Inputs[0].Shape.Clone()
		shape[0] = 2
		x := graph.New(shape...)
		for i := range x.Data {
			x.Data[i] = rng.Float32()
		}
		want, err := graph.Run(g, x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := graph.Run(back, x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range want {
			if d := tensorDiff(want[i], got[i]); d != "" {
				t.Errorf("%s: output %d differs after the round trip: %s", name, i, d)
			}
		}
	}
	py := python3(t)
	for name := range layerModels(t) {
		path := filepath.Join(dir, name+".onnx")
		out, err := exec.Command(py, "-c", "import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", path).CombinedOutput()
		if err != nil {
			t.Errorf("%s: check_model: %v\n%s", name, err, out)
		}
	}
}

// TestMnist7MatchesTestData runs the ONNX model zoo's mnist-7 on its own
// test_data_set_0 (the reference outputs shipped with the model).
func TestMnist7MatchesTestData(t *testing.T) {
	g, err := ReadFile("testdata/mnist7.onnx")
	if err != nil {
		t.Fatal(err)
	}
	x, err := ReadTensorFile("testdata/mnist7-input_0.pb")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReadTensorFile("testdata/mnist7-output_0.pb")
	if err != nil {
		t.Fatal(err)
	}
	got, err := graph.Run(g, x)
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Shape.Equal(want.Shape) {
		t.Fatalf("output %v, want %v", got[0].Shape, want.Shape)
	}
	for i, w := range want.Data {
		if d := math.Abs(float64(got[0].Data[i] - w)); d > 1e-3+1e-4*math.Abs(float64(w)) {
			t.Errorf("logit %d = %v, want %v", i, got[0].Data[i], w)
		}
	}
}
