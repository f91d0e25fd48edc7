package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// chain builds a graph that applies ops one after the other to an input
// of shape in. A Conv spec "Conv:cout:k" gets random weights (and a random
// bias unless it ends in ":nobias") and pads that keep the size; a
// "Resize:f" spec upsamples f× (nearest, as Keras's UpSampling2D is
// exported), "Linear:f" linearly; "MaxPool" is 2×2 with stride 2. extra
// attributes per spec index are added to that node.
func chain(rng *rand.Rand, in Shape, specs []string, extra map[int]Attrs) *Graph {
	g := NewGraph("chain")
	g.Inputs = []ValueInfo{{Name: "x", Shape: in}}
	cur, ch := "x", in[1]
	for i, s := range specs {
		name := fmt.Sprintf("n%d", i)
		out := name + "_out"
		n := &Node{Name: name, Inputs: []string{cur}, Outputs: []string{out}}
		var cout, k int
		var f int
		var noBias string
		switch {
		case sscan(s, "Conv:%d:%d:%s", &cout, &k, &noBias) || sscan(s, "Conv:%d:%d", &cout, &k):
			n.Op = "Conv"
			group := 1
			for _, a := range extra[i] {
				if a.Name == "group" {
					group = int(a.Int)
				}
			}
			w := randTensor(rng, cout, ch/group, k, k)
			g.AddParam(name+".kernel", w, true)
			n.Inputs = append(n.Inputs, name+".kernel")
			if noBias == "" {
				g.AddParam(name+".bias", randTensor(rng, cout), true)
				n.Inputs = append(n.Inputs, name+".bias")
			}
			n.Attrs = Attrs{IntsAttr("pads", int64(k/2), int64(k/2), int64(k/2), int64(k/2))}
			ch = cout
		case sscan(s, "Resize:%d", &f) || sscan(s, "Linear:%d", &f):
			n.Op = "Resize"
			scales := name + ".scales"
			g.AddParam(scales, FromData([]float32{1, 1, float32(f), float32(f)}, 4), false)
			n.Inputs = append(n.Inputs, "", scales)
			n.Attrs = Attrs{StringAttr("coordinate_transformation_mode", "asymmetric"), StringAttr("nearest_mode", "floor")}
			if s[0] == 'L' {
				n.Attrs = Attrs{StringAttr("mode", "linear")}
			}
		case s == "MaxPool":
			n.Op = "MaxPool"
			n.Attrs = Attrs{IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2)}
		default:
			n.Op = s
		}
		n.Attrs = append(n.Attrs, extra[i]...)
		g.Nodes = append(g.Nodes, n)
		cur = out
	}
	g.Outputs = []ValueInfo{{Name: cur}}
	return g
}

func sscan(s, format string, args ...any) bool {
	n, err := fmt.Sscanf(s, format, args...)
	return err == nil && n == len(args)
}

// sameBits reports whether a and b hold the same bits (any NaN matching
// any NaN), naming the first difference.
func sameBits(a, b []float32) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d elements against %d", len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return fmt.Errorf("element %d: %v (%#x) against %v (%#x)", i, a[i], math.Float32bits(a[i]), b[i], math.Float32bits(b[i]))
		}
	}
	return nil
}

