package cluster

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/aekit/aekit/graph"
)

// reluSigmoid is a two-node encoder, sigmoid(relu(x)), on inputs declared
// with the given shape.
func reluSigmoid(shape graph.Shape) *graph.Graph {
	g := graph.NewGraph("tiny")
	g.Inputs = []graph.ValueInfo{{Name: "x", Shape: shape}}
	g.Nodes = []*graph.Node{
		{Name: "relu", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
		{Name: "sigmoid", Op: "Sigmoid", Inputs: []string{"r"}, Outputs: []string{"code"}},
	}
	g.Outputs = []graph.ValueInfo{{Name: "code"}}
	return g
}

func randData(seed uint64, shape ...int) *graph.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := graph.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

func TestEncodeRunsEveryBatch(t *testing.T) {
	const n = 1000
	X := randData(1, n, 3, 4)
	g := reluSigmoid(graph.Shape{-1, 3, 4})
	want := make([]float32, len(X.Data))
	for i, v := range X.Data {
		want[i] = float32(1 / (1 + math.Exp(-float64(max(v, 0)))))
	}
	for _, batch := range []int{1, 7, 0, 333, n, 2 * n} {
		var calls, last int
		codes, gotN, d, err := Encode(g, X, batch, func(done, total int) {
			if done <= last || total != n {
				t.Errorf("batch %d: progress %d/%d after %d", batch, done, total, last)
			}
			last = done
			calls++
		})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if gotN != n || d != 12 || len(codes) != n*d {
			t.Fatalf("batch %d: n=%d d=%d, %d codes", batch, gotN, d, len(codes))
		}
		for i, v := range codes {
			if math.Abs(float64(v-want[i])) > 1e-6 {
				t.Fatalf("batch %d: code value %d = %v, want %v", batch, i, v, want[i])
			}
		}
		b := batch
		if b == 0 {
			b = DefaultEncodeBatch
		}
		b = min(b, n)
		if last != n || calls != (n+b-1)/b {
			t.Errorf("batch %d: progress ended at %d after %d calls", batch, last, calls)
		}
	}
}

func TestEncodeFixedBatchModel(t *testing.T) {
	g := reluSigmoid(graph.Shape{5, 3, 4}) // exported with batch 5
	codes, n, d, err := Encode(g, randData(2, 20, 3, 4), 64, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 20 || d != 12 || len(codes) != 240 {
		t.Errorf("n=%d d=%d, %d codes", n, d, len(codes))
	}
	if _, _, _, err := Encode(g, randData(2, 22, 3, 4), 64, nil); err == nil {
		t.Error("22 samples for a batch-5 model: no error")
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	g := reluSigmoid(graph.Shape{-1, 3, 4})
	two := reluSigmoid(graph.Shape{-1, 3, 4})
	two.Inputs = append(two.Inputs, graph.ValueInfo{Name: "y", Shape: graph.Shape{-1, 2}})
	for name, f := range map[string]func() error{
		"wrong sample shape": func() error { _, _, _, err := Encode(g, randData(3, 10, 4, 3), 4, nil); return err },
		"two inputs":         func() error { _, _, _, err := Encode(two, randData(3, 10, 3, 4), 4, nil); return err },
		"int data": func() error {
			_, _, _, err := Encode(g, graph.FromInts(make([]int64, 12), 1, 3, 4), 4, nil)
			return err
		},
		"negative batch": func() error { _, _, _, err := Encode(g, randData(3, 10, 3, 4), -1, nil); return err },
		"no samples":     func() error { _, _, _, err := Encode(g, graph.New(0, 3, 4), 4, nil); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// seedEncoder is the seed model's encoder: Conv2D(16, 3×3, relu, same) →
// MaxPooling2D → Conv2D(2, 3×3, relu, same) → MaxPooling2D: 98 codes per
// 28×28 image.
func seedEncoder(t testing.TB) *graph.Graph {
	g, err := graph.Sequential("seed-encoder", 1,
		graph.Input{Shape: []int{28, 28, 1}},
		graph.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Activation: "relu", Padding: "same"},
		graph.MaxPooling2D{},
		graph.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, Activation: "relu", Padding: "same"},
		graph.MaxPooling2D{},
	)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The convolutional encoder gives, batch by batch and in parallel, the
// codes a single whole-set run gives.
func TestEncodeConvEncoder(t *testing.T) {
	g := seedEncoder(t)
	X := randData(4, 100, 1, 28, 28)
	for i, v := range X.Data {
		X.Data[i] = float32(math.Abs(float64(v)) / 3)
	}
	out, err := graph.Run(g, X)
	if err != nil {
		t.Fatal(err)
	}
	want := out[0].Data
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		old := runtime.GOMAXPROCS(procs)
		codes, n, d, err := Encode(g, X, 32, nil)
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		if n != 100 || d != 98 {
			t.Fatalf("n=%d d=%d, want 100 codes of 98", n, d)
		}
		for i, v := range codes {
			if math.Abs(float64(v-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("procs %d: code value %d = %v, whole-set run %v", procs, i, v, want[i])
			}
		}
		if slices.Max(codes) <= 0 {
			t.Fatal("all codes are zero: the test data do not exercise the encoder")
		}
	}
}
