package graph

import (
	"runtime"
)

// Matrix products: Gemm (Y = alpha·op(A)·op(B) + beta·C) and MatMul (numpy
// matmul: 2-D, vectors, and batched N-D with broadcast batch dimensions),
// over one blocked, packed, parallel float32 GEMM.

// Gemm attribute defaults, as ONNX defines them.
const (
	GemmDefaultAlpha = 1.0
	GemmDefaultBeta  = 1.0
)

func init() {
	Register(OpDef{Type: "Gemm", Build: buildGemm})
	Register(OpDef{Type: "MatMul", Build: buildMatMul})
}

// Blocking of the GEMM: panels of kcBlock along k, mcBlock rows of A and
// ncBlock columns of B packed at a time, and a register tile of mr×nr: 24×4
// for the AVX2 + FMA assembly kernel (three 8-wide vectors down A's rows
// times four columns), 4×2 for the pure-Go one (the widest the Go compiler
// keeps in registers without spilling).
const (
	kcBlock  = 256
	mcBlock  = 144 // a multiple of both tiles' mr
	ncBlock  = 1024
	minFlops = 1 << 15 // smaller products run on one goroutine
	maxTile  = 24 * 4
)

// gemmCall is one product C = alpha·op(A)·op(B) + beta·C over row-major
// matrices: C is m×n, op(A) is m×k, op(B) is k×n, and op(X) is Xᵀ when the
// flag is set (X then stored k×m or n×k). ld* are the row strides.
type gemmCall struct {
	tA, tB        bool
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
}

// gemmPlan owns the packing buffers of up to nw workers for the products
// its kernel runs; run allocates nothing.
type gemmPlan struct {
	mr, nr   int
	asm      bool
	nw       int
	ap, bp   [][]float32
	acc      [][maxTile]float32
	call     gemmCall
	rowSplit bool
	parts    int
	fn       func(lo, hi int)
}

func newGemmPlan() *gemmPlan {
	p := &gemmPlan{mr: 4, nr: 2, asm: gemmAsm, nw: max(1, min(runtime.GOMAXPROCS(0), 16))}
	if p.asm {
		p.mr, p.nr = 24, 4
	}
	p.ap = make([][]float32, p.nw)
	p.bp = make([][]float32, p.nw)
	p.acc = make([][maxTile]float32, p.nw)
	p.fn = func(lo, hi int) {
		for w := lo; w < hi; w++ {
			p.work(w)
		}
	}
	return p
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// reserve sizes the packing buffers for an m×n×k product.
func (p *gemmPlan) reserve(m, n, k int) {
	kc := min(kcBlock, k)
	na := roundUp(min(mcBlock, m), p.mr) * kc
	nb := roundUp(min(ncBlock, n), p.nr) * kc
	for w := range p.nw {
		if len(p.ap[w]) < na {
			p.ap[w] = make([]float32, na)
		}
		if len(p.bp[w]) < nb {
			p.bp[w] = make([]float32, nb)
		}
	}
}

// run computes the product, split over rows (or columns, when C is wider
// than tall) among the workers. Each element of C is computed by one worker
// in a fixed order, so results do not depend on the number of cores.
func (p *gemmPlan) run(c gemmCall) {
	p.call = c
	p.rowSplit = c.m >= c.n
	p.parts = 1
	if c.m*c.n*c.k >= minFlops {
		if p.rowSplit {
			p.parts = min(p.nw, (c.m+p.mr-1)/p.mr)
		} else {
			p.parts = min(p.nw, (c.n+p.nr-1)/p.nr)
		}
	}
	if p.parts == 1 {
		p.work(0)
	} else {
		Parallel(p.parts, p.fn)
	}
	p.call.a, p.call.b, p.call.c = nil, nil, nil
}

// work computes worker w's share of C.
func (p *gemmPlan) work(w int) {
	c := &p.call
	mr, nr := p.mr, p.nr
	i0, i1, j0, j1 := 0, c.m, 0, c.n
	if p.rowSplit {
		per := roundUp((c.m+p.parts-1)/p.parts, mr)
		i0, i1 = min(w*per, c.m), min((w+1)*per, c.m)
	} else {
		per := roundUp((c.n+p.parts-1)/p.parts, nr)
		j0, j1 = min(w*per, c.n), min((w+1)*per, c.n)
	}
	if i0 >= i1 || j0 >= j1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c.c[i*c.ldc+j0 : i*c.ldc+j1]
		switch c.beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= c.beta
			}
		}
	}
	if c.k == 0 || c.alpha == 0 {
		return
	}
	ap, bp, acc := p.ap[w], p.bp[w], &p.acc[w]
	for jc := j0; jc < j1; jc += ncBlock {
		nc := min(ncBlock, j1-jc)
		for pc := 0; pc < c.k; pc += kcBlock {
			kc := min(kcBlock, c.k-pc)
			packB(c, bp, nr, pc, kc, jc, nc)
			for ic := i0; ic < i1; ic += mcBlock {
				mc := min(mcBlock, i1-ic)
				packA(c, ap, mr, ic, mc, pc, kc)
				for jr := 0; jr < nc; jr += nr {
					bpan := bp[jr*kc : (jr+nr)*kc]
					cols := min(nr, nc-jr)
					for ir := 0; ir < mc; ir += mr {
						apan := ap[ir*kc : (ir+mr)*kc]
						if p.asm {
							sgemm24x4(kc, &apan[0], &bpan[0], &acc[0])
						} else {
							micro4x2(kc, apan, bpan, acc)
						}
						rows := min(mr, mc-ir)
						for j := range cols {
							col := acc[j*mr : j*mr+rows]
							dst := c.c[(ic+ir)*c.ldc+jc+jr+j:]
							for r, v := range col {
								dst[r*c.ldc] += c.alpha * v
							}
						}
					}
				}
			}
		}
	}
}

