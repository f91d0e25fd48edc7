package train

import (
	"math"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

func TestOptimizerDefaultsAreKeras2(t *testing.T) {
	pins := []struct {
		name      string
		got, want float64
	}{
		{"AdadeltaLearningRate", AdadeltaLearningRate, 1.0},
		{"AdadeltaRho", AdadeltaRho, 0.95},
		{"AdadeltaEpsilon", AdadeltaEpsilon, 1e-7},
		{"AdamLearningRate", AdamLearningRate, 0.001},
		{"AdamBeta1", AdamBeta1, 0.9},
		{"AdamBeta2", AdamBeta2, 0.999},
		{"AdamEpsilon", AdamEpsilon, 1e-7},
		{"SGDLearningRate", SGDLearningRate, 0.01},
		{"SGDMomentum", SGDMomentum, 0},
		{"RMSpropLearningRate", RMSpropLearningRate, 0.001},
		{"RMSpropRho", RMSpropRho, 0.9},
		{"RMSpropEpsilon", RMSpropEpsilon, 1e-7},
		{"DefaultBatchSize", DefaultBatchSize, 32},
	}
	for _, p := range pins {
		if p.got != p.want {
			t.Errorf("%s = %g, Keras 2 has %g", p.name, p.got, p.want)
		}
	}
	if SGDNesterov {
		t.Error("SGDNesterov = true, Keras 2 has false")
	}
	ad := NewAdadelta()
	am := NewAdam()
	sg := NewSGD()
	rm := NewRMSprop()
	if ad.LearningRate != 1 || ad.Rho != 0.95 || ad.Epsilon != 1e-7 || ad.Decay != 0 ||
		am.LearningRate != 0.001 || am.Beta1 != 0.9 || am.Beta2 != 0.999 || am.Epsilon != 1e-7 || am.AMSGrad ||
		sg.LearningRate != 0.01 || sg.Momentum != 0 || sg.Nesterov ||
		rm.LearningRate != 0.001 || rm.Rho != 0.9 || rm.Epsilon != 1e-7 {
		t.Errorf("constructors do not use the defaults: %+v %+v %+v %+v", ad, am, sg, rm)
	}
	for _, name := range []string{"adadelta", "Adam", "SGD", "rmsprop"} {
		o, err := NewOptimizer(name)
		if err != nil || o.Name() != strings.ToLower(name) {
			t.Errorf("NewOptimizer(%q) = %v, %v", name, o, err)
		}
	}
	if _, err := NewOptimizer("lion"); err == nil || !strings.Contains(err.Error(), "adadelta") {
		t.Errorf("unknown optimizer: %v", err)
	}
}

// grads for the hand-computed steps: signs and magnitudes over decades.
var handGrads = []float32{0.3, -0.02, 1.5, 0, -4e-4}

func oneParam(v ...float32) []*graph.Tensor {
	return []*graph.Tensor{graph.FromData(append([]float32(nil), v...), len(v))}
}

func close32(t *testing.T, what string, got []float32, want []float64, rel float64) {
	t.Helper()
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > rel*math.Abs(want[i])+1e-12 {
			t.Errorf("%s[%d] = %.9g, want %.9g", what, i, got[i], want[i])
		}
	}
}

func TestAdadeltaSteps(t *testing.T) {
	p := oneParam(1, 1, 1, 1, 1)
	g := oneParam(handGrads...)
	o := NewAdadelta()
	o.Step(p, g)
	// First step from zero accumulators, lr 1:
	// u = g·√(1e-7)/√(0.05·g² + 1e-7), nearly sign(g)·√(1e-7/0.05)·… .
	want := make([]float64, 5)
	a := make([]float64, 5)
	d := make([]float64, 5)
	for i, gv := range handGrads {
		gi := float64(gv)
		a[i] = 0.05 * gi * gi
		u := gi * math.Sqrt(1e-7) / math.Sqrt(a[i]+1e-7)
		want[i] = 1 - u
		d[i] = 0.05 * u * u
	}
	close32(t, "step 1", p[0].Data, want, 1e-7)
	// The first step of Keras's rule is tiny (|u| ≤ √(1e-7/0.05) ≈ 1.4e-3);
	// tf.train's rule (old accumulator) would have moved by the raw g.
	if math.Abs(float64(p[0].Data[2])-1) > 1.5e-3 {
		t.Errorf("step 1 moved %v by %v: not Keras's Adadelta", handGrads[2], 1-p[0].Data[2])
	}
	o.Step(p, g)
	for i, gv := range handGrads {
		gi := float64(gv)
		a[i] = 0.95*float64(float32(a[i])) + 0.05*gi*gi
		u := gi * math.Sqrt(float64(float32(d[i]))+1e-7) / math.Sqrt(a[i]+1e-7)
		want[i] = float64(float32(want[i])) - u
	}
	close32(t, "step 2", p[0].Data, want, 1e-7)
}

func TestAdamSteps(t *testing.T) {
	p := oneParam(1, 1, 1, 1, 1)
	g := oneParam(handGrads...)
	o := NewAdam()
	o.Step(p, g)
	o.Step(p, g)
	want := make([]float64, 5)
	for i, gv := range handGrads {
		gi := float64(gv)
		w, m, v := 1.0, 0.0, 0.0
		for step := 1; step <= 2; step++ {
			lrT := 0.001 * math.Sqrt(1-math.Pow(0.999, float64(step))) / (1 - math.Pow(0.9, float64(step)))
			m = 0.9*m + 0.1*gi
			v = 0.999*v + 0.001*gi*gi
			w -= lrT * m / (math.Sqrt(v) + 1e-7)
		}
		want[i] = w
	}
	close32(t, "Adam", p[0].Data, want, 1e-7)
	// With bias correction, the first step moves each weight by ≈ lr.
	if d := 1 - p[0].Data[0]; math.Abs(float64(d)-0.002) > 1e-5 {
		t.Errorf("two Adam steps moved by %v, want ≈ 2·lr", d)
	}
}

