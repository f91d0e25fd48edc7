package train

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

func TestBCEMatchesFormula(t *testing.T) {
	pred := graph.FromData([]float32{0.2, 0.7, 0, 1, 0.5, 1e-9}, 6)
	target := graph.FromData([]float32{0, 1, 0.3, 1, 0.25, 1}, 6)
	lo, hi := float64(float32(1e-7)), float64(float32(1-1e-7))
	var want float64
	for i, p := range pred.Data {
		q := math.Min(math.Max(float64(p), lo), hi)
		y := float64(target.Data[i])
		want += -(y*math.Log(q) + (1-y)*math.Log(1-q))
	}
	want /= 6
	got := (&BinaryCrossentropy{}).Forward(pred, target)
	if math.Abs(got-want) > 1e-15*math.Abs(want) {
		t.Errorf("BCE = %.17g, want %.17g", got, want)
	}
	grad := graph.New(6)
	(&BinaryCrossentropy{}).Backward(pred, target, grad)
	// Clipped elements (pred 0 and 1e-9 below ε, 1 above 1-ε) get no
	// gradient, as TensorFlow's clip_by_value.
	for _, i := range []int{2, 3, 5} {
		if grad.Data[i] != 0 {
			t.Errorf("grad[%d] = %v where the clip is active, want 0", i, grad.Data[i])
		}
	}
	// d/dp of -(y log p + (1-y) log(1-p)) = (p-y)/(p(1-p)), over N.
	if want := float32((0.5 - 0.25) / (0.25) / 6); math.Abs(float64(grad.Data[4]-want)) > 1e-7 {
		t.Errorf("grad[4] = %v, want %v", grad.Data[4], want)
	}
}

func TestLossGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, name := range []string{"binary_crossentropy", "mse"} {
		l, err := NewLoss(name)
		if err != nil {
			t.Fatal(err)
		}
		pred, target := graph.New(3, 40), graph.New(3, 40)
		for i := range pred.Data {
			pred.Data[i] = 0.05 + 0.9*rng.Float32()
			switch i % 3 {
			case 0:
				target.Data[i] = rng.Float32()
			case 1:
				target.Data[i] = 1
			}
		}
		grad := graph.New(3, 40)
		l.Backward(pred, target, grad)
		const eps = 1e-3
		for i := range pred.Data {
			orig := pred.Data[i]
			pred.Data[i] = orig + eps
			up := float64(pred.Data[i])
			lp := l.Forward(pred, target)
			pred.Data[i] = orig - eps
			down := float64(pred.Data[i])
			lm := l.Forward(pred, target)
			pred.Data[i] = orig
			num := (lp - lm) / (up - down)
			if d := math.Abs(num - float64(grad.Data[i])); d > 1e-3*math.Abs(num)+1e-9 {
				t.Fatalf("%s: element %d: analytic %.8g, numeric %.8g", name, i, grad.Data[i], num)
			}
		}
	}
}

func TestLossSumIndependentOfCores(t *testing.T) {
	// Several blocks: the sum is the same whatever GOMAXPROCS.
	n := 5*lossBlock + 123
	pred, target := graph.New(n), graph.New(n)
	rng := rand.New(rand.NewPCG(1, 9))
	var want float64
	for i := range pred.Data {
		pred.Data[i] = rng.Float32()
		target.Data[i] = rng.Float32()
		d := float64(pred.Data[i]) - float64(target.Data[i])
		want += d * d
	}
	want /= float64(n)
	old := runtime.GOMAXPROCS(1)
	one := (&MeanSquaredError{}).Forward(pred, target)
	runtime.GOMAXPROCS(4)
	four := (&MeanSquaredError{}).Forward(pred, target)
	runtime.GOMAXPROCS(old)
	if one != four {
		t.Errorf("MSE with 1 core %.17g, with 4 %.17g", one, four)
	}
	if math.Abs(one-want) > 1e-12*want {
		t.Errorf("MSE %.17g, serial float64 sum %.17g", one, want)
	}
}

