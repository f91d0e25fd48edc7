package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// convCase is one convolution for the forward and gradient tests: input
// [n, c, h, w], weight shape, attributes, and the explicit pads (top, left,
// bottom, right) the reference applies; for ConvTranspose also the output
// size the reference produces.
type convCase struct {
	name      string
	op        string
	x, w      Shape
	bias      bool
	attrs     Attrs
	pads      [4]int
	strides   [2]int
	dil       [2]int
	group     int
	outH      int // ConvTranspose only
	outW      int
	gradCheck bool
}

func (cc convCase) geom() (sh, sw, dh, dw, group int) {
	sh, sw, dh, dw, group = cc.strides[0], cc.strides[1], cc.dil[0], cc.dil[1], cc.group
	if sh == 0 {
		sh, sw = 1, 1
	}
	if dh == 0 {
		dh, dw = 1, 1
	}
	if group == 0 {
		group = 1
	}
	return
}

// refConv is the textbook 7-loop convolution in float64.
func refConv(cc convCase, x, w, b *Tensor) (Shape, []float64) {
	sh, sw, dh, dw, group := cc.geom()
	n, c, h, wd := cc.x[0], cc.x[1], cc.x[2], cc.x[3]
	m, cg, kh, kw := cc.w[0], cc.w[1], cc.w[2], cc.w[3]
	mg := m / group
	pt, pl, pb, pr := cc.pads[0], cc.pads[1], cc.pads[2], cc.pads[3]
	ho := (h+pt+pb-dh*(kh-1)-1)/sh + 1
	wo := (wd+pl+pr-dw*(kw-1)-1)/sw + 1
	y := make([]float64, n*m*ho*wo)
	for in := 0; in < n; in++ {
		for om := 0; om < m; om++ {
			g := om / mg
			for oy := 0; oy < ho; oy++ {
				for ox := 0; ox < wo; ox++ {
					var s float64
					if b != nil {
						s = float64(b.Data[om])
					}
					for ic := 0; ic < cg; ic++ {
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy, ix := oy*sh+ky*dh-pt, ox*sw+kx*dw-pl
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								xv := x.Data[((in*c+g*cg+ic)*h+iy)*wd+ix]
								wv := w.Data[((om*cg+ic)*kh+ky)*kw+kx]
								s += float64(xv) * float64(wv)
							}
						}
					}
					y[((in*m+om)*ho+oy)*wo+ox] = s
				}
			}
		}
	}
	return Shape{n, m, ho, wo}, y
}

// refConvTranspose scatters every input element through the kernel, in
// float64.
func refConvTranspose(cc convCase, x, w, b *Tensor) (Shape, []float64) {
	sh, sw, dh, dw, group := cc.geom()
	n, c, h, wd := cc.x[0], cc.x[1], cc.x[2], cc.x[3]
	mg, kh, kw := cc.w[1], cc.w[2], cc.w[3]
	m, cg := mg*group, c/group
	ho, wo := cc.outH, cc.outW
	pt, pl := cc.pads[0], cc.pads[1]
	y := make([]float64, n*m*ho*wo)
	for in := 0; in < n; in++ {
		for ic := 0; ic < c; ic++ {
			g := ic / cg
			for iy := 0; iy < h; iy++ {
				for ix := 0; ix < wd; ix++ {
					xv := float64(x.Data[((in*c+ic)*h+iy)*wd+ix])
					for om := 0; om < mg; om++ {
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								oy, ox := iy*sh+ky*dh-pt, ix*sw+kx*dw-pl
								if oy < 0 || oy >= ho || ox < 0 || ox >= wo {
									continue
								}
								y[((in*m+g*mg+om)*ho+oy)*wo+ox] += xv * float64(w.Data[((ic*mg+om)*kh+ky)*kw+kx])
							}
						}
					}
				}
			}
		}
	}
	if b != nil {
		for i := range y {
			y[i] += float64(b.Data[(i/(ho*wo))%m])
		}
	}
	return Shape{n, m, ho, wo}, y
}

