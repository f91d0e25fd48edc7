package graph

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestNormONNXCases(t *testing.T) {
	runOpCases(t, "BatchNormalization", "Dropout")
}

// bnInputs returns scale, B, mean and var for c channels; scale and B are
// trainable, mean and var too when statsTrainable.
func bnInputs(rng *rand.Rand, c int, statsTrainable bool) []extraIn {
	v := New(c)
	for i := range v.Data {
		v.Data[i] = 0.5 + rng.Float32()
	}
	return []extraIn{
		{name: "gamma", t: randTensor(rng, c), trainable: true},
		{name: "beta", t: randTensor(rng, c), trainable: true},
		{name: "mean", t: randTensor(rng, c), trainable: statsTrainable},
		{name: "var", t: v, trainable: statsTrainable},
	}
}

func TestBatchNormGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	keras := Attrs{FloatAttr("epsilon", 1e-3), FloatAttr("momentum", 0.99)}
	cases := []struct {
		name     string
		x        Shape
		attrs    Attrs
		training bool
		stats    bool
		runOuts  bool
	}{
		{"training_4d", Shape{4, 3, 5, 5}, keras, true, false, false},
		{"training_2d", Shape{6, 4}, nil, true, false, false},
		{"training_3d_odd", Shape{3, 2, 7}, keras, true, false, false},
		{"inference_stats_trainable", Shape{2, 3, 4, 5}, keras, false, true, false},
		// momentum 0.5: what flows back through the running statistics
		// must be large enough to be seen.
		{"training_mode_attr_running_outputs", Shape{2, 3, 2, 2}, Attrs{IntAttr("training_mode", 1), FloatAttr("momentum", 0.5)}, false, true, true},
	}
	for _, c := range cases {
		g := oneOpGraph("BatchNormalization", 15, c.attrs, c.x, bnInputs(rng, c.x[1], c.stats)...)
		if c.runOuts {
			g.Nodes[0].Outputs = append(g.Nodes[0].Outputs, "running_mean", "running_var")
			g.Outputs = append(g.Outputs, ValueInfo{Name: "running_mean"}, ValueInfo{Name: "running_var"})
		}
		x := randTensor(rng, c.x...)
		for i := range x.Data {
			x.Data[i] = 2*x.Data[i] + 1
		}
		if err := CheckGradients(g, []*Tensor{x}, GradCheck{MaxPerTensor: -1, Training: c.training}); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// In training mode the plan moves the mean and var parameters with
// momentum; in inference it normalises with them and leaves them alone.
func TestBatchNormRunningStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	in := bnInputs(rng, 2, false)
	g := oneOpGraph("BatchNormalization", 13, Attrs{FloatAttr("epsilon", 1e-3), FloatAttr("momentum", 0.99)}, Shape{3, 2, 2, 2}, in...)
	mean0, var0 := in[2].t.Clone(), in[3].t.Clone()
	x := randTensor(rng, 3, 2, 2, 2)
	p, err := Compile(g, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Forward(x); err != nil {
		t.Fatal(err)
	}
	for c := range 2 {
		if in[2].t.Data[c] != mean0.Data[c] || in[3].t.Data[c] != var0.Data[c] {
			t.Fatalf("inference changed the running statistics")
		}
	}
	p.SetTraining(true)
	outs, err := p.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 2 {
		var s, q float64
		for n := range 3 {
			for i := range 4 {
				s += float64(x.Data[(n*2+c)*4+i])
			}
		}
		m := s / 12
		for n := range 3 {
			for i := range 4 {
				d := float64(x.Data[(n*2+c)*4+i]) - m
				q += d * d
			}
		}
		v := q / 12
		wantMean := 0.99*float64(mean0.Data[c]) + 0.01*m
		wantVar := 0.99*float64(var0.Data[c]) + 0.01*v
		if math.Abs(float64(in[2].t.Data[c])-wantMean) > 1e-6 || math.Abs(float64(in[3].t.Data[c])-wantVar) > 1e-6 {
			t.Errorf("channel %d: running mean/var %g/%g, want %g/%g", c, in[2].t.Data[c], in[3].t.Data[c], wantMean, wantVar)
		}
		// The training output is normalised with the batch statistics.
		y0 := float64(outs[0].Data[c*4])
		want := float64(in[0].t.Data[c])*(float64(x.Data[c*4])-m)/math.Sqrt(v+1e-3) + float64(in[1].t.Data[c])
		if math.Abs(y0-want) > 1e-5 {
			t.Errorf("channel %d: y %g, want %g", c, y0, want)
		}
	}
}

func TestBatchNormErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	g := oneOpGraph("BatchNormalization", 13, nil, Shape{2, 3, 4}, bnInputs(rng, 4, false)...)
	if _, err := Compile(g, nil, Options{}); err == nil || !strings.Contains(err.Error(), "want 3 elements for the 3 channels") {
		t.Errorf("channel mismatch: %v", err)
	}
	g = oneOpGraph("BatchNormalization", 7, Attrs{IntAttr("spatial", 0)}, Shape{2, 3, 4}, bnInputs(rng, 3, false)...)
	var ni *NotImplementedError
	if _, err := Compile(g, nil, Options{}); !errors.As(err, &ni) || ni.Attribute != "spatial" {
		t.Errorf("spatial=0: %v", err)
	}
	g = oneOpGraph("BatchNormalization", 7, nil, Shape{2, 3, 4}, bnInputs(rng, 3, false)...)
	g.Nodes[0].Outputs = []string{"y", "m", "v", "saved_mean"}
	if _, err := Compile(g, nil, Options{}); !errors.As(err, &ni) || !strings.Contains(err.Error(), "saved_mean") {
		t.Errorf("saved_mean output: %v", err)
	}
}

