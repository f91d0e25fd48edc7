// Package bench measures how fast aekit trains, encodes and clusters, in
// one process, so that the figures of one run are comparable: native
// training throughput, the gorgonia engine's throughput on the same model,
// data and batch size, forward-only throughput through cluster.Encode,
// k-means time and the process's peak resident memory. The command
// `aekit bench` prints a Result; BENCHMARKS.md at the repository root
// records the figures and how they were made.
//
// Timed training is real training (train.Fit with the model's loss and
// Adadelta, shuffled batches), after a few warm-up steps, extrapolated to
// an epoch of the whole training set. Errors name the phase and the sizes
// at fault; Run never panics on bad input.
package bench

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/aekit/aekit/cluster"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/train"
	"github.com/aekit/aekit/train/gorgonia"
)

// Defaults of Config's zero fields.
const (
	DefaultSteps         = 300 // native training steps timed
	DefaultWarmupSteps   = 20  // native steps run before timing
	DefaultGorgoniaSteps = 100 // gorgonia steps timed
	gorgoniaWarmupSteps  = 2   // gorgonia steps run before timing
	DefaultK             = 10  // k-means clusters
	DefaultEncodeRepeats = 3   // encodes timed (the best is kept)
	// EncodeImages is the number of images encode_10k_s is scaled to.
	EncodeImages = 10000
)

// Config says what Run measures. Zero fields take the defaults above.
type Config struct {
	// Model is the model to train (an autoencoder: its target is its
	// input). Run trains clones of it, so it is not changed, and both
	// engines start from its weights.
	Model *graph.Graph
	// Train holds the training images, samples along axis 0; an epoch is
	// all of them (60,000 for MNIST).
	Train *graph.Tensor
	// Test holds the images encoded and clustered (10,000 for MNIST).
	Test *graph.Tensor
	// Loss is the training loss (nil: binary cross-entropy).
	Loss train.Loss
	// BatchSize is the training batch size (0: 32).
	BatchSize int
	// Steps is the number of native training steps timed (0:
	// DefaultSteps), on the first Steps×BatchSize training images.
	Steps int
	// Full times one whole epoch over Train instead of Steps steps.
	Full bool
	// WarmupSteps native steps run before the timed ones (0:
	// DefaultWarmupSteps; negative: none).
	WarmupSteps int
	// GorgoniaSteps is the number of gorgonia engine steps timed (0:
	// DefaultGorgoniaSteps; negative: the gorgonia engine is not run and
	// its figures stay 0).
	GorgoniaSteps int
	// EncodeBatch is cluster.Encode's batch size (0: its default).
	EncodeBatch int
	// Repeats is the number of timed encoding passes; the best is kept
	// (0: DefaultEncodeRepeats).
	Repeats int
	// K and NInit configure k-means (0: DefaultK and scikit-learn's 10
	// restarts).
	K, NInit int
	// Seed seeds shuffling and the k-means initialisation.
	Seed uint64
	// Log receives one line per phase as it ends; nil prints nothing.
	Log io.Writer
}

