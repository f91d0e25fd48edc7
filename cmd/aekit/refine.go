package main

import (
	"fmt"
	"io"

	"github.com/aekit/aekit/cluster"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// refineModel runs aekit cluster --refine: DCEC's self-training of g on x
// (as its input takes it), cut at cut, then --save.
func refineModel(errw io.Writer, g *graph.Graph, cut string, x *graph.Tensor, o clusterOptions) (*cluster.Refinement, error) {
	cfg := cluster.RefineConfig{K: o.K, Gamma: o.RefineGamma, MaxIter: o.RefineIter, Seed: o.Seed}
	if !o.Quiet && !o.JSON {
		cfg.Progress = func(it int, changed, recon, clus float64) {
			if it == 0 {
				fmt.Fprintf(errw, "refine: step 0, centres from k-means\n")
				return
			}
			fmt.Fprintf(errw, "refine: step %d, %.4f of labels changed, reconstruction loss %.5f, clustering loss %.5f\n", it, changed, recon, clus)
		}
	}
	ref, err := cluster.Refine(g, cut, x, cfg)
	if err != nil {
		return nil, fmt.Errorf("--refine on --model %q: %w", o.Model, err)
	}
	if o.Save != "" {
		if err := onnx.WriteFile(o.Save, g); err != nil {
			return nil, fmt.Errorf("--save: %w", err)
		}
	}
	return ref, nil
}

// refinedModel is the refinement as a k-means model of the final codes
// (n×d): its centres, its labels and their inertia.
func refinedModel(ref *cluster.Refinement, codes []float32, n, d int) *cluster.Model {
	m := &cluster.Model{K: ref.K, D: d, Centers: ref.Centers, Labels: ref.Labels}
	for i, l := range ref.Labels {
		c := m.Center(l)
		for t, v := range codes[i*d : (i+1)*d] {
			e := float64(v) - float64(c[t])
			m.Inertia += e * e
		}
	}
	return m
}
