package graph

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestActivationONNXCases(t *testing.T) {
	runOpCases(t, "Relu", "Sigmoid", "LeakyRelu", "Tanh", "Elu", "Softmax", "Clip")
}

// awayFromKinks returns a random tensor whose elements keep at least 0.05 from
// each of the given points (kinks of the function under test), so central
// differences of step 1e-2 never straddle one.
func awayFromKinks(rng *rand.Rand, shape Shape, points ...float32) *Tensor {
	t := randTensor(rng, shape...)
	for i, v := range t.Data {
		for _, p := range points {
			if d := v - p; d > -0.05 && d < 0.05 {
				t.Data[i] = p + 0.1
			}
		}
	}
	return t
}

func TestActivationFamilyGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	x := Shape{2, 3, 5, 5}
	scalar := func(name string, v float32) extraIn { return extraIn{name: name, t: FromData([]float32{v})} }
	cases := []struct {
		name  string
		op    string
		opset int
		attrs Attrs
		x     Shape
		kinks []float32
		in    []extraIn
	}{
		{"LeakyRelu", "LeakyRelu", 13, nil, x, []float32{0}, nil},
		{"LeakyRelu_alpha", "LeakyRelu", 13, Attrs{FloatAttr("alpha", 0.3)}, x, []float32{0}, nil},
		{"Tanh", "Tanh", 13, nil, x, nil, nil},
		{"Elu", "Elu", 13, Attrs{FloatAttr("alpha", 0.7)}, x, []float32{0}, nil},
		{"Softmax_last", "Softmax", 13, nil, Shape{2, 3, 5}, nil, nil},
		{"Softmax_axis1_inner", "Softmax", 13, Attrs{IntAttr("axis", 1)}, Shape{2, 4, 3, 3}, nil, nil},
		{"Softmax_opset11_coerced", "Softmax", 11, nil, Shape{2, 3, 4}, nil, nil},
		{"Clip_inputs", "Clip", 13, nil, x, []float32{-0.5, 0.7}, []extraIn{scalar("lo", -0.5), scalar("hi", 0.7)}},
		{"Clip_max_only", "Clip", 13, nil, x, []float32{0.3}, []extraIn{{}, scalar("hi", 0.3)}},
		{"Clip_opset6", "Clip", 6, Attrs{FloatAttr("min", 0), FloatAttr("max", 6)}, x, []float32{0, 6}, nil},
	}
	for _, c := range cases {
		g := oneOpGraph(c.op, c.opset, c.attrs, c.x, c.in...)
		if err := CheckGradients(g, []*Tensor{awayFromKinks(rng, c.x, c.kinks...)}, GradCheck{MaxPerTensor: -1}); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// Clip passes the gradient at its bounds (clip_by_value, clamp).
func TestClipGradientAtBounds(t *testing.T) {
	g := oneOpGraph("Clip", 6, Attrs{FloatAttr("min", 0), FloatAttr("max", 1)}, Shape{4})
	p, err := Compile(g, nil, Options{InputGrads: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Forward(FromData([]float32{-1, 0, 1, 2}, 4)); err != nil {
		t.Fatal(err)
	}
	if err := p.Backward(FromData([]float32{1, 2, 3, 4}, 4)); err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 2, 3, 0}
	for i, v := range p.Grad("x").Data {
		if v != want[i] {
			t.Fatalf("gradient %v, want %v", p.Grad("x").Data, want)
		}
	}
}

func TestActivationFamilyErrors(t *testing.T) {
	cases := []struct {
		name, op string
		attrs    Attrs
		in       []extraIn
		want     string
	}{
		{"clip bound not constant", "Clip", nil, []extraIn{{name: "lo", t: FromData([]float32{0}), trainable: true}}, `input 1 ("lo") must be a constant`},
		{"clip bound not scalar", "Clip", nil, []extraIn{{name: "lo", t: New(2)}}, "want a scalar"},
		{"softmax axis", "Softmax", Attrs{IntAttr("axis", 4)}, nil, "axis 4 out of range"},
	}
	for _, c := range cases {
		g := oneOpGraph(c.op, 13, c.attrs, Shape{2, 3, 4, 5}, c.in...)
		if _, err := Compile(g, nil, Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}
