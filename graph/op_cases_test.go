package graph

import (
	"compress/gzip"
	"encoding/base64"
	bin "encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
)

// Forward reference cases for the pooling, resize, activation and
// normalisation operators, stored in testdata/op_cases.json.gz by
// testdata/make_op_cases.py: the ONNX backend node tests of Debian's
// libonnx-testdata (onnx 1.12) for those operators, named as there
// (test_maxpool_2d_ceil …), plus NumPy-computed cases named aekit_….

type caseTensor struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Data  string `json:"data"`
}

type caseAttr struct {
	Name   string    `json:"name"`
	Kind   string    `json:"kind"`
	F      float32   `json:"f"`
	I      int64     `json:"i"`
	S      string    `json:"s"`
	Floats []float32 `json:"floats"`
	Ints   []int64   `json:"ints"`
}

type opCase struct {
	Name    string       `json:"name"`
	Source  string       `json:"source"`
	Op      string       `json:"op"`
	Opset   int          `json:"opset"`
	Attrs   []caseAttr   `json:"attrs"`
	Inputs  []caseTensor `json:"inputs"`
	Outputs []caseTensor `json:"outputs"`
}

type opCaseFile struct {
	Cases   []opCase `json:"cases"`
	Skipped []struct {
		Name   string `json:"name"`
		Reason string `json:"reason"`
	} `json:"skipped"`
}

var loadOpCases = sync.OnceValues(func() (*opCaseFile, error) {
	f, err := os.Open("testdata/op_cases.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var doc opCaseFile
	if err := json.NewDecoder(z).Decode(&doc); err != nil {
		return nil, fmt.Errorf("testdata/op_cases.json.gz: %w", err)
	}
	return &doc, nil
})

func (c caseTensor) tensor() (*Tensor, error) {
	raw, err := base64.StdEncoding.DecodeString(c.Data)
	if err != nil {
		return nil, err
	}
	n := Shape(c.Shape).Size()
	switch c.DType {
	case "float32":
		if len(raw) != 4*n {
			return nil, fmt.Errorf("%q: %d bytes for %v", c.Name, len(raw), c.Shape)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(bin.LittleEndian.Uint32(raw[4*i:]))
		}
		return FromData(v, c.Shape...), nil
	case "int64":
		if len(raw) != 8*n {
			return nil, fmt.Errorf("%q: %d bytes for %v", c.Name, len(raw), c.Shape)
		}
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(bin.LittleEndian.Uint64(raw[8*i:]))
		}
		return FromInts(v, c.Shape...), nil
	}
	return nil, fmt.Errorf("%q: dtype %q", c.Name, c.DType)
}

func (a caseAttr) attr() Attr {
	switch a.Kind {
	case "float":
		return FloatAttr(a.Name, a.F)
	case "int":
		return IntAttr(a.Name, a.I)
	case "string":
		return StringAttr(a.Name, a.S)
	case "floats":
		return FloatsAttr(a.Name, a.Floats...)
	default:
		return IntsAttr(a.Name, a.Ints...)
	}
}

// graph builds the case's one-node graph: input 0 is the graph input, the
// other inputs are constant initializers (ONNX Runtime also needs scales,
// sizes, min, max and ratio to be known; the node tests feed them as
// inputs only because the test format has no other way).
func (c opCase) graph() (*Graph, *Tensor, error) {
	g := NewGraph(c.Name)
	g.Opset = c.Opset
	n := &Node{Name: c.Name, Op: c.Op}
	var x *Tensor
	for i, in := range c.Inputs {
		n.Inputs = append(n.Inputs, in.Name)
		if in.Name == "" {
			continue
		}
		t, err := in.tensor()
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			x = t
			g.Inputs = []ValueInfo{{Name: in.Name, Shape: t.Shape.Clone()}}
		} else {
			g.AddParam(in.Name, t, false)
		}
	}
	for _, a := range c.Attrs {
		n.Attrs = append(n.Attrs, a.attr())
	}
	for _, o := range c.Outputs {
		n.Outputs = append(n.Outputs, o.Name)
		g.Outputs = append(g.Outputs, ValueInfo{Name: o.Name})
	}
	g.Nodes = []*Node{n}
	return g, x, nil
}

// opCaseNotImplemented lists the stored cases aekit refuses on purpose,
// with the text the NotImplementedError must carry.
var opCaseNotImplemented = map[string]string{
	"test_resize_downsample_scales_cubic":                        "mode=cubic",
	"test_resize_downsample_scales_cubic_A_n0p5_exclude_outside": "mode=cubic",
	"test_resize_downsample_scales_cubic_align_corners":          "mode=cubic",
	"test_resize_downsample_sizes_cubic":                         "mode=cubic",
	"test_resize_upsample_scales_cubic":                          "mode=cubic",
	"test_resize_upsample_scales_cubic_A_n0p5_exclude_outside":   "mode=cubic",
	"test_resize_upsample_scales_cubic_align_corners":            "mode=cubic",
	"test_resize_upsample_scales_cubic_asymmetric":               "mode=cubic",
	"test_resize_upsample_sizes_cubic":                           "mode=cubic",
	"test_resize_tf_crop_and_resize":                             "coordinate_transformation_mode=tf_crop_and_resize",
	"test_dropout_default_mask":                                  "output mask",
	"test_dropout_default_mask_ratio":                            "output mask",
	"test_training_dropout_default_mask":                         "output mask",
	"test_training_dropout_mask":                                 "output mask",
	"test_training_dropout_zero_ratio_mask":                      "output mask",
}

