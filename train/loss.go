package train

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aekit/aekit/graph"
)

// Loss is a training objective comparing a model's output with its target.
// Both methods take tensors of the same number of elements; a Loss may own
// scratch memory, so one value is not safe for concurrent use.
type Loss interface {
	// Name returns the Keras name of the loss ("binary_crossentropy").
	Name() string
	// Forward returns the loss: the mean over all elements of the batch.
	Forward(pred, target *graph.Tensor) float64
	// Backward overwrites grad with the gradient of Forward's value with
	// respect to pred.
	Backward(pred, target, grad *graph.Tensor)
}

// BCEEpsilon is Keras's K.epsilon(): binary cross-entropy clips predictions
// to [BCEEpsilon, 1-BCEEpsilon] before taking logarithms.
const BCEEpsilon = 1e-7

// lossBlock is the number of elements summed per block. Block sums are
// combined in block order, so a loss does not depend on the core count.
const lossBlock = 8192

// BinaryCrossentropy is Keras 2's binary_crossentropy on probabilities:
//
//	p = clip(pred, ε, 1-ε)   (ε = BCEEpsilon, both bounds rounded to float32)
//	L = mean over all elements of -(y·log p + (1-y)·log(1-p))
//
// Its gradient is (p-y)/(p·(1-p))/N inside the clip and 0 where the clip is
// active, as TensorFlow differentiates clip_by_value. Sums are float64.
type BinaryCrossentropy struct {
	sum blockSummer
	ew  elementwiser
}

// bceLo and bceHi are the clip bounds as Keras applies them, in float32.
var (
	bceLo = float64(float32(BCEEpsilon))
	bceHi = float64(float32(1 - BCEEpsilon))
)

// Name returns "binary_crossentropy".
func (*BinaryCrossentropy) Name() string { return "binary_crossentropy" }

// Forward returns the mean binary cross-entropy of pred against target.
func (l *BinaryCrossentropy) Forward(pred, target *graph.Tensor) float64 {
	p, y := lossArgs("binary_crossentropy", pred, target)
	return l.sum.run(p, y, bceSum) / float64(len(p))
}

func bceSum(p, y []float32) float64 {
	var s float64
	y = y[:len(p)]
	if bceAsm {
		// The terms four at a time (the scalar loop's bits), summed
		// in the scalar loop's order.
		var terms [256]float64
		for len(p) >= 4 {
			n := min(len(p), len(terms)) &^ 3
			bceTerms(&p[0], &y[0], &terms[0], n, bceLo, bceHi)
			for _, v := range terms[:n] {
				s -= v
			}
			p, y = p[n:], y[n:]
		}
	}
	for i, v := range p {
		q := float64(v)
		if q < bceLo {
			q = bceLo
		} else if q > bceHi {
			q = bceHi
		}
		// Targets are mostly exactly 0 or 1 (images): skip the log whose
		// weight is zero. The sum is the same bit for bit.
		switch t := float64(y[i]); t {
		case 0:
			s -= math.Log(1 - q)
		case 1:
			s -= math.Log(q)
		default:
			s -= t*math.Log(q) + (1-t)*math.Log(1-q)
		}
	}
	return s
}

// Backward overwrites grad with ∂L/∂pred.
func (l *BinaryCrossentropy) Backward(pred, target, grad *graph.Tensor) {
	p, y := lossArgs("binary_crossentropy", pred, target)
	l.ew.run(p, y, grad.Data[:len(p)], 1/float64(len(p)), bceGrad)
}

func bceGrad(p, y, g []float32, scale float64) {
	y, g = y[:len(p)], g[:len(p)]
	if n := len(p) &^ 3; bceAsm && n > 0 {
		bceGrads(&p[0], &y[0], &g[0], n, bceLo, bceHi, scale) // the same bits
		p, y, g = p[n:], y[n:], g[n:]
	}
	for i, v := range p {
		q := float64(v)
		if q < bceLo || q > bceHi {
			g[i] = 0
			continue
		}
		g[i] = float32((q - float64(y[i])) / (q * (1 - q)) * scale)
	}
}

// MeanSquaredError is Keras's mean_squared_error: the mean over all elements
// of (pred-target)², with gradient 2·(pred-target)/N.
type MeanSquaredError struct {
	sum blockSummer
	ew  elementwiser
}

// Name returns "mean_squared_error".
func (*MeanSquaredError) Name() string { return "mean_squared_error" }

// Forward returns the mean squared error of pred against target.
func (l *MeanSquaredError) Forward(pred, target *graph.Tensor) float64 {
	p, y := lossArgs("mean_squared_error", pred, target)
	return l.sum.run(p, y, mseSum) / float64(len(p))
}

