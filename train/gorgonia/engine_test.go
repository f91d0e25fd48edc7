package gorgonia

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/train"
)

func seedModel(t *testing.T) *graph.Graph {
	t.Helper()
	g, err := graph.Sequential("seed", 1,
		graph.Input{Shape: []int{28, 28, 1}},
		graph.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		graph.MaxPooling2D{Padding: "same"},
		graph.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		graph.MaxPooling2D{Padding: "same"},
		graph.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		graph.UpSampling2D{},
		graph.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		graph.UpSampling2D{},
		graph.Conv2D{Filters: 1, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "sigmoid"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func denseBNModel(t *testing.T) *graph.Graph {
	t.Helper()
	g, err := graph.Sequential("dense_bn", 3,
		graph.Input{Shape: []int{12}},
		graph.Dense{Units: 8},
		graph.BatchNormalization{},
		graph.Activation{Activation: "relu"},
		graph.Dense{Units: 12, Activation: "sigmoid"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// nativeGrads computes the loss and the gradient of every trainable
// parameter with aekit's native engine.
func nativeGrads(t *testing.T, g *graph.Graph, x *graph.Tensor, training bool) (float64, map[string][]float32) {
	t.Helper()
	p, err := graph.Compile(g, map[string]graph.Shape{g.Inputs[0].Name: x.Shape}, graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.SetTraining(training)
	out, err := p.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	loss := &train.BinaryCrossentropy{}
	l := loss.Forward(out[0], x)
	d := graph.New(out[0].Shape...)
	loss.Backward(out[0], x, d)
	if err := p.Backward(d); err != nil {
		t.Fatal(err)
	}
	grads := map[string][]float32{}
	for _, name := range g.TrainableNames() {
		grads[name] = append([]float32(nil), p.Grad(name).Data...)
	}
	return l, grads
}

func compareEngines(t *testing.T, g *graph.Graph, x *graph.Tensor, training bool) {
	t.Helper()
	lNative, want := nativeGrads(t, g, x, training)
	m, err := Compile(g, x.Shape[0], "binary_crossentropy")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	lGorgonia, err := m.Step(x, x)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lNative-lGorgonia) > 1e-5 {
		t.Errorf("loss: native %.8f, gorgonia %.8f", lNative, lGorgonia)
	}
	for i, name := range m.Names {
		got, err := m.Grad(i)
		if err != nil {
			t.Fatal(err)
		}
		w := want[name]
		var diff, norm float64
		for k := range w {
			d := float64(w[k]) - float64(got[k])
			diff += d * d
			norm += float64(w[k]) * float64(w[k])
		}
		// 1e-4 relative, with a floor for gradients that are zero in exact
		// arithmetic (a bias before BatchNormalization).
		rel := math.Sqrt(diff) / math.Max(math.Sqrt(norm), 1e-4)
		if rel > 1e-4 {
			t.Errorf("%s: gradients differ by %.3g relative (‖native‖ = %.4g)", name, rel, math.Sqrt(norm))
		}
	}
}

func TestSeedGradientsMatchNative(t *testing.T) {
	g := seedModel(t)
	rng := rand.New(rand.NewPCG(5, 5))
	x := graph.New(8, 1, 28, 28)
	for i := range x.Data {
		// MNIST-like: mostly background zeros, so pre-activations sit at
		// exactly 0 where the ReLU rule matters.
		if rng.Float64() < 0.3 {
			x.Data[i] = rng.Float32()
		}
	}
	compareEngines(t, g, x, true)
}

func TestDenseBatchNormGradientsMatchNative(t *testing.T) {
	g := denseBNModel(t)
	rng := rand.New(rand.NewPCG(6, 6))
	x := graph.New(16, 12)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	compareEngines(t, g, x, true)
}

func TestWeightsAreShared(t *testing.T) {
	g := denseBNModel(t)
	m, err := Compile(g, 4, "mse")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	x := graph.New(4, 12)
	l1, err := m.Step(x, x)
	if err != nil {
		t.Fatal(err)
	}
	// Changing the aekit weights changes what gorgonia computes.
	last := g.Params[g.TrainableNames()[len(g.TrainableNames())-1]]
	for i := range last.Data {
		last.Data[i] += 3
	}
	l2, err := m.Step(x, x)
	if err != nil {
		t.Fatal(err)
	}
	if l1 == l2 {
		t.Errorf("loss unchanged (%g) after the bound weights moved", l1)
	}
}

func TestUnsupportedOperatorIsNamed(t *testing.T) {
	g := graph.NewGraph("softmax")
	g.Inputs = []graph.ValueInfo{{Name: "x", Shape: graph.Shape{-1, 4}}}
	g.Nodes = []*graph.Node{{Name: "sm", Op: "Softmax", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	_, err := Compile(g, 2, "mse")
	if err == nil || !strings.Contains(err.Error(), `Softmax "sm"`) {
		t.Fatalf("got %v", err)
	}
}

func TestFitWithGorgoniaEngineMatchesNative(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	x := graph.New(40, 1, 28, 28)
	for i := range x.Data {
		if rng.Float64() < 0.3 {
			x.Data[i] = rng.Float32()
		}
	}
	run := func(engine bool) (*graph.Graph, *train.History) {
		g := seedModel(t)
		cfg := train.DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.Seed = 2, 16, 3 // 16+16+8: a partial batch too
		if engine {
			cfg.Engine = Engine("binary_crossentropy")
		}
		h, err := train.Fit(g, x, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return g, h
	}
	gn, hn := run(false)
	gg, hg := run(true)
	for e := range hn.Loss {
		if math.Abs(hn.Loss[e]-hg.Loss[e]) > 1e-5 {
			t.Errorf("epoch %d loss: native %.7f, gorgonia %.7f", e+1, hn.Loss[e], hg.Loss[e])
		}
	}
	for _, name := range gn.TrainableNames() {
		a, b := gn.Params[name].Data, gg.Params[name].Data
		for i := range a {
			if d := math.Abs(float64(a[i] - b[i])); d > 1e-4+1e-3*math.Abs(float64(a[i])) {
				t.Fatalf("%s[%d]: native %g, gorgonia %g after 2 epochs", name, i, a[i], b[i])
			}
		}
	}
}