// compareFused runs g unfused and fused, forward and backward, and wants
// the same bits in the outputs, every parameter gradient and the input
// gradient; it returns the fused plan's step count.
func compareFused(t *testing.T, g *Graph, x *Tensor, rng *rand.Rand) int {
	t.Helper()
	shapes := map[string]Shape{g.Inputs[0].Name: x.Shape}
	pu, err := Compile(g, shapes, Options{InputGrads: true, NoFuse: true})
	if err != nil {
		t.Fatal(err)
	}
	pf, err := Compile(g, shapes, Options{InputGrads: true})
	if err != nil {
		t.Fatal(err)
	}
	for pass := range 2 { // the second pass runs on reused buffers
		ou, err := pu.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		of, err := pf.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		var douts []*Tensor
		for j := range ou {
			if err := sameBits(ou[j].Data, of[j].Data); err != nil {
				t.Fatalf("pass %d: output %d: %v", pass, j, err)
			}
			douts = append(douts, randTensor(rng, ou[j].Shape...))
		}
		if err := pu.Backward(douts...); err != nil {
			t.Fatal(err)
		}
		if err := pf.Backward(douts...); err != nil {
			t.Fatal(err)
		}
		names := append(g.TrainableNames(), g.Inputs[0].Name)
		for _, name := range names {
			if err := sameBits(pu.Grad(name).Data, pf.Grad(name).Data); err != nil {
				t.Fatalf("pass %d: gradient of %s: %v", pass, name, err)
			}
		}
	}
	if len(pu.steps) != len(g.Nodes) {
		t.Errorf("unfused plan has %d steps for %d nodes", len(pu.steps), len(g.Nodes))
	}
	return len(pf.steps)
}

// special sprinkles exact zeros of both signs, ties and a few huge values
// into x, to probe the corner cases of max, Relu and the sums.
func special(rng *rand.Rand, x *Tensor) {
	for i := range x.Data {
		switch rng.IntN(8) {
		case 0:
			x.Data[i] = 0
		case 1:
			x.Data[i] = float32(math.Copysign(0, -1))
		case 2:
			x.Data[i] = 1
		}
	}
}

func TestFusedSeedMatchesUnfused(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 5))
		g := buildSeed(t, 3)
		for _, name := range g.TrainableNames() {
			if len(g.Params[name].Shape) == 1 { // Keras starts biases at 0
				copy(g.Params[name].Data, randTensor(rng, g.Params[name].Shape...).Data)
			}
		}
		x := randTensor(rng, 3, 1, 28, 28)
		special(rng, x)
		// Conv+Relu+MaxPool twice, Conv+Relu, and Resize+Conv+Relu,
		// Resize+Conv+Sigmoid: 5 steps for 14 nodes.
		if n := compareFused(t, g, x, rng); n != 5 {
			t.Errorf("seed: %d fused steps, want 5", n)
		}
	})
}

func TestFusedChainsMatchUnfused(t *testing.T) {
	cases := []struct {
		name  string
		in    Shape
		specs []string
		extra map[int]Attrs
		steps int
	}{
		{"sigmoid, relu+pool, no bias", Shape{2, 1, 10, 10},
			[]string{"Conv:4:3", "Sigmoid", "Conv:3:3:nobias", "Relu", "MaxPool"}, nil, 2},
		{"pool without activation, narrow rows", Shape{2, 2, 6, 6},
			[]string{"Conv:3:3", "MaxPool", "Conv:2:1", "Relu", "MaxPool"}, nil, 3},
		{"odd size keeps the pool apart", Shape{1, 2, 9, 9},
			[]string{"Conv:3:3", "Relu", "MaxPool"}, nil, 2},
		{"resize 3× and linear before a conv", Shape{2, 3, 4, 4},
			[]string{"Resize:3", "Conv:2:3", "Relu", "Linear:2", "Conv:2:3:nobias", "Sigmoid"}, nil, 2},
		{"resize 2× narrow and wide", Shape{1, 2, 3, 3},
			[]string{"Resize:2", "Conv:2:3", "Relu", "Resize:2", "Conv:3:3", "Relu", "MaxPool"}, nil, 2},
		{"strided and grouped", Shape{2, 4, 12, 12},
			[]string{"Conv:4:3", "Relu", "Conv:6:3"}, map[int]Attrs{0: {IntsAttr("strides", 2, 2)}, 2: {IntAttr("group", 2)}}, 2},
		{"resize into a strided conv", Shape{1, 2, 5, 5},
			[]string{"Resize:2", "Conv:3:3", "Sigmoid"}, map[int]Attrs{1: {IntsAttr("strides", 2, 2)}}, 1},
	}
	withKernels(t, func(t *testing.T) {
		for i, c := range cases {
			rng := rand.New(rand.NewPCG(9, uint64(i)))
			g := chain(rng, c.in, c.specs, c.extra)
			x := randTensor(rng, c.in...)
			special(rng, x)
			if n := compareFused(t, g, x, rng); n != c.steps {
				t.Errorf("%s: %d steps, want %d", c.name, n, c.steps)
			}
		}
	})
}

