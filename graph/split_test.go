package graph

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func layerNames(g *Graph) string {
	var names []string
	for _, l := range g.Layers {
		names = append(names, l.Name)
	}
	return strings.Join(names, " ")
}

func TestSplitSeedAtBottleneck(t *testing.T) {
	g := buildSeed(t, 1)
	at, err := Bottleneck(g)
	if err != nil {
		t.Fatal(err)
	}
	// 7·7·2 = 98, tied with conv2d_3 and activation_3: the first wins.
	if at != "max_pooling2d_2" {
		t.Fatalf("bottleneck %q, want max_pooling2d_2", at)
	}
	enc, dec, err := Split(g, "")
	if err != nil {
		t.Fatal(err)
	}
	want := ValueInfo{Name: "max_pooling2d_2", Shape: Shape{-1, 2, 7, 7}}
	if !reflect.DeepEqual(enc.Outputs, []ValueInfo{want}) || !reflect.DeepEqual(dec.Inputs, []ValueInfo{want}) {
		t.Fatalf("encoder outputs %v, decoder inputs %v; want %v", enc.Outputs, dec.Inputs, want)
	}
	if !reflect.DeepEqual(enc.Inputs, g.Inputs) || !reflect.DeepEqual(dec.Outputs, g.Outputs) {
		t.Fatalf("encoder inputs %v, decoder outputs %v", enc.Inputs, dec.Outputs)
	}
	if got := layerNames(enc); got != "input_1 conv2d_1 activation_1 max_pooling2d_1 conv2d_2 activation_2 max_pooling2d_2" {
		t.Fatalf("encoder layers %s", got)
	}
	if got := layerNames(dec); got != "conv2d_3_input conv2d_3 activation_3 up_sampling2d_1 conv2d_4 activation_4 up_sampling2d_2 conv2d_5 activation_5" {
		t.Fatalf("decoder layers %s", got)
	}
	if got := enc.TrainableNames(); !reflect.DeepEqual(got, []string{"conv2d_1.kernel", "conv2d_1.bias", "conv2d_2.kernel", "conv2d_2.bias"}) {
		t.Fatalf("encoder weights %v", got)
	}
	if tr, _ := dec.ParamCount(); tr != 38+304+145 {
		t.Fatalf("decoder trainable params %d", tr)
	}
	if !strings.Contains(Summary(enc), "Total params: 450\n") || !strings.Contains(Summary(dec), "conv2d_3_input (InputLayer)  (None, 7, 7, 2)           0         \n") {
		t.Fatalf("summaries:\n%s\n%s", Summary(enc), Summary(dec))
	}
	// The halves own copies of the weights.
	enc.Params["conv2d_1.kernel"].Data[0] += 1
	if g.Params["conv2d_1.kernel"].Data[0] == enc.Params["conv2d_1.kernel"].Data[0] {
		t.Fatal("encoder shares its weights with the model")
	}
}

func TestSplitComposesToModel(t *testing.T) {
	g := buildSeed(t, 3)
	enc, dec, err := Split(g, "max_pooling2d_2")
	if err != nil {
		t.Fatal(err)
	}
	x := randTensor(rand.New(rand.NewPCG(1, 2)), 3, 1, 28, 28)
	full, err := Run(g, x)
	if err != nil {
		t.Fatal(err)
	}
	code, err := Run(enc, x)
	if err != nil {
		t.Fatal(err)
	}
	if !code[0].Shape.Equal(Shape{3, 2, 7, 7}) {
		t.Fatalf("code shape %v, want [N, 2, 7, 7]", code[0].Shape)
	}
	out, err := Run(dec, code[0])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out[0].Data, full[0].Data) {
		t.Fatal("decoder(encoder(x)) differs from the model's output")
	}
}

