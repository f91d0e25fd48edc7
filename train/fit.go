package train

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/aekit/aekit/graph"
)

// DefaultBatchSize is Keras's default batch size.
const DefaultBatchSize = 32

// Config configures Fit. Its zero value is not Keras's defaults (it does
// not shuffle and has no loss): start from DefaultConfig.
type Config struct {
	// Epochs is the number of epochs to reach, counting those a resumed
	// checkpoint already ran (0 means 1).
	Epochs int
	// BatchSize is the number of samples per step (0 means 32). The last
	// batch of an epoch holds the remainder.
	BatchSize int
	// Shuffle reorders the training samples at the start of every epoch.
	// The order depends only on Seed and the epoch number.
	Shuffle bool
	// Seed drives shuffling and Dropout.
	Seed uint64
	// Loss is the objective (required).
	Loss Loss
	// Optimizer updates the weights (required).
	Optimizer Optimizer
	// ValidationX and ValidationY are the validation data (Keras's
	// validation_data); a nil ValidationY means the target is the input.
	ValidationX, ValidationY *graph.Tensor
	// ValidationSplit, used when ValidationX is nil, holds out that
	// fraction of the samples, taken from the end before any shuffling,
	// as Keras does.
	ValidationSplit float64
	// Callbacks are called after every epoch (EarlyStopping).
	Callbacks []Callback
	// Progress receives progress reports; nil prints nothing.
	Progress io.Writer
	// ProgressStyle picks a bar or per-epoch lines.
	ProgressStyle ProgressStyle
	// CheckpointPath, when set, is where a checkpoint (weights, optimizer
	// state, history, epoch) is written after every epoch, atomically.
	CheckpointPath string
	// Resume continues from the checkpoint at CheckpointPath when there is
	// one: the weights, optimizer state and history are restored and
	// training goes on from the next epoch, ending as an uninterrupted
	// run would.
	Resume bool
	// Engine, when set, builds the engine that computes each training
	// step's loss and gradients for a batch size, in place of the native
	// executor (which still runs validation). The gorgonia engine
	// (package train/gorgonia) is one.
	Engine func(g *graph.Graph, batch int) (Engine, error)
}

// DefaultConfig returns Keras 2's fit defaults with the seed model's
// training choices: 1 epoch, batch 32, shuffling, binary cross-entropy and
// Adadelta (learning rate 1.0).
func DefaultConfig() Config {
	return Config{Epochs: 1, BatchSize: DefaultBatchSize, Shuffle: true, Loss: &BinaryCrossentropy{}, Optimizer: NewAdadelta()}
}

// runPlan is a compiled plan for one batch size with its reused buffers.
type runPlan struct {
	p      *graph.Plan
	n      int
	x, y   *graph.Tensor // batch buffers; y is x when the target is the input
	dout   *graph.Tensor
	in     []*graph.Tensor
	douts  []*graph.Tensor
	grads  []*graph.Tensor
	hasGrd bool
	// engine, when Config.Engine is set, computes the training steps in
	// place of p (which still serves validation).
	engine Engine
}

// samples is a range of rows of x and y.
type samples struct {
	x, y   *graph.Tensor
	lo, n  int
	yIsX   bool
	xRow   int
	yRow   int
	xShape graph.Shape // per sample
}

// trainer holds everything one Fit reuses from step to step.
type trainer struct {
	g       *graph.Graph
	cfg     Config
	input   string
	outName string
	names   []string
	params  []*graph.Tensor
	plans   map[int]*runPlan
	train   samples
	val     samples
	aliasY  bool // the target is the input, in training and validation
	perm    []int
	pcg     rand.PCG
	rng     *rand.Rand
	epoch   int
	batch   int
	batches int
	// wroteCheckpoint is set once a checkpoint exists at CheckpointPath.
	wroteCheckpoint bool
}