var convCases = []convCase{
	// The seed model's five layers (batch 3 here; the benchmarks use 32).
	{name: "seed1", op: "Conv", x: Shape{3, 1, 28, 28}, w: Shape{16, 1, 3, 3}, bias: true, attrs: Attrs{IntsAttr("pads", 1, 1, 1, 1), IntsAttr("kernel_shape", 3, 3)}, pads: [4]int{1, 1, 1, 1}, gradCheck: true},
	{name: "seed2", op: "Conv", x: Shape{3, 16, 14, 14}, w: Shape{2, 16, 3, 3}, bias: true, attrs: Attrs{IntsAttr("pads", 1, 1, 1, 1)}, pads: [4]int{1, 1, 1, 1}, gradCheck: true},
	{name: "seed3", op: "Conv", x: Shape{3, 2, 7, 7}, w: Shape{2, 2, 3, 3}, bias: true, attrs: Attrs{IntsAttr("pads", 1, 1, 1, 1)}, pads: [4]int{1, 1, 1, 1}, gradCheck: true},
	{name: "seed4", op: "Conv", x: Shape{3, 2, 14, 14}, w: Shape{16, 2, 3, 3}, bias: true, attrs: Attrs{IntsAttr("pads", 1, 1, 1, 1)}, pads: [4]int{1, 1, 1, 1}, gradCheck: true},
	{name: "seed5", op: "Conv", x: Shape{3, 16, 28, 28}, w: Shape{1, 16, 3, 3}, bias: true, attrs: Attrs{IntsAttr("pads", 1, 1, 1, 1)}, pads: [4]int{1, 1, 1, 1}, gradCheck: true},
	{name: "valid-nobias", op: "Conv", x: Shape{2, 3, 9, 8}, w: Shape{5, 3, 3, 3}, gradCheck: true},
	{name: "stride2", op: "Conv", x: Shape{2, 3, 11, 10}, w: Shape{4, 3, 3, 3}, bias: true, attrs: Attrs{IntsAttr("strides", 2, 2), IntsAttr("pads", 1, 1, 1, 1)}, pads: [4]int{1, 1, 1, 1}, strides: [2]int{2, 2}, gradCheck: true},
	{name: "stride2x1", op: "Conv", x: Shape{2, 2, 9, 9}, w: Shape{3, 2, 3, 2}, bias: true, attrs: Attrs{IntsAttr("strides", 2, 1)}, strides: [2]int{2, 1}, gradCheck: true},
	{name: "stride1x3", op: "Conv", x: Shape{1, 2, 7, 13}, w: Shape{3, 2, 2, 3}, attrs: Attrs{IntsAttr("strides", 1, 3), IntsAttr("pads", 0, 2, 1, 0)}, pads: [4]int{0, 2, 1, 0}, strides: [2]int{1, 3}, gradCheck: true},
	{name: "dilation2", op: "Conv", x: Shape{2, 3, 12, 11}, w: Shape{4, 3, 3, 3}, bias: true, attrs: Attrs{IntsAttr("dilations", 2, 2), IntsAttr("pads", 2, 2, 2, 2)}, pads: [4]int{2, 2, 2, 2}, dil: [2]int{2, 2}, gradCheck: true},
	{name: "dilation-stride", op: "Conv", x: Shape{2, 2, 13, 12}, w: Shape{3, 2, 3, 2}, attrs: Attrs{IntsAttr("dilations", 2, 3), IntsAttr("strides", 2, 2), IntsAttr("pads", 1, 0, 2, 1)}, pads: [4]int{1, 0, 2, 1}, strides: [2]int{2, 2}, dil: [2]int{2, 3}, gradCheck: true},
	{name: "asym-pads", op: "Conv", x: Shape{2, 3, 8, 9}, w: Shape{4, 3, 3, 3}, bias: true, attrs: Attrs{IntsAttr("pads", 0, 2, 1, 0)}, pads: [4]int{0, 2, 1, 0}, gradCheck: true},
	{name: "big-pads", op: "Conv", x: Shape{1, 2, 4, 5}, w: Shape{3, 2, 2, 2}, bias: true, attrs: Attrs{IntsAttr("pads", 3, 2, 2, 4)}, pads: [4]int{3, 2, 2, 4}, gradCheck: true},
	{name: "same-upper", op: "Conv", x: Shape{2, 3, 10, 9}, w: Shape{4, 3, 4, 4}, bias: true, attrs: Attrs{StringAttr("auto_pad", "SAME_UPPER")}, pads: [4]int{1, 1, 2, 2}, gradCheck: true},
	{name: "same-lower-stride2", op: "Conv", x: Shape{2, 3, 10, 9}, w: Shape{4, 3, 4, 3}, attrs: Attrs{StringAttr("auto_pad", "SAME_LOWER"), IntsAttr("strides", 2, 2)}, pads: [4]int{1, 1, 1, 1}, strides: [2]int{2, 2}, gradCheck: true},
	{name: "same-upper-stride2", op: "Conv", x: Shape{2, 3, 10, 9}, w: Shape{4, 3, 3, 3}, bias: true, attrs: Attrs{StringAttr("auto_pad", "SAME_UPPER"), IntsAttr("strides", 2, 2)}, pads: [4]int{0, 1, 1, 1}, strides: [2]int{2, 2}, gradCheck: true},
	{name: "valid-autopad", op: "Conv", x: Shape{1, 2, 6, 6}, w: Shape{2, 2, 3, 3}, attrs: Attrs{StringAttr("auto_pad", "VALID")}},
	{name: "group2", op: "Conv", x: Shape{2, 4, 9, 9}, w: Shape{6, 2, 3, 3}, bias: true, attrs: Attrs{convIntAttr("group", 2), IntsAttr("pads", 1, 1, 1, 1)}, pads: [4]int{1, 1, 1, 1}, group: 2, gradCheck: true},
	{name: "depthwise-stride2", op: "Conv", x: Shape{2, 3, 9, 8}, w: Shape{6, 1, 3, 3}, bias: true, attrs: Attrs{convIntAttr("group", 3), IntsAttr("strides", 2, 2), IntsAttr("pads", 1, 1, 1, 1)}, pads: [4]int{1, 1, 1, 1}, strides: [2]int{2, 2}, group: 3, gradCheck: true},
	{name: "1x1", op: "Conv", x: Shape{2, 5, 6, 7}, w: Shape{7, 5, 1, 1}, bias: true, gradCheck: true},
	{name: "5x5-wide", op: "Conv", x: Shape{1, 3, 33, 70}, w: Shape{9, 3, 5, 5}, bias: true, attrs: Attrs{IntsAttr("pads", 2, 2, 2, 2)}, pads: [4]int{2, 2, 2, 2}},
	{name: "many-channels", op: "Conv", x: Shape{2, 13, 5, 6}, w: Shape{11, 13, 3, 3}, bias: true, attrs: Attrs{IntsAttr("pads", 1, 1, 1, 1)}, pads: [4]int{1, 1, 1, 1}, gradCheck: true},

	{name: "T-basic", op: "ConvTranspose", x: Shape{2, 3, 5, 4}, w: Shape{3, 2, 3, 3}, bias: true, outH: 7, outW: 6, gradCheck: true},
	{name: "T-stride2-outpad", op: "ConvTranspose", x: Shape{2, 3, 5, 4}, w: Shape{3, 4, 3, 3}, bias: true, attrs: Attrs{IntsAttr("strides", 2, 2), IntsAttr("pads", 1, 1, 1, 1), IntsAttr("output_padding", 1, 1)}, pads: [4]int{1, 1, 1, 1}, strides: [2]int{2, 2}, outH: 10, outW: 8, gradCheck: true},
	{name: "T-stride3x2-pads", op: "ConvTranspose", x: Shape{1, 2, 4, 3}, w: Shape{2, 3, 3, 3}, attrs: Attrs{IntsAttr("strides", 3, 2), IntsAttr("pads", 1, 2, 1, 2)}, pads: [4]int{1, 2, 1, 2}, strides: [2]int{3, 2}, outH: 10, outW: 3, gradCheck: true},
	{name: "T-dilation", op: "ConvTranspose", x: Shape{2, 2, 4, 5}, w: Shape{2, 3, 2, 3}, bias: true, attrs: Attrs{IntsAttr("dilations", 2, 2), IntsAttr("pads", 0, 1, 1, 0)}, pads: [4]int{0, 1, 1, 0}, dil: [2]int{2, 2}, outH: 5, outW: 8, gradCheck: true},
	{name: "T-group2", op: "ConvTranspose", x: Shape{2, 4, 5, 5}, w: Shape{4, 3, 3, 3}, bias: true, attrs: Attrs{convIntAttr("group", 2), IntsAttr("strides", 2, 2)}, strides: [2]int{2, 2}, group: 2, outH: 11, outW: 11, gradCheck: true},
	{name: "T-same-upper", op: "ConvTranspose", x: Shape{2, 3, 4, 5}, w: Shape{3, 2, 3, 3}, bias: true, attrs: Attrs{StringAttr("auto_pad", "SAME_UPPER"), IntsAttr("strides", 2, 2)}, pads: [4]int{0, 0, 1, 1}, strides: [2]int{2, 2}, outH: 8, outW: 10, gradCheck: true},
	{name: "T-output-shape", op: "ConvTranspose", x: Shape{1, 2, 3, 3}, w: Shape{2, 2, 3, 3}, attrs: Attrs{IntsAttr("strides", 3, 2), IntsAttr("output_shape", 10, 8)}, strides: [2]int{3, 2}, outH: 10, outW: 8, gradCheck: true},
	{name: "T-seed-like", op: "ConvTranspose", x: Shape{2, 16, 7, 7}, w: Shape{16, 8, 3, 3}, bias: true, attrs: Attrs{IntsAttr("strides", 2, 2), IntsAttr("pads", 1, 1, 1, 1), IntsAttr("output_padding", 1, 1)}, pads: [4]int{1, 1, 1, 1}, strides: [2]int{2, 2}, outH: 14, outW: 14, gradCheck: true},
}