func TestSplitAtNodeLayerValue(t *testing.T) {
	g := buildSeed(t, 1)
	for _, at := range []string{"conv2d_3", "conv2d_3/Conv"} {
		enc, dec, err := Split(g, at)
		if err != nil {
			t.Fatal(err)
		}
		if enc.Outputs[0].Name != "conv2d_3" || !enc.Outputs[0].Shape.Equal(Shape{-1, 2, 7, 7}) || dec.Inputs[0].Name != "conv2d_3" {
			t.Fatalf("at %q: %v / %v", at, enc.Outputs, dec.Inputs)
		}
		if !strings.HasSuffix(layerNames(enc), "max_pooling2d_2 conv2d_3") || !strings.HasPrefix(layerNames(dec), "activation_3_input activation_3 ") {
			t.Fatalf("at %q: layers %s | %s", at, layerNames(enc), layerNames(dec))
		}
	}
	for _, c := range []struct{ at, want string }{
		{"nope", `no value, node or layer is named "nope"; layers: input_1, conv2d_1,`},
		{"input", "that is the graph input"},
		{"input_1", "that is the graph input"},
		{"output", "that is the graph output"},
		{"conv2d_1.kernel", "does not depend on the input"},
	} {
		if _, _, err := Split(g, c.at); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Split at %q: %v, want %q", c.at, err, c.want)
		}
	}
}

func TestSplitDCECAtEmbedding(t *testing.T) {
	g := buildDCEC(t)
	enc, dec, err := Split(g, "")
	if err != nil {
		t.Fatal(err)
	}
	if enc.Outputs[0].Name != "embedding" || !enc.Outputs[0].Shape.Equal(Shape{-1, 10}) || dec.Inputs[0].Name != "embedding" {
		t.Fatalf("DCEC cut %v / %v, want the 10-d embedding", enc.Outputs, dec.Inputs)
	}
}

// TestSplitForeignNames splits a graph without layer records whose names
// are TensorFlow's, at a node name.
func TestSplitForeignNames(t *testing.T) {
	g := buildSeed(t, 1)
	g.Layers = nil
	rename := map[string]string{}
	for i, n := range g.Nodes {
		n.Name = "model/" + strings.ReplaceAll(n.Name, "/", "_") + "/" + n.Op
		for j, o := range n.Outputs {
			if o != "output" {
				rename[o] = "model/" + strings.ReplaceAll(o, "/", "_") + "/" + n.Op + ":0"
				n.Outputs[j] = rename[o]
			}
		}
		g.Nodes[i] = n
	}
	for _, n := range g.Nodes {
		for j, in := range n.Inputs {
			if r, ok := rename[in]; ok {
				n.Inputs[j] = r
			}
		}
	}
	enc, dec, err := Split(g, "model/max_pooling2d_2_MaxPool/MaxPool")
	if err != nil {
		t.Fatal(err)
	}
	if enc.Outputs[0].Name != "model/max_pooling2d_2/MaxPool:0" || enc.Layers != nil || len(dec.Nodes) != 8 {
		t.Fatalf("encoder output %v, %d decoder nodes", enc.Outputs, len(dec.Nodes))
	}
	if at, err := Bottleneck(g); err != nil || at != "model/max_pooling2d_2/MaxPool:0" {
		t.Fatalf("bottleneck %q %v", at, err)
	}
}

// TestSplitRefusesSkipConnection: a value computed before the cut and read
// after it (a U-Net style skip) makes the cut invalid; Bottleneck passes
// over such values.
func TestSplitRefusesSkipConnection(t *testing.T) {
	g := NewGraph("skip")
	g.Inputs = []ValueInfo{{Name: "x", Shape: Shape{-1, 8}}}
	g.AddParam("w1", New(8, 2), true)
	g.AddParam("w2", New(2, 8), true)
	g.Nodes = []*Node{
		{Name: "a", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"a"}},
		{Name: "down", Op: "MatMul", Inputs: []string{"a", "w1"}, Outputs: []string{"code"}},
		{Name: "up", Op: "MatMul", Inputs: []string{"code", "w2"}, Outputs: []string{"b"}},
		{Name: "skip", Op: "Add", Inputs: []string{"a", "b"}, Outputs: []string{"y"}},
	}
	g.Outputs = []ValueInfo{{Name: "y", Shape: Shape{-1, 8}}}
	if _, _, err := Split(g, "code"); err == nil || !strings.Contains(err.Error(), `node "skip" (Add) after the cut reads "a", which is computed before it`) {
		t.Fatalf("skip connection: %v", err)
	}
	// Only "a" separates x from y.
	if at, err := Bottleneck(g); err != nil || at != "a" {
		t.Fatalf("bottleneck %q, %v; want a", at, err)
	}
}