// Result holds the figures of one Run. Times are wall-clock seconds;
// epoch times are extrapolated from the steps timed to an epoch of
// EpochImages images.
type Result struct {
	NativeEpochS       float64 `json:"native_epoch_s"`
	GorgoniaEpochS     float64 `json:"gorgonia_epoch_s"`
	SpeedupVsGorgonia  float64 `json:"speedup_vs_gorgonia"`
	Encode10kS         float64 `json:"encode_10k_s"`
	KMeansS            float64 `json:"kmeans_s"`
	PeakRSSMB          float64 `json:"peak_rss_mb"`
	NativeImagesPerS   float64 `json:"native_images_per_s"`
	GorgoniaImagesPerS float64 `json:"gorgonia_images_per_s"`
	// TrainPeakRSSMB is the peak RSS right after native training: the
	// data sets loaded and the model trained, nothing else run yet.
	TrainPeakRSSMB float64 `json:"train_peak_rss_mb"`
	// NativePeakRSSMB is the peak RSS before the gorgonia engine ran:
	// native training, encoding and k-means, with the data sets loaded.
	NativePeakRSSMB float64 `json:"native_peak_rss_mb"`
	// Forward10kS is the full model's forward time (encoder and decoder)
	// over EncodeImages images.
	Forward10kS      float64 `json:"forward_10k_s"`
	EncodeImagesPerS float64 `json:"encode_images_per_s"`
	// TrainGFLOPPerEpoch counts the multiply-adds of Conv, Gemm and
	// MatMul (2 FLOP each) of a training step — forward, input gradient
	// and weight gradient — over an epoch; NativeGFLOPS is that divided by
	// NativeEpochS.
	TrainGFLOPPerEpoch float64 `json:"train_gflop_per_epoch"`
	NativeGFLOPS       float64 `json:"native_gflops"`
	// NativeCPUEpochS and GorgoniaCPUEpochS are the process CPU time
	// (user + system, all threads) of the timed steps, extrapolated to an
	// epoch (0 where the system does not report it). On a shared machine
	// they are steadier than wall time; NativeCPUEpochS / GOMAXPROCS is
	// the epoch time the native engine would take with every core its own
	// and perfect parallel scaling.
	NativeCPUEpochS   float64 `json:"native_cpu_epoch_s"`
	GorgoniaCPUEpochS float64 `json:"gorgonia_cpu_epoch_s"`
	NativeSteps       int     `json:"native_steps"`
	GorgoniaSteps     int     `json:"gorgonia_steps"`
	BatchSize         int     `json:"batch_size"`
	EpochImages       int     `json:"epoch_images"`
	EncodedImages     int     `json:"encoded_images"`
	CodeDim           int     `json:"code_dim"`
	KMeansIter        int     `json:"kmeans_iter"`
	NativeLoss        float64 `json:"native_loss"`
	GorgoniaLoss      float64 `json:"gorgonia_loss"`
	GOMAXPROCS        int     `json:"gomaxprocs"`
}