// convIntAttr is IntAttr with an int value.
func convIntAttr(name string, v int) Attr { return IntAttr(name, int64(v)) }

func (cc convCase) graph(rng *rand.Rand) (*Graph, *Tensor, *Tensor, *Tensor) {
	x := randTensor(rng, cc.x...)
	w := randTensor(rng, cc.w...)
	var b *Tensor
	params := []*Tensor{w}
	if cc.bias {
		nb := cc.w[0]
		if cc.op == "ConvTranspose" {
			_, _, _, _, group := cc.geom()
			nb = cc.w[1] * group
		}
		b = randTensor(rng, nb)
		params = append(params, b)
	}
	return oneNode(cc.op, cc.attrs, cc.x, params...), x, w, b
}

// withKernels runs f with the assembly micro-kernels on (when this CPU has
// them) and with the pure-Go kernels.
func withKernels(t *testing.T, f func(t *testing.T)) {
	saved := convAsm
	defer func() { convAsm = saved }()
	modes := []bool{false}
	if saved {
		modes = append(modes, true)
	}
	for _, asm := range modes {
		convAsm = asm
		t.Run(map[bool]string{false: "go", true: "asm"}[asm], f)
	}
}

func TestConvForwardMatchesNaiveReference(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, cc := range convCases {
			rng := rand.New(rand.NewPCG(7, uint64(len(cc.name))))
			g, x, w, b := cc.graph(rng)
			var shape Shape
			var want []float64
			if cc.op == "Conv" {
				shape, want = refConv(cc, x, w, b)
			} else {
				shape, want = refConvTranspose(cc, x, w, b)
			}
			out, err := Run(g, x)
			if err != nil {
				t.Fatalf("%s: %v", cc.name, err)
			}
			if !out[0].Shape.Equal(shape) {
				t.Fatalf("%s: output %v, want %v", cc.name, out[0].Shape, shape)
			}
			// float32 sums of up to a few hundred products of N(0,1) values.
			for i, v := range out[0].Data {
				if d := math.Abs(float64(v) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
					t.Fatalf("%s: element %d = %v, reference %v", cc.name, i, v, want[i])
				}
			}
		}
	})
}

