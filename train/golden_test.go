package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// The golden reference: 10 Keras 2 Adadelta steps of the seed autoencoder
// on one batch of 32 MNIST images (target = input), computed in float64 by
// gorgonia with a hand-written Keras Adadelta and cross-checked with
// TensorFlow.js and ONNX Runtime. testdata/seed-adadelta/README.md (a copy
// of shared/golden/seed-adadelta) describes the files and the tolerances a
// float32 engine must meet, used here:
const (
	goldenDir        = "testdata/seed-adadelta/"
	goldenLossAbs    = 1e-5 // losses, absolute
	goldenGradRel    = 1e-4 // step-1 gradient L2 norms, relative
	goldenWeightAbs  = 1e-6 // weights: |w - ref| ≤ abs + rel·|ref|
	goldenWeightRel  = 1e-4
	goldenStepsCount = 10
)

type goldenSteps struct {
	LossBefore  []float64            `json:"loss_before_step"`
	LossAfter   float64              `json:"loss_after_step10"`
	GradNorm1   map[string]float64   `json:"grad_l2_norm_step1"`
	GradNormAll []map[string]float64 `json:"grad_l2_norm_per_step"`
}

func loadGolden(t testing.TB) (*graph.Graph, *graph.Tensor, *goldenSteps, *graph.Graph) {
	t.Helper()
	g, err := onnx.ReadFile(goldenDir + "init.onnx")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := onnx.ReadTensorFile(goldenDir + "batch.pb")
	if err != nil {
		t.Fatal(err)
	}
	after, err := onnx.ReadFile(goldenDir + "after10.onnx")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(goldenDir + "steps.json")
	if err != nil {
		t.Fatal(err)
	}
	var s goldenSteps
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.LossBefore) != goldenStepsCount || len(s.GradNormAll) != goldenStepsCount || len(s.GradNorm1) != 10 {
		t.Fatalf("steps.json: %d losses, %d gradient-norm steps", len(s.LossBefore), len(s.GradNormAll))
	}
	if !batch.Shape.Equal(graph.Shape{32, 1, 28, 28}) {
		t.Fatalf("batch.pb: shape %v", batch.Shape)
	}
	// The ten conv kernels and biases are the weights, in layer order.
	names := g.TrainableNames()
	if len(names) != 10 {
		t.Fatalf("init.onnx: trainable %v, want the 10 conv kernels and biases", names)
	}
	for _, name := range names {
		if _, ok := s.GradNorm1[name]; !ok {
			t.Fatalf("init.onnx: trainable %q is not in steps.json", name)
		}
	}
	return g, batch, &s, after
}

