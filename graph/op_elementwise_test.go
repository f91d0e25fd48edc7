package graph

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

func TestElementwiseReference(t *testing.T) {
	runReference(t, "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Neg", "Abs", "Exp", "Log")
}

// awayFrom returns a random tensor whose elements are at least lo in
// magnitude (divisors, Abs away from its kink).
func awayFrom(rng *rand.Rand, lo float32, shape ...int) *Tensor {
	t := randTensor(rng, shape...)
	for i, v := range t.Data {
		if v >= 0 && v < lo {
			t.Data[i] = v + lo
		} else if v < 0 && v > -lo {
			t.Data[i] = v - lo
		}
	}
	return t
}

// positive returns a random tensor with elements in [lo, lo+2).
func positive(rng *rand.Rand, lo float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = lo + 2*rng.Float32()
	}
	return t
}

func TestElementwiseGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	shapes := [][2]Shape{
		{{2, 3, 4, 5}, {3, 1, 1}},
		{{4, 5}, {5}},
		{{5}, {4, 5}},
		{{2, 1, 4}, {3, 1}},
		{{}, {2, 3}},
		{{2, 3}, {2, 3}},
		{{2, 3, 4, 5}, {1, 3, 1, 1}},
	}
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow"} {
		for _, s := range shapes {
			a, b := randTensor(rng, s[0]...), randTensor(rng, s[1]...)
			switch op {
			case "Div":
				b = awayFrom(rng, 0.5, s[1]...)
			case "Pow":
				a, b = positive(rng, 0.5, s[0]...), randTensor(rng, s[1]...)
			}
			name := op + " " + s[0].String() + " with " + s[1].String()
			checkOpGradients(t, name, op, 14, nil, opFeed(a), opParam(b))
		}
	}
	checkOpGradients(t, "Sqrt", "Sqrt", 13, nil, opFeed(positive(rng, 0.3, 3, 4)))
	checkOpGradients(t, "Log", "Log", 13, nil, opFeed(positive(rng, 0.3, 3, 4)))
	checkOpGradients(t, "Exp", "Exp", 13, nil, opFeed(randTensor(rng, 3, 4)))
	checkOpGradients(t, "Neg", "Neg", 13, nil, opFeed(randTensor(rng, 3, 4)))
	checkOpGradients(t, "Abs", "Abs", 13, nil, opFeed(awayFrom(rng, 0.1, 3, 4)))
}

// TestBiasGradientLarge checks the chunked float64 reduction of a bias
// gradient over a batch large enough to be split among several chunks.
func TestBiasGradientLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := randTensor(rng, 16, 8, 12, 12)
	b := randTensor(rng, 1, 8, 1, 1)
	g, feeds := opGraph("Add", 14, nil, opFeed(x), opParam(b))
	p, err := Compile(g, map[string]Shape{"in0": x.Shape}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Forward(feeds...); err != nil {
		t.Fatal(err)
	}
	dy := randTensor(rng, 16, 8, 12, 12)
	if err := p.Backward(dy); err != nil {
		t.Fatal(err)
	}
	got := p.Grad("in1").Data
	for c := range 8 {
		var s float64
		for n := range 16 {
			for i := range 144 {
				s += float64(dy.Data[(n*8+c)*144+i])
			}
		}
		if d := float64(got[c]) - s; d > 1e-4 || d < -1e-4 {
			t.Errorf("channel %d: gradient %g, want %g", c, got[c], s)
		}
	}
}

func TestElementwiseInt64AndTypeErrors(t *testing.T) {
	// Int64 arithmetic: division by zero gives 0, not a crash.
	g, _ := opGraph("Div", 14, nil, opInts(7, -7, 3), opInts(2, 2, 0))
	outs, err := Run(g)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{3, -3, 0}
	for i, v := range outs[0].Ints {
		if v != want[i] {
			t.Errorf("element %d: %d, want %d", i, v, want[i])
		}
	}
	g, _ = opGraph("Add", 14, nil, opFeed(New(2)), opInts(1, 2))
	if _, err := Compile(g, map[string]Shape{"in0": {2}}, Options{}); err == nil {
		t.Error("Add of float32 and int64: no error")
	}
	g, _ = opGraph("Mul", 14, nil, opFeed(New(2, 3)), opFeed(New(4)))
	if _, err := Compile(g, map[string]Shape{"in0": {2, 3}, "in1": {4}}, Options{}); err == nil {
		t.Error("Mul of 2×3 and 4: no error")
	}
	g, _ = opGraph("Exp", 13, nil, opInts(1, 2))
	if _, err := Compile(g, nil, Options{}); err == nil {
		t.Error("Exp of int64: no error")
	}
}