func TestConvGradients(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		for _, cc := range convCases {
			if !cc.gradCheck {
				continue
			}
			rng := rand.New(rand.NewPCG(11, uint64(len(cc.name))))
			g, x, _, _ := cc.graph(rng)
			// Conv is linear in X and in W: central differences are exact
			// for any step but for float32 rounding of the outputs, which
			// a large step makes small.
			if err := CheckGradients(g, []*Tensor{x}, GradCheck{Eps: 0.5, Seed: 3, MaxPerTensor: 48}); err != nil {
				t.Errorf("%s: %v", cc.name, err)
			}
		}
	})
}

// TestConvGradientsSeedBatch probes the seed layer shapes at the training
// batch size, through every element of the bias and a sample of the rest.
func TestConvGradientsSeedBatch(t *testing.T) {
	for _, cc := range convCases[:5] {
		cc.x = Shape{32, cc.x[1], cc.x[2], cc.x[3]}
		rng := rand.New(rand.NewPCG(5, uint64(cc.x[1])))
		g, x, _, _ := cc.graph(rng)
		if err := CheckGradients(g, []*Tensor{x}, GradCheck{Eps: 0.5, Seed: 4, MaxPerTensor: 24}); err != nil {
			t.Errorf("%s at batch 32: %v", cc.name, err)
		}
	}
}

