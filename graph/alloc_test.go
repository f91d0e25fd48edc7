package graph

import (
	"math/rand/v2"
	"testing"
)

// TestStepsNoAllocs wants a forward and backward pass that allocates
// nothing once warmed up: the fused seed at batch 32, and one-node plans
// of the operators that split their work over the cores.
func TestStepsNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	seed := buildSeed(t, 1)
	bn := oneOpGraph("BatchNormalization", 15, nil, Shape{8, 3, 6, 6}, bnInputs(rng, 3, false)...)
	cases := []struct {
		name string
		g    *Graph
		x    *Tensor
	}{
		{"fused seed", seed, randTensor(rng, 32, 1, 28, 28)},
		{"MaxPool", oneNode("MaxPool", Attrs{IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2)}, Shape{4, 3, 8, 8}), randTensor(rng, 4, 3, 8, 8)},
		{"AveragePool", oneNode("AveragePool", Attrs{IntsAttr("kernel_shape", 3, 3)}, Shape{4, 3, 8, 8}), randTensor(rng, 4, 3, 8, 8)},
		{"Resize", chain(rng, Shape{4, 3, 5, 5}, []string{"Linear:2"}, nil), randTensor(rng, 4, 3, 5, 5)},
		{"Softmax", oneNode("Softmax", nil, Shape{16, 10}), randTensor(rng, 16, 10)},
		{"BatchNormalization", bn, randTensor(rng, 8, 3, 6, 6)},
		{"Relu", oneNode("Relu", nil, Shape{4, 3, 40, 40}), randTensor(rng, 4, 3, 40, 40)},
		{"Sigmoid", oneNode("Sigmoid", nil, Shape{4, 3, 40, 40}), randTensor(rng, 4, 3, 40, 40)},
	}
	for _, c := range cases {
		p, err := Compile(c.g, map[string]Shape{c.g.Inputs[0].Name: c.x.Shape}, Options{InputGrads: true})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p.SetTraining(true)
		out, err := p.Forward(c.x)
		if err != nil {
			t.Fatal(err)
		}
		dy := out[0].Clone()
		step := func() {
			if _, err := p.Forward(c.x); err != nil {
				t.Fatal(err)
			}
			if err := p.Backward(dy); err != nil {
				t.Fatal(err)
			}
		}
		step()
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("%s: %v allocations per Forward+Backward, want 0", c.name, n)
		}
	}
}