// Run measures cfg's model and data; see the package documentation. The
// phases run in order: native training, encoding (encoder and full
// model), k-means on the codes of the natively trained encoder, then the
// gorgonia engine (last, so that NativePeakRSSMB does not include it).
func Run(cfg Config) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	r := Result{BatchSize: cfg.BatchSize, EpochImages: cfg.Train.Shape[0], GOMAXPROCS: runtime.GOMAXPROCS(0)}
	logf := func(format string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", a...)
		}
	}

	g := cfg.Model.Clone()
	steps := cfg.Steps
	if cfg.Full {
		steps = (r.EpochImages + cfg.BatchSize - 1) / cfg.BatchSize
	}
	secs, cpu, imgs, loss, err := timeFit(g, cfg, nil, cfg.WarmupSteps, steps)
	if err != nil {
		return r, fmt.Errorf("bench: native training: %w", err)
	}
	r.NativeCPUEpochS = cpu * float64(r.EpochImages) / float64(imgs)
	r.TrainPeakRSSMB = PeakRSSMB()
	r.NativeSteps, r.NativeLoss = steps, loss
	r.NativeImagesPerS = float64(imgs) / secs
	r.NativeEpochS = float64(r.EpochImages) / r.NativeImagesPerS
	if fl, err := TrainFLOPs(g); err == nil {
		r.TrainGFLOPPerEpoch = fl * float64(r.EpochImages) / 1e9
		r.NativeGFLOPS = r.TrainGFLOPPerEpoch / r.NativeEpochS
	}
	logf("native:   %d steps of %d in %.3f s: %.0f images/s, %.2f s/epoch (%.1f GFLOP/s; %.2f CPU s/epoch), loss %.4f", steps, cfg.BatchSize, secs, r.NativeImagesPerS, r.NativeEpochS, r.NativeGFLOPS, r.NativeCPUEpochS, loss)

	enc, _, err := graph.Split(g, "")
	if err != nil {
		return r, fmt.Errorf("bench: encoder: %w", err)
	}
	n := cfg.Test.Shape[0]
	r.EncodedImages = n
	codes, d, encS, err := timeEncode(enc, cfg.Test, cfg.EncodeBatch, cfg.Repeats)
	if err != nil {
		return r, err
	}
	r.CodeDim = d
	r.EncodeImagesPerS = float64(n) / encS
	r.Encode10kS = EncodeImages / r.EncodeImagesPerS
	_, _, fwdS, err := timeEncode(g, cfg.Test, cfg.EncodeBatch, cfg.Repeats)
	if err != nil {
		return r, err
	}
	r.Forward10kS = fwdS * EncodeImages / float64(n)
	logf("encode:   %d images (%d codes each) in %.3f s (best of %d): %.0f images/s; full model forward %.3f s", n, d, encS, cfg.Repeats, r.EncodeImagesPerS, fwdS)

	began := time.Now()
	m, err := cluster.KMeans(codes, n, d, cluster.Config{K: cfg.K, NInit: cfg.NInit, Seed: cfg.Seed})
	if err != nil {
		return r, fmt.Errorf("bench: k-means: %w", err)
	}
	r.KMeansS = time.Since(began).Seconds()
	r.KMeansIter = m.NIter
	logf("k-means:  %d×%d codes, k=%d, %d restarts in %.3f s (best run: %d iterations)", n, d, cfg.K, cfg.NInit, r.KMeansS, m.NIter)

	r.NativePeakRSSMB = PeakRSSMB()
	if cfg.GorgoniaSteps > 0 {
		secs, cpu, imgs, loss, err := timeFit(cfg.Model.Clone(), cfg, gorgonia.Engine(cfg.Loss.Name()), gorgoniaWarmupSteps, cfg.GorgoniaSteps)
		if err != nil {
			return r, fmt.Errorf("bench: gorgonia engine: %w", err)
		}
		r.GorgoniaCPUEpochS = cpu * float64(r.EpochImages) / float64(imgs)
		r.GorgoniaSteps, r.GorgoniaLoss = cfg.GorgoniaSteps, loss
		r.GorgoniaImagesPerS = float64(imgs) / secs
		r.GorgoniaEpochS = float64(r.EpochImages) / r.GorgoniaImagesPerS
		r.SpeedupVsGorgonia = r.GorgoniaEpochS / r.NativeEpochS
		logf("gorgonia: %d steps of %d in %.3f s: %.0f images/s, %.1f s/epoch (%.1f CPU s/epoch); native is %.1f× faster", cfg.GorgoniaSteps, cfg.BatchSize, secs, r.GorgoniaImagesPerS, r.GorgoniaEpochS, r.GorgoniaCPUEpochS, r.SpeedupVsGorgonia)
	}
	r.PeakRSSMB = PeakRSSMB()
	logf("peak RSS: %.0f MiB (%.0f MiB after native training, %.0f MiB before the gorgonia engine ran)", r.PeakRSSMB, r.TrainPeakRSSMB, r.NativePeakRSSMB)
	return r, nil
}

// withDefaults checks cfg and fills in its zero fields.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Model == nil || cfg.Train == nil || cfg.Test == nil {
		return cfg, fmt.Errorf("bench: Config needs Model, Train and Test")
	}
	for _, d := range []struct {
		name string
		t    *graph.Tensor
	}{{"training", cfg.Train}, {"test", cfg.Test}} {
		if d.t.DType != graph.Float32 || len(d.t.Shape) < 2 || d.t.Shape[0] < 1 || d.t.Shape.Size() != len(d.t.Data) {
			return cfg, fmt.Errorf("bench: %s data must be float32 samples along axis 0, got %v %v with %d values", d.name, d.t.DType, d.t.Shape, len(d.t.Data))
		}
	}
	if cfg.Loss == nil {
		cfg.Loss = &train.BinaryCrossentropy{}
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = train.DefaultBatchSize
	}
	if cfg.Steps == 0 {
		cfg.Steps = DefaultSteps
	}
	if cfg.WarmupSteps == 0 {
		cfg.WarmupSteps = DefaultWarmupSteps
	}
	cfg.WarmupSteps = max(cfg.WarmupSteps, 0)
	if cfg.GorgoniaSteps == 0 {
		cfg.GorgoniaSteps = DefaultGorgoniaSteps
	}
	if cfg.Repeats == 0 {
		cfg.Repeats = DefaultEncodeRepeats
	}
	if cfg.K == 0 {
		cfg.K = DefaultK
	}
	if cfg.NInit == 0 {
		cfg.NInit = cluster.DefaultNInit
	}
	switch {
	case cfg.BatchSize < 0:
		return cfg, fmt.Errorf("bench: batch size %d is negative", cfg.BatchSize)
	case cfg.Steps < 0:
		return cfg, fmt.Errorf("bench: steps %d is negative", cfg.Steps)
	case cfg.Repeats < 0:
		return cfg, fmt.Errorf("bench: %d encoding repeats", cfg.Repeats)
	case cfg.EncodeBatch < 0:
		return cfg, fmt.Errorf("bench: encode batch %d is negative", cfg.EncodeBatch)
	case cfg.K < 1 || cfg.K > cfg.Test.Shape[0]:
		return cfg, fmt.Errorf("bench: k = %d clusters for %d test images", cfg.K, cfg.Test.Shape[0])
	case cfg.NInit < 1:
		return cfg, fmt.Errorf("bench: %d k-means restarts", cfg.NInit)
	}
	n := cfg.Train.Shape[0]
	need := max(cfg.Steps, cfg.WarmupSteps, cfg.GorgoniaSteps, gorgoniaWarmupSteps) * cfg.BatchSize
	if !cfg.Full && need > n {
		return cfg, fmt.Errorf("bench: %d steps of batch %d need %d training images, have %d", max(cfg.Steps, cfg.WarmupSteps, cfg.GorgoniaSteps), cfg.BatchSize, need, n)
	}
	return cfg, nil
}

