package export

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// VerifyBatch is the batch size Verify gives a dynamic batch dimension,
// and VerifySeed seeds its random inputs (uniform in [0, 1), the range of
// aekit's images).
const (
	VerifyBatch = 3
	VerifySeed  = 1
)

// Verify checks an exported file against its source: it reads path back
// (onnx.ReadFile), exports src in memory with opt (Model), and runs three
// graphs with aekit on the same random batch — the file's, the in-memory
// export's and the source part's (src cut as opt says, before layout and
// opset changes, fed the NCHW transpose of NHWC inputs, its 4-D outputs
// transposed back). Every output must be identical, bit for bit, in all
// three. The error names the output, the element and both values.
func Verify(path string, src *graph.Graph, opt Options) error {
	got, err := onnx.ReadFile(path)
	if err != nil {
		return fmt.Errorf("export verify: %w", err)
	}
	want, err := Model(src, opt)
	if err != nil {
		return fmt.Errorf("export verify %q: %w", path, err)
	}
	nopt, err := opt.normalize(src)
	if err != nil {
		return err
	}
	ref, _, err := part(src, nopt)
	if err != nil {
		return fmt.Errorf("export verify %q: %w", path, err)
	}
	if len(got.Inputs) != len(want.Inputs) || len(got.Outputs) != len(want.Outputs) {
		return fmt.Errorf("export verify %q: the file has %d inputs and %d outputs, the export %d and %d",
			path, len(got.Inputs), len(got.Outputs), len(want.Inputs), len(want.Outputs))
	}
	inputs, err := RandomInputs(got, VerifyBatch, VerifySeed)
	if err != nil {
		return fmt.Errorf("export verify %q: %w", path, err)
	}
	fileOut, err := run(got, inputs)
	if err != nil {
		return fmt.Errorf("export verify %q: the file: %w", path, err)
	}
	memOut, err := run(want, inputs)
	if err != nil {
		return fmt.Errorf("export verify %q: the in-memory export: %w", path, err)
	}
	nhwc := nopt.Layout == LayoutNHWC
	refIn := make([]*graph.Tensor, len(inputs))
	for i, t := range inputs {
		refIn[i] = t
		if nhwc && len(t.Shape) == 4 {
			refIn[i] = Transpose4(t, permToNCHW)
		}
	}
	refOut, err := run(ref, refIn)
	if err != nil {
		return fmt.Errorf("export verify %q: the source graph: %w", path, err)
	}
	if len(refOut) != len(fileOut) {
		return fmt.Errorf("export verify %q: the source part has %d outputs, the file %d", path, len(refOut), len(fileOut))
	}
	for i, o := range got.Outputs {
		r := refOut[i]
		if nhwc && len(r.Shape) == 4 {
			r = Transpose4(r, permToNHWC)
		}
		if err := identical(fileOut[i], memOut[i]); err != nil {
			return fmt.Errorf("export verify %q: output %q: file vs in-memory export: %w", path, o.Name, err)
		}
		if err := identical(fileOut[i], r); err != nil {
			return fmt.Errorf("export verify %q: output %q: file vs source graph: %w", path, o.Name, err)
		}
	}
	return nil
}

// RandomInputs returns one tensor per input of g, in order: float32
// inputs uniform in [0, 1) from a PCG generator seeded with seed, int64
// inputs zero. A dynamic leading dimension becomes batch; another dynamic
// dimension is an error naming the input.
func RandomInputs(g *graph.Graph, batch int, seed uint64) ([]*graph.Tensor, error) {
	rng := rand.New(rand.NewPCG(seed, 0xae_c0de))
	var out []*graph.Tensor
	for _, in := range g.Inputs {
		if in.Shape == nil {
			return nil, fmt.Errorf("input %q declares no shape", in.Name)
		}
		s := in.Shape.Clone()
		for i, d := range s {
			if d >= 0 {
				continue
			}
			if i != 0 {
				return nil, fmt.Errorf("input %q: dimension %d of %v is dynamic; only the batch may be", in.Name, i, in.Shape)
			}
			s[i] = batch
		}
		t := graph.New(s...)
		for i := range t.Data {
			t.Data[i] = rng.Float32()
		}
		out = append(out, t)
	}
	return out, nil
}

// run compiles g for the inputs' shapes and returns copies of its outputs.
func run(g *graph.Graph, inputs []*graph.Tensor) ([]*graph.Tensor, error) {
	if len(inputs) != len(g.Inputs) {
		return nil, fmt.Errorf("graph %q takes %d inputs, %d given", g.Name, len(g.Inputs), len(inputs))
	}
	shapes := map[string]graph.Shape{}
	for i, in := range g.Inputs {
		shapes[in.Name] = inputs[i].Shape
	}
	p, err := graph.Compile(g, shapes, graph.Options{NoGrad: true})
	if err != nil {
		return nil, err
	}
	outs, err := p.Forward(inputs...)
	if err != nil {
		return nil, err
	}
	res := make([]*graph.Tensor, len(outs))
	for i, o := range outs {
		res[i] = o.Clone()
	}
	return res, nil
}

// identical reports the first difference between two tensors, comparing
// float32 bit patterns (so NaNs match only themselves and −0 ≠ +0).
func identical(a, b *graph.Tensor) error {
	if !a.Shape.Equal(b.Shape) || a.DType != b.DType {
		return fmt.Errorf("shape %v %v vs %v %v", a.Shape, a.DType, b.Shape, b.DType)
	}
	for i := range a.Data {
		if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
			return fmt.Errorf("element %d: %g vs %g", i, a.Data[i], b.Data[i])
		}
	}
	for i := range a.Ints {
		if a.Ints[i] != b.Ints[i] {
			return fmt.Errorf("element %d: %d vs %d", i, a.Ints[i], b.Ints[i])
		}
	}
	return nil
}

// Transpose4 returns a copy of the 4-D float32 tensor t with its axes
// permuted by perm (output axis i is input axis perm[i]): perm
// [0, 3, 1, 2] turns NHWC into NCHW, [0, 2, 3, 1] NCHW into NHWC.
func Transpose4(t *graph.Tensor, perm []int64) *graph.Tensor {
	s := t.Shape
	var out graph.Shape
	for _, p := range perm {
		out = append(out, s[p])
	}
	res := graph.New(out...)
	// Strides of the input, read in output order.
	st := [4]int{s[1] * s[2] * s[3], s[2] * s[3], s[3], 1}
	var ps [4]int
	for i, p := range perm {
		ps[i] = st[p]
	}
	k := 0
	for a := range out[0] {
		for b := range out[1] {
			for c := range out[2] {
				base := a*ps[0] + b*ps[1] + c*ps[2]
				for d := range out[3] {
					res.Data[k] = t.Data[base+d*ps[3]]
					k++
				}
			}
		}
	}
	return res
}