// TestElementwiseAllocs checks that Forward and Backward of a broadcast Mul
// allocate nothing (on one core, where Parallel starts no goroutines).
func TestElementwiseAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rng := rand.New(rand.NewPCG(1, 1))
	a, b := randTensor(rng, 4, 3, 8, 8), randTensor(rng, 3, 1, 1)
	k, shapes, err := buildBinary(BuildArgs{Node: &Node{Op: "Mul", Inputs: []string{"a", "b"}},
		In: []Shape{a.Shape, b.Shape}, InType: []DType{Float32, Float32}, Consts: make([]*Tensor, 2), Opset: 14}, opMul)
	if err != nil {
		t.Fatal(err)
	}
	y, dy := New(shapes[0]...), randTensor(rng, shapes[0]...)
	da, db := New(a.Shape...), New(b.Shape...)
	ctx, ins, outs, douts, dins := &Ctx{}, []*Tensor{a, b}, []*Tensor{y}, []*Tensor{dy}, []*Tensor{da, db}
	n := testing.AllocsPerRun(5, func() {
		k.Forward(ctx, ins, outs)
		k.Backward(ctx, ins, outs, douts, dins)
	})
	if n != 0 {
		t.Errorf("%v allocations per Forward+Backward, want 0", n)
	}
}

func BenchmarkAddBiasNCHW(b *testing.B) {
	benchBinary(b, opAdd, Shape{32, 16, 28, 28}, Shape{1, 16, 1, 1})
}

func BenchmarkAddBiasDense(b *testing.B) {
	benchBinary(b, opAdd, Shape{256, 10}, Shape{10})
}

func benchBinary(b *testing.B, op binOp, sa, sb Shape) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, w := randTensor(rng, sa...), randTensor(rng, sb...)
	k, shapes, err := buildBinary(BuildArgs{Node: &Node{Op: "Add", Inputs: []string{"a", "b"}},
		In: []Shape{sa, sb}, InType: []DType{Float32, Float32}, Consts: make([]*Tensor, 2), Opset: 14}, op)
	if err != nil {
		b.Fatal(err)
	}
	y, dy := New(shapes[0]...), randTensor(rng, shapes[0]...)
	dx, dw := New(sa...), New(sb...)
	ctx := &Ctx{}
	b.ResetTimer()
	for range b.N {
		k.Forward(ctx, []*Tensor{x, w}, []*Tensor{y})
		k.Backward(ctx, []*Tensor{x, w}, []*Tensor{y}, []*Tensor{dy}, []*Tensor{dx, dw})
	}
}

// TestLegacyBroadcast covers Add before opset 7: B broadcasts only with
// broadcast=1, aligned at axis.
func TestLegacyBroadcast(t *testing.T) {
	a := FromData([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 3, 2)
	b := FromData([]float32{100, 200, 300}, 3)
	g, feeds := opGraph("Add", 6, Attrs{IntAttr("broadcast", 1), IntAttr("axis", 1)}, opFeed(a), opFeed(b))
	outs, err := Run(g, feeds...)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{101, 102, 203, 204, 305, 306, 107, 108, 209, 210, 311, 312}
	for i, w := range want {
		if outs[0].Data[i] != w {
			t.Fatalf("element %d: %g, want %g", i, outs[0].Data[i], w)
		}
	}
	if err := CheckGradients(g, feeds, GradCheck{Eps: 1e-3, MaxPerTensor: -1}); err != nil {
		t.Error(err)
	}
	g, feeds = opGraph("Add", 6, nil, opFeed(a), opFeed(b))
	if _, err := Run(g, feeds...); err == nil || !strings.Contains(err.Error(), "broadcast is 0") {
		t.Errorf("opset 6 without broadcast: got %v", err)
	}
}
