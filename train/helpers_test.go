package train

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/aekit/aekit/graph"
)

// Test-only operators, registered under names no real operator uses, so
// the tests of this package build trainable graphs whatever operators
// graph/ has.
//
//	trainTestDense(x [N,…], W [F,K], b [K]) = x·W + b, x flattened to [N,F]
//	trainTestFault(x) = x, except that while faultForward > 0 the forward
//	    that brings it to 0 writes a NaN (and likewise faultBackward for the
//	    gradient).
var faultForward, faultBackward atomic.Int64

func init() {
	graph.Register(graph.OpDef{Type: "trainTestDense", Build: func(a graph.BuildArgs) (graph.Kernel, []graph.Shape, error) {
		if len(a.In) != 3 || len(a.In[1]) != 2 || len(a.In[2]) != 1 {
			return nil, nil, a.Errorf("want x, W [F,K], b [K]")
		}
		n, f, k := a.In[0][0], a.In[1][0], a.In[1][1]
		if a.In[0].Size() != n*f || a.In[2][0] != k {
			return nil, nil, a.Errorf("x %v does not match W %v / b %v", a.In[0], a.In[1], a.In[2])
		}
		return &denseKernel{n: n, f: f, k: k}, []graph.Shape{{n, k}}, nil
	}})
	graph.Register(graph.OpDef{Type: "trainTestFault", Build: func(a graph.BuildArgs) (graph.Kernel, []graph.Shape, error) {
		return faultKernel{}, []graph.Shape{a.In[0]}, nil
	}})
}

type denseKernel struct{ n, f, k int }

func (d *denseKernel) Forward(_ *graph.Ctx, in, out []*graph.Tensor) {
	x, w, b, y := in[0].Data, in[1].Data, in[2].Data, out[0].Data
	for i := 0; i < d.n; i++ {
		for j := 0; j < d.k; j++ {
			s := b[j]
			for l := 0; l < d.f; l++ {
				s += x[i*d.f+l] * w[l*d.k+j]
			}
			y[i*d.k+j] = s
		}
	}
}

func (d *denseKernel) Backward(_ *graph.Ctx, in, _, dout, din []*graph.Tensor) {
	x, w, g := in[0].Data, in[1].Data, dout[0].Data
	if din[0] != nil {
		dx := din[0].Data
		for i := 0; i < d.n; i++ {
			for l := 0; l < d.f; l++ {
				var s float32
				for j := 0; j < d.k; j++ {
					s += g[i*d.k+j] * w[l*d.k+j]
				}
				dx[i*d.f+l] = s
			}
		}
	}
	if din[1] != nil {
		dw := din[1].Data
		for l := 0; l < d.f; l++ {
			for j := 0; j < d.k; j++ {
				var s float32
				for i := 0; i < d.n; i++ {
					s += x[i*d.f+l] * g[i*d.k+j]
				}
				dw[l*d.k+j] = s
			}
		}
	}
	if din[2] != nil {
		db := din[2].Data
		for j := 0; j < d.k; j++ {
			var s float64
			for i := 0; i < d.n; i++ {
				s += float64(g[i*d.k+j])
			}
			db[j] = float32(s)
		}
	}
}

type faultKernel struct{}

func (faultKernel) Forward(_ *graph.Ctx, in, out []*graph.Tensor) {
	copy(out[0].Data, in[0].Data)
	if faultForward.Load() > 0 && faultForward.Add(-1) == 0 {
		out[0].Data[0] = float32(math.NaN())
	}
}

func (faultKernel) Backward(_ *graph.Ctx, _, _, dout, din []*graph.Tensor) {
	if din[0] == nil {
		return
	}
	copy(din[0].Data, dout[0].Data)
	if faultBackward.Load() > 0 && faultBackward.Add(-1) == 0 {
		din[0].Data[0] = float32(math.Inf(1))
	}
}