// TestFusedPoolTies feeds MaxPool windows with tied maxima (an identity
// 1×1 Conv over small integers): the gradient must go to the first
// maximum in row-major order, fused as unfused.
func TestFusedPoolTies(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(8, 8))
		for _, specs := range [][]string{{"Conv:1:1", "MaxPool"}, {"Conv:1:1", "Relu", "MaxPool"}} {
			g := chain(rng, Shape{2, 1, 8, 12}, specs, nil)
			g.Params["n0.kernel"].Data[0], g.Params["n0.bias"].Data[0] = 1, 0
			x := New(2, 1, 8, 12)
			for i := range x.Data {
				x.Data[i] = float32(rng.IntN(3))
			}
			if n := compareFused(t, g, x, rng); n != 1 {
				t.Errorf("%v: %d steps, want 1", specs, n)
			}
		}
	})
}

// TestFusionStopsAtSharedValues wants no merge across a value that has a
// second consumer or is a graph output, and the merged values absent.
func TestFusionStopsAtSharedValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	g := chain(rng, Shape{1, 1, 8, 8}, []string{"Conv:2:3", "Relu", "MaxPool", "Conv:2:3", "Relu"}, nil)
	// n0_out (the first Conv's output) is also a graph output; n3_out
	// also feeds a Sigmoid.
	g.Outputs = append(g.Outputs, ValueInfo{Name: "n0_out"}, ValueInfo{Name: "s_out"})
	g.Nodes = append(g.Nodes, &Node{Name: "s", Op: "Sigmoid", Inputs: []string{"n3_out"}, Outputs: []string{"s_out"}})
	x := randTensor(rng, 1, 1, 8, 8)
	// Conv | Relu+MaxPool stay apart (n0_out is an output); the second
	// Conv cannot take its Relu (two consumers).
	if n := compareFused(t, g, x, rng); n != 6 {
		t.Errorf("%d steps, want 6 (nothing merged)", n)
	}
	g = chain(rng, Shape{1, 1, 8, 8}, []string{"Conv:2:3", "Relu", "MaxPool"}, nil)
	p, err := Compile(g, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.steps) != 1 || p.Value("n0_out") != nil || p.Value("n1_out") != nil || p.Value("n2_out") == nil {
		t.Errorf("Conv+Relu+MaxPool: %d steps, merged values %v %v", len(p.steps), p.Value("n0_out"), p.Value("n1_out"))
	}
}

func TestFusedGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, specs := range [][]string{
		{"Resize:2", "Conv:3:3", "Sigmoid"},
		{"Conv:3:3", "Relu", "MaxPool"},
	} {
		g := chain(rng, Shape{2, 2, 4, 4}, specs, nil)
		x := randTensor(rng, 2, 2, 4, 4)
		if err := CheckGradients(g, []*Tensor{x}, GradCheck{Eps: 1e-3, Seed: 5, MaxPerTensor: 40}); err != nil {
			t.Errorf("%v: %v", specs, err)
		}
	}
}

