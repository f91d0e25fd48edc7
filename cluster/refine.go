package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/train"
)

// Defaults of RefineConfig, those of the DCEC authors' code (Guo et al.,
// "Deep Clustering with Convolutional Autoencoders", ICONIP 2017).
const (
	DefaultRefineGamma    = 0.1
	DefaultRefineBatch    = 256
	DefaultRefineInterval = 140
	DefaultRefineMaxIter  = 20000
	DefaultRefineTol      = 0.001
	DefaultRefineNInit    = 20
)

// RefineConfig configures Refine.
type RefineConfig struct {
	// K is the number of clusters (required).
	K int
	// Gamma weighs the clustering loss against the reconstruction loss;
	// 0 means DefaultRefineGamma.
	Gamma float64
	// BatchSize is the number of samples per step; 0 means
	// DefaultRefineBatch.
	BatchSize int
	// UpdateInterval is the number of steps between updates of the
	// target distribution; 0 means DefaultRefineInterval.
	UpdateInterval int
	// MaxIter bounds the steps; 0 means DefaultRefineMaxIter.
	MaxIter int
	// Tol stops the run at a target update where fewer than Tol of the
	// samples changed cluster since the last one; 0 means
	// DefaultRefineTol, negative means never.
	Tol float64
	// NInit is the number of k-means restarts that place the initial
	// centres; 0 means DefaultRefineNInit.
	NInit int
	// Seed seeds k-means and the batch order.
	Seed uint64
	// Loss is the reconstruction loss; nil means mean squared error.
	// Optimizer updates the weights and the centres; nil means Adam with
	// Keras's defaults.
	Loss      train.Loss
	Optimizer func() train.Optimizer
	// Progress, when not nil, is called at each target update with the
	// step, the fraction of samples that changed cluster (1 at step 0)
	// and the mean reconstruction and clustering losses since the last
	// update.
	Progress func(iter int, changed, recon, clus float64)
}

// Refinement is what Refine found.
type Refinement struct {
	// K and D are the number of clusters and the code size; Centers holds
	// the K×D cluster centres, row-major.
	K, D    int
	Centers []float32
	// Labels gives each sample's cluster: the largest soft assignment.
	Labels []int
	// Iterations is the number of steps taken; Changed the fraction of
	// labels that changed at the last target update.
	Iterations int
	Changed    float64
}

