package gorgonia

import (
	"github.com/aekit/aekit/graph"
	G "gorgonia.org/gorgonia"
)

// batchNorm builds training-mode batch normalisation from primitives (batch
// statistics over every axis but the channel axis 1), the form whose
// gradient the native engine computes in training. gorgonia's own BatchNorm
// op owns its scale and bias nodes, so it cannot bind aekit's weights.
func (b *builder) batchNorm(n *graph.Node) error {
	x, err := b.in(n, 0)
	if err != nil {
		return err
	}
	scale, err := b.in(n, 1)
	if err != nil {
		return err
	}
	bias, err := b.in(n, 2)
	if err != nil {
		return err
	}
	eps := n.Attrs.Float("epsilon", 1e-5)
	var axes []int
	var pattern []byte
	keep := make([]int, x.Dims())
	for i := range keep {
		keep[i] = 1
		if i != 1 {
			axes = append(axes, i)
			pattern = append(pattern, byte(i))
		}
	}
	keep[1] = x.Shape()[1]
	bcast := func(v *G.Node) (*G.Node, error) { return G.Reshape(v, keep) }
	var steps []func() error
	var mean, meanR, xc, sq, variance, ve, rstd, invR, xn, sR, bR, y1, y *G.Node
	steps = append(steps,
		func() (err error) { mean, err = G.Mean(x, axes...); return },
		func() (err error) { meanR, err = bcast(mean); return },
		func() (err error) { xc, err = G.BroadcastSub(x, meanR, nil, pattern); return },
		func() (err error) { sq, err = G.Square(xc); return },
		func() (err error) { variance, err = G.Mean(sq, axes...); return },
		func() (err error) { ve, err = G.Add(variance, G.NewConstant(eps)); return },
		// 1/sqrt(v) as two ops: gorgonia v0.9.18's InverseSqrt has a
		// wrong gradient (found by TestDenseBatchNormGradientsMatchNative).
		func() (err error) { rstd, err = G.Sqrt(ve); return },
		func() (err error) { rstd, err = G.Inverse(rstd); return },
		func() (err error) { invR, err = bcast(rstd); return },
		func() (err error) { xn, err = G.BroadcastHadamardProd(xc, invR, nil, pattern); return },
		func() (err error) { sR, err = bcast(scale); return },
		func() (err error) { bR, err = bcast(bias); return },
		func() (err error) { y1, err = G.BroadcastHadamardProd(xn, sR, nil, pattern); return },
		func() (err error) { y, err = G.BroadcastAdd(y1, bR, nil, pattern); return },
	)
	for _, s := range steps {
		if err := s(); err != nil {
			return b.errorf(n, "%v", err)
		}
	}
	b.vals[n.Outputs[0]] = y
	return nil
}