func TestDropout(t *testing.T) {
	ratio := extraIn{name: "ratio", t: FromData([]float32{0.3})}
	g := oneOpGraph("Dropout", 13, nil, Shape{100, 200}, ratio)
	p, err := Compile(g, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := randTensor(rand.New(rand.NewPCG(11, 11)), 100, 200)
	outs, err := p.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range outs[0].Data {
		if v != x.Data[i] {
			t.Fatalf("inference: element %d changed", i)
		}
	}
	p.SetTraining(true)
	p.Seed(42)
	outs, err = p.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	first := outs[0].Clone()
	zeros := 0
	for i, v := range first.Data {
		if v == 0 {
			zeros++
		} else if w := x.Data[i] / 0.7; math.Abs(float64(v-w)) > 1e-6*math.Abs(float64(w)) {
			t.Fatalf("element %d: %g, want 0 or %g", i, v, w)
		}
	}
	if frac := float64(zeros) / 20000; math.Abs(frac-0.3) > 0.015 {
		t.Errorf("dropped %.4f, want about 0.3", frac)
	}
	p.Seed(42)
	outs, _ = p.Forward(x)
	for i, v := range outs[0].Data {
		if v != first.Data[i] {
			t.Fatalf("same seed, different mask at element %d", i)
		}
	}
	rng := rand.New(rand.NewPCG(12, 12))
	for _, c := range []struct {
		name     string
		g        *Graph
		training bool
	}{
		{"training", oneOpGraph("Dropout", 13, nil, Shape{2, 3, 4}, ratio), true},
		{"inference", oneOpGraph("Dropout", 13, nil, Shape{2, 3, 4}, ratio), false},
		{"opset7_attribute", oneOpGraph("Dropout", 7, Attrs{FloatAttr("ratio", 0.6)}, Shape{2, 3, 4}), true},
	} {
		if err := CheckGradients(c.g, []*Tensor{randTensor(rng, 2, 3, 4)}, GradCheck{MaxPerTensor: -1, Training: c.training}); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestDropoutErrors(t *testing.T) {
	g := oneOpGraph("Dropout", 13, nil, Shape{4}, extraIn{name: "r", t: FromData([]float32{1})})
	if _, err := Compile(g, nil, Options{}); err == nil || !strings.Contains(err.Error(), "ratio 1 must be in [0, 1)") {
		t.Errorf("ratio 1: %v", err)
	}
	g = oneOpGraph("Dropout", 13, nil, Shape{4}, extraIn{name: "r", t: FromData([]float32{0.5}), trainable: true})
	if _, err := Compile(g, nil, Options{}); err == nil || !strings.Contains(err.Error(), "must be a constant") {
		t.Errorf("non-constant ratio: %v", err)
	}
	g = oneOpGraph("Dropout", 13, nil, Shape{4})
	g.Nodes[0].Outputs = append(g.Nodes[0].Outputs, "mask")
	var ni *NotImplementedError
	if _, err := Compile(g, nil, Options{}); !errors.As(err, &ni) || !strings.Contains(err.Error(), "mask") {
		t.Errorf("mask output: %v", err)
	}
}

func BenchmarkBatchNormTraining(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := oneOpGraph("BatchNormalization", 13, nil, Shape{32, 16, 28, 28}, bnInputs(rng, 16, false)...)
	p, err := Compile(g, nil, Options{InputGrads: true})
	if err != nil {
		b.Fatal(err)
	}
	p.SetTraining(true)
	x := randTensor(rng, 32, 16, 28, 28)
	dy := randTensor(rng, 32, 16, 28, 28)
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
