package graph

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// seedLayers is the seed model of issue 2, written with Go layers.
func seedLayers() []Layer {
	conv := func(f int) Layer { return Conv2D{Filters: f, KernelSize: [2]int{3, 3}, Padding: "same"} }
	act := func(a string) Layer { return Activation{Activation: a} }
	pool := MaxPooling2D{PoolSize: [2]int{2, 2}, Padding: "same"}
	return []Layer{
		Input{Shape: []int{28, 28, 1}},
		conv(16), act("relu"), pool,
		conv(2), act("relu"), pool,
		conv(2), act("relu"), UpSampling2D{Size: [2]int{2, 2}},
		conv(16), act("relu"), UpSampling2D{},
		conv(1), act("sigmoid"),
	}
}

func buildSeed(t *testing.T, seed uint64) *Graph {
	t.Helper()
	g, err := Sequential("seed", seed, seedLayers()...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSeedLayersNamesAndParams(t *testing.T) {
	g := buildSeed(t, 1)
	wantNames := []string{"input_1", "conv2d_1", "activation_1", "max_pooling2d_1", "conv2d_2", "activation_2", "max_pooling2d_2",
		"conv2d_3", "activation_3", "up_sampling2d_1", "conv2d_4", "activation_4", "up_sampling2d_2", "conv2d_5", "activation_5"}
	var names []string
	counts := map[string]int{}
	for _, l := range g.Layers {
		names = append(names, l.Name)
		for _, p := range l.Params {
			counts[l.Name] += g.Params[p].Len()
		}
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("layer names\n got %v\nwant %v", names, wantNames)
	}
	want := map[string]int{"conv2d_1": 160, "conv2d_2": 290, "conv2d_3": 38, "conv2d_4": 304, "conv2d_5": 145}
	if !reflect.DeepEqual(counts, want) {
		t.Fatalf("param counts %v, want %v", counts, want)
	}
	if tr, _ := g.ParamCount(); tr != 937 {
		t.Fatalf("trainable params %d, want 937", tr)
	}
	wantParams := []string{"conv2d_1.kernel", "conv2d_1.bias", "conv2d_2.kernel", "conv2d_2.bias", "conv2d_3.kernel", "conv2d_3.bias",
		"conv2d_4.kernel", "conv2d_4.bias", "conv2d_5.kernel", "conv2d_5.bias"}
	if got := g.TrainableNames(); !reflect.DeepEqual(got, wantParams) {
		t.Fatalf("trainable names %v", got)
	}
	if s := g.Params["conv2d_2.kernel"].Shape; !s.Equal(Shape{2, 16, 3, 3}) {
		t.Fatalf("conv2d_2.kernel is %v, want OIHW 2×16×3×3", s)
	}
	if !g.Inputs[0].Shape.Equal(Shape{-1, 1, 28, 28}) || g.Inputs[0].Name != "input" {
		t.Fatalf("input %v", g.Inputs[0])
	}
	if !g.Outputs[0].Shape.Equal(Shape{-1, 1, 28, 28}) || g.Outputs[0].Name != "output" {
		t.Fatalf("output %v", g.Outputs[0])
	}
	if l := g.Layers[len(g.Layers)-1]; l.Output != "output" {
		t.Fatalf("last layer output %q", l.Output)
	}
}

// TestSeedMatchesGolden compares the seed's nodes with those of
// ../shared/golden/seed-adadelta/init.onnx, written out here: Conv with
// dilations [1 1], group 1, kernel_shape [3 3], pads [1 1 1 1], strides
// [1 1]; MaxPool kernel_shape [2 2], strides [2 2], no pads; Resize reading
// (x, "", scales [1 1 2 2]) with asymmetric, nearest, floor.
func TestSeedMatchesGolden(t *testing.T) {
	g := buildSeed(t, 1)
	var ops []string
	for _, n := range g.Nodes {
		ops = append(ops, n.Op)
		switch n.Op {
		case "Conv":
			want := Attrs{IntsAttr("dilations", 1, 1), IntAttr("group", 1), IntsAttr("kernel_shape", 3, 3), IntsAttr("pads", 1, 1, 1, 1), IntsAttr("strides", 1, 1)}
			if !reflect.DeepEqual(n.Attrs, want) {
				t.Errorf("%s attrs %v", n.Name, n.Attrs)
			}
			if len(n.Inputs) != 3 {
				t.Errorf("%s inputs %v", n.Name, n.Inputs)
			}
		case "MaxPool":
			want := Attrs{IntsAttr("kernel_shape", 2, 2), IntsAttr("strides", 2, 2)}
			if !reflect.DeepEqual(n.Attrs, want) {
				t.Errorf("%s attrs %v", n.Name, n.Attrs)
			}
		case "Resize":
			want := Attrs{StringAttr("coordinate_transformation_mode", "asymmetric"), StringAttr("mode", "nearest"), StringAttr("nearest_mode", "floor")}
			if !reflect.DeepEqual(n.Attrs, want) {
				t.Errorf("%s attrs %v", n.Name, n.Attrs)
			}
			if len(n.Inputs) != 3 || n.Inputs[1] != "" {
				t.Errorf("%s inputs %v", n.Name, n.Inputs)
			}
			sc := g.Params[n.Inputs[2]]
			if sc == nil || !reflect.DeepEqual(sc.Data, []float32{1, 1, 2, 2}) || g.Trainable[n.Inputs[2]] {
				t.Errorf("%s scales %v", n.Name, sc)
			}
		}
	}
	want := "Conv Relu MaxPool Conv Relu MaxPool Conv Relu Resize Conv Relu Resize Conv Sigmoid"
	if got := strings.Join(ops, " "); got != want {
		t.Fatalf("ops\n got %s\nwant %s", got, want)
	}
	if n := g.Nodes[0]; n.Name != "conv2d_1/Conv" || !reflect.DeepEqual(n.Inputs, []string{"input", "conv2d_1.kernel", "conv2d_1.bias"}) || n.Outputs[0] != "conv2d_1" {
		t.Fatalf("first node %+v", n)
	}
}

func TestSeedDeterministicGlorot(t *testing.T) {
	a, b, c := buildSeed(t, 1), buildSeed(t, 1), buildSeed(t, 2)
	if !reflect.DeepEqual(a.Params, b.Params) || !reflect.DeepEqual(a.Layers, b.Layers) {
		t.Fatal("same seed, different graphs")
	}
	if reflect.DeepEqual(a.Params["conv2d_1.kernel"].Data, c.Params["conv2d_1.kernel"].Data) {
		t.Fatal("seeds 1 and 2 give the same weights")
	}
	// glorot_uniform: U(-l, l), l = sqrt(6/(9·cin + 9·cout)); variance l²/3.
	for _, l := range []struct {
		name      string
		cin, cout int
	}{{"conv2d_1", 1, 16}, {"conv2d_2", 16, 2}, {"conv2d_4", 2, 16}} {
		w := a.Params[l.name+".kernel"].Data
		lim := math.Sqrt(6 / float64(9*l.cin+9*l.cout))
		var sum2 float64
		for _, v := range w {
			if math.Abs(float64(v)) > lim {
				t.Fatalf("%s: |%g| > limit %g", l.name, v, lim)
			}
			sum2 += float64(v) * float64(v)
		}
		if v, want := sum2/float64(len(w)), lim*lim/3; math.Abs(v-want) > 0.35*want {
			t.Errorf("%s: variance %g, want ≈ %g", l.name, v, want)
		}
		for _, v := range a.Params[l.name+".bias"].Data {
			if v != 0 {
				t.Fatalf("%s bias not zero", l.name)
			}
		}
	}
}

func TestKerasNames(t *testing.T) {
	for in, want := range map[string]string{
		"Conv2D": "conv2d", "Conv2DTranspose": "conv2d_transpose", "MaxPooling2D": "max_pooling2d",
		"UpSampling2D": "up_sampling2d", "BatchNormalization": "batch_normalization", "Dense": "dense",
		"AveragePooling2D": "average_pooling2d", "Activation": "activation",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%s) = %s, want %s", in, got, want)
		}
	}
	g, err := Sequential("m", 1, Input{Shape: []int{4, 4, 2}}, Conv2D{Filters: 1, KernelSize: [2]int{1, 1}, Name: "enc"},
		Conv2D{Filters: 1, KernelSize: [2]int{1, 1}}, BatchNormalization{}, Dropout{Rate: 0.5}, Conv2DTranspose{Filters: 1, KernelSize: [2]int{1, 1}},
		Flatten{}, Dense{Units: 3}, Reshape{TargetShape: []int{3}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range g.Layers {
		names = append(names, l.Name+":"+l.Type)
	}
	want := "input_1:InputLayer enc:Conv2D conv2d_1:Conv2D batch_normalization_1:BatchNormalization dropout_1:Dropout " +
		"conv2d_transpose_1:Conv2DTranspose flatten_1:Flatten dense_1:Dense reshape_1:Reshape"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("names\n got %s\nwant %s", got, want)
	}
	bn := g.Layers[3]
	if !reflect.DeepEqual(bn.Params, []string{"batch_normalization_1.gamma", "batch_normalization_1.beta",
		"batch_normalization_1.moving_mean", "batch_normalization_1.moving_variance"}) {
		t.Fatalf("bn params %v", bn.Params)
	}
	if !g.Trainable["batch_normalization_1.gamma"] || g.Trainable["batch_normalization_1.moving_mean"] {
		t.Fatal("moving statistics must be non-trainable, gamma trainable")
	}
	if _, err := Sequential("m", 1, Input{Shape: []int{4}}, Dense{Units: 2, Name: "x"}, Dense{Units: 2, Name: "x"}); err == nil ||
		!strings.Contains(err.Error(), `two layers are named "x"`) {
		t.Fatalf("duplicate names: %v", err)
	}
}

func TestSamePadsAsTensorFlow(t *testing.T) {
	// TensorFlow: out = ceil(in/s), total = max((out-1)·s + k − in, 0),
	// before = total/2, after = the rest.
	for _, c := range []struct{ in, k, s, out, before, after int }{
		{28, 3, 1, 28, 1, 1}, {28, 2, 2, 14, 0, 0}, {7, 2, 2, 4, 0, 1}, {28, 5, 2, 14, 1, 2},
		{14, 5, 2, 7, 1, 2}, {1, 2, 2, 1, 0, 1}, {5, 4, 1, 5, 1, 2}, {6, 3, 3, 2, 0, 0},
	} {
		out, b, a := samePads(c.in, c.k, c.s, 1)
		if out != c.out || b != c.before || a != c.after {
			t.Errorf("samePads(%d, k%d, s%d) = %d, %d, %d; want %d, %d, %d", c.in, c.k, c.s, out, b, a, c.out, c.before, c.after)
		}
	}
	// Dilation 2 makes a 3-tap kernel span 5.
	if out, b, a := samePads(10, 3, 1, 2); out != 10 || b != 2 || a != 2 {
		t.Errorf("dilated: %d %d %d", out, b, a)
	}
}

// buildDCEC builds DCEC's convolutional autoencoder (examples/dcec).
func buildDCEC(t *testing.T) *Graph {
	t.Helper()
	relu := "relu"
	g, err := Sequential("dcec", 1,
		Input{Shape: []int{28, 28, 1}},
		Conv2D{Filters: 32, KernelSize: [2]int{5, 5}, Strides: [2]int{2, 2}, Padding: "same", Activation: relu},
		Conv2D{Filters: 64, KernelSize: [2]int{5, 5}, Strides: [2]int{2, 2}, Padding: "same", Activation: relu},
		Conv2D{Filters: 128, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Activation: relu},
		Flatten{}, Dense{Units: 10, Name: "embedding"}, Dense{Units: 1152, Activation: relu},
		Reshape{TargetShape: []int{3, 3, 128}},
		Conv2DTranspose{Filters: 64, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Activation: relu},
		Conv2DTranspose{Filters: 32, KernelSize: [2]int{5, 5}, Strides: [2]int{2, 2}, Padding: "same", Activation: relu},
		Conv2DTranspose{Filters: 1, KernelSize: [2]int{5, 5}, Strides: [2]int{2, 2}, Padding: "same"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDCECShapesAndParams(t *testing.T) {
	g := buildDCEC(t)
	if tr, _ := g.ParamCount(); tr != 275979 {
		t.Fatalf("params %d, want 275979", tr)
	}
	if !g.Outputs[0].Shape.Equal(Shape{-1, 1, 28, 28}) {
		t.Fatalf("output %v", g.Outputs[0].Shape)
	}
	attrs := map[string]Attrs{}
	for _, n := range g.Nodes {
		attrs[n.Name] = n.Attrs
	}
	pads := func(node string) []int64 { return attrs[node].Ints("pads", nil) }
	// 28 → 14 (k5 s2 same: 1 before, 2 after), 14 → 7, 7 → 3 (valid).
	if p := pads("conv2d_1/Conv"); !reflect.DeepEqual(p, []int64{1, 1, 2, 2}) {
		t.Errorf("conv2d_1 pads %v", p)
	}
	if p := pads("conv2d_3/Conv"); !reflect.DeepEqual(p, []int64{0, 0, 0, 0}) {
		t.Errorf("conv2d_3 pads %v", p)
	}
	// Transposed: 3 → 7 (valid: 3·2 + 3 − 2), 7 → 14, 14 → 28 (same: TF
	// pads 1 before, 2 after, which ConvTranspose crops).
	if p := pads("conv2d_transpose_1/ConvTranspose"); !reflect.DeepEqual(p, []int64{0, 0, 0, 0}) {
		t.Errorf("conv2d_transpose_1 pads %v", p)
	}
	if p := pads("conv2d_transpose_2/ConvTranspose"); !reflect.DeepEqual(p, []int64{1, 1, 2, 2}) {
		t.Errorf("conv2d_transpose_2 pads %v", p)
	}
	if s := g.Params["conv2d_transpose_1.kernel"].Shape; !s.Equal(Shape{128, 64, 3, 3}) {
		t.Errorf("ConvTranspose kernel %v, want [in, out, kh, kw]", s)
	}
	if s := g.Params["embedding.kernel"].Shape; !s.Equal(Shape{1152, 10}) {
		t.Errorf("Dense kernel %v, want [in, units]", s)
	}
	// c.out is Keras's 'valid' size: in·s + max(k − s, 0).
	for _, c := range []struct{ in, k, s, out int }{{3, 3, 2, 7}, {7, 5, 2, 17}, {4, 1, 2, 8}, {5, 2, 3, 15}} {
		for _, pad := range []string{"valid", "same"} {
			out, b, a, op := transposeAxis(c.in, c.k, c.s, pad)
			// ONNX: out = s·(in−1) + output_padding + k − pads.
			if onnx := c.s*(c.in-1) + op + c.k - b - a; onnx != out {
				t.Errorf("%v %s: Keras size %d, ONNX gives %d", c, pad, out, onnx)
			}
			if pad == "valid" && out != c.out {
				t.Errorf("%v valid: %d", c, out)
			}
			if pad == "same" && out != c.in*c.s {
				t.Errorf("%v same: %d", c, out)
			}
		}
	}
}

func TestFlattenReshapeKerasOrder(t *testing.T) {
	g, err := Sequential("m", 1, Input{Shape: []int{2, 3, 4}}, Flatten{}, Reshape{TargetShape: []int{3, -1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range g.Nodes {
		s := n.Op
		if p := n.Attrs.Ints("perm", nil); p != nil {
			s += "" + Shape(intsOf(p)).String()
		}
		if n.Op == "Reshape" {
			s += Shape(intsOf(g.Params[n.Inputs[1]].Ints)).String()
		}
		got = append(got, s)
	}
	// Shape.String prints -1 as ?.
	// Flatten's output is 2-D, so Reshape needs no transpose before.
	want := "Transpose0×2×3×1 Reshape?×24 Reshape?×3×4×2 Transpose0×3×1×2"
	if strings.Join(got, " ") != want {
		t.Fatalf("nodes\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if !g.Outputs[0].Shape.Equal(Shape{-1, 2, 3, 4}) {
		t.Fatalf("output %v, want NCHW -1×2×3×4 for Keras (3, 4, 2)", g.Outputs[0].Shape)
	}
}

func intsOf(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func TestLayerErrors(t *testing.T) {
	in := Input{Shape: []int{4, 4, 1}}
	pool := MaxPooling2D{}
	for _, c := range []struct {
		layers []Layer
		want   string
	}{
		{[]Layer{in, pool, pool, pool}, "max_pooling2d_3: pool 2×2 does not fit input 1×1 with padding 'valid'"},
		{[]Layer{in, Conv2D{Filters: 1, KernelSize: [2]int{5, 5}}}, "conv2d_1: kernel 5×5 does not fit input 4×4"},
		{[]Layer{in, Conv2D{Filters: 1, KernelSize: [2]int{3, 3}, DilationRate: [2]int{2, 2}}}, "conv2d_1: kernel 5×5 does not fit input 4×4"},
		{[]Layer{in, Conv2D{Filters: 0, KernelSize: [2]int{3, 3}}}, "conv2d_1: filters must be positive, got 0"},
		{[]Layer{in, Conv2D{Filters: 1}}, "conv2d_1: kernel_size must be positive, got (0, 0)"},
		{[]Layer{in, Conv2D{Filters: 1, KernelSize: [2]int{1, 1}, Padding: "full"}}, `conv2d_1: padding "full" unknown`},
		{[]Layer{in, Activation{Activation: "swish"}}, `activation_1: activation "swish" unknown; known: linear, relu`},
		{[]Layer{in, Dense{Units: 3}}, "dense_1: expects a 2-D input (None, features), got (None, 4, 4, 1)"},
		{[]Layer{Input{Shape: []int{8}}, Conv2D{Filters: 1, KernelSize: [2]int{1, 1}}}, "conv2d_1: expects a 4-D input (None, height, width, channels), got (None, 8)"},
		{[]Layer{in, Reshape{TargetShape: []int{5, 3}}}, "reshape_1: cannot reshape (None, 4, 4, 1) (16 elements) to [5 3] (15 elements)"},
		{[]Layer{in, Reshape{TargetShape: []int{-1, 3}}}, "reshape_1: cannot reshape (None, 4, 4, 1) (16 elements) to [-1 3]"},
		{[]Layer{in, Dropout{Rate: 1}}, "dropout_1: rate 1 must be in [0, 1)"},
		{[]Layer{in, UpSampling2D{Interpolation: "bicubic"}}, `up_sampling2d_1: interpolation "bicubic" unknown`},
		{[]Layer{Conv2D{Filters: 1, KernelSize: [2]int{1, 1}}}, "the first layer must be Input, got Conv2D"},
		{[]Layer{in, in}, "Input given twice"},
		{[]Layer{in}, "no layers after Input"},
		{[]Layer{in, Flatten{Name: "a/b"}}, `layer name "a/b" is reserved`},
		{[]Layer{Input{Shape: []int{0, 3, 1}}}, "input_1: shape [0 3 1] has a dimension that is not positive"},
		{[]Layer{in, BatchNormalization{Axis: 1}}, "batch_normalization_1: axis 1 not supported"},
		{[]Layer{in, Conv2D{Filters: 1, KernelSize: [2]int{1, 1}, KernelInitializer: "orthogonal"}}, `conv2d_1: kernel_initializer "orthogonal" unknown`},
	} {
		_, err := Sequential("m", 1, c.layers...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got error %v\nwant one containing %q", err, c.want)
		}
	}
	// 'same' pooling of a 1×1 map is fine: out ceil(1/2) = 1.
	g, err := Sequential("m", 1, Input{Shape: []int{1, 1, 3}}, MaxPooling2D{Padding: "same"}, AveragePooling2D{Padding: "same"})
	if err != nil {
		t.Fatal(err)
	}
	if !g.Outputs[0].Shape.Equal(Shape{-1, 3, 1, 1}) {
		t.Fatalf("same pool of 1×1: %v", g.Outputs[0].Shape)
	}
	if p := g.Nodes[0].Attrs.Ints("pads", nil); !reflect.DeepEqual(p, []int64{0, 0, 1, 1}) {
		t.Fatalf("same pool pads %v, want the extra one at the end", p)
	}
	if g.Nodes[1].Op != "AveragePool" || g.Nodes[1].Attrs.Int("count_include_pad", 0) != 0 {
		t.Fatalf("average pool %+v", g.Nodes[1])
	}
}

func TestActivationNodes(t *testing.T) {
	g, err := Sequential("m", 1, Input{Shape: []int{2, 2, 3}}, Activation{Activation: "softmax"}, Flatten{},
		Dense{Units: 4, Activation: "softmax"}, Activation{Activation: "linear"}, Dense{Units: 2, Activation: "leaky_relu", NoBias: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range g.Nodes {
		s := n.Op
		if a, ok := n.Attrs.Get("axis"); ok {
			s += "(axis " + Shape{int(a.Int)}.String() + ")"
		}
		got = append(got, s)
	}
	// Softmax over channels: axis 1 in NCHW, -1 (printed ?) for vectors.
	want := "Softmax(axis 1) Transpose Reshape Gemm Softmax(axis ?) Identity Gemm LeakyRelu"
	if strings.Join(got, " ") != want {
		t.Fatalf("nodes\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	last := g.Nodes[len(g.Nodes)-2]
	if len(last.Inputs) != 2 || len(g.Layers[len(g.Layers)-1].Params) != 1 {
		t.Fatalf("use_bias=False: %v", last.Inputs)
	}
	if a := g.Nodes[len(g.Nodes)-1].Attrs.Float("alpha", 0); a != 0.2 {
		t.Fatalf("leaky_relu alpha %g", a)
	}
}

// TestFlattenReshapeValues runs Flatten and Reshape: Flatten lists an
// image in Keras's (h, w, c) order, and Reshape back to (h, w, c) restores
// it; UpSampling2D repeats each pixel into a block.
func TestFlattenReshapeValues(t *testing.T) {
	const H, W, C = 2, 3, 4
	x := randTensor(rand.New(rand.NewPCG(3, 4)), 2, C, H, W)
	g, err := Sequential("m", 1, Input{Shape: []int{H, W, C}}, Flatten{Name: "flat"}, Reshape{TargetShape: []int{H, W, C}},
		UpSampling2D{Size: [2]int{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(g, map[string]Shape{"input": {2, C, H, W}}, Options{NoGrad: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	flat, back := p.Value("flat"), p.Value("reshape_1")
	for n := 0; n < 2; n++ {
		for c := 0; c < C; c++ {
			for h := 0; h < H; h++ {
				for w := 0; w < W; w++ {
					v := x.Data[((n*C+c)*H+h)*W+w]
					if got := flat.Data[n*H*W*C+(h*W+w)*C+c]; got != v {
						t.Fatalf("flatten[%d][(%d,%d,%d)] = %g, want %g", n, h, w, c, got, v)
					}
					if got := back.Data[((n*C+c)*H+h)*W+w]; got != v {
						t.Fatalf("reshape back [%d,%d,%d,%d] = %g, want %g", n, c, h, w, got, v)
					}
					for dy := 0; dy < 2; dy++ {
						for dx := 0; dx < 3; dx++ {
							if got := out[0].Data[((n*C+c)*2*H+2*h+dy)*3*W+3*w+dx]; got != v {
								t.Fatalf("upsampled [%d,%d,%d,%d] = %g, want %g", n, c, 2*h+dy, 3*w+dx, got, v)
							}
						}
					}
				}
			}
		}
	}
}
