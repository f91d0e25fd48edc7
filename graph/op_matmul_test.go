package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestMatMulReference(t *testing.T) {
	runReference(t, "Gemm", "MatMul")
}

// naiveGemm is the float64 triple loop the blocked GEMM is checked against.
func naiveGemm(c gemmCall) []float64 {
	out := make([]float64, c.m*c.n)
	for i := range c.m {
		for j := range c.n {
			var s float64
			for p := range c.k {
				var av, bv float32
				if c.tA {
					av = c.a[p*c.lda+i]
				} else {
					av = c.a[i*c.lda+p]
				}
				if c.tB {
					bv = c.b[j*c.ldb+p]
				} else {
					bv = c.b[p*c.ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*c.n+j] = float64(c.alpha)*s + float64(c.beta)*float64(c.c[i*c.ldc+j])
		}
	}
	return out
}

// TestGemmBlocking runs the GEMM on shapes that cross every block edge
// (k > kcBlock, m > mcBlock, n > ncBlock, ragged mr/nr tails) with every
// transpose, against naiveGemm, with both micro-kernels.
func TestGemmBlocking(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {131, 9, 300}, {6, 1030, 5}, {257, 3, 513}, {2, 2, 0}, {64, 64, 64}, {300, 7, 20}} {
		m, n, k := s[0], s[1], s[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			c := gemmCall{tA: tr[0], tB: tr[1], m: m, n: n, k: k, alpha: 0.75, beta: -0.5,
				a: fill(m * k), b: fill(k * n), c: fill(m * n), lda: k, ldb: n, ldc: n}
			if c.tA {
				c.lda = m
			}
			if c.tB {
				c.ldb = k
			}
			want := naiveGemm(c)
			c0 := append([]float32(nil), c.c...)
			// The pure-Go kernel, and the assembly one where the CPU has it.
			for _, asm := range []bool{false, gemmAsm} {
				p := newGemmPlan()
				if !asm {
					p.asm, p.mr, p.nr = false, 4, 2
				}
				p.reserve(m, n, k)
				copy(c.c, c0)
				p.run(c)
				for i, w := range want {
					if d := math.Abs(float64(c.c[i]) - w); d > 1e-4*(1+math.Sqrt(float64(k))) {
						t.Fatalf("asm=%v %d×%d×%d trans %v: element %d = %g, want %g", asm, m, n, k, tr, i, c.c[i], w)
					}
				}
			}
		}
	}
}

func TestMatMulGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	r := func(s ...int) *Tensor { return randTensor(rng, s...) }
	for _, s := range [][2]Shape{
		{{3, 4}, {4, 5}},
		{{2, 3, 4}, {4, 5}},       // folded into one GEMM
		{{2, 1, 3, 4}, {3, 4, 2}}, // broadcast batch on both sides
		{{1, 3, 4}, {2, 4, 5}},    // A broadcast over B's batch
		{{4}, {4, 3}},
		{{2, 3, 4}, {4}},
		{{3}, {3}},
	} {
		checkOpGradients(t, fmt.Sprintf("MatMul %v×%v", s[0], s[1]), "MatMul", 13, nil, opFeed(r(s[0]...)), opParam(r(s[1]...)))
	}
	for _, c := range []struct {
		ta, tb int64
		c      Shape
	}{{0, 0, Shape{3, 5}}, {1, 0, Shape{5}}, {0, 1, Shape{3, 1}}, {1, 1, Shape{}}, {0, 0, nil}} {
		attrs := Attrs{FloatAttr("alpha", 0.5), FloatAttr("beta", 1.5), IntAttr("transA", c.ta), IntAttr("transB", c.tb)}
		a, b := r(3, 4), r(4, 5)
		if c.ta != 0 {
			a = r(4, 3)
		}
		if c.tb != 0 {
			b = r(5, 4)
		}
		ins := []opInput{opFeed(a), opParam(b)}
		if c.c != nil {
			ins = append(ins, opParam(r(c.c...)))
		}
		checkOpGradients(t, fmt.Sprintf("Gemm transA=%d transB=%d C %v", c.ta, c.tb, c.c), "Gemm", 13, attrs, ins...)
	}
}

func TestMatMulErrors(t *testing.T) {
	for _, c := range []struct {
		op    string
		attrs Attrs
		a, b  Shape
	}{
		{"MatMul", nil, Shape{3, 4}, Shape{5, 2}},
		{"MatMul", nil, Shape{2, 3, 4}, Shape{3, 4, 2}},
		{"Gemm", nil, Shape{3, 4}, Shape{5, 2}},
		{"Gemm", Attrs{IntAttr("transA", 1)}, Shape{3, 4}, Shape{4, 2}},
		{"Gemm", nil, Shape{2, 3, 4}, Shape{4, 2}},
	} {
		g, _ := opGraph(c.op, 13, c.attrs, opFeed(New(c.a...)), opFeed(New(c.b...)))
		if _, err := Compile(g, map[string]Shape{"in0": c.a, "in1": c.b}, Options{}); err == nil {
			t.Errorf("%s %v × %v: no error", c.op, c.a, c.b)
		}
	}
}

// denseKernel builds MatMul for a [batch, in] × [in, out] Dense layer.
func denseKernel(tb testing.TB, batch, in, out int) (Kernel, []*Tensor, []*Tensor, []*Tensor, []*Tensor) {
	rng := rand.New(rand.NewPCG(2, 2))
	x, w := randTensor(rng, batch, in), randTensor(rng, in, out)
	k, _, err := buildMatMul(BuildArgs{Node: &Node{Op: "MatMul", Inputs: []string{"x", "w"}},
		In: []Shape{x.Shape, w.Shape}, InType: []DType{Float32, Float32}, Consts: make([]*Tensor, 2)})
	if err != nil {
		tb.Fatal(err)
	}
	return k, []*Tensor{x, w}, []*Tensor{New(batch, out)}, []*Tensor{randTensor(rng, batch, out)},
		[]*Tensor{New(batch, in), New(in, out)}
}

// TestMatMulAllocs checks that a Dense layer's Forward and Backward
// allocate nothing (on one core, where Parallel starts no goroutines).
func TestMatMulAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	k, ins, outs, douts, dins := denseKernel(t, 32, 300, 10)
	ctx := &Ctx{}
	n := testing.AllocsPerRun(3, func() {
		k.Forward(ctx, ins, outs)
		k.Backward(ctx, ins, outs, douts, dins)
	})
	if n != 0 {
		t.Errorf("%v allocations per Forward+Backward, want 0", n)
	}
}

// BenchmarkMatMulDCEC times the Dense layer of a DCEC-style model, [256,
// 6272] × [6272, 10]: forward, and forward + backward (dX and dW).
func BenchmarkMatMulDCEC(b *testing.B) {
	k, ins, outs, douts, dins := denseKernel(b, 256, 6272, 10)
	ctx := &Ctx{}
	flops := 2.0 * 256 * 6272 * 10
	b.Run("forward", func(b *testing.B) {
		for range b.N {
			k.Forward(ctx, ins, outs)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("forward+backward", func(b *testing.B) {
		for range b.N {
			k.Forward(ctx, ins, outs)
			k.Backward(ctx, ins, outs, douts, dins)
		}
		b.ReportMetric(3*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
