package graph

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The seed autoencoder's convolutions: 3×3, stride 1, pads 1, bias, batch 32.
var seedConvs = []struct {
	c, m, hw int
	dx       bool // the layer's input needs a gradient
}{
	{1, 16, 28, false},
	{16, 2, 14, true},
	{2, 2, 7, true},
	{2, 16, 14, true},
	{16, 1, 28, true},
}

const seedBatch = 32

// seedConv is one seed layer's Conv kernel with its tensors.
type seedConv struct {
	k                    Kernel
	in, out, dout, din   []*Tensor
	fwdFlops, trainFlops float64
	name                 string
}

func newSeedConv(b *testing.B, i int) *seedConv {
	l := seedConvs[i]
	rng := rand.New(rand.NewPCG(1, uint64(i)))
	x := randTensor(rng, seedBatch, l.c, l.hw, l.hw)
	w := randTensor(rng, l.m, l.c, 3, 3)
	bias := randTensor(rng, l.m)
	node := &Node{Name: fmt.Sprintf("conv2d_%d", i+1), Op: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"},
		Attrs: Attrs{IntsAttr("pads", 1, 1, 1, 1), IntsAttr("kernel_shape", 3, 3)}}
	def, _ := Lookup("Conv")
	k, shapes, err := def.Build(BuildArgs{Node: node, In: []Shape{x.Shape, w.Shape, bias.Shape},
		InType: []DType{Float32, Float32, Float32}, Consts: make([]*Tensor, 3), Opset: DefaultOpset})
	if err != nil {
		b.Fatal(err)
	}
	y := New(shapes[0]...)
	dy := randTensor(rng, shapes[0]...)
	s := &seedConv{k: k, in: []*Tensor{x, w, bias}, out: []*Tensor{y}, dout: []*Tensor{dy},
		din: []*Tensor{nil, New(w.Shape...), New(bias.Shape...)}, name: fmt.Sprintf("L%d_%dto%d_%dx%d", i+1, l.c, l.m, l.hw, l.hw)}
	if l.dx {
		s.din[0] = New(x.Shape...)
	}
	s.fwdFlops = 2 * float64(seedBatch*l.m*l.hw*l.hw*l.c*9)
	s.trainFlops = 2 * s.fwdFlops // forward and filter gradient
	if l.dx {
		s.trainFlops += s.fwdFlops
	}
	return s
}

// reportConv reports wall time per op and its GFLOP/s, and the CPU time
// (all threads) per op since cpu0: on a shared machine, wall time counts
// the waits for a core, CPU time does not.
func reportConv(b *testing.B, flops, cpu0 float64) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(flops/sec/1e9, "GFLOP/s")
	b.ReportMetric(sec*1e3, "ms/op")
	b.ReportMetric((processCPUSeconds()-cpu0)/float64(b.N)*1e3, "cpu-ms/op")
}

// BenchmarkConvSeedForward times the forward pass of each seed layer at
// batch 32, and of all five in a row.
func BenchmarkConvSeedForward(b *testing.B) {
	var all []*seedConv
	for i := range seedConvs {
		all = append(all, newSeedConv(b, i))
	}
	ctx := &Ctx{}
	for _, s := range all {
		b.Run(s.name, func(b *testing.B) {
			cpu0 := processCPUSeconds()
			for b.Loop() {
				s.k.Forward(ctx, s.in, s.out)
			}
			reportConv(b, s.fwdFlops, cpu0)
		})
	}
	b.Run("all", func(b *testing.B) {
		var flops float64
		for _, s := range all {
			flops += s.fwdFlops
		}
		cpu0 := processCPUSeconds()
		for b.Loop() {
			for _, s := range all {
				s.k.Forward(ctx, s.in, s.out)
			}
		}
		reportConv(b, flops, cpu0)
	})
}

// BenchmarkConvSeedTrainStep times forward + backward (data gradient where
// the seed needs it, filter and bias gradients) of each seed layer at batch
// 32, and of all five: the convolution share of one training step.
func BenchmarkConvSeedTrainStep(b *testing.B) {
	var all []*seedConv
	for i := range seedConvs {
		all = append(all, newSeedConv(b, i))
	}
	ctx := &Ctx{}
	step := func(s *seedConv) {
		s.k.Forward(ctx, s.in, s.out)
		s.k.Backward(ctx, s.in, s.out, s.dout, s.din)
	}
	for _, s := range all {
		b.Run(s.name, func(b *testing.B) {
			cpu0 := processCPUSeconds()
			for b.Loop() {
				step(s)
			}
			reportConv(b, s.trainFlops, cpu0)
		})
	}
	b.Run("all", func(b *testing.B) {
		var flops float64
		for _, s := range all {
			flops += s.trainFlops
		}
		cpu0 := processCPUSeconds()
		for b.Loop() {
			for _, s := range all {
				step(s)
			}
		}
		reportConv(b, flops, cpu0)
	})
}

// BenchmarkConvStrided times forward + backward (data, filter and bias
// gradients) of DCEC's stride-2 layers at batch 64: the Conv 32→64 (5×5,
// same, 14×14 → 7×7) and the ConvTranspose 64→32 (5×5, same, 7×7 →
// 14×14). GFLOP/s counts only the multiply-adds that meet data, not
// the zeros of a zero-inserted frame.
func BenchmarkConvStrided(b *testing.B) {
	const n = 64
	for _, l := range []struct {
		name, op string
		x, w     Shape
		out      Shape
		attrs    Attrs
	}{
		{"Conv_32to64_5x5_s2", "Conv", Shape{n, 32, 14, 14}, Shape{64, 32, 5, 5}, Shape{n, 64, 7, 7},
			Attrs{IntsAttr("strides", 2, 2), IntsAttr("pads", 1, 1, 2, 2)}},
		{"ConvTranspose_64to32_5x5_s2", "ConvTranspose", Shape{n, 64, 7, 7}, Shape{64, 32, 5, 5}, Shape{n, 32, 14, 14},
			Attrs{IntsAttr("strides", 2, 2), IntsAttr("pads", 2, 2, 2, 2), IntsAttr("output_padding", 1, 1)}},
	} {
		b.Run(l.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, 3))
			x, w := randTensor(rng, l.x...), randTensor(rng, l.w...)
			nb := l.w[0]
			if l.op == "ConvTranspose" {
				nb = l.w[1]
			}
			bias := randTensor(rng, nb)
			def, _ := Lookup(l.op)
			k, shapes, err := def.Build(BuildArgs{Node: &Node{Name: l.name, Op: l.op, Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"}, Attrs: l.attrs},
				In: []Shape{x.Shape, w.Shape, bias.Shape}, InType: []DType{Float32, Float32, Float32}, Consts: make([]*Tensor, 3), Opset: DefaultOpset})
			if err != nil {
				b.Fatal(err)
			}
			if !shapes[0].Equal(l.out) {
				b.Fatalf("output %v, want %v", shapes[0], l.out)
			}
			in, out := []*Tensor{x, w, bias}, []*Tensor{New(shapes[0]...)}
			dout := []*Tensor{randTensor(rng, shapes[0]...)}
			din := []*Tensor{New(x.Shape...), New(w.Shape...), New(bias.Shape...)}
			// 5×5 taps over the smaller (7×7) side, once per product:
			// forward, data gradient, filter gradient.
			flops := 3 * 2 * float64(n*64*32*7*7*25)
			ctx := &Ctx{}
			cpu0 := processCPUSeconds()
			for b.Loop() {
				k.Forward(ctx, in, out)
				k.Backward(ctx, in, out, dout, din)
			}
			reportConv(b, flops, cpu0)
		})
	}
}