// Refine trains an autoencoder's weights together with cluster centres in
// its code space, as DEC and DCEC do: k-means places the centres on the
// codes of x (the output of value cut, e.g. Split's bottleneck), then each
// step descends reconstruction loss + Gamma·KL(P‖Q), where Q is the
// soft assignment of each code to the centres by a Student's t kernel,
// q_ij ∝ (1 + ‖z_i − μ_j‖²)⁻¹, and P the sharpened target
// p_ij ∝ q_ij²/Σ_i q_ij, recomputed from all of x every UpdateInterval
// steps. The reconstruction keeps the code space from collapsing. g's
// first output must reconstruct its input; g's trainable weights are
// updated in place.
func Refine(g *graph.Graph, cut string, x *graph.Tensor, cfg RefineConfig) (*Refinement, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	input, err := dataInput(g)
	if err != nil {
		return nil, fmt.Errorf("cluster.Refine: %w", err)
	}
	if x == nil || x.DType != graph.Float32 || len(x.Shape) < 2 || x.Shape.Size() != len(x.Data) {
		return nil, fmt.Errorf("cluster.Refine: data must be a float32 batch [N,…]")
	}
	n := x.Shape[0]
	if n < cfg.K || n < cfg.BatchSize {
		return nil, fmt.Errorf("cluster.Refine: %d samples for %d clusters and batches of %d", n, cfg.K, cfg.BatchSize)
	}
	enc, _, err := graph.Split(g, cut)
	if err != nil {
		return nil, fmt.Errorf("cluster.Refine: %w", err)
	}
	// The encoder reads g's own weights, so that every target update sees
	// the latest step.
	for name := range enc.Params {
		enc.Params[name] = g.Params[name]
	}
	cut = enc.Outputs[0].Name
	r, err := newRefiner(g, input.Name, cut, x, cfg)
	if err != nil {
		return nil, err
	}
	codes, _, d, err := Encode(enc, x, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("cluster.Refine: %w", err)
	}
	if d != r.d {
		return nil, fmt.Errorf("cluster.Refine: encoder gives %d numbers per sample, the plan %d", d, r.d)
	}
	km, err := KMeans(codes, n, d, Config{K: cfg.K, NInit: cfg.NInit, Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("cluster.Refine: initial k-means: %w", err)
	}
	copy(r.mu.Data, km.Centers)
	return r.run(enc, codes)
}

func (cfg RefineConfig) withDefaults() (RefineConfig, error) {
	if cfg.K < 1 {
		return cfg, fmt.Errorf("cluster.Refine: K = %d, need at least 1", cfg.K)
	}
	switch {
	case cfg.Gamma < 0 || math.IsNaN(cfg.Gamma) || math.IsInf(cfg.Gamma, 0):
		return cfg, fmt.Errorf("cluster.Refine: Gamma = %g, need a non-negative number", cfg.Gamma)
	case math.IsNaN(cfg.Tol):
		return cfg, fmt.Errorf("cluster.Refine: Tol is NaN")
	case cfg.BatchSize < 0 || cfg.UpdateInterval < 0 || cfg.MaxIter < 0 || cfg.NInit < 0:
		return cfg, fmt.Errorf("cluster.Refine: negative BatchSize %d, UpdateInterval %d, MaxIter %d or NInit %d",
			cfg.BatchSize, cfg.UpdateInterval, cfg.MaxIter, cfg.NInit)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.BatchSize, DefaultRefineBatch)
	def(&cfg.UpdateInterval, DefaultRefineInterval)
	def(&cfg.MaxIter, DefaultRefineMaxIter)
	def(&cfg.NInit, DefaultRefineNInit)
	if cfg.Gamma == 0 {
		cfg.Gamma = DefaultRefineGamma
	}
	if cfg.Tol == 0 {
		cfg.Tol = DefaultRefineTol
	}
	if cfg.Loss == nil {
		cfg.Loss = &train.MeanSquaredError{}
	}
	if cfg.Optimizer == nil {
		cfg.Optimizer = func() train.Optimizer { return train.NewAdam() }
	}
	return cfg, nil
}

// refiner holds Refine's training plan and state.
type refiner struct {
	cfg       RefineConfig
	x         *graph.Tensor
	n, per, d int
	plan      *graph.Plan
	in        *graph.Tensor // the plan's input buffer
	recon     string        // the output's value name
	params    []*graph.Tensor
	grads     []*graph.Tensor
	opt, muOp train.Optimizer
	mu, dmu   *graph.Tensor // K×D centres and their gradient
	target    []float64     // P, n×K
	pb        []float64     // P's rows of the current batch
	dz        *graph.Tensor
	rows      []int
}

func newRefiner(g *graph.Graph, input, cut string, x *graph.Tensor, cfg RefineConfig) (*refiner, error) {
	// Train on a copy of g that also outputs the code.
	h := *g
	h.Outputs = append([]graph.ValueInfo{g.Outputs[0]}, graph.ValueInfo{Name: cut})
	b := cfg.BatchSize
	shape := append(graph.Shape{b}, x.Shape[1:]...)
	p, err := graph.Compile(&h, map[string]graph.Shape{input: shape}, graph.Options{})
	if err != nil {
		return nil, fmt.Errorf("cluster.Refine: compiling graph %q for batch %v: %w", g.Name, shape, err)
	}
	p.SetTraining(true)
	p.Seed(cfg.Seed)
	r := &refiner{cfg: cfg, x: x, n: x.Shape[0], per: len(x.Data) / x.Shape[0], plan: p,
		in: p.Value(input), recon: g.Outputs[0].Name}
	out, code := p.Value(r.recon), p.Value(cut)
	if out == nil || code == nil {
		return nil, fmt.Errorf("cluster.Refine: graph %q: no buffer for output %q or code %q", g.Name, r.recon, cut)
	}
	if len(out.Data) != len(r.in.Data) {
		return nil, fmt.Errorf("cluster.Refine: graph %q: output %q has shape %v, not the input's %v (not an autoencoder)", g.Name, r.recon, out.Shape, r.in.Shape)
	}
	r.d = len(code.Data) / b
	for _, name := range g.TrainableNames() {
		r.params = append(r.params, g.Params[name])
		gr := p.Grad(name)
		if gr == nil {
			return nil, fmt.Errorf("cluster.Refine: graph %q: no gradient for %q", g.Name, name)
		}
		r.grads = append(r.grads, gr)
	}
	r.opt, r.muOp = cfg.Optimizer(), cfg.Optimizer()
	r.mu, r.dmu = graph.New(cfg.K, r.d), graph.New(cfg.K, r.d)
	r.target = make([]float64, r.n*cfg.K)
	r.pb = make([]float64, b*cfg.K)
	r.dz = graph.New(code.Shape...)
	r.rows = make([]int, r.n)
	return r, nil
}

// run is Refine's loop, from the codes of the initial weights.
func (r *refiner) run(enc *graph.Graph, codes []float32) (*Refinement, error) {
	cfg, k := r.cfg, r.cfg.K
	labels, prev := make([]int, r.n), make([]int, r.n)
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d))
	for i := range r.rows {
		r.rows[i] = i
	}
	pos := r.n // next row of the shuffled order; n forces a shuffle
	res := &Refinement{K: k, D: r.d, Changed: 1}
	var reconSum, clusSum float64
	steps := 0
	for it := 0; ; it++ {
		if it%cfg.UpdateInterval == 0 || it == cfg.MaxIter {
			if it > 0 {
				var err error
				if codes, _, _, err = Encode(enc, r.x, 0, nil); err != nil {
					return nil, fmt.Errorf("cluster.Refine: step %d: %w", it, err)
				}
			}
			target(r.target, codes, r.mu.Data, r.n, r.d, k, labels)
			changed := 1.0
			if it > 0 {
				diff := 0
				for i, l := range labels {
					if l != prev[i] {
						diff++
					}
				}
				changed = float64(diff) / float64(r.n)
			}
			copy(prev, labels)
			res.Changed = changed
			if cfg.Progress != nil {
				s := float64(max(steps, 1))
				cfg.Progress(it, changed, reconSum/s, clusSum/s)
			}
			reconSum, clusSum, steps = 0, 0, 0
			if it == cfg.MaxIter || (it > 0 && changed < cfg.Tol) {
				res.Iterations = it
				break
			}
		}
		b := cfg.BatchSize
		if pos+b > r.n {
			rng.Shuffle(r.n, func(i, j int) { r.rows[i], r.rows[j] = r.rows[j], r.rows[i] })
			pos = 0
		}
		idx := r.rows[pos : pos+b]
		pos += b
		rl, cl, err := r.step(idx)
		if err != nil {
			return nil, fmt.Errorf("cluster.Refine: step %d: %w", it, err)
		}
		reconSum += rl
		clusSum += cl
		steps++
	}
	res.Centers = append([]float32(nil), r.mu.Data...)
	res.Labels = labels
	return res, nil
}

