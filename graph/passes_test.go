package graph

import (
	"math/rand/v2"
	"testing"
)

func TestCancelTransposes(t *testing.T) {
	build := func() *Graph {
		g := NewGraph("t")
		g.Inputs = []ValueInfo{{Name: "x", Shape: Shape{2, 3, 4, 5}}}
		g.Nodes = []*Node{
			{Name: "t1", Op: "Transpose", Inputs: []string{"x"}, Outputs: []string{"a"}, Attrs: Attrs{IntsAttr("perm", 0, 2, 3, 1)}},
			{Name: "r", Op: "Relu", Inputs: []string{"a"}, Outputs: []string{"b"}},
			{Name: "s", Op: "Sigmoid", Inputs: []string{"b"}, Outputs: []string{"c"}},
			{Name: "t2", Op: "Transpose", Inputs: []string{"c"}, Outputs: []string{"d"}, Attrs: Attrs{IntsAttr("perm", 0, 3, 1, 2)}},
			{Name: "t3", Op: "Transpose", Inputs: []string{"d"}, Outputs: []string{"e"}, Attrs: Attrs{IntsAttr("perm", 0, 2, 3, 1)}},
			{Name: "t4", Op: "Transpose", Inputs: []string{"e"}, Outputs: []string{"f"}, Attrs: Attrs{IntsAttr("perm", 0, 3, 1, 2)}},
			{Name: "n", Op: "Neg", Inputs: []string{"f"}, Outputs: []string{"y"}},
		}
		g.Outputs = []ValueInfo{{Name: "y"}}
		return g
	}
	x := New(2, 3, 4, 5)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	want, err := Run(build(), x)
	if err != nil {
		t.Fatal(err)
	}
	g := build()
	if n := CancelTransposes(g); n != 2 {
		t.Fatalf("removed %d pairs, want 2", n)
	}
	for _, n := range g.Nodes {
		if n.Op == "Transpose" {
			t.Fatalf("transpose %q left", n.Name)
		}
	}
	got, err := Run(g, x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want[0].Data {
		if want[0].Data[i] != got[0].Data[i] {
			t.Fatalf("element %d: %v after the pass, %v before", i, got[0].Data[i], want[0].Data[i])
		}
	}
}

func TestCancelTransposesKeepsSharedAndMismatched(t *testing.T) {
	g := NewGraph("t")
	g.Inputs = []ValueInfo{{Name: "x", Shape: Shape{2, 3, 4, 5}}}
	g.Nodes = []*Node{
		{Name: "t1", Op: "Transpose", Inputs: []string{"x"}, Outputs: []string{"a"}, Attrs: Attrs{IntsAttr("perm", 0, 2, 3, 1)}},
		{Name: "r", Op: "Relu", Inputs: []string{"a"}, Outputs: []string{"b"}},
		{Name: "t2", Op: "Transpose", Inputs: []string{"b"}, Outputs: []string{"c"}, Attrs: Attrs{IntsAttr("perm", 0, 3, 1, 2)}},
		// A second reader of b: the pair must stay.
		{Name: "s", Op: "Sigmoid", Inputs: []string{"b"}, Outputs: []string{"d"}},
		// Not inverse permutations.
		{Name: "t3", Op: "Transpose", Inputs: []string{"x"}, Outputs: []string{"e"}, Attrs: Attrs{IntsAttr("perm", 0, 2, 3, 1)}},
		{Name: "t4", Op: "Transpose", Inputs: []string{"e"}, Outputs: []string{"f"}, Attrs: Attrs{IntsAttr("perm", 0, 2, 3, 1)}},
	}
	g.Outputs = []ValueInfo{{Name: "c"}, {Name: "d"}, {Name: "f"}}
	if n := CancelTransposes(g); n != 0 {
		t.Fatalf("removed %d pairs, want 0", n)
	}
}
