package graph

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestResizeONNXCases(t *testing.T) {
	runOpCases(t, "Resize", "Upsample")
}

func scalesIn(v ...float32) extraIn { return extraIn{name: "scales", t: FromData(v, len(v))} }

func sizesIn(v ...int64) extraIn { return extraIn{name: "sizes", t: FromInts(v, len(v))} }

var noInput = extraIn{}

func TestResizeGradients(t *testing.T) {
	str := StringAttr
	cases := []struct {
		name  string
		x     Shape
		attrs Attrs
		in    []extraIn
	}{
		{"nearest_asymmetric_floor_2x", Shape{2, 3, 4, 5}, Attrs{str("coordinate_transformation_mode", "asymmetric"), str("nearest_mode", "floor")}, []extraIn{noInput, scalesIn(1, 1, 2, 2)}},
		{"nearest_tf_half_pixel_3x2", Shape{1, 2, 3, 4}, Attrs{str("coordinate_transformation_mode", "tf_half_pixel_for_nn")}, []extraIn{noInput, scalesIn(1, 1, 3, 2)}},
		{"nearest_half_pixel_nonint", Shape{2, 2, 5, 4}, nil, []extraIn{noInput, scalesIn(1, 1, 1.7, 2.3)}},
		{"nearest_align_corners_down", Shape{1, 2, 7, 6}, Attrs{str("coordinate_transformation_mode", "align_corners"), str("nearest_mode", "round_prefer_ceil")}, []extraIn{noInput, scalesIn(1, 1, 0.6, 0.8)}},
		{"nearest_pytorch_ceil_sizes", Shape{1, 2, 4, 5}, Attrs{str("coordinate_transformation_mode", "pytorch_half_pixel"), str("nearest_mode", "ceil")}, []extraIn{noInput, {name: "scales", t: New(0)}, sizesIn(1, 2, 5, 9)}},
		{"nearest_3d", Shape{1, 1, 2, 3, 4}, nil, []extraIn{noInput, noInput, sizesIn(1, 1, 3, 5, 7)}},
		{"linear_half_pixel_nonint", Shape{2, 2, 4, 5}, Attrs{str("mode", "linear")}, []extraIn{noInput, scalesIn(1, 1, 1.6, 2.5)}},
		{"linear_asymmetric_2x", Shape{1, 3, 4, 5}, Attrs{str("mode", "linear"), str("coordinate_transformation_mode", "asymmetric")}, []extraIn{noInput, scalesIn(1, 1, 2, 2)}},
		{"linear_align_corners_sizes", Shape{1, 2, 4, 5}, Attrs{str("mode", "linear"), str("coordinate_transformation_mode", "align_corners")}, []extraIn{noInput, noInput, sizesIn(1, 2, 7, 3)}},
		{"linear_pytorch_down", Shape{1, 2, 7, 9}, Attrs{str("mode", "linear"), str("coordinate_transformation_mode", "pytorch_half_pixel")}, []extraIn{noInput, scalesIn(1, 1, 0.6, 0.5)}},
		{"linear_1d", Shape{2, 3, 5}, Attrs{str("mode", "linear")}, []extraIn{noInput, scalesIn(1, 1, 1.5)}},
		{"linear_3d", Shape{1, 2, 3, 4, 3}, Attrs{str("mode", "linear"), str("coordinate_transformation_mode", "align_corners")}, []extraIn{noInput, noInput, sizesIn(1, 2, 4, 6, 5)}},
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range cases {
		g := oneOpGraph("Resize", 13, c.attrs, c.x, c.in...)
		x := randTensor(rng, c.x...)
		if err := CheckGradients(g, []*Tensor{x}, GradCheck{MaxPerTensor: -1}); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Upsample-7 (scales attribute) and Upsample-9 (scales input).
	g := oneOpGraph("Upsample", 7, Attrs{FloatsAttr("scales", 1, 1, 2, 3)}, Shape{1, 2, 3, 4})
	if err := CheckGradients(g, []*Tensor{randTensor(rng, 1, 2, 3, 4)}, GradCheck{MaxPerTensor: -1}); err != nil {
		t.Errorf("Upsample-7: %v", err)
	}
	g = oneOpGraph("Upsample", 9, Attrs{StringAttr("mode", "linear")}, Shape{1, 2, 3, 4}, scalesIn(1, 1, 2, 2))
	if err := CheckGradients(g, []*Tensor{randTensor(rng, 1, 2, 3, 4)}, GradCheck{MaxPerTensor: -1}); err != nil {
		t.Errorf("Upsample-9 linear: %v", err)
	}
}

// The integer nearest upscales that Keras and tf2onnx emit take the block
// path, whose gradient equals the general scatter-add.
func TestResizeBlockGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, attrs := range []Attrs{
		{StringAttr("coordinate_transformation_mode", "asymmetric"), StringAttr("nearest_mode", "floor")},
		{StringAttr("coordinate_transformation_mode", "tf_half_pixel_for_nn"), StringAttr("nearest_mode", "floor")},
		{StringAttr("coordinate_transformation_mode", "half_pixel")},
	} {
		for _, sc := range [][]float32{{1, 1, 2, 2}, {1, 1, 3, 2}} {
			g := oneOpGraph("Resize", 13, attrs, Shape{2, 3, 5, 7}, noInput, scalesIn(sc...))
			p, err := Compile(g, nil, Options{InputGrads: true})
			if err != nil {
				t.Fatal(err)
			}
			k := p.steps[0].kernel.(*resizeKernel)
			if k.block != [3]int{1, int(sc[2]), int(sc[3])} {
				t.Fatalf("%v scales %v: block %v, want the fast path", attrs, sc, k.block)
			}
			x := randTensor(rng, 2, 3, 5, 7)
			outs, err := p.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			dy := randTensor(rng, outs[0].Shape...)
			if err := p.Backward(dy); err != nil {
				t.Fatal(err)
			}
			fast := p.Grad("x").Clone()
			slow := New(2, 3, 5, 7)
			for q := range k.planes {
				k.nearestBackward(dy.Data[q*k.outPlane:(q+1)*k.outPlane], slow.Data[q*k.inPlane:(q+1)*k.inPlane])
			}
			for i := range fast.Data {
				if math.Abs(float64(fast.Data[i]-slow.Data[i])) > 1e-5 {
					t.Fatalf("%v scales %v: element %d: block %g, scatter %g", attrs, sc, i, fast.Data[i], slow.Data[i])
				}
			}
		}
	}
}

func TestResizeErrors(t *testing.T) {
	str := StringAttr
	sc := scalesIn(1, 1, 2, 2)
	cases := []struct {
		name, op  string
		attrs     Attrs
		in        []extraIn
		want      string
		attribute string // non-empty: a NotImplementedError for this attribute
	}{
		{"cubic", "Resize", Attrs{str("mode", "cubic")}, []extraIn{noInput, sc}, "mode=cubic", "mode"},
		{"antialias", "Resize", Attrs{IntAttr("antialias", 1)}, []extraIn{noInput, sc}, "antialias=1", "antialias"},
		{"exclude_outside", "Resize", Attrs{IntAttr("exclude_outside", 1)}, []extraIn{noInput, sc}, "exclude_outside=1", "exclude_outside"},
		{"crop", "Resize", Attrs{str("coordinate_transformation_mode", "tf_crop_and_resize")}, []extraIn{noInput, sc}, "tf_crop_and_resize", "coordinate_transformation_mode"},
		{"nearest_mode", "Resize", Attrs{str("nearest_mode", "nearest")}, []extraIn{noInput, sc}, "nearest_mode=nearest", "nearest_mode"},
		{"channel scale", "Resize", nil, []extraIn{noInput, scalesIn(1, 2, 2, 2)}, "scales=[1 2 2 2]", "scales"},
		{"batch size", "Resize", nil, []extraIn{noInput, noInput, sizesIn(2, 2, 6, 6)}, "sizes=[2 2 6 6]", "sizes"},
		{"not constant", "Resize", nil, []extraIn{noInput, {name: "s", t: FromData([]float32{1, 1, 2, 2}, 4), trainable: true}}, `input 2 ("s") must be a constant`, ""},
		{"both", "Resize", nil, []extraIn{noInput, sc, sizesIn(1, 2, 6, 6)}, "both scales and sizes", ""},
		{"neither", "Resize", nil, []extraIn{noInput, {name: "e", t: New(0)}}, "neither scales nor sizes", ""},
		{"scales length", "Resize", nil, []extraIn{noInput, scalesIn(2, 2)}, "scales has 2 values", ""},
		{"zero size", "Resize", nil, []extraIn{noInput, scalesIn(1, 1, 0.1, 1)}, "resizes to 0", ""},
		{"upsample no scales", "Upsample", nil, nil, "scales is required", ""},
	}
	for _, c := range cases {
		g := oneOpGraph(c.op, 13, c.attrs, Shape{1, 2, 3, 3}, c.in...)
		if c.op == "Upsample" {
			g.Opset = 7
		}
		_, err := Compile(g, nil, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.op) {
			t.Errorf("%s: got %v, want an error naming %s and %q", c.name, err, c.op, c.want)
			continue
		}
		var ni *NotImplementedError
		if errors.As(err, &ni) != (c.attribute != "") || c.attribute != "" && ni.Attribute != c.attribute {
			t.Errorf("%s: want NotImplementedError for %q, got %#v", c.name, c.attribute, err)
		}
	}
}

func BenchmarkResizeSeed2x(b *testing.B) {
	attrs := Attrs{StringAttr("coordinate_transformation_mode", "asymmetric"), StringAttr("nearest_mode", "floor")}
	g := oneOpGraph("Resize", 13, attrs, Shape{32, 16, 14, 14}, noInput, scalesIn(1, 1, 2, 2))
	benchForwardBackward(b, g, 32, 16, 14, 14)
}