func l2(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// goldenRun takes the 10 steps with opt by hand (plan, loss, backward,
// step) and returns the losses and the gradient norms of every step.
func goldenRun(t *testing.T, g *graph.Graph, batch *graph.Tensor, opt Optimizer) ([]float64, []map[string]float64) {
	t.Helper()
	p, err := graph.Compile(g, map[string]graph.Shape{g.Inputs[0].Name: batch.Shape}, graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.SetTraining(true)
	names := g.TrainableNames()
	var params, grads []*graph.Tensor
	for _, n := range names {
		params = append(params, g.Params[n])
		grads = append(grads, p.Grad(n))
	}
	loss := &BinaryCrossentropy{}
	var losses []float64
	var norms []map[string]float64
	for range goldenStepsCount {
		out, err := p.Forward(batch)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, loss.Forward(out[0], batch))
		dout := graph.New(out[0].Shape...)
		loss.Backward(out[0], batch, dout)
		if err := p.Backward(dout); err != nil {
			t.Fatal(err)
		}
		n := map[string]float64{}
		for i, name := range names {
			n[name] = l2(grads[i].Data)
		}
		norms = append(norms, n)
		opt.Step(params, grads)
	}
	return losses, norms
}

func TestGoldenSeedAdadelta(t *testing.T) {
	init, batch, ref, after := loadGolden(t)

	// By hand: losses and gradient norms at every step.
	g := init.Clone()
	losses, norms := goldenRun(t, g, batch, NewAdadelta())
	for k, l := range losses {
		if d := math.Abs(l - ref.LossBefore[k]); d > goldenLossAbs {
			t.Errorf("step %d: loss %.9f, Keras %.9f (|Δ| %.2g > %g)", k+1, l, ref.LossBefore[k], d, goldenLossAbs)
		}
	}
	worst := 0.0
	for name, want := range ref.GradNorm1 {
		rel := math.Abs(norms[0][name]-want) / want
		worst = max(worst, rel)
		if rel > goldenGradRel {
			t.Errorf("step 1: |∇%s| = %.9g, Keras %.9g (relative %.2g > %g)", name, norms[0][name], want, rel, goldenGradRel)
		}
	}
	t.Logf("step-1 gradient norms: worst relative difference %.2g", worst)
	worstLater := 0.0
	for k := 1; k < goldenStepsCount; k++ {
		for name, want := range ref.GradNormAll[k] {
			worstLater = max(worstLater, math.Abs(norms[k][name]-want)/want)
		}
	}
	t.Logf("steps 2-10 gradient norms: worst relative difference %.2g", worstLater)

	// Through Fit: 10 epochs of one batch, no shuffling.
	fitted := init.Clone()
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Shuffle = goldenStepsCount, 32, false
	h, err := Fit(fitted, batch, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for k, l := range h.Loss {
		if l != losses[k] {
			t.Errorf("Fit's epoch %d loss %.17g differs from the hand loop's %.17g", k+1, l, losses[k])
		}
	}
	paramsEqual(t, fitted, g)
	worstW, maxAbs := 0.0, 0.0
	for _, name := range fitted.TrainableNames() {
		w, r := fitted.Params[name], after.Params[name]
		if r == nil || !w.Shape.Equal(r.Shape) {
			t.Fatalf("after10.onnx: %s is %v, trained %v", name, r, w.Shape)
		}
		bad := 0
		for i := range w.Data {
			d := math.Abs(float64(w.Data[i]) - float64(r.Data[i]))
			maxAbs = max(maxAbs, d)
			worstW = max(worstW, d/(goldenWeightAbs+goldenWeightRel*math.Abs(float64(r.Data[i]))))
			if d > goldenWeightAbs+goldenWeightRel*math.Abs(float64(r.Data[i])) {
				if bad++; bad <= 3 {
					t.Errorf("%s[%d] = %.9g after 10 steps, Keras %.9g", name, i, w.Data[i], r.Data[i])
				}
			}
		}
	}
	t.Logf("weights after 10 steps: max |Δ| %.2g, worst Δ/tolerance %.3f", maxAbs, worstW)
	final, err := Evaluate(fitted, batch, nil, &BinaryCrossentropy{}, 32)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(final - ref.LossAfter); d > goldenLossAbs {
		t.Errorf("loss after step 10: %.9f, Keras %.9f", final, ref.LossAfter)
	}
	t.Logf("losses: step 1 %.9f (Keras %.9f), after step 10 %.9f (Keras %.9f)", losses[0], ref.LossBefore[0], final, ref.LossAfter)
}

// tfAdadelta is tf.train's (and TensorFlow.js's) Adadelta, which divides
// by the accumulator before this step's update: the negative control.
type tfAdadelta struct{ Adadelta }

func (o *tfAdadelta) Step(params, grads []*graph.Tensor) {
	o.s.prepare(params, grads, "accum_grad", "accum_var")
	acc, del := o.s.t["accum_grad"], o.s.t["accum_var"]
	for i, par := range params {
		p, g, a, d := par.Data, grads[i].Data, acc[i].Data, del[i].Data
		for j := range p {
			gj := float64(g[j])
			u := gj * math.Sqrt(float64(d[j])+o.Epsilon) / math.Sqrt(float64(a[j])+o.Epsilon)
			a[j] = float32(o.Rho*float64(a[j]) + (1-o.Rho)*gj*gj)
			p[j] = float32(float64(p[j]) - o.LearningRate*u)
			d[j] = float32(o.Rho*float64(d[j]) + (1-o.Rho)*u*u)
		}
	}
}

// The golden comparison tells the right rules from the wrong ones that
// other engines use: with tf.train's Adadelta or with a ReLU gradient of 1
// at 0 the reference is not met.
func TestGoldenNegativeControls(t *testing.T) {
	init, batch, ref, _ := loadGolden(t)

	losses, _ := goldenRun(t, init.Clone(), batch, &tfAdadelta{*NewAdadelta()})
	worst := 0.0
	for k, l := range losses {
		worst = max(worst, math.Abs(l-ref.LossBefore[k]))
	}
	t.Logf("tf.train Adadelta: max |Δloss| %.3g (README: 0.30)", worst)
	if worst < 0.1 {
		t.Errorf("tf.train's Adadelta matches the Keras losses within %.3g: the golden test cannot tell them apart", worst)
	}

	g := init.Clone()
	relus := 0
	for _, n := range g.Nodes {
		if n.Op == "Relu" {
			n.Op = "trainTestReluGE"
			relus++
		}
	}
	if relus != 4 {
		t.Fatalf("init.onnx has %d Relu nodes, want 4", relus)
	}
	losses, norms := goldenRun(t, g, batch, NewAdadelta())
	worst, worstGrad := 0.0, 0.0
	for k, l := range losses {
		worst = max(worst, math.Abs(l-ref.LossBefore[k]))
	}
	for name, want := range ref.GradNorm1 {
		worstGrad = max(worstGrad, math.Abs(norms[0][name]-want)/want)
	}
	t.Logf("ReLU' = 1 at 0: max |Δloss| %.3g (README: 3.6e-3), step-1 gradient norms up to %.3g relative (README: 1.82)", worst, worstGrad)
	if worst < 10*goldenLossAbs || worstGrad < 100*goldenGradRel {
		t.Errorf("ReLU' = 1 at 0 gives |Δloss| %.3g and gradient norms %.3g relative: within reach of the tolerances", worst, worstGrad)
	}
}

func init() {
	// Relu whose gradient is 1 at 0 (gorgonia's Rectify): the wrong rule.
	graph.Register(graph.OpDef{Type: "trainTestReluGE", Build: func(a graph.BuildArgs) (graph.Kernel, []graph.Shape, error) {
		return reluGE{}, []graph.Shape{a.In[0]}, nil
	}})
}

type reluGE struct{}

func (reluGE) Forward(_ *graph.Ctx, in, out []*graph.Tensor) {
	for i, v := range in[0].Data {
		out[0].Data[i] = max(v, 0)
	}
}

func (reluGE) Backward(_ *graph.Ctx, in, _, dout, din []*graph.Tensor) {
	if din[0] == nil {
		return
	}
	for i, v := range in[0].Data {
		if v >= 0 {
			din[0].Data[i] = dout[0].Data[i]
		} else {
			din[0].Data[i] = 0
		}
	}
}