// step trains on the samples idx.
func (r *refiner) step(idx []int) (recon, clus float64, err error) {
	for i, row := range idx {
		copy(r.in.Data[i*r.per:(i+1)*r.per], r.x.Data[row*r.per:(row+1)*r.per])
	}
	outs, err := r.plan.Forward(r.in)
	if err != nil {
		return 0, 0, err
	}
	out, z := outs[0], outs[1]
	recon = r.cfg.Loss.Forward(out, r.in)
	dout := r.plan.Grad(r.recon)
	r.cfg.Loss.Backward(out, r.in, dout)
	k := r.cfg.K
	for i, row := range idx {
		copy(r.pb[i*k:(i+1)*k], r.target[row*k:(row+1)*k])
	}
	clus = klGrad(z.Data, r.mu.Data, r.pb, len(idx), r.d, k, r.cfg.Gamma, r.dz.Data, r.dmu.Data)
	if math.IsNaN(recon) || math.IsInf(recon, 0) || math.IsNaN(clus) || math.IsInf(clus, 0) {
		return 0, 0, fmt.Errorf("loss is not finite (reconstruction %g, clustering %g)", recon, clus)
	}
	if err := r.plan.Backward(dout, r.dz); err != nil {
		return 0, 0, err
	}
	r.opt.Step(r.params, r.grads)
	r.muOp.Step([]*graph.Tensor{r.mu}, []*graph.Tensor{r.dmu})
	return recon, clus, nil
}
