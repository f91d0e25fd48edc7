package graph

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPoolONNXCases(t *testing.T) {
	runOpCases(t, "MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool")
}

// distinctTensor fills a tensor with a shuffled ramp: no two elements tie
// (they are 0.1 apart), so a perturbation of 1e-2 never moves a max.
func distinctTensor(rng *rand.Rand, shape ...int) *Tensor {
	t := New(shape...)
	for i, p := range rng.Perm(len(t.Data)) {
		t.Data[i] = float32(p)/10 - float32(len(t.Data))/20
	}
	return t
}

func TestPoolGradients(t *testing.T) {
	k := func(v ...int64) Attr { return IntsAttr("kernel_shape", v...) }
	s := func(v ...int64) Attr { return IntsAttr("strides", v...) }
	p := func(v ...int64) Attr { return IntsAttr("pads", v...) }
	d := func(v ...int64) Attr { return IntsAttr("dilations", v...) }
	same := StringAttr("auto_pad", "SAME_UPPER")
	cases := []struct {
		name, op string
		x        Shape
		attrs    Attrs
	}{
		{"max_keras_same_odd", "MaxPool", Shape{2, 3, 7, 9}, Attrs{k(2, 2), s(2, 2), same}},
		{"max_3x3_s2_pads", "MaxPool", Shape{1, 2, 9, 8}, Attrs{k(3, 3), s(2, 2), p(1, 1, 1, 1)}},
		{"max_dilations_ceil", "MaxPool", Shape{1, 2, 9, 8}, Attrs{k(3, 2), s(2, 3), d(2, 1), p(1, 0, 2, 1), IntAttr("ceil_mode", 1)}},
		{"max_same_lower", "MaxPool", Shape{2, 1, 6, 7}, Attrs{k(3, 3), s(2, 2), StringAttr("auto_pad", "SAME_LOWER")}},
		{"max_1d", "MaxPool", Shape{2, 3, 11}, Attrs{k(3), s(2), d(2), p(2, 1)}},
		{"max_3d", "MaxPool", Shape{1, 2, 5, 6, 4}, Attrs{k(2, 3, 2), s(2, 2, 1), p(0, 1, 1, 1, 0, 0)}},
		{"global_max", "GlobalMaxPool", Shape{2, 3, 5, 7}, nil},
		{"avg_keras_same_odd", "AveragePool", Shape{2, 3, 7, 9}, Attrs{k(2, 2), s(2, 2), same}},
		{"avg_pads_count_include_pad", "AveragePool", Shape{1, 2, 7, 6}, Attrs{k(3, 3), s(2, 2), p(1, 1, 1, 1), IntAttr("count_include_pad", 1)}},
		{"avg_ceil_dilations", "AveragePool", Shape{1, 2, 9, 8}, Attrs{k(3, 2), s(2, 3), d(2, 1), p(1, 0, 2, 1), IntAttr("ceil_mode", 1)}},
		{"avg_1d", "AveragePool", Shape{2, 3, 11}, Attrs{k(4), s(3), p(1, 2)}},
		{"avg_3d", "AveragePool", Shape{1, 2, 5, 6, 4}, Attrs{k(2, 3, 2), s(2, 2, 1), p(1, 0, 1, 0, 1, 1)}},
		{"global_avg", "GlobalAveragePool", Shape{2, 3, 5, 7}, nil},
		{"global_avg_1d", "GlobalAveragePool", Shape{2, 3, 5}, nil},
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, c := range cases {
		g := oneOpGraph(c.op, 13, c.attrs, c.x)
		x := distinctTensor(rng, c.x...)
		if err := CheckGradients(g, []*Tensor{x}, GradCheck{MaxPerTensor: -1}); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// MaxPool's gradient goes to the first maximum of a window in row-major
// order, and a padded position never wins, even over negative inputs.
func TestMaxPoolTiesAndPads(t *testing.T) {
	g := oneOpGraph("MaxPool", 13, Attrs{IntsAttr("kernel_shape", 2, 2)}, Shape{1, 1, 2, 3})
	p, err := Compile(g, nil, Options{InputGrads: true})
	if err != nil {
		t.Fatal(err)
	}
	x := FromData([]float32{1, 5, 5, 5, 2, 5}, 1, 1, 2, 3)
	out, err := p.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Data[0] != 5 || out[0].Data[1] != 5 {
		t.Fatalf("forward %v", out[0].Data)
	}
	if err := p.Backward(FromData([]float32{1, 10}, 1, 1, 1, 2)); err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 11, 0, 0, 0, 0}
	for i, v := range p.Grad("x").Data {
		if v != want[i] {
			t.Fatalf("gradient %v, want %v (both windows' first maximum is element 1)", p.Grad("x").Data, want)
		}
	}

	g = oneOpGraph("MaxPool", 13, Attrs{IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2), StringAttr("auto_pad", "SAME_UPPER")}, Shape{1, 1, 3, 3})
	neg := FromData([]float32{-9, -8, -7, -6, -5, -4, -3, -2, -1}, 1, 1, 3, 3)
	outs, err := Run(g, neg)
	if err != nil {
		t.Fatal(err)
	}
	if !outs[0].Shape.Equal(Shape{1, 1, 2, 2}) {
		t.Fatalf("shape %v", outs[0].Shape)
	}
	for i, w := range []float32{-5, -4, -2, -1} {
		if outs[0].Data[i] != w {
			t.Fatalf("got %v, want [-5 -4 -2 -1]: padding must not win", outs[0].Data)
		}
	}
}

// The 2×2 stride-2 fast path picks the same winners as the general loop,
// ties included (inputs of few distinct values), on odd sizes too.
func TestMaxPool2x2FastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, shape := range []Shape{{2, 3, 8, 6}, {1, 2, 7, 9}, {1, 1, 1, 5}, {2, 2, 28, 28}} {
		two := []int64{2, 2}
		attrs := Attrs{IntsAttr("kernel_shape", two...), IntsAttr("strides", two...), StringAttr("auto_pad", "SAME_UPPER")}
		g := oneOpGraph("MaxPool", 13, attrs, shape)
		g.Nodes[0].Outputs = append(g.Nodes[0].Outputs, "idx")
		g.Outputs = append(g.Outputs, ValueInfo{Name: "idx"})
		p, err := Compile(g, nil, Options{NoGrad: true})
		if err != nil {
			t.Fatal(err)
		}
		k := p.steps[0].kernel.(*poolKernel)
		if !k.max2x2 {
			t.Fatalf("%v: fast path not taken", shape)
		}
		x := New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(rng.IntN(3))
		}
		outs, err := p.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		fastY, fastI := outs[0].Clone(), outs[1].Clone()
		k.max2x2 = false
		if outs, err = p.Forward(x); err != nil {
			t.Fatal(err)
		}
		for i := range fastY.Data {
			if fastY.Data[i] != outs[0].Data[i] || fastI.Ints[i] != outs[1].Ints[i] {
				t.Fatalf("%v: output %d: fast %g at %d, general %g at %d", shape, i, fastY.Data[i], fastI.Ints[i], outs[0].Data[i], outs[1].Ints[i])
			}
		}
	}
}