// opCaseRandom lists the stored cases whose expected output is one random
// draw (Dropout in training): they are checked for the property instead,
// every element either 0 or x/(1−ratio).
var opCaseRandom = map[string]bool{
	"test_training_dropout":         true,
	"test_training_dropout_default": true,
}

// runOpCases runs every stored case of the given operators and compares
// each output with |got − want| ≤ 1e-4 + 1e-3·|want| (int64 outputs
// exactly). It returns the number of cases run.
func runOpCases(t *testing.T, ops ...string) int {
	t.Helper()
	doc, err := loadOpCases()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, op := range ops {
		want[op] = true
	}
	ran := 0
	for _, c := range doc.Cases {
		if !want[c.Op] {
			continue
		}
		ran++
		t.Run(c.Name, func(t *testing.T) { runOpCase(t, c) })
	}
	for _, s := range doc.Skipped {
		for _, op := range ops {
			if strings.Contains(strings.ToLower(s.Name), strings.ToLower(op)) {
				t.Logf("not stored: %s: %s", s.Name, s.Reason)
			}
		}
	}
	if ran == 0 {
		t.Fatalf("no stored cases for %v", ops)
	}
	return ran
}

func runOpCase(t *testing.T, c opCase) {
	g, x, err := c.graph()
	if err != nil {
		t.Fatal(err)
	}
	outs, err := Run(g, x)
	if sub, ok := opCaseNotImplemented[c.Name]; ok {
		var ni *NotImplementedError
		if !errors.As(err, &ni) || !strings.Contains(err.Error(), sub) {
			t.Fatalf("want a NotImplementedError with %q, got %v", sub, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if opCaseRandom[c.Name] {
		checkDropoutDraw(t, c, x, outs[0])
		return
	}
	for j, w := range c.Outputs {
		wt, err := w.tensor()
		if err != nil {
			t.Fatal(err)
		}
		got := outs[j]
		if !got.Shape.Equal(wt.Shape) {
			t.Fatalf("output %q: shape %v, want %v", w.Name, got.Shape, wt.Shape)
		}
		if wt.DType == Int64 {
			for i, v := range wt.Ints {
				if got.DType != Int64 || got.Ints[i] != v {
					t.Fatalf("output %q element %d: got %v, want %d", w.Name, i, got.Int64s()[i], v)
				}
			}
			continue
		}
		for i, v := range wt.Data {
			if d := math.Abs(float64(got.Data[i] - v)); d > 1e-4+1e-3*math.Abs(float64(v)) || math.IsNaN(float64(got.Data[i])) {
				t.Fatalf("output %q element %d of %v: got %g, want %g", w.Name, i, wt.Shape, got.Data[i], v)
			}
		}
	}
}

func checkDropoutDraw(t *testing.T, c opCase, x, y *Tensor) {
	r, err := c.Inputs[1].tensor()
	if err != nil {
		t.Fatal(err)
	}
	ratio := r.Data[0]
	scale := 1 / (1 - ratio)
	zeros := 0
	for i, v := range y.Data {
		if v == 0 {
			zeros++
			continue
		}
		if w := x.Data[i] * scale; math.Abs(float64(v-w)) > 1e-5*math.Abs(float64(w)) {
			t.Fatalf("element %d: got %g, want 0 or %g", i, v, w)
		}
	}
	if frac := float64(zeros) / float64(len(y.Data)); math.Abs(frac-float64(ratio)) > 0.25 {
		t.Errorf("dropped %.2f of %d elements, ratio %g", frac, len(y.Data), ratio)
	}
}

// extraIn is one extra input of a test node: a trainable parameter, a
// constant, or an omitted input (nil tensor).
type extraIn struct {
	name      string
	t         *Tensor
	trainable bool
}

// oneOpGraph builds a one-node graph applying op to the input "x" of shape
// xShape and to the extra inputs, for gradient checks.
func oneOpGraph(op string, opset int, attrs Attrs, xShape Shape, extra ...extraIn) *Graph {
	g := NewGraph(op)
	g.Opset = opset
	g.Inputs = []ValueInfo{{Name: "x", Shape: xShape}}
	n := &Node{Name: op + "_1", Op: op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: attrs}
	for _, e := range extra {
		if e.t == nil {
			n.Inputs = append(n.Inputs, "")
			continue
		}
		g.AddParam(e.name, e.t, e.trainable)
		n.Inputs = append(n.Inputs, e.name)
	}
	g.Nodes = []*Node{n}
	g.Outputs = []ValueInfo{{Name: "y"}}
	return g
}