// randomConvCase draws a small Conv or ConvTranspose with random strides,
// dilations, pads, groups and kernel sizes.
func randomConvCase(rng *rand.Rand, i int) convCase {
	r := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	group := []int{1, 1, 2, 3}[rng.IntN(4)]
	cc := convCase{name: fmt.Sprintf("random%d", i), bias: rng.IntN(2) == 0, group: group}
	cc.strides = [2]int{r(1, 3), r(1, 3)}
	cc.dil = [2]int{r(1, 2), r(1, 2)}
	kh, kw := r(1, 4), r(1, 4)
	cin, cout := group*r(1, 3), group*r(1, 5)
	for j := range cc.pads {
		cc.pads[j] = r(0, 2)
	}
	cc.attrs = Attrs{convIntAttr("group", group), IntsAttr("strides", int64(cc.strides[0]), int64(cc.strides[1])),
		IntsAttr("dilations", int64(cc.dil[0]), int64(cc.dil[1])),
		IntsAttr("pads", int64(cc.pads[0]), int64(cc.pads[1]), int64(cc.pads[2]), int64(cc.pads[3]))}
	if rng.IntN(2) == 0 {
		cc.op = "Conv"
		h := cc.dil[0]*(kh-1) + 1 + r(0, 12)
		w := cc.dil[1]*(kw-1) + 1 + r(0, 30)
		cc.x, cc.w = Shape{r(1, 3), cin, h, w}, Shape{cout, cin / group, kh, kw}
		return cc
	}
	cc.op = "ConvTranspose"
	h, w := r(1, 8), r(1, 20)
	cc.x, cc.w = Shape{r(1, 3), cin, h, w}, Shape{cin, cout / group, kh, kw}
	op := [2]int{rng.IntN(cc.strides[0]), rng.IntN(cc.strides[1])}
	cc.attrs = append(cc.attrs, IntsAttr("output_padding", int64(op[0]), int64(op[1])))
	cc.outH = cc.strides[0]*(h-1) + op[0] + cc.dil[0]*(kh-1) + 1 - cc.pads[0] - cc.pads[2]
	cc.outW = cc.strides[1]*(w-1) + op[1] + cc.dil[1]*(kw-1) + 1 - cc.pads[1] - cc.pads[3]
	return cc
}

// TestConvRandomShapes checks 200 random convolutions against the naive
// references, and the gradients of a few of them.
func TestConvRandomShapes(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(42, 42))
		checked := 0
		for i := 0; i < 200; i++ {
			cc := randomConvCase(rng, i)
			if cc.op == "ConvTranspose" && (cc.outH < 1 || cc.outW < 1) {
				continue
			}
			g, x, w, b := cc.graph(rng)
			var want []float64
			var shape Shape
			if cc.op == "Conv" {
				shape, want = refConv(cc, x, w, b)
			} else {
				shape, want = refConvTranspose(cc, x, w, b)
			}
			out, err := Run(g, x)
			if err != nil {
				t.Fatalf("%s %s x %v w %v %v: %v", cc.name, cc.op, cc.x, cc.w, cc.attrs, err)
			}
			if !out[0].Shape.Equal(shape) {
				t.Fatalf("%s %s: output %v, want %v", cc.name, cc.op, out[0].Shape, shape)
			}
			for j, v := range out[0].Data {
				if d := math.Abs(float64(v) - want[j]); d > 1e-4*(1+math.Abs(want[j])) {
					t.Fatalf("%s %s x %v w %v %v: element %d = %v, reference %v", cc.name, cc.op, cc.x, cc.w, cc.attrs, j, v, want[j])
				}
			}
			if i%10 == 0 {
				if err := CheckGradients(g, []*Tensor{x}, GradCheck{Eps: 0.5, Seed: uint64(i), MaxPerTensor: 16}); err != nil {
					t.Errorf("%s %s x %v w %v %v: %v", cc.name, cc.op, cc.x, cc.w, cc.attrs, err)
				}
			}
			checked++
		}
		if checked < 150 {
			t.Fatalf("only %d random cases had an output", checked)
		}
	})
}