func TestNewLoss(t *testing.T) {
	for name, want := range map[string]string{"binary_crossentropy": "binary_crossentropy", "MSE": "mean_squared_error", "mean_squared_error": "mean_squared_error"} {
		l, err := NewLoss(name)
		if err != nil || l.Name() != want {
			t.Errorf("NewLoss(%q) = %v, %v; want %s", name, l, err, want)
		}
	}
	if _, err := NewLoss("hinge"); err == nil || !strings.Contains(err.Error(), "binary_crossentropy") {
		t.Errorf("unknown loss: %v", err)
	}
	if BCEEpsilon != 1e-7 {
		t.Errorf("BCEEpsilon = %g, Keras's K.epsilon() is 1e-7", BCEEpsilon)
	}
}

// TestBCETermsMatchScalar wants the assembly terms (bce_amd64.s) to carry
// the bits of the scalar loop's, t·log(q) + (1−t)·log(1−q) with math.Log,
// and the assembly gradient those of bceGrad's loop,
// for predictions across the clip range (clipped ones, NaN and ±Inf
// included) and targets 0, 1, in between and NaN; and bceSum the same sum
// either way.
func TestBCETermsMatchScalar(t *testing.T) {
	if !bceAsm {
		t.Skip("no AVX2: bceSum runs its scalar loop only")
	}
	rng := rand.New(rand.NewPCG(3, 9))
	const n = 4096 + 3
	p, y := make([]float32, n), make([]float32, n)
	for i := range p {
		switch rng.IntN(8) {
		case 0:
			p[i] = []float32{0, 1, 1e-9, 1 - 1e-8, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -3}[rng.IntN(8)]
		case 1:
			p[i] = float32(math.Exp(-rng.Float64() * 17)) // near 0, across binades
		case 2:
			p[i] = 1 - float32(math.Exp(-rng.Float64()*17))
		default:
			p[i] = rng.Float32()
		}
		switch rng.IntN(5) {
		case 0, 1:
			y[i] = 0
		case 2:
			y[i] = 1
		case 3:
			y[i] = float32(rng.IntN(256)) / 255
		default:
			y[i] = []float32{float32(math.NaN()), 0.5, 1e-30}[rng.IntN(3)]
		}
	}
	for i := 64; i < 256; i++ { // runs of zeros and of ones: the one-log paths
		y[i] = 0
	}
	for i := 256; i < 320; i++ {
		y[i] = 1
	}
	terms := make([]float64, n&^3)
	bceTerms(&p[0], &y[0], &terms[0], len(terms), bceLo, bceHi)
	for i, got := range terms {
		q := float64(p[i])
		if q < bceLo {
			q = bceLo
		} else if q > bceHi {
			q = bceHi
		}
		tv := float64(y[i])
		want := tv*math.Log(q) + (1-tv)*math.Log(1-q)
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("term %d (p %v, y %v): %v (%#x), want %v (%#x)", i, p[i], y[i], got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
	// The gradient kernel against bceGrad's scalar loop.
	fast := make([]float32, n)
	bceGrad(p, y, fast, 1.0/n)
	bceAsm = false
	slow := make([]float32, n)
	bceGrad(p, y, slow, 1.0/n)
	bceAsm = true
	for i := range fast {
		if math.Float32bits(fast[i]) != math.Float32bits(slow[i]) && !(fast[i] != fast[i] && slow[i] != slow[i]) {
			t.Fatalf("gradient %d (p %v, y %v): %v with assembly, %v without", i, p[i], y[i], fast[i], slow[i])
		}
	}
	// Without the NaNs, the sums agree to the bit.
	for i := range p {
		if p[i] != p[i] || y[i] != y[i] {
			p[i], y[i] = 0.5, 0.5
		}
	}
	sumFast := bceSum(p, y)
	bceAsm = false
	sumSlow := bceSum(p, y)
	bceAsm = true
	if math.Float64bits(sumFast) != math.Float64bits(sumSlow) || math.IsNaN(sumFast) {
		t.Errorf("bceSum: %v with assembly, %v without", sumFast, sumSlow)
	}
}