func mseSum(p, y []float32) float64 {
	var s float64
	y = y[:len(p)]
	for i, v := range p {
		d := float64(v) - float64(y[i])
		s += d * d
	}
	return s
}

// Backward overwrites grad with ∂L/∂pred.
func (l *MeanSquaredError) Backward(pred, target, grad *graph.Tensor) {
	p, y := lossArgs("mean_squared_error", pred, target)
	l.ew.run(p, y, grad.Data[:len(p)], 2/float64(len(p)), mseGrad)
}

func mseGrad(p, y, g []float32, scale float64) {
	y, g = y[:len(p)], g[:len(p)]
	for i, v := range p {
		g[i] = float32((float64(v) - float64(y[i])) * scale)
	}
}

// lossArgs returns the element slices, panicking on a size mismatch (Fit
// checks shapes before it trains, so a mismatch is a programmer error).
func lossArgs(name string, pred, target *graph.Tensor) (p, y []float32) {
	if len(pred.Data) != len(target.Data) || len(pred.Data) == 0 {
		panic(fmt.Sprintf("train: %s: prediction has %d elements, target %d", name, len(pred.Data), len(target.Data)))
	}
	return pred.Data, target.Data
}

// blockSummer computes Σ f over p and y per block of lossBlock elements
// (in parallel when there are several) and adds the block sums in block
// order. It keeps its scratch and work function, so that a call after the
// first allocates nothing.
type blockSummer struct {
	workers graph.Workers
	part    []float64
	p, y    []float32
	f       func(p, y []float32) float64
	fn      func(lo, hi int)
}

func (b *blockSummer) run(p, y []float32, f func(p, y []float32) float64) float64 {
	n := len(p)
	nb := (n + lossBlock - 1) / lossBlock
	if nb <= 1 {
		return f(p, y)
	}
	if len(b.part) < nb {
		b.part = make([]float64, nb)
	}
	if b.fn == nil {
		b.fn = b.blocks
	}
	b.p, b.y, b.f = p, y, f
	b.workers.Run(nb, b.fn)
	b.p, b.y, b.f = nil, nil, nil
	var s float64
	for _, v := range b.part[:nb] {
		s += v
	}
	return s
}

func (b *blockSummer) blocks(lo, hi int) {
	for k := lo; k < hi; k++ {
		s, e := k*lossBlock, min((k+1)*lossBlock, len(b.p))
		b.part[k] = b.f(b.p[s:e], b.y[s:e])
	}
}

// elementwiser runs a gradient kernel over p, y and g, split over the cores
// when they are long enough for that to pay, allocating nothing after its
// first call.
type elementwiser struct {
	workers graph.Workers
	p, y, g []float32
	scale   float64
	kernel  func(p, y, g []float32, scale float64)
	fn      func(lo, hi int)
}

func (e *elementwiser) run(p, y, g []float32, scale float64, kernel func(p, y, g []float32, scale float64)) {
	if len(p) < parallelMin {
		kernel(p, y, g, scale)
		return
	}
	if e.fn == nil {
		e.fn = e.part
	}
	e.p, e.y, e.g, e.scale, e.kernel = p, y, g, scale, kernel
	e.workers.Run(len(p), e.fn)
	e.p, e.y, e.g, e.kernel = nil, nil, nil, nil
}

func (e *elementwiser) part(lo, hi int) {
	e.kernel(e.p[lo:hi], e.y[lo:hi], e.g[lo:hi], e.scale)
}

// parallelMin is the element count from which element-wise loops are split
// over cores: below it, the hand-over costs more than it saves.
const parallelMin = 1 << 13

var losses = map[string]func() Loss{
	"binary_crossentropy": func() Loss { return &BinaryCrossentropy{} },
	"mean_squared_error":  func() Loss { return &MeanSquaredError{} },
	"mse":                 func() Loss { return &MeanSquaredError{} },
}

// RegisterLoss adds a loss under a name NewLoss accepts (lowercase). It
// panics on a duplicate name, a programming error.
func RegisterLoss(name string, make func() Loss) {
	name = strings.ToLower(name)
	if _, dup := losses[name]; dup {
		panic("train: loss " + name + " registered twice")
	}
	losses[name] = make
}

// NewLoss returns the loss called name, by its Keras name or alias
// (case-insensitive): "binary_crossentropy", "mean_squared_error", "mse".
func NewLoss(name string) (Loss, error) {
	if f, ok := losses[strings.ToLower(name)]; ok {
		return f(), nil
	}
	return nil, fmt.Errorf("loss %q: unknown; known losses: %s", name, strings.Join(LossNames(), ", "))
}

// LossNames returns the names NewLoss accepts, sorted.
func LossNames() []string {
	names := make([]string, 0, len(losses))
	for n := range losses {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