type convNodeTest struct {
	Name   string         `json:"name"`
	Op     string         `json:"op"`
	Attrs  map[string]any `json:"attrs"`
	Inputs []*struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	} `json:"inputs"`
	Output struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	} `json:"output"`
}

// TestConvONNXNodeTests runs the Conv and ConvTranspose cases of the ONNX
// backend node tests (extracted by testdata/conv_nodetests.py). The 1-D and
// 3-D ones must be refused as not implemented.
func TestConvONNXNodeTests(t *testing.T) {
	raw, err := os.ReadFile("testdata/conv_nodetests.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []convNodeTest
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 25 {
		t.Fatalf("only %d node tests in testdata", len(cases))
	}
	t.Logf("%d node tests", len(cases))
	withKernels(t, func(t *testing.T) {
		for _, nc := range cases {
			var attrs Attrs
			for k, v := range nc.Attrs {
				switch v := v.(type) {
				case string:
					attrs = append(attrs, StringAttr(k, v))
				case float64:
					attrs = append(attrs, IntAttr(k, int64(v)))
				case []any:
					var is []int64
					for _, e := range v {
						is = append(is, int64(e.(float64)))
					}
					attrs = append(attrs, IntsAttr(k, is...))
				}
			}
			var params []*Tensor
			for _, in := range nc.Inputs[1:] {
				params = append(params, FromData(in.Data, in.Shape...))
			}
			x := FromData(nc.Inputs[0].Data, nc.Inputs[0].Shape...)
			g := oneNode(nc.Op, attrs, x.Shape, params...)
			out, err := Run(g, x)
			if len(x.Shape) != 4 {
				var ni *NotImplementedError
				if !errors.As(err, &ni) {
					t.Errorf("%s: %d-D input: got %v, want a NotImplementedError", nc.Name, len(x.Shape)-2, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", nc.Name, err)
				continue
			}
			if !out[0].Shape.Equal(nc.Output.Shape) {
				t.Errorf("%s: output %v, want %v", nc.Name, out[0].Shape, Shape(nc.Output.Shape))
				continue
			}
			for i, v := range out[0].Data {
				want := nc.Output.Data[i]
				if math.Abs(float64(v-want)) > 1e-4*(1+math.Abs(float64(want))) {
					t.Errorf("%s: element %d = %v, want %v", nc.Name, i, v, want)
					break
				}
			}
		}
	})
}

func TestConvBuildErrors(t *testing.T) {
	w := New(4, 3, 3, 3)
	cases := []struct {
		name  string
		op    string
		x     Shape
		w     *Tensor
		b     *Tensor
		attrs Attrs
		want  []string
	}{
		{"channels", "Conv", Shape{1, 2, 8, 8}, w, nil, nil, []string{`Conv "Conv_1"`, "4×3×3×3", "3", "has 2"}},
		{"kernel-too-big", "Conv", Shape{1, 3, 2, 8}, w, nil, nil, []string{"3×3", "larger than the padded input 2×8"}},
		{"kernel-shape", "Conv", Shape{1, 3, 8, 8}, w, nil, Attrs{IntsAttr("kernel_shape", 5, 5)}, []string{"kernel_shape [5 5]", "4×3×3×3"}},
		{"bias", "Conv", Shape{1, 3, 8, 8}, w, New(5), nil, []string{"bias B 5", "4 output channels"}},
		{"group", "Conv", Shape{1, 3, 8, 8}, w, nil, Attrs{IntAttr("group", 3)}, []string{"group 3"}},
		{"strides", "Conv", Shape{1, 3, 8, 8}, w, nil, Attrs{IntsAttr("strides", 0, 1)}, []string{"strides [0 1]"}},
		{"pads", "Conv", Shape{1, 3, 8, 8}, w, nil, Attrs{IntsAttr("pads", 1, 1)}, []string{"pads [1 1]"}},
		{"auto_pad", "Conv", Shape{1, 3, 8, 8}, w, nil, Attrs{StringAttr("auto_pad", "SAME")}, []string{`auto_pad "SAME"`}},
		{"rank", "Conv", Shape{3, 8, 8}, w, nil, nil, []string{"ranks differ"}},
		{"T-channels", "ConvTranspose", Shape{1, 3, 8, 8}, w, nil, nil, []string{`ConvTranspose "ConvTranspose_1"`, "4 input channels", "has 3"}},
		{"T-output-shape", "ConvTranspose", Shape{1, 4, 4, 4}, w, nil, Attrs{IntsAttr("output_shape", 9, 9)}, []string{"output_shape [9 9]", "6×6"}},
		{"T-output-padding", "ConvTranspose", Shape{1, 4, 4, 4}, w, nil, Attrs{IntsAttr("output_padding", 1, 1)}, []string{"output_padding [1 1]"}},
	}
	for _, c := range cases {
		params := []*Tensor{c.w}
		if c.b != nil {
			params = append(params, c.b)
		}
		_, err := Compile(oneNode(c.op, c.attrs, c.x, params...), nil, Options{})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, s)
			}
		}
	}
	// 1-D and 3-D convolutions are a typed NotImplementedError.
	for _, sh := range []Shape{{1, 3, 8}, {1, 3, 4, 4, 4}} {
		ws := append(Shape{4}, sh[1:]...)
		for i := 2; i < len(ws); i++ {
			ws[i] = 3
		}
		_, err := Compile(oneNode("Conv", nil, sh, New(ws...)), nil, Options{})
		var ni *NotImplementedError
		if !errors.As(err, &ni) || !strings.Contains(err.Error(), "spatial rank") {
			t.Errorf("input %v: got %v, want a NotImplementedError", sh, err)
		}
	}
}