func TestSGDSteps(t *testing.T) {
	for _, c := range []struct {
		mom      float64
		nesterov bool
	}{{0, false}, {0.9, false}, {0.9, true}} {
		p := oneParam(1, 1, 1, 1, 1)
		g := oneParam(handGrads...)
		o := NewSGD()
		o.Momentum, o.Nesterov = c.mom, c.nesterov
		for range 3 {
			o.Step(p, g)
		}
		want := make([]float64, 5)
		for i, gv := range handGrads {
			gi := float64(gv)
			w, v := 1.0, 0.0
			for range 3 { // weights and velocities are stored as float32
				v = c.mom*v - 0.01*gi
				if c.nesterov {
					w = float64(float32(w + c.mom*v - 0.01*gi))
				} else {
					w = float64(float32(w + v))
				}
				v = float64(float32(v))
			}
			want[i] = w
		}
		close32(t, "SGD", p[0].Data, want, 1e-7)
		if _, has := o.State().Slots["momentum"]; has != (c.mom != 0) {
			t.Errorf("momentum %v: slot present = %v", c.mom, has)
		}
	}
}

func TestRMSpropSteps(t *testing.T) {
	p := oneParam(1, 1, 1, 1, 1)
	g := oneParam(handGrads...)
	o := NewRMSprop()
	o.Step(p, g)
	o.Step(p, g)
	want := make([]float64, 5)
	for i, gv := range handGrads {
		gi := float64(gv)
		w, a := 1.0, 0.0
		for range 2 {
			a = 0.9*a + 0.1*gi*gi
			w -= 0.001 * gi / (math.Sqrt(a) + 1e-7)
		}
		want[i] = w
	}
	close32(t, "RMSprop", p[0].Data, want, 1e-7)
}

func TestDecay(t *testing.T) {
	p := oneParam(1)
	g := oneParam(1)
	o := NewSGD()
	o.Decay = 0.5
	o.Step(p, g) // lr 0.01
	o.Step(p, g) // lr 0.01/1.5
	if want := 1 - 0.01 - 0.01/1.5; math.Abs(float64(p[0].Data[0])-want) > 1e-7 {
		t.Errorf("decayed SGD: %v, want %v", p[0].Data[0], want)
	}
}

func TestOptimizerStateRoundTrip(t *testing.T) {
	// Interrupting after 3 steps and continuing from the saved state gives
	// the same weights bit for bit; a parameter above parallelMin takes the
	// parallel path.
	big := 2*parallelMin + 7
	mk := func() []*graph.Tensor {
		a, b := graph.New(3), graph.New(big)
		for i := range b.Data {
			b.Data[i] = float32(i%17) / 17
		}
		return []*graph.Tensor{a, b}
	}
	grads := mk()
	for i := range grads[1].Data {
		grads[1].Data[i] = float32(i%5) - 2
	}
	grads[0].Data[1] = 0.5
	makers := map[string]func() Optimizer{
		"adadelta": func() Optimizer { return NewAdadelta() },
		"adam":     func() Optimizer { a := NewAdam(); a.AMSGrad = true; return a },
		"sgd":      func() Optimizer { s := NewSGD(); s.Momentum, s.Nesterov = 0.9, true; return s },
		"rmsprop":  func() Optimizer { return NewRMSprop() },
	}
	for name, mkOpt := range makers {
		ref, pr := mkOpt(), mk()
		for range 5 {
			ref.Step(pr, grads)
		}
		first, p := mkOpt(), mk()
		for range 3 {
			first.Step(p, grads)
		}
		st := first.State()
		saved := State{Iterations: st.Iterations, Slots: map[string][]*graph.Tensor{}}
		for k, ts := range st.Slots {
			for _, v := range ts {
				saved.Slots[k] = append(saved.Slots[k], v.Clone())
			}
		}
		second := mkOpt()
		if err := second.SetState(saved); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			second.Step(p, grads)
		}
		for j := range p {
			for i := range p[j].Data {
				if p[j].Data[i] != pr[j].Data[i] {
					t.Fatalf("%s: param %d[%d] resumed %v, uninterrupted %v", name, j, i, p[j].Data[i], pr[j].Data[i])
				}
			}
		}
		// The parallel path computes what the serial kernel does.
		if name == "rmsprop" {
			q, g, a := mk()[1].Data, grads[1].Data, make([]float32, big)
			for range 5 {
				rmspropKernel(q, g, a, RMSpropLearningRate, RMSpropRho, RMSpropEpsilon)
			}
			for i := range q {
				if q[i] != pr[1].Data[i] {
					t.Fatalf("parallel RMSprop[%d] = %v, serial %v", i, pr[1].Data[i], q[i])
				}
			}
		}
	}
}

func TestOptimizerStateErrors(t *testing.T) {
	o := NewAdadelta()
	if err := o.SetState(State{Slots: map[string][]*graph.Tensor{"m": nil}}); err == nil || !strings.Contains(err.Error(), `"m"`) {
		t.Errorf("unknown slot: %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "2 parameters, 1 gradients") {
			t.Errorf("mismatched Step: recovered %v", r)
		}
	}()
	o.Step([]*graph.Tensor{graph.New(1), graph.New(1)}, []*graph.Tensor{graph.New(1)})
}