// TestFusionKernelsMatchGo runs each assembly kernel of fuse_amd64.s and
// its pure-Go twin on data full of ties, signed zeros and NaNs, and wants
// the same bits.
func TestFusionKernelsMatchGo(t *testing.T) {
	if !convAsm {
		t.Skip("no AVX2: only the Go kernels exist (covered by the fusion tests)")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.NaN()), float32(math.Inf(-1))}
	data := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			if rng.IntN(2) == 0 {
				x[i] = vals[rng.IntN(len(vals))]
			} else {
				x[i] = float32(rng.NormFloat64())
			}
		}
		return x
	}
	both := func(name string, run func() []float32) {
		t.Helper()
		convAsm = false
		want := run()
		convAsm = true
		if err := sameBits(run(), want); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	defer func() { convAsm = true }()
	for _, w := range []int{8, 10, 14, 16, 28, 34} {
		rows := 5
		src, g, out := data(2*rows*w), data(rows*w/2), data(rows*w/2)
		arg := make([]uint8, rows*w/2)
		for i := range arg {
			arg[i] = uint8(rng.IntN(4))
		}
		for _, relu := range []bool{false, true} {
			for _, bias := range []float32{0, -0.25} {
				both(fmt.Sprintf("maxPool2x2 w=%d relu=%v bias=%v", w, relu, bias), func() []float32 {
					d, a := make([]float32, rows*w/2), make([]uint8, rows*w/2)
					maxPool2x2(d, a, src, w+1, w/2, rows-1, bias, relu)
					for _, v := range a {
						d = append(d, float32(v))
					}
					return d
				})
			}
			fill := data(2 * rows * (w + 3)) // what the kernels must leave alone
			both(fmt.Sprintf("unpoolMax2x2 w=%d relu=%v", w, relu), func() []float32 {
				d := append([]float32(nil), fill...)
				unpoolMax2x2(d, w+2, g, out, arg, w/2, rows, relu)
				return d
			})
			both(fmt.Sprintf("reluGradRows w=%d", w), func() []float32 {
				d := append([]float32(nil), fill...)
				reluGradRows(d, w+3, src, g, rows/2, w)
				return d
			})
		}
		both(fmt.Sprintf("copyRowsRelu w=%d", w), func() []float32 {
			d := make([]float32, rows*(w+3))
			copyRowsRelu(d, w+3, src, w+1, rows, w, -0.5)
			return d
		})
		both(fmt.Sprintf("reluGrad n=%d", rows*w+3), func() []float32 {
			d := make([]float32, rows*w+3)
			reluGrad(d, src[:len(d)], src[1:len(d)+1])
			return d
		})
		both(fmt.Sprintf("upsample2 w=%d", w/2), func() []float32 {
			d := make([]float32, 2*rows*(w+2))
			upsample2(d, w+2, src, w/2+1, rows, w/2)
			return d
		})
		zeros := data(2 * rows * w) // mostly −0: the sum's sign of zero
		for i := range zeros {
			if rng.IntN(5) != 0 {
				zeros[i] = float32(math.Copysign(0, -1))
			}
		}
		both(fmt.Sprintf("sum2x2 w=%d", w), func() []float32 {
			d := make([]float32, rows*w/2)
			sum2x2(d, zeros, w, rows, w/2)
			return d
		})
	}
}

// TestSigmoidKernelMatchesScalar wants sigmoidForward's assembly path to
// give sigmoid's bits, in place and not, over the whole float32 range:
// groups with huge values and NaNs take the scalar fallback.
func TestSigmoidKernelMatchesScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	x := make([]float32, 4099)
	for i := range x {
		switch rng.IntN(10) {
		case 0:
			x[i] = math.Float32frombits(rng.Uint32()) // any float, NaNs included
		case 1:
			x[i] = float32(rng.NormFloat64() * 300)
		case 2:
			x[i] = []float32{0, float32(math.Copysign(0, -1)), 700, -700, 745, -745}[rng.IntN(6)]
		default:
			x[i] = float32(rng.NormFloat64() * 8)
		}
	}
	want := make([]float32, len(x))
	for i, v := range x {
		want[i] = sigmoid(v)
	}
	got := make([]float32, len(x))
	sigmoidForward(x, got)
	if err := sameBits(got, want); err != nil {
		t.Errorf("sigmoidForward: %v", err)
	}
	in := append([]float32(nil), x...)
	sigmoidForward(in, in)
	if err := sameBits(in, want); err != nil {
		t.Errorf("sigmoidForward in place: %v", err)
	}
}