// TestConvDeterministic runs forward and backward twice and wants the same
// bits, for Conv and ConvTranspose.
func TestConvDeterministic(t *testing.T) {
	for _, cc := range []convCase{convCases[1], convCases[len(convCases)-1]} {
		rng := rand.New(rand.NewPCG(9, 9))
		g, x, _, _ := cc.graph(rng)
		p, err := Compile(g, nil, Options{InputGrads: true})
		if err != nil {
			t.Fatal(err)
		}
		run := func() []float32 {
			out, err := p.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			dy := out[0].Clone()
			for i := range dy.Data {
				dy.Data[i] = float32(math.Sin(float64(i)))
			}
			if err := p.Backward(dy); err != nil {
				t.Fatal(err)
			}
			var all []float32
			all = append(all, out[0].Data...)
			for _, name := range []string{"x", "a_param", "b_param"} {
				all = append(all, p.Grad(name).Data...)
			}
			return all
		}
		a, b := run(), run()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s: value %d differs between runs: %v, %v", cc.name, i, a[i], b[i])
			}
		}
	}
}

// TestConvNoAllocs compiles a one-Conv plan and wants no allocation in a
// training step after warm-up.
func TestConvNoAllocs(t *testing.T) {
	for _, cc := range []convCase{convCases[1], convCases[len(convCases)-1]} {
		rng := rand.New(rand.NewPCG(1, 2))
		g, x, _, _ := cc.graph(rng)
		p, err := Compile(g, nil, Options{InputGrads: true})
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		dy := out[0].Clone()
		step := func() {
			if _, err := p.Forward(x); err != nil {
				t.Fatal(err)
			}
			if err := p.Backward(dy); err != nil {
				t.Fatal(err)
			}
		}
		step()
		if n := testing.AllocsPerRun(20, step); n != 0 {
			t.Errorf("%s: %v allocations per Forward+Backward, want 0", cc.name, n)
		}
	}
}

func ExampleRun_conv() {
	// A 3×3 box filter over a 4×4 ramp, padded to keep the size.
	g := NewGraph("blur")
	g.Inputs = []ValueInfo{{Name: "x", Shape: Shape{1, 1, 4, 4}}}
	w := New(1, 1, 3, 3)
	for i := range w.Data {
		w.Data[i] = 1
	}
	g.AddParam("w", w, true)
	g.Nodes = []*Node{{Name: "blur", Op: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"y"},
		Attrs: Attrs{IntsAttr("pads", 1, 1, 1, 1)}}}
	g.Outputs = []ValueInfo{{Name: "y"}}
	x := New(1, 1, 4, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	out, err := Run(g, x)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0].Shape, out[0].Data[:4])
	// Output: 1×1×4×4 [10 18 24 18]
}
