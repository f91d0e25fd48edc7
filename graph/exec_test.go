package graph

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func randTensor(rng *rand.Rand, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

// oneNode builds a graph applying op to an input of the given shape and to
// the given parameters (trainable), so gradient checks can probe each.
func oneNode(op string, attrs Attrs, inShape Shape, params ...*Tensor) *Graph {
	g := NewGraph(op)
	g.Inputs = []ValueInfo{{Name: "x", Shape: inShape}}
	n := &Node{Name: op + "_1", Op: op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: attrs}
	for i, p := range params {
		name := string(rune('a'+i)) + "_param"
		if p == nil {
			n.Inputs = append(n.Inputs, "")
			continue
		}
		g.AddParam(name, p, true)
		n.Inputs = append(n.Inputs, name)
	}
	g.Nodes = []*Node{n}
	g.Outputs = []ValueInfo{{Name: "y"}}
	return g
}

func TestActivationGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, op := range []string{"Relu", "Sigmoid"} {
		g := oneNode(op, nil, Shape{2, 3, 5, 5})
		x := randTensor(rng, 2, 3, 5, 5)
		if err := CheckGradients(g, []*Tensor{x}, GradCheck{Eps: 1e-3, MaxPerTensor: -1}); err != nil {
			t.Errorf("%s: %v", op, err)
		}
	}
}

func TestGradientAccumulatesOverConsumers(t *testing.T) {
	// y = Relu(x) ; z = Sigmoid(x) ; both outputs: dx = relu' + sigmoid'.
	g := NewGraph("fan")
	g.Inputs = []ValueInfo{{Name: "x", Shape: Shape{1, 8}}}
	g.Nodes = []*Node{
		{Name: "r", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}},
		{Name: "s", Op: "Sigmoid", Inputs: []string{"x"}, Outputs: []string{"z"}},
	}
	g.Outputs = []ValueInfo{{Name: "y"}, {Name: "z"}}
	x := randTensor(rand.New(rand.NewPCG(2, 2)), 1, 8)
	if err := CheckGradients(g, []*Tensor{x}, GradCheck{Eps: 1e-3, MaxPerTensor: -1}); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRefusesCyclesAndDanglingInputs(t *testing.T) {
	g := NewGraph("cyc")
	g.Inputs = []ValueInfo{{Name: "x", Shape: Shape{1}}}
	g.Nodes = []*Node{
		{Name: "a", Op: "Relu", Inputs: []string{"b_out"}, Outputs: []string{"a_out"}},
		{Name: "b", Op: "Relu", Inputs: []string{"a_out"}, Outputs: []string{"b_out"}},
	}
	g.Outputs = []ValueInfo{{Name: "a_out"}}
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: got %v", err)
	}
	g.Nodes = []*Node{{Name: "a", Op: "Relu", Inputs: []string{"missing"}, Outputs: []string{"a_out"}}}
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("dangling: got %v", err)
	}
	g.Nodes = []*Node{
		{Name: "a", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}},
		{Name: "b", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}},
	}
	g.Outputs = []ValueInfo{{Name: "y"}}
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "output by both") {
		t.Errorf("duplicate output: got %v", err)
	}
}

func TestUnknownOperatorIsTypedError(t *testing.T) {
	g := oneNode("NoSuchOp", nil, Shape{1, 2})
	_, err := Compile(g, nil, Options{})
	var ni *NotImplementedError
	if err == nil || !strings.Contains(err.Error(), "NoSuchOp") {
		t.Fatalf("got %v", err)
	}
	_ = ni
}