// packA copies op(A)[ic:ic+mc, pc:pc+kc] into ap as panels of mr rows, each
// stored k-major (mr values per k), zero-padded to a multiple of mr rows.
func packA(c *gemmCall, ap []float32, mr, ic, mc, pc, kc int) {
	for ir := 0; ir < mc; ir += mr {
		dst := ap[ir*kc : (ir+mr)*kc]
		rows := min(mr, mc-ir)
		if c.tA {
			for q := range kc {
				src := c.a[(pc+q)*c.lda+ic+ir:]
				d := dst[q*mr : q*mr+mr]
				copy(d, src[:rows])
				clear(d[rows:])
			}
			continue
		}
		for r := range mr {
			if r >= rows {
				for q := range kc {
					dst[q*mr+r] = 0
				}
				continue
			}
			src := c.a[(ic+ir+r)*c.lda+pc : (ic+ir+r)*c.lda+pc+kc]
			for q, v := range src {
				dst[q*mr+r] = v
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into bp as panels of nr columns,
// each stored k-major, zero-padded to a multiple of nr columns.
func packB(c *gemmCall, bp []float32, nr, pc, kc, jc, nc int) {
	for jr := 0; jr < nc; jr += nr {
		dst := bp[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		if !c.tB {
			for q := range kc {
				src := c.b[(pc+q)*c.ldb+jc+jr:]
				d := dst[q*nr : q*nr+nr]
				copy(d, src[:cols])
				clear(d[cols:])
			}
			continue
		}
		for j := range nr {
			if j >= cols {
				for q := range kc {
					dst[q*nr+j] = 0
				}
				continue
			}
			src := c.b[(jc+jr+j)*c.ldb+pc : (jc+jr+j)*c.ldb+pc+kc]
			for q, v := range src {
				dst[q*nr+j] = v
			}
		}
	}
}

// micro4x2 multiplies a packed 4×kc panel of A by a packed kc×2 panel of B
// and writes the 4×2 product column by column: acc[4j + i].
func micro4x2(kc int, ap, bp []float32, acc *[maxTile]float32) {
	var c00, c01, c10, c11, c20, c21, c30, c31 float32
	ap = ap[:kc*4]
	bp = bp[:kc*2]
	for q := range kc {
		a := ap[q*4 : q*4+4 : q*4+4]
		b := bp[q*2 : q*2+2 : q*2+2]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1 := b[0], b[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		c30 += a3 * b0
		c31 += a3 * b1
	}
	acc[0], acc[1], acc[2], acc[3] = c00, c10, c20, c30
	acc[4], acc[5], acc[6], acc[7] = c01, c11, c21, c31
}

// gemmAttrs are Gemm's attributes, decoded.
type gemmAttrs struct {
	alpha, beta    float32
	transA, transB bool
}

// gemmKernel runs Gemm. A is stored m×k (k×m with transA), B k×n (n×k with
// transB); C, when given, broadcasts to m×n.
type gemmKernel struct {
	gemmAttrs
	m, n, k  int
	hasC     bool
	sc0, sc1 int // C's strides along Y's rows and columns (0: broadcast)
	rc       *reducer
	plan     *gemmPlan
}

func buildGemm(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) < 2 || len(a.In) > 3 || !hasInput(a, 0) || !hasInput(a, 1) {
		return nil, nil, a.Errorf("takes inputs A, B and optional C, got %d inputs", len(a.In))
	}
	for i, t := range a.InType {
		if hasInput(a, i) && t != Float32 {
			return nil, nil, a.Unsupported("input type", t.String(), "float32")
		}
	}
	at := a.Node.Attrs
	k := &gemmKernel{gemmAttrs: gemmAttrs{
		alpha:  at.Float("alpha", GemmDefaultAlpha),
		beta:   at.Float("beta", GemmDefaultBeta),
		transA: at.Int("transA", 0) != 0,
		transB: at.Int("transB", 0) != 0,
	}}
	sa, sb := a.In[0], a.In[1]
	if len(sa) != 2 || len(sb) != 2 {
		return nil, nil, a.Errorf("A %v and B %v must be matrices", sa, sb)
	}
	k.m, k.k = sa[0], sa[1]
	if k.transA {
		k.m, k.k = sa[1], sa[0]
	}
	kb, n := sb[0], sb[1]
	if k.transB {
		kb, n = sb[1], sb[0]
	}
	if kb != k.k {
		return nil, nil, a.Errorf("A %v (transA=%v) and B %v (transB=%v) disagree on the inner dimension: %d vs %d", sa, k.transA, sb, k.transB, k.k, kb)
	}
	k.n = n
	out := Shape{k.m, k.n}
	if hasInput(a, 2) {
		sc := a.In[2]
		if b, ok := broadcastShapes(sc, out); !ok || len(sc) > 2 || !b.Equal(out) {
			return nil, nil, a.Errorf("C %v does not broadcast to %v", sc, out)
		}
		k.hasC = true
		st := bcastStrides(sc, out)
		k.sc0, k.sc1 = st[0], st[1]
		k.rc = newReducer(sc, out)
	}
	k.plan = newGemmPlan()
	k.plan.reserve(k.m, k.n, k.k) // forward
	k.plan.reserve(k.m, k.k, k.n) // dA
	k.plan.reserve(k.k, k.m, k.n) // dA with transA
	k.plan.reserve(k.k, k.n, k.m) // dB
	k.plan.reserve(k.n, k.k, k.m) // dB with transB
	return k, []Shape{out}, nil
}

// lds returns the row strides of the stored A and B.
func (k *gemmKernel) lds() (lda, ldb int) {
	lda, ldb = k.k, k.n
	if k.transA {
		lda = k.m
	}
	if k.transB {
		ldb = k.k
	}
	return lda, ldb
}

func (k *gemmKernel) Forward(_ *Ctx, in, out []*Tensor) {
	y := out[0].Data
	beta := float32(0)
	if k.hasC && k.beta != 0 {
		c := in[2].Data
		for i := range k.m {
			row := y[i*k.n : (i+1)*k.n]
			for j := range row {
				row[j] = k.beta * c[i*k.sc0+j*k.sc1]
			}
		}
		beta = 1
	}
	lda, ldb := k.lds()
	k.plan.run(gemmCall{tA: k.transA, tB: k.transB, m: k.m, n: k.n, k: k.k, alpha: k.alpha,
		a: in[0].Data, lda: lda, b: in[1].Data, ldb: ldb, beta: beta, c: y, ldc: k.n})
}

func (k *gemmKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	g := dout[0].Data
	lda, ldb := k.lds()
	if din[0] != nil {
		if !k.transA { // dA = alpha·G·op(B)ᵀ
			k.plan.run(gemmCall{tA: false, tB: !k.transB, m: k.m, n: k.k, k: k.n, alpha: k.alpha,
				a: g, lda: k.n, b: in[1].Data, ldb: ldb, c: din[0].Data, ldc: k.k})
		} else { // dA = alpha·op(B)·Gᵀ
			k.plan.run(gemmCall{tA: k.transB, tB: true, m: k.k, n: k.m, k: k.n, alpha: k.alpha,
				a: in[1].Data, lda: ldb, b: g, ldb: k.n, c: din[0].Data, ldc: k.m})
		}
	}
	if din[1] != nil {
		if !k.transB { // dB = alpha·op(A)ᵀ·G
			k.plan.run(gemmCall{tA: !k.transA, tB: false, m: k.k, n: k.n, k: k.m, alpha: k.alpha,
				a: in[0].Data, lda: lda, b: g, ldb: k.n, c: din[1].Data, ldc: k.n})
		} else { // dB = alpha·Gᵀ·op(A)
			k.plan.run(gemmCall{tA: true, tB: k.transA, m: k.n, n: k.k, k: k.m, alpha: k.alpha,
				a: g, lda: k.n, b: in[0].Data, ldb: lda, c: din[1].Data, ldc: k.k})
		}
	}
	if len(din) > 2 && din[2] != nil {
		k.rc.reduce(din[2].Data, g, k.beta)
	}
}

// matMulKernel runs MatMul as a loop of GEMMs over the broadcast batch.
type matMulKernel struct {
	m, n, k int
	batch   int   // output matrices
	ai, bi  []int // A's and B's matrix index for each output matrix
	na, nb  int   // A's and B's matrix counts
	fold    bool  // B is one matrix and A's batch is contiguous: one GEMM
	seen    []bool
	plan    *gemmPlan
}

func buildMatMul(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) != 2 || !hasInput(a, 0) || !hasInput(a, 1) {
		return nil, nil, a.Errorf("takes 2 inputs, got %d", len(a.In))
	}
	if a.InType[0] != Float32 || a.InType[1] != Float32 {
		return nil, nil, a.Unsupported("input type", a.InType[0].String()+","+a.InType[1].String(), "float32")
	}
	sa, sb := a.In[0], a.In[1]
	if len(sa) == 0 || len(sb) == 0 {
		return nil, nil, a.Errorf("inputs %v and %v: scalars cannot be multiplied as matrices", sa, sb)
	}
	// Vectors become 1×k and k×1 matrices; their unit dimension is dropped
	// from the output.
	ma, mb := sa, sb
	if len(sa) == 1 {
		ma = Shape{1, sa[0]}
	}
	if len(sb) == 1 {
		mb = Shape{sb[0], 1}
	}
	k := &matMulKernel{m: ma[len(ma)-2], k: ma[len(ma)-1], n: mb[len(mb)-1]}
	if kb := mb[len(mb)-2]; kb != k.k {
		return nil, nil, a.Errorf("A %v and B %v disagree on the inner dimension: %d vs %d", sa, sb, k.k, kb)
	}
	ba, bb := ma[:len(ma)-2], mb[:len(mb)-2]
	bo, ok := broadcastShapes(ba, bb)
	if !ok {
		return nil, nil, a.Errorf("batch dimensions of A %v and B %v do not broadcast", sa, sb)
	}
	out := bo.Clone()
	if len(sa) > 1 {
		out = append(out, k.m)
	}
	if len(sb) > 1 {
		out = append(out, k.n)
	}
	k.batch, k.na, k.nb = bo.Size(), ba.Size(), bb.Size()
	k.ai, k.bi = batchIndex(ba, bo), batchIndex(bb, bo)
	k.fold = k.nb == 1 && k.na == k.batch
	k.seen = make([]bool, max(k.na, k.nb))
	k.plan = newGemmPlan()
	m := k.m
	if k.fold {
		m *= k.batch
	}
	k.plan.reserve(m, k.n, k.k)
	k.plan.reserve(m, k.k, k.n)
	k.plan.reserve(k.k, k.n, m)
	return k, []Shape{out}, nil
}

// batchIndex maps each matrix of the broadcast batch shape out to the
// matrix of an operand with batch shape s.
func batchIndex(s, out Shape) []int {
	st := bcastStrides(s, out)
	idx := make([]int, out.Size())
	for i := range idx {
		r, off := i, 0
		for d := len(out) - 1; d >= 0; d-- {
			off += r % out[d] * st[d]
			r /= out[d]
		}
		idx[i] = off
	}
	return idx
}

func (k *matMulKernel) Forward(_ *Ctx, in, out []*Tensor) {
	a, b, y := in[0].Data, in[1].Data, out[0].Data
	if k.fold {
		k.plan.run(gemmCall{m: k.batch * k.m, n: k.n, k: k.k, alpha: 1, a: a, lda: k.k, b: b, ldb: k.n, c: y, ldc: k.n})
		return
	}
	sa, sb, sy := k.m*k.k, k.k*k.n, k.m*k.n
	for i := range k.batch {
		k.plan.run(gemmCall{m: k.m, n: k.n, k: k.k, alpha: 1,
			a: a[k.ai[i]*sa:], lda: k.k, b: b[k.bi[i]*sb:], ldb: k.n, c: y[i*sy : (i+1)*sy], ldc: k.n})
	}
}

func (k *matMulKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	a, b, g := in[0].Data, in[1].Data, dout[0].Data
	if k.fold {
		m := k.batch * k.m
		if din[0] != nil { // dA = G·Bᵀ
			k.plan.run(gemmCall{tB: true, m: m, n: k.k, k: k.n, alpha: 1, a: g, lda: k.n, b: b, ldb: k.n, c: din[0].Data, ldc: k.k})
		}
		if din[1] != nil { // dB = Aᵀ·G, summed over the batch by the product
			k.plan.run(gemmCall{tA: true, m: k.k, n: k.n, k: m, alpha: 1, a: a, lda: k.k, b: g, ldb: k.n, c: din[1].Data, ldc: k.n})
		}
		return
	}
	sa, sb, sy := k.m*k.k, k.k*k.n, k.m*k.n
	if din[0] != nil {
		da := din[0].Data
		clear(k.seen)
		for i := range k.batch {
			j := k.ai[i]
			beta := float32(1)
			if !k.seen[j] {
				beta, k.seen[j] = 0, true
			}
			k.plan.run(gemmCall{tB: true, m: k.m, n: k.k, k: k.n, alpha: 1, a: g[i*sy:], lda: k.n,
				b: b[k.bi[i]*sb:], ldb: k.n, beta: beta, c: da[j*sa : (j+1)*sa], ldc: k.k})
		}
	}
	if din[1] != nil {
		db := din[1].Data
		clear(k.seen)
		for i := range k.batch {
			j := k.bi[i]
			beta := float32(1)
			if !k.seen[j] {
				beta, k.seen[j] = 0, true
			}
			k.plan.run(gemmCall{tA: true, m: k.k, n: k.n, k: k.m, alpha: 1, a: a[k.ai[i]*sa:], lda: k.k,
				b: g[i*sy:], ldb: k.n, beta: beta, c: db[j*sb : (j+1)*sb], ldc: k.n})
		}
	}
}