// timeFit trains g with Fit (engine nil: the native one) for warm steps,
// then, timed, for steps steps, each on the first steps×BatchSize training
// images (shuffled), and returns the timed epoch's seconds (as Fit
// measures it: compilation excluded), the process CPU seconds of that Fit
// (compilation included), its number of images and its loss.
func timeFit(g *graph.Graph, cfg Config, engine func(*graph.Graph, int) (train.Engine, error), warm, steps int) (secs, cpu float64, imgs int, loss float64, err error) {
	tc := train.DefaultConfig()
	tc.BatchSize, tc.Seed, tc.Loss, tc.Engine = cfg.BatchSize, cfg.Seed, cfg.Loss, engine
	tc.Optimizer = train.NewAdadelta()
	if warm > 0 {
		if _, err := train.Fit(g, head(cfg.Train, warm*cfg.BatchSize), nil, tc); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("warm-up: %w", err)
		}
	}
	x := head(cfg.Train, steps*cfg.BatchSize)
	cpu0 := processCPUSeconds()
	h, err := train.Fit(g, x, nil, tc)
	cpu = processCPUSeconds() - cpu0
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if len(h.Seconds) != 1 || h.Seconds[0] <= 0 {
		return 0, 0, 0, 0, fmt.Errorf("Fit reported epoch times %v", h.Seconds)
	}
	return h.Seconds[0], cpu, x.Shape[0], h.Loss[0], nil
}

// head returns the first n samples of x (all of them when n exceeds its
// length), sharing x's data.
func head(x *graph.Tensor, n int) *graph.Tensor {
	n = min(n, x.Shape[0])
	s := x.Shape.Clone()
	per := s[1:].Size()
	s[0] = n
	return &graph.Tensor{Shape: s, DType: x.DType, Data: x.Data[: n*per : n*per]}
}

// timeEncode runs cluster.Encode of X through g once on a few batches to
// warm up and then repeats times, and returns the codes, their dimension
// and the best time.
func timeEncode(g *graph.Graph, X *graph.Tensor, batch, repeats int) (codes []float32, d int, best float64, err error) {
	if _, _, _, err := cluster.Encode(g, head(X, 2*max(batch, cluster.DefaultEncodeBatch)), batch, nil); err != nil {
		return nil, 0, 0, fmt.Errorf("bench: encoding through %q: %w", g.Name, err)
	}
	for range repeats {
		began := time.Now()
		c, _, dim, err := cluster.Encode(g, X, batch, nil)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("bench: encoding through %q: %w", g.Name, err)
		}
		if s := time.Since(began).Seconds(); best == 0 || s < best {
			best = s
		}
		codes, d = c, dim
	}
	return codes, d, best, nil
}