// tinyAE builds an autoencoder of features inputs: dense(features→hidden)
// → Relu [→ trainTestFault] → dense(hidden→features) → Sigmoid, with
// glorot-uniform weights drawn from seed, and Keras layer records.
func tinyAE(features, hidden int, seed uint64, fault bool) *graph.Graph {
	rng := rand.New(rand.NewPCG(seed, 3))
	g := graph.NewGraph("tiny")
	g.Inputs = []graph.ValueInfo{{Name: "input", Shape: graph.Shape{-1, features}}}
	glorot := func(f, k int) *graph.Tensor {
		t := graph.New(f, k)
		l := math.Sqrt(6 / float64(f+k))
		for i := range t.Data {
			t.Data[i] = float32((rng.Float64()*2 - 1) * l)
		}
		return t
	}
	g.AddParam("dense_1.kernel", glorot(features, hidden), true)
	g.AddParam("dense_1.bias", graph.New(hidden), true)
	g.AddParam("dense_2.kernel", glorot(hidden, features), true)
	g.AddParam("dense_2.bias", graph.New(features), true)
	mid := "relu_1"
	g.Nodes = []*graph.Node{
		{Name: "dense_1", Op: "trainTestDense", Inputs: []string{"input", "dense_1.kernel", "dense_1.bias"}, Outputs: []string{"dense_1"}},
		{Name: "activation_1", Op: "Relu", Inputs: []string{"dense_1"}, Outputs: []string{"relu_1"}},
	}
	if fault {
		g.Nodes = append(g.Nodes, &graph.Node{Name: "fault", Op: "trainTestFault", Inputs: []string{"relu_1"}, Outputs: []string{"fault"}})
		mid = "fault"
	}
	g.Nodes = append(g.Nodes,
		&graph.Node{Name: "dense_2", Op: "trainTestDense", Inputs: []string{mid, "dense_2.kernel", "dense_2.bias"}, Outputs: []string{"dense_2"}},
		&graph.Node{Name: "activation_2", Op: "Sigmoid", Inputs: []string{"dense_2"}, Outputs: []string{"output"}},
	)
	g.Outputs = []graph.ValueInfo{{Name: "output", Shape: graph.Shape{-1, features}}}
	g.Layers = []graph.LayerInfo{
		{Name: "dense_1", Type: "Dense", Output: "dense_1", Params: []string{"dense_1.kernel", "dense_1.bias"}},
		{Name: "activation_1", Type: "Activation", Output: "relu_1"},
		{Name: "dense_2", Type: "Dense", Output: "dense_2", Params: []string{"dense_2.kernel", "dense_2.bias"}},
		{Name: "activation_2", Type: "Activation", Output: "output"},
	}
	return g
}

// tinyData returns n samples of features values in [0,1], a third of them
// exactly 0 (as image background is).
func tinyData(n, features int, seed uint64) *graph.Tensor {
	rng := rand.New(rand.NewPCG(seed, 5))
	x := graph.New(n, features)
	for i := range x.Data {
		if rng.IntN(3) > 0 {
			x.Data[i] = rng.Float32()
		}
	}
	return x
}

func TestTestDenseGradient(t *testing.T) {
	g := tinyAE(6, 3, 1, false)
	x := tinyData(5, 6, 2)
	if err := graph.CheckGradients(g, []*graph.Tensor{x}, graph.GradCheck{Eps: 1e-3, MaxPerTensor: -1}); err != nil {
		t.Fatal(err)
	}
}

func paramsEqual(t *testing.T, a, b *graph.Graph) {
	t.Helper()
	for name := range a.Trainable {
		pa, pb := a.Params[name].Data, b.Params[name].Data
		for i := range pa {
			if math.Float32bits(pa[i]) != math.Float32bits(pb[i]) {
				t.Fatalf("%s[%d]: %v != %v", name, i, pa[i], pb[i])
			}
		}
	}
}
