package cluster

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/aekit/aekit/graph"
)

// DefaultEncodeBatch is the batch size Encode uses when given 0.
const DefaultEncodeBatch = 256

// encodeWorkers, when positive, caps the number of concurrent plans
// (benchmarks compare batch-level against kernel-level parallelism).
var encodeWorkers = 0

// Encode runs the encoder graph enc over the data set X (samples along the
// first axis, e.g. [N,C,H,W]) in batches of batch samples (0 means
// DefaultEncodeBatch; an encoder whose input has a fixed batch dimension
// runs with that size instead) and returns its first output flattened per
// sample: codes holds n×d values, row-major. Batches run concurrently on
// one forward-only plan per core; progress, when not nil, is called after
// each batch with the number of samples done and the total, from one
// goroutine at a time.
func Encode(enc *graph.Graph, X *graph.Tensor, batch int, progress func(done, total int)) (codes []float32, n, d int, err error) {
	if enc == nil || X == nil {
		return nil, 0, 0, fmt.Errorf("cluster.Encode: nil graph or data")
	}
	if X.DType != graph.Float32 || len(X.Shape) < 1 || X.Shape.Size() != len(X.Data) {
		return nil, 0, 0, fmt.Errorf("cluster.Encode: data must be a float32 tensor with samples along axis 0, got %v %v with %d values", X.DType, X.Shape, len(X.Data))
	}
	n = X.Shape[0]
	if n < 1 {
		return nil, 0, 0, fmt.Errorf("cluster.Encode: data %v has no samples", X.Shape)
	}
	if batch < 0 {
		return nil, 0, 0, fmt.Errorf("cluster.Encode: batch size %d is negative", batch)
	}
	if batch == 0 {
		batch = DefaultEncodeBatch
	}
	input, err := dataInput(enc)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("cluster.Encode: %w", err)
	}
	fixed := len(input.Shape) > 0 && input.Shape[0] > 0
	if fixed {
		batch = input.Shape[0] // the model was exported with a fixed batch
		if n%batch != 0 {
			return nil, 0, 0, fmt.Errorf("cluster.Encode: graph %q takes batches of exactly %d samples; %d samples leave %d over", enc.Name, batch, n, n%batch)
		}
	}
	batch = min(batch, n)
	per := len(X.Data) / n
	sample := X.Shape[1:]

	compile := func(b int) (*graph.Plan, error) {
		shape := append(graph.Shape{b}, sample...)
		p, err := graph.Compile(enc, map[string]graph.Shape{input.Name: shape}, graph.Options{NoGrad: true})
		if err != nil {
			return nil, fmt.Errorf("cluster.Encode: compiling graph %q for input %v: %w", enc.Name, shape, err)
		}
		return p, nil
	}
	batches := (n + batch - 1) / batch
	workers := min(runtime.GOMAXPROCS(0), batches)
	if encodeWorkers > 0 {
		workers = min(workers, encodeWorkers)
	}
	// Plans are compiled one after another (Compile may reorder the graph's
	// nodes); each worker then owns its plans.
	full := make([]*graph.Plan, workers)
	for w := range full {
		if full[w], err = compile(batch); err != nil {
			return nil, 0, 0, err
		}
	}
	last := n - (batches-1)*batch
	var tail *graph.Plan
	if last != batch {
		if tail, err = compile(last); err != nil {
			return nil, 0, 0, err
		}
	}
	outShape := full[0].Value(enc.Outputs[0].Name).Shape
	if len(outShape) < 1 || outShape[0] != batch {
		return nil, 0, 0, fmt.Errorf("cluster.Encode: output %q of graph %q has shape %v for a batch of %d: not one code per sample", enc.Outputs[0].Name, enc.Name, outShape, batch)
	}
	d = outShape.Size() / batch
	if d < 1 {
		return nil, 0, 0, fmt.Errorf("cluster.Encode: output %q of graph %q is empty (%v)", enc.Outputs[0].Name, enc.Name, outShape)
	}
	codes = make([]float32, n*d)

	var (
		next    atomic.Int64
		mu      sync.Mutex
		done    int
		firstEr error
		wg      sync.WaitGroup
	)
	work := func(p *graph.Plan) {
		defer wg.Done()
		for {
			b := int(next.Add(1) - 1)
			if b >= batches {
				return
			}
			lo := b * batch
			hi := min(n, lo+batch)
			plan := p
			if hi-lo != batch {
				plan = tail
			}
			in := graph.FromData(X.Data[lo*per:hi*per], append(graph.Shape{hi - lo}, sample...)...)
			out, err := plan.Forward(in)
			if err == nil && len(out[0].Data) != (hi-lo)*d {
				err = fmt.Errorf("output has %d values for %d samples of %d", len(out[0].Data), hi-lo, d)
			}
			mu.Lock()
			if err != nil {
				if firstEr == nil {
					firstEr = fmt.Errorf("cluster.Encode: graph %q, samples %d–%d: %w", enc.Name, lo, hi-1, err)
				}
				next.Store(int64(batches)) // stop handing out batches
				mu.Unlock()
				return
			}
			mu.Unlock()
			copy(codes[lo*d:hi*d], out[0].Data)
			if progress != nil {
				mu.Lock()
				done += hi - lo
				progress(done, n)
				mu.Unlock()
			}
		}
	}
	wg.Add(workers)
	for w := 1; w < workers; w++ {
		go work(full[w])
	}
	work(full[0])
	wg.Wait()
	if firstEr != nil {
		return nil, 0, 0, firstEr
	}
	return codes, n, d, nil
}

// dataInput returns g's one data input (an input that is not an
// initializer), and checks that g has an output.
func dataInput(g *graph.Graph) (*graph.ValueInfo, error) {
	var input *graph.ValueInfo
	for i := range g.Inputs {
		if _, isParam := g.Params[g.Inputs[i].Name]; isParam {
			continue
		}
		if input != nil {
			return nil, fmt.Errorf("graph %q has more than one data input (%q, %q)", g.Name, input.Name, g.Inputs[i].Name)
		}
		input = &g.Inputs[i]
	}
	if input == nil || len(g.Outputs) == 0 {
		return nil, fmt.Errorf("graph %q needs one data input and an output", g.Name)
	}
	return input, nil
}
