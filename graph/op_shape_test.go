package graph

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
)

// The reference cases of testdata/ops_reference.json (made by
// testdata/ops_reference.py from the ONNX backend node tests and numpy).

type refTensor struct {
	DType string    `json:"dtype"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (r *refTensor) tensor() *Tensor {
	if r.DType == "int64" {
		v := make([]int64, len(r.Data))
		for i, x := range r.Data {
			v[i] = int64(x)
		}
		return FromInts(v, r.Shape...)
	}
	v := make([]float32, len(r.Data))
	for i, x := range r.Data {
		v[i] = float32(x)
	}
	return FromData(v, r.Shape...)
}

type refCase struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Opset int    `json:"opset"`
	Attrs []struct {
		Name   string     `json:"name"`
		Kind   string     `json:"kind"`
		I      int64      `json:"i"`
		F      float32    `json:"f"`
		S      string     `json:"s"`
		Ints   []int64    `json:"ints"`
		Floats []float32  `json:"floats"`
		T      *refTensor `json:"t"`
	} `json:"attrs"`
	NodeInputs []string `json:"node_inputs"`
	Inputs     []struct {
		Name   string    `json:"name"`
		Tensor refTensor `json:"tensor"`
	} `json:"inputs"`
	Outputs []struct {
		Name   string    `json:"name"`
		Tensor refTensor `json:"tensor"`
	} `json:"outputs"`
}

var (
	refOnce  sync.Once
	refCases []refCase
	refErr   error
)

func loadReference(t *testing.T) []refCase {
	refOnce.Do(func() {
		var b []byte
		if b, refErr = os.ReadFile("testdata/ops_reference.json"); refErr != nil {
			return
		}
		var doc struct{ Cases []refCase }
		refErr = json.Unmarshal(b, &doc)
		refCases = doc.Cases
	})
	if refErr != nil {
		t.Fatal(refErr)
	}
	return refCases
}

// graph builds the one-node graph of a case: float inputs are graph inputs,
// int64 inputs constant initializers (aekit needs shapes, axes and indices
// known when it compiles). It returns the float inputs in order.
func (c *refCase) graph() (*Graph, []*Tensor) {
	g := NewGraph(c.Name)
	g.Opset = c.Opset
	var feeds []*Tensor
	for _, in := range c.Inputs {
		x := in.Tensor.tensor()
		if x.DType == Int64 {
			g.AddParam(in.Name, x, false)
			continue
		}
		g.Inputs = append(g.Inputs, ValueInfo{Name: in.Name, Shape: x.Shape})
		feeds = append(feeds, x)
	}
	n := &Node{Name: c.Name, Op: c.Op, Inputs: c.NodeInputs}
	for _, a := range c.Attrs {
		at := Attr{Name: a.Name, Int: a.I, Float: a.F, Str: a.S, Ints: a.Ints, Floats: a.Floats}
		switch a.Kind {
		case "int":
			at.Kind = AttrInt
		case "float":
			at.Kind = AttrFloat
		case "string":
			at.Kind = AttrString
		case "ints":
			at.Kind = AttrInts
		case "floats":
			at.Kind = AttrFloats
		case "tensor":
			at.Kind, at.Tensor = AttrTensor, a.T.tensor()
		}
		n.Attrs = append(n.Attrs, at)
	}
	for _, o := range c.Outputs {
		n.Outputs = append(n.Outputs, o.Name)
		g.Outputs = append(g.Outputs, ValueInfo{Name: o.Name})
	}
	g.Nodes = []*Node{n}
	return g, feeds
}

// runReference runs every reference case of the given operators and checks
// each output: int64 exactly, float32 within 1e-4 + 1e-3·|expected| (the
// tolerance of the ONNX backend test runner).
func runReference(t *testing.T, ops ...string) {
	want := map[string]bool{}
	for _, op := range ops {
		want[op] = true
	}
	seen := map[string]bool{}
	for _, c := range loadReference(t) {
		if !want[c.Op] {
			continue
		}
		seen[c.Op] = true
		t.Run(c.Name, func(t *testing.T) {
			g, feeds := c.graph()
			outs, err := Run(g, feeds...)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range c.Outputs {
				exp, got := o.Tensor.tensor(), outs[i]
				if got.DType != exp.DType || !got.Shape.Equal(exp.Shape) {
					t.Fatalf("output %d: got %v %v, want %v %v", i, got.DType, got.Shape, exp.DType, exp.Shape)
				}
				for j := range exp.Ints {
					if got.Ints[j] != exp.Ints[j] {
						t.Fatalf("output %d element %d: got %d, want %d", i, j, got.Ints[j], exp.Ints[j])
					}
				}
				for j, w := range exp.Data {
					if d := math.Abs(float64(got.Data[j] - w)); !(d <= 1e-4+1e-3*math.Abs(float64(w))) {
						t.Fatalf("output %d element %d: got %g, want %g", i, j, got.Data[j], w)
					}
				}
			}
		})
	}
	for _, op := range ops {
		if !seen[op] {
			t.Errorf("no reference case for %s", op)
		}
	}
}

func TestShapeReference(t *testing.T) {
	runReference(t, "Identity", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Shape", "Cast", "Constant",
		"ConstantOfShape", "Transpose", "Slice", "Expand", "Tile", "Gather", "Concat", "Pad")
}

// opInput is one input of a test node: a graph input (fed), a trainable
// parameter, or a constant.
type opInput struct {
	t     *Tensor
	kind  int
	empty bool // an omitted optional input
}

const (
	inFed = iota
	inParam
	inConst
)

func opFeed(t *Tensor) opInput    { return opInput{t: t, kind: inFed} }
func opParam(t *Tensor) opInput   { return opInput{t: t, kind: inParam} }
func opConst(t *Tensor) opInput   { return opInput{t: t, kind: inConst} }
func opInts(v ...int64) opInput   { return opInput{t: FromInts(v, len(v)), kind: inConst} }
func opScalarInt(v int64) opInput { return opInput{t: FromInts([]int64{v}), kind: inConst} }
func opOmitted() opInput          { return opInput{empty: true} }

// opGraph builds a graph of one node applying op at opset to the inputs.
// It returns the graph and the tensors to feed.
func opGraph(op string, opset int, attrs Attrs, ins ...opInput) (*Graph, []*Tensor) {
	g := NewGraph(op)
	g.Opset = opset
	n := &Node{Name: op + "_node", Op: op, Outputs: []string{"y"}, Attrs: attrs}
	var feeds []*Tensor
	for i, x := range ins {
		name := "in" + string(rune('0'+i))
		switch {
		case x.empty:
			name = ""
		case x.kind == inFed:
			g.Inputs = append(g.Inputs, ValueInfo{Name: name, Shape: x.t.Shape})
			feeds = append(feeds, x.t)
		default:
			g.AddParam(name, x.t, x.kind == inParam)
		}
		n.Inputs = append(n.Inputs, name)
	}
	g.Nodes = []*Node{n}
	g.Outputs = []ValueInfo{{Name: "y"}}
	return g, feeds
}

// checkOpGradients runs CheckGradients on a one-node graph, probing every
// element.
func checkOpGradients(t *testing.T, name, op string, opset int, attrs Attrs, ins ...opInput) {
	t.Helper()
	g, feeds := opGraph(op, opset, attrs, ins...)
	if err := CheckGradients(g, feeds, GradCheck{Eps: 1e-3, MaxPerTensor: -1, Seed: 3}); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

func TestShapeGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	r := func(s ...int) *Tensor { return randTensor(rng, s...) }
	checkOpGradients(t, "Identity", "Identity", 13, nil, opFeed(r(2, 3)))
	checkOpGradients(t, "Flatten axis 2", "Flatten", 13, Attrs{IntAttr("axis", 2)}, opFeed(r(2, 3, 4)))
	checkOpGradients(t, "Reshape", "Reshape", 14, nil, opParam(r(2, 3, 4)), opInts(0, -1, 2))
	checkOpGradients(t, "Squeeze", "Squeeze", 13, nil, opFeed(r(2, 1, 3, 1)), opInts(1, -1))
	checkOpGradients(t, "Unsqueeze opset 11", "Unsqueeze", 11, Attrs{IntsAttr("axes", 0, 3)}, opFeed(r(2, 3)))
	checkOpGradients(t, "Transpose", "Transpose", 13, Attrs{IntsAttr("perm", 0, 2, 3, 1)}, opFeed(r(2, 3, 4, 5)))
	checkOpGradients(t, "Transpose default", "Transpose", 13, nil, opParam(r(3, 1, 4)))
	checkOpGradients(t, "Gather axis 1 repeated", "Gather", 13, Attrs{IntAttr("axis", 1)},
		opFeed(r(2, 4, 3)), opConst(FromInts([]int64{3, -1, 0, 1}, 2, 2)))
	checkOpGradients(t, "Gather scalar index", "Gather", 13, nil, opParam(r(5, 2)), opScalarInt(-2))
	checkOpGradients(t, "Slice negative steps", "Slice", 13, nil, opFeed(r(4, 6, 5)),
		opInts(100, -1), opInts(-100, 0), opInts(1, 2), opInts(-2, -1))
	checkOpGradients(t, "Slice opset 1", "Slice", 1, Attrs{IntsAttr("starts", 1), IntsAttr("ends", 3)}, opFeed(r(4, 2)))
	checkOpGradients(t, "Concat", "Concat", 13, Attrs{IntAttr("axis", 1)}, opFeed(r(2, 3, 2)), opParam(r(2, 1, 2)), opFeed(r(2, 4, 2)))
	checkOpGradients(t, "Tile", "Tile", 13, nil, opFeed(r(2, 1, 3)), opInts(2, 3, 2))
	checkOpGradients(t, "Tile zero repeats", "Tile", 13, nil, opFeed(r(2, 3)), opInts(0, 2))
	checkOpGradients(t, "Expand", "Expand", 13, nil, opParam(r(3, 1)), opInts(2, 3, 4))
	checkOpGradients(t, "Squeeze empty axes", "Squeeze", 13, nil, opFeed(r(1, 3, 1)), opConst(FromInts(nil, 0)))
	for _, mode := range []string{"constant", "reflect", "edge", "wrap"} {
		checkOpGradients(t, "Pad "+mode, "Pad", 19, Attrs{StringAttr("mode", mode)},
			opFeed(r(2, 3, 4)), opInts(0, 2, 3, 0, 1, 4))
	}
	checkOpGradients(t, "Pad crop", "Pad", 13, nil, opFeed(r(2, 3, 4)), opInts(0, -1, 1, 0, 0, -2))
}

// TestShapeArithmeticChain runs the shape arithmetic a converter emits for a
// dynamic Flatten: Shape → Gather → Unsqueeze → Concat → Reshape.
func TestShapeArithmeticChain(t *testing.T) {
	g := NewGraph("chain")
	g.Inputs = []ValueInfo{{Name: "x", Shape: Shape{-1, 2, 3, 4}}}
	g.AddParam("zero", FromInts([]int64{0}), false)
	g.AddParam("ax0", FromInts([]int64{0}, 1), false)
	g.AddParam("minus1", FromInts([]int64{-1}, 1), false)
	g.Nodes = []*Node{
		{Name: "shape", Op: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
		{Name: "gather", Op: "Gather", Inputs: []string{"s", "zero"}, Outputs: []string{"n"}},
		{Name: "unsq", Op: "Unsqueeze", Inputs: []string{"n", "ax0"}, Outputs: []string{"n1"}},
		{Name: "cat", Op: "Concat", Inputs: []string{"n1", "minus1"}, Outputs: []string{"shape"}, Attrs: Attrs{IntAttr("axis", 0)}},
		{Name: "reshape", Op: "Reshape", Inputs: []string{"x", "shape"}, Outputs: []string{"y"}},
	}
	g.Outputs = []ValueInfo{{Name: "y"}}
	x := randTensor(rand.New(rand.NewPCG(1, 2)), 5, 2, 3, 4)
	outs, err := Run(g, x)
	if err != nil {
		t.Fatal(err)
	}
	if !outs[0].Shape.Equal(Shape{5, 24}) {
		t.Fatalf("shape %v, want 5×24", outs[0].Shape)
	}
	for i, v := range x.Data {
		if outs[0].Data[i] != v {
			t.Fatalf("element %d: %g, want %g", i, outs[0].Data[i], v)
		}
	}
	// The gradient flows through Reshape; the Shape branch, which reads
	// only x's shape, is folded even though x needs a gradient.
	if err := CheckGradients(g, []*Tensor{x}, GradCheck{Eps: 1e-3}); err != nil {
		t.Fatal(err)
	}
}

func TestShapeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randTensor(rng, 2, 3)
	for _, c := range []struct {
		name, op string
		opset    int
		attrs    Attrs
		ins      []opInput
		want     string
	}{
		{"reshape size", "Reshape", 13, nil, []opInput{opFeed(x), opInts(4, 2)}, "cannot reshape"},
		{"reshape two -1", "Reshape", 13, nil, []opInput{opFeed(x), opInts(-1, -1)}, "more than one -1"},
		{"reshape not constant", "Reshape", 13, nil, []opInput{opFeed(x), opFeed(FromData([]float32{6}, 1))}, "must be a constant"},
		{"squeeze non-unit", "Squeeze", 13, nil, []opInput{opFeed(x), opInts(1)}, "not 1"},
		{"unsqueeze repeated", "Unsqueeze", 13, nil, []opInput{opFeed(x), opInts(0, -4)}, "repeat"},
		{"transpose perm", "Transpose", 13, Attrs{IntsAttr("perm", 0, 0)}, []opInput{opFeed(x)}, "not a permutation"},
		{"gather range", "Gather", 13, nil, []opInput{opFeed(x), opInts(2)}, "out of range"},
		{"slice step 0", "Slice", 13, nil, []opInput{opFeed(x), opInts(0), opInts(1), opInts(0), opInts(0)}, "step 0"},
		{"concat dims", "Concat", 13, Attrs{IntAttr("axis", 0)}, []opInput{opFeed(x), opFeed(randTensor(rng, 2, 2))}, "differs"},
		{"expand", "Expand", 13, nil, []opInput{opFeed(x), opInts(4, 3)}, "does not broadcast"},
		{"pad mode", "Pad", 13, Attrs{StringAttr("mode", "mirror")}, []opInput{opFeed(x), opInts(0, 0, 0, 0)}, "mode=mirror"},
		{"cast double", "Cast", 13, Attrs{IntAttr("to", 11)}, []opInput{opFeed(x)}, "to=11 not supported"},
		{"constant sparse", "Constant", 13, Attrs{{Name: "sparse_value", Kind: AttrTensor}}, nil, "attribute=sparse_value"},
	} {
		g, _ := opGraph(c.op, c.opset, c.attrs, c.ins...)
		shapes := map[string]Shape{}
		for _, vi := range g.Inputs {
			shapes[vi.Name] = vi.Shape
		}
		_, err := Compile(g, shapes, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.op) {
			t.Errorf("%s: got %v, want an error naming %s and containing %q", c.name, err, c.op, c.want)
		}
		var ni *NotImplementedError
		if strings.Contains(c.want, "not supported") && !errors.As(err, &ni) {
			t.Errorf("%s: %v is not a NotImplementedError", c.name, err)
		}
	}
}

func TestShapeOutputShapes(t *testing.T) {
	x := New(1, 3, 1)
	for _, c := range []struct {
		name, op string
		attrs    Attrs
		ins      []opInput
		want     Shape
	}{
		{"squeeze empty axes", "Squeeze", nil, []opInput{opFeed(x), opConst(FromInts(nil, 0))}, Shape{3}},
		{"squeeze absent axes", "Squeeze", nil, []opInput{opFeed(x)}, Shape{3}},
		{"tile zero", "Tile", nil, []opInput{opFeed(x), opInts(0, 2, 1)}, Shape{0, 6, 1}},
		{"flatten axis 0", "Flatten", Attrs{IntAttr("axis", 0)}, []opInput{opFeed(x)}, Shape{1, 3}},
		{"unsqueeze negative", "Unsqueeze", nil, []opInput{opFeed(x), opInts(-1)}, Shape{1, 3, 1, 1}},
		{"slice empty", "Slice", nil, []opInput{opFeed(x), opInts(2), opInts(1), opInts(1)}, Shape{1, 0, 1}},
		{"pad crop to zero", "Pad", nil, []opInput{opFeed(x), opInts(0, -2, 0, 0, -1, 0)}, Shape{1, 0, 1}},
		{"reshape allowzero", "Reshape", Attrs{IntAttr("allowzero", 1)}, []opInput{opFeed(New(0, 3)), opInts(3, 0)}, Shape{3, 0}},
	} {
		g, feeds := opGraph(c.op, 14, c.attrs, c.ins...)
		outs, err := Run(g, feeds...)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !outs[0].Shape.Equal(c.want) {
			t.Errorf("%s: shape %v, want %v", c.name, outs[0].Shape, c.want)
		}
	}
}