func TestPoolErrors(t *testing.T) {
	cases := []struct {
		name  string
		op    string
		x     Shape
		attrs Attrs
		want  string
		ni    bool
	}{
		{"1x1 map", "MaxPool", Shape{1, 1, 1, 1}, Attrs{IntsAttr("kernel_shape", 2, 2)}, "smaller than the window 2", false},
		{"valid too small", "MaxPool", Shape{1, 1, 3, 1}, Attrs{IntsAttr("kernel_shape", 2, 2), StringAttr("auto_pad", "VALID")}, "input length 1 is smaller", false},
		{"window in padding", "AveragePool", Shape{1, 1, 4, 4}, Attrs{IntsAttr("kernel_shape", 2, 2), IntsAttr("pads", 3, 0, 0, 0)}, "entirely in the padding", false},
		{"no kernel", "MaxPool", Shape{1, 1, 4, 4}, nil, "kernel_shape is required", false},
		{"kernel rank", "MaxPool", Shape{1, 1, 4, 4}, Attrs{IntsAttr("kernel_shape", 2)}, "kernel_shape has 1 values", false},
		{"zero stride", "MaxPool", Shape{1, 1, 4, 4}, Attrs{IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 0, 1)}, "strides", false},
		{"rank 2", "AveragePool", Shape{4, 4}, Attrs{IntsAttr("kernel_shape", 2)}, "spatial axes", false},
		{"auto_pad", "MaxPool", Shape{1, 1, 4, 4}, Attrs{IntsAttr("kernel_shape", 2, 2), StringAttr("auto_pad", "SAME")}, "auto_pad=SAME not supported", true},
	}
	for _, c := range cases {
		g := oneOpGraph(c.op, 13, c.attrs, c.x)
		_, err := Compile(g, nil, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.op) {
			t.Errorf("%s: got %v, want an error naming %s and %q", c.name, err, c.op, c.want)
			continue
		}
		var ni *NotImplementedError
		if errors.As(err, &ni) != c.ni {
			t.Errorf("%s: NotImplementedError %v, want %v: %v", c.name, !c.ni, c.ni, err)
		}
	}
	// storage_order only matters with the Indices output.
	g := oneOpGraph("MaxPool", 13, Attrs{IntsAttr("kernel_shape", 2, 2), IntAttr("storage_order", 2)}, Shape{1, 1, 4, 4})
	g.Nodes[0].Outputs = append(g.Nodes[0].Outputs, "idx")
	var ni *NotImplementedError
	if _, err := Compile(g, nil, Options{}); !errors.As(err, &ni) || ni.Attribute != "storage_order" {
		t.Errorf("storage_order 2: got %v", err)
	}
}

func BenchmarkMaxPoolSeed(b *testing.B) {
	g := oneOpGraph("MaxPool", 13, Attrs{IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2)}, Shape{32, 16, 28, 28})
	benchForwardBackward(b, g, 32, 16, 28, 28)
}

// benchForwardBackward times one forward and one backward pass of g.
func benchForwardBackward(b *testing.B, g *Graph, shape ...int) {
	p, err := Compile(g, nil, Options{InputGrads: true})
	if err != nil {
		b.Fatal(err)
	}
	x := randTensor(rand.New(rand.NewPCG(1, 1)), shape...)
	outs, err := p.Forward(x)
	if err != nil {
		b.Fatal(err)
	}
	dy := outs[0].Clone()
	b.ResetTimer()
	for range b.N {
		if _, err := p.Forward(x); err != nil {
			b.Fatal(err)
		}
		if err := p.Backward(dy); err != nil {
			b.Fatal(err)
		}
	}
}