// Fit trains g on inputs x (shape [N, …] as the graph's input) against
// targets y (shape [N, …] as the graph's output; nil means y = x, an
// autoencoder) and returns the per-epoch history. Losses are Keras's: an
// epoch's loss is the mean of its batch losses weighted by batch size, the
// validation loss the same over the validation set, computed in inference
// mode after the epoch. Inputs and targets may be graph.Uint8 tensors of
// pixels, converted batch by batch to float32(p)/255: a data set then takes
// a quarter of the memory and trains exactly as its float32 form.
//
// Training stops with a *NumericError when a loss, gradient or weight
// becomes NaN or infinite; the optimizer never applies a non-finite
// gradient, and the checkpoint on disk stays the last good epoch's.
func Fit(g *graph.Graph, x, y *graph.Tensor, cfg Config) (*History, error) {
	t, err := newTrainer(g, x, y, cfg, false)
	if err != nil {
		return nil, err
	}
	return t.run()
}

// newTrainer checks the data against g and compiles the plans Fit needs
// (only the inference plans for the validation data when evalOnly).
func newTrainer(g *graph.Graph, x, y *graph.Tensor, cfg Config, evalOnly bool) (*trainer, error) {
	if cfg.Loss == nil {
		return nil, fmt.Errorf("train: Config.Loss is nil")
	}
	if cfg.Optimizer == nil {
		return nil, fmt.Errorf("train: Config.Optimizer is nil")
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 1
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Epochs < 0 || cfg.BatchSize < 0 {
		return nil, fmt.Errorf("train: epochs %d and batch size %d must be positive", cfg.Epochs, cfg.BatchSize)
	}
	if cfg.ValidationSplit < 0 || cfg.ValidationSplit >= 1 || math.IsNaN(cfg.ValidationSplit) {
		return nil, fmt.Errorf("train: validation split %g is not in [0, 1)", cfg.ValidationSplit)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	t := &trainer{g: g, cfg: cfg, plans: map[int]*runPlan{}}
	for _, in := range g.Inputs {
		if _, isParam := g.Params[in.Name]; isParam {
			continue
		}
		if t.input != "" {
			return nil, fmt.Errorf("graph %q: Fit needs one input, the graph has %q and %q", g.Name, t.input, in.Name)
		}
		t.input = in.Name
	}
	if t.input == "" || len(g.Outputs) != 1 {
		return nil, fmt.Errorf("graph %q: Fit needs one input and one output, the graph has %d outputs", g.Name, len(g.Outputs))
	}
	t.outName = g.Outputs[0].Name
	for _, name := range g.TrainableNames() {
		p := g.Params[name]
		if p == nil {
			return nil, fmt.Errorf("graph %q: trainable parameter %q has no value", g.Name, name)
		}
		if p.DType != graph.Float32 {
			return nil, fmt.Errorf("graph %q: trainable parameter %q is %v, not float32", g.Name, name, p.DType)
		}
		t.names = append(t.names, name)
		t.params = append(t.params, p)
	}
	var all samples
	if !evalOnly {
		var err error
		if all, err = t.checkData("training", x, y); err != nil {
			return nil, err
		}
	}
	t.train = all
	var err error
	switch {
	case cfg.ValidationX != nil:
		if t.val, err = t.checkData("validation", cfg.ValidationX, cfg.ValidationY); err != nil {
			return nil, err
		}
	case cfg.ValidationSplit > 0:
		split := int(float64(all.n) * (1 - cfg.ValidationSplit))
		if split == 0 || split == all.n {
			return nil, fmt.Errorf("train: validation split %g of %d samples leaves %d for training and %d for validation", cfg.ValidationSplit, all.n, split, all.n-split)
		}
		t.train.n = split
		t.val = all
		t.val.lo, t.val.n = split, all.n-split
	}
	if (evalOnly || all.xShape.Equal(t.val.xShape)) && t.val.n > 0 {
		t.train.xShape = t.val.xShape
	} else if t.val.n > 0 {
		return nil, fmt.Errorf("train: validation inputs have shape %v per sample, training inputs %v", t.val.xShape, all.xShape)
	}
	t.aliasY = (evalOnly || t.train.yIsX) && (t.val.n == 0 || t.val.yIsX)
	// Compile every plan now: shape errors surface before any training.
	for _, n := range batchSizes(t.train.n, cfg.BatchSize) {
		if _, err := t.plan(n, true); err != nil {
			return nil, err
		}
	}
	for _, n := range batchSizes(t.val.n, cfg.BatchSize) {
		if _, err := t.plan(n, false); err != nil {
			return nil, err
		}
	}
	t.perm = make([]int, t.train.n)
	t.rng = rand.New(&t.pcg)
	return t, nil
}

// checkData checks a data set and describes its rows.
func (t *trainer) checkData(what string, x, y *graph.Tensor) (samples, error) {
	s := samples{x: x, y: y}
	if x == nil {
		return s, fmt.Errorf("train: %s inputs are nil", what)
	}
	if y == nil || y == x {
		s.y, s.yIsX = x, true
	}
	pixels := func(t *graph.Tensor) bool { return t.DType == graph.Uint8 }
	if (x.DType != graph.Float32 && !pixels(x)) || (s.y.DType != graph.Float32 && !pixels(s.y)) {
		return s, fmt.Errorf("train: %s data must be float32 (or uint8 pixels)", what)
	}
	if len(x.Shape) < 1 || x.Shape[0] < 1 || x.Shape.Size() != x.Len() {
		return s, fmt.Errorf("train: %s inputs have shape %v: want [N, …] with N ≥ 1", what, x.Shape)
	}
	if len(s.y.Shape) < 1 || s.y.Shape[0] != x.Shape[0] || s.y.Shape.Size() != s.y.Len() {
		return s, fmt.Errorf("train: %s targets have shape %v, inputs %v: want the same number of samples", what, s.y.Shape, x.Shape)
	}
	s.n = x.Shape[0]
	s.xShape = x.Shape[1:]
	s.xRow = x.Len() / s.n
	s.yRow = s.y.Len() / s.n
	return s, nil
}

// batchSizes lists the plan batch sizes n samples in batches of b need.
func batchSizes(n, b int) []int {
	var s []int
	if n >= b {
		s = append(s, b)
	}
	if r := n % b; r != 0 {
		s = append(s, r)
	}
	return s
}

// plan returns the plan for batches of n samples, compiling it on first
// use; grad asks for a plan that can train (an inference-only request is
// served by a training plan of the same size when there is one).
func (t *trainer) plan(n int, grad bool) (*runPlan, error) {
	if rp, ok := t.plans[n]; ok && (rp.hasGrd || !grad) {
		return rp, nil
	}
	shape := append(graph.Shape{n}, t.train.xShape...)
	p, err := graph.Compile(t.g, map[string]graph.Shape{t.input: shape}, graph.Options{NoGrad: !grad})
	if err != nil {
		return nil, fmt.Errorf("graph %q: compiling for batch %d: %w", t.g.Name, n, err)
	}
	rp := &runPlan{p: p, n: n, hasGrd: grad}
	// Batches are gathered straight into the plan's input buffer, and the
	// loss gradient written straight into its output gradient: Forward and
	// Backward then copy nothing.
	rp.x = p.Value(t.input)
	rp.in = []*graph.Tensor{rp.x}
	out := p.Value(t.outName)
	if out == nil || out.DType != graph.Float32 || len(out.Shape) == 0 || out.Shape[0] != n {
		return nil, fmt.Errorf("graph %q: output %q is not a float32 batch of %d", t.g.Name, t.outName, n)
	}
	if t.train.n > 0 && len(out.Data) != n*t.train.yRow {
		return nil, fmt.Errorf("graph %q: output %q has shape %v, the targets %v per sample", t.g.Name, t.outName, out.Shape, t.train.y.Shape[1:])
	}
	if t.val.n > 0 && len(out.Data) != n*t.val.yRow {
		return nil, fmt.Errorf("graph %q: output %q has shape %v, the validation targets %v per sample", t.g.Name, t.outName, out.Shape, t.val.y.Shape[1:])
	}
	if t.aliasY {
		rp.y = graph.FromData(rp.x.Data, out.Shape...)
	} else {
		rp.y = graph.New(out.Shape...)
	}
	if grad && t.cfg.Engine != nil {
		if rp.engine, err = t.cfg.Engine(t.g, n); err != nil {
			return nil, fmt.Errorf("graph %q: engine for batch %d: %w", t.g.Name, n, err)
		}
	}
	if grad {
		rp.dout = p.Grad(t.outName)
		rp.douts = []*graph.Tensor{rp.dout}
		for _, name := range t.names {
			rp.grads = append(rp.grads, p.Grad(name))
		}
	}
	t.plans[n] = rp
	return rp, nil
}

// gather copies the samples idx (relative to s.lo) into the batch buffers.
func gather(rp *runPlan, s *samples, idx []int) {
	xd, yd := rp.x.Data, rp.y.Data
	for i, r := range idx {
		r += s.lo
		copyRows(xd[i*s.xRow:(i+1)*s.xRow], s.x, r*s.xRow)
	}
	if &yd[0] == &xd[0] {
		return
	}
	for i, r := range idx {
		r += s.lo
		copyRows(yd[i*s.yRow:(i+1)*s.yRow], s.y, r*s.yRow)
	}
}

// copyRows fills dst from src starting at element off. Uint8 pixels become
// float32(p)/255, exactly Keras's x.astype('float32')/255.
func copyRows(dst []float32, src *graph.Tensor, off int) {
	if src.DType != graph.Uint8 {
		copy(dst, src.Data[off:off+len(dst)])
		return
	}
	for i, p := range src.Bytes[off : off+len(dst)] {
		dst[i] = pixelLUT[p]
	}
}

// pixelLUT maps a pixel to float32(p)/255.
var pixelLUT = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// step trains on the samples idx: forward, loss, backward, and the
// optimizer's update. It returns the batch's loss. A non-finite loss or
// gradient returns a *NumericError and leaves the weights untouched.
func (t *trainer) step(rp *runPlan, idx []int) (float64, error) {
	gather(rp, &t.train, idx)
	if rp.engine != nil {
		return t.engineStep(rp)
	}
	outs, err := rp.p.Forward(rp.in...)
	if err != nil {
		return 0, err
	}
	l := t.cfg.Loss.Forward(outs[0], rp.y)
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return l, t.forwardFault(rp, l, "loss")
	}
	t.cfg.Loss.Backward(outs[0], rp.y, rp.dout)
	if err := rp.p.Backward(rp.douts...); err != nil {
		return l, err
	}
	for i, gr := range rp.grads {
		if !finite(gr.Data) {
			return l, t.paramFault("gradient", i, gr.Data, l)
		}
	}
	return l, t.update(rp.grads, l)
}

// update applies the optimizer and checks that the weights stayed finite.
func (t *trainer) update(grads []*graph.Tensor, l float64) error {
	t.cfg.Optimizer.Step(t.params, grads)
	for i, p := range t.params {
		if !finite(p.Data) {
			return t.paramFault("weight", i, p.Data, l)
		}
	}
	return nil
}

// evaluate returns the mean loss over s, in batches, in inference mode.
// With check, a non-finite batch loss is a *NumericError.
func (t *trainer) evaluate(s *samples, check bool) (float64, error) {
	var sum float64
	t.batches = (s.n + t.cfg.BatchSize - 1) / t.cfg.BatchSize
	for lo := 0; lo < s.n; lo += t.cfg.BatchSize {
		n := min(t.cfg.BatchSize, s.n-lo)
		rp, err := t.plan(n, false)
		if err != nil {
			return 0, err
		}
		rp.p.SetTraining(false)
		xd, yd := rp.x.Data, rp.y.Data
		copyRows(xd[:n*s.xRow], s.x, (s.lo+lo)*s.xRow)
		if &yd[0] != &xd[0] {
			copyRows(yd[:n*s.yRow], s.y, (s.lo+lo)*s.yRow)
		}
		outs, err := rp.p.Forward(rp.in...)
		if err != nil {
			return 0, err
		}
		l := t.cfg.Loss.Forward(outs[0], rp.y)
		if check && (math.IsNaN(l) || math.IsInf(l, 0)) {
			t.batch = lo / t.cfg.BatchSize
			return l, t.forwardFault(rp, l, "validation loss")
		}
		sum += l * float64(n)
	}
	return sum / float64(s.n), nil
}

// order fills t.perm with the epoch's sample order: the identity, or a
// shuffle that depends only on (Seed, epoch).
func (t *trainer) order(epoch int) {
	for i := range t.perm {
		t.perm[i] = i
	}
	if t.cfg.Shuffle {
		t.pcg.Seed(t.cfg.Seed, 0x5348_5546_0000_0000^uint64(epoch))
		t.rng.Shuffle(len(t.perm), func(i, j int) { t.perm[i], t.perm[j] = t.perm[j], t.perm[i] })
	}
}

// dropoutSeed derives the seed of Dropout's generator for an epoch.
func dropoutSeed(seed uint64, epoch int) uint64 {
	return seed*0x9e3779b97f4a7c15 + uint64(epoch+1)*0xbf58476d1ce4e5b9
}

func (t *trainer) run() (*History, error) {
	cfg := t.cfg
	h := &History{}
	rep := newReporter(cfg.Progress, cfg.ProgressStyle)
	start := 0
	stopped := false
	if cfg.Resume && cfg.CheckpointPath != "" {
		ck, err := t.resume()
		if err != nil {
			return nil, err
		}
		if ck != nil {
			h, start, stopped = ck.history, ck.epoch, ck.stopped
			rep.printf("Resuming from %s after epoch %d/%d", cfg.CheckpointPath, start, cfg.Epochs)
			for e := 0; e < start && e < len(h.Loss); e++ {
				for _, cb := range cfg.Callbacks {
					if _, err := cb.EpochEnd(EpochLogs{Epoch: e, Loss: h.Loss[e], ValLoss: valAt(h, e)}); err != nil {
						return h, err
					}
				}
			}
		}
	}
	t.epoch, t.batch = start, -1 // a fault now is "before epoch start+1"
	for i, p := range t.params {
		if !finite(p.Data) {
			return h, t.paramFault("weight", i, p.Data, math.NaN())
		}
	}
	for epoch := start; epoch < cfg.Epochs && !stopped; epoch++ {
		t.epoch = epoch
		t.batches = (t.train.n + cfg.BatchSize - 1) / cfg.BatchSize
		began := time.Now()
		t.order(epoch)
		for _, rp := range t.plans {
			rp.p.Seed(dropoutSeed(cfg.Seed, epoch) + uint64(rp.n))
			rp.p.SetTraining(true)
		}
		rep.epochStart(epoch, cfg.Epochs, t.batches)
		var sum float64
		for b := 0; b < t.batches; b++ {
			t.batch = b
			lo, hi := b*cfg.BatchSize, min((b+1)*cfg.BatchSize, t.train.n)
			rp := t.plans[hi-lo]
			l, err := t.step(rp, t.perm[lo:hi])
			if err != nil {
				rep.abort()
				return h, err
			}
			sum += l * float64(hi-lo)
			rep.batch(hi-lo, l)
		}
		loss := sum / float64(t.train.n)
		val := math.NaN()
		if t.val.n > 0 {
			v, err := t.evaluate(&t.val, true)
			if err != nil {
				rep.abort()
				return h, err
			}
			val = v
		}
		secs := time.Since(began).Seconds()
		h.Loss = append(h.Loss, loss)
		if t.val.n > 0 {
			h.ValLoss = append(h.ValLoss, val)
		}
		h.Seconds = append(h.Seconds, secs)
		h.Epoch = epoch + 1
		rep.epochEnd(secs, loss, val, t.val.n > 0)
		for _, cb := range cfg.Callbacks {
			stop, err := cb.EpochEnd(EpochLogs{Epoch: epoch, Loss: loss, ValLoss: val, Graph: t.g})
			if err != nil {
				return h, err
			}
			stopped = stopped || stop
		}
		if cfg.CheckpointPath != "" {
			if err := t.checkpoint(h, stopped); err != nil {
				return h, err
			}
		}
	}
	return h, nil
}

func valAt(h *History, e int) float64 {
	if e < len(h.ValLoss) {
		return h.ValLoss[e]
	}
	return math.NaN()
}

// Evaluate returns g's mean loss on x against y (nil y: the input), in
// inference mode, in batches of batchSize (0 means 32) — Keras's evaluate.
func Evaluate(g *graph.Graph, x, y *graph.Tensor, loss Loss, batchSize int) (float64, error) {
	if batchSize == 0 {
		batchSize = DefaultBatchSize
	}
	cfg := Config{Epochs: 1, BatchSize: batchSize, Loss: loss, Optimizer: NewSGD(), ValidationX: x, ValidationY: y}
	t, err := newTrainer(g, x, y, cfg, true)
	if err != nil {
		return 0, err
	}
	return t.evaluate(&t.val, false)
}
