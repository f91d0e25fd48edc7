package graph

import (
	"fmt"
	"math"
)

// Shape operators that keep the elements in order (Identity, Flatten,
// Reshape, Squeeze, Unsqueeze: a copy, with the gradient copied back), the
// shape read-out (Shape), the type conversion Cast, and the constant makers
// Constant and ConstantOfShape. Every operator here accepts float32 and
// int64 data; the int64 results are what folds the shape subgraphs of
// converted models into constants.

// ONNX TensorProto data types that Cast and the constants understand.
const (
	onnxFloat = 1
	onnxInt32 = 6
	onnxInt64 = 7
)

func init() {
	Register(OpDef{Type: "Identity", Build: buildIdentity})
	Register(OpDef{Type: "Flatten", Build: buildFlatten})
	Register(OpDef{Type: "Reshape", Build: buildReshape})
	Register(OpDef{Type: "Squeeze", Build: buildSqueeze})
	Register(OpDef{Type: "Unsqueeze", Build: buildUnsqueeze})
	Register(OpDef{Type: "Shape", Build: buildShape, ShapeOnly: true, NoGrad: true})
	Register(OpDef{Type: "Cast", Build: buildCast, NoGrad: true})
	Register(OpDef{Type: "Constant", Build: buildConstant, NoGrad: true})
	Register(OpDef{Type: "ConstantOfShape", Build: buildConstantOfShape, NoGrad: true})
}

// normAxis maps axis, which may count from the end, into [0, rank).
func normAxis(a BuildArgs, what string, axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, a.Errorf("%s %d out of range for rank %d", what, axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// intsInput returns the int64 values of constant input i, or an error.
func intsInput(a BuildArgs, i int) ([]int64, error) {
	t, err := a.Const(i)
	if err != nil {
		return nil, err
	}
	return t.Int64s(), nil
}

// viewKernel copies its input into an output of another shape with the
// same elements in the same order; the gradient is copied back.
type viewKernel struct{ dt DType }

// OutDTypes gives the output type: the input's.
func (k *viewKernel) OutDTypes() []DType { return []DType{k.dt} }

func (k *viewKernel) Forward(_ *Ctx, in, out []*Tensor) {
	copy(out[0].Data, in[0].Data)
	copy(out[0].Ints, in[0].Ints)
}

func (k *viewKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {
	if din[0] != nil {
		copy(din[0].Data, dout[0].Data)
	}
}

// hasInput reports whether the node names input i. An empty name is an
// omitted optional input; BuildArgs.In cannot tell, as a scalar's shape is
// empty too.
func hasInput(a BuildArgs, i int) bool { return i < len(a.Node.Inputs) && a.Node.Inputs[i] != "" }

// firstInput checks that input 0 is present and that there are at most max
// inputs.
func firstInput(a BuildArgs, maxIn int) error {
	if !hasInput(a, 0) || len(a.In) > maxIn {
		return a.Errorf("takes 1 to %d inputs, got %d", maxIn, len(a.In))
	}
	return nil
}

func buildIdentity(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 1); err != nil {
		return nil, nil, err
	}
	return &viewKernel{a.InType[0]}, []Shape{a.In[0]}, nil
}

func buildFlatten(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 1); err != nil {
		return nil, nil, err
	}
	s := a.In[0]
	axis := a.Node.Attrs.Int("axis", 1)
	if axis < -int64(len(s)) || axis > int64(len(s)) {
		return nil, nil, a.Errorf("axis %d out of range for input %v", axis, s)
	}
	if axis < 0 {
		axis += int64(len(s))
	}
	return &viewKernel{a.InType[0]}, []Shape{{s[:axis].Size(), s[axis:].Size()}}, nil
}

func buildReshape(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 2); err != nil {
		return nil, nil, err
	}
	var shape []int64
	if a.Opset < 5 {
		shape = a.Node.Attrs.Ints("shape", nil)
	} else {
		var err error
		if shape, err = intsInput(a, 1); err != nil {
			return nil, nil, err
		}
	}
	allowZero := a.Opset >= 14 && a.Node.Attrs.Int("allowzero", 0) != 0
	in := a.In[0]
	out := make(Shape, len(shape))
	infer := -1
	known := 1
	for i, d := range shape {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, nil, a.Errorf("shape %v has more than one -1", shape)
			}
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, nil, a.Errorf("shape %v copies dimension %d of input %v, which has none", shape, i, in)
			}
			out[i] = in[i]
		case d < 0:
			return nil, nil, a.Errorf("shape %v has negative dimension %d", shape, d)
		default:
			out[i] = int(d)
		}
		known *= out[i]
	}
	if infer >= 0 {
		if known == 0 || in.Size()%known != 0 {
			return nil, nil, a.Errorf("cannot reshape input %v (%d elements) to %v", in, in.Size(), shape)
		}
		out[infer] = in.Size() / known
	}
	if out.Size() != in.Size() {
		return nil, nil, a.Errorf("cannot reshape input %v (%d elements) to %v (%d elements)", in, in.Size(), out, out.Size())
	}
	return &viewKernel{a.InType[0]}, []Shape{out}, nil
}

// axesArg reads the axes of Squeeze/Unsqueeze: the attribute before opset
// 13, the optional constant input 1 from 13 on. ok is false when absent.
func axesArg(a BuildArgs) (axes []int64, ok bool, err error) {
	if a.Opset < 13 {
		at, ok := a.Node.Attrs.Get("axes")
		return at.Ints, ok, nil
	}
	if !hasInput(a, 1) {
		return nil, false, nil
	}
	axes, err = intsInput(a, 1)
	return axes, true, err
}

func buildSqueeze(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 2); err != nil {
		return nil, nil, err
	}
	in := a.In[0]
	axes, given, err := axesArg(a)
	if err != nil {
		return nil, nil, err
	}
	// An empty axes input squeezes every unit dimension, as no input does.
	given = given && len(axes) > 0
	drop := make([]bool, len(in))
	for _, ax := range axes {
		i, err := normAxis(a, "axis", ax, len(in))
		if err != nil {
			return nil, nil, err
		}
		if in[i] != 1 {
			return nil, nil, a.Errorf("cannot squeeze axis %d of input %v: its size is %d, not 1", ax, in, in[i])
		}
		drop[i] = true
	}
	out := Shape{}
	for i, d := range in {
		if given && !drop[i] || !given && d != 1 {
			out = append(out, d)
		}
	}
	return &viewKernel{a.InType[0]}, []Shape{out}, nil
}

func buildUnsqueeze(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 2); err != nil {
		return nil, nil, err
	}
	in := a.In[0]
	axes, given, err := axesArg(a)
	if err != nil {
		return nil, nil, err
	}
	if !given {
		return nil, nil, a.Errorf("axes missing")
	}
	rank := len(in) + len(axes)
	ins := make([]bool, rank)
	for _, ax := range axes {
		i, err := normAxis(a, "axis", ax, rank)
		if err != nil {
			return nil, nil, err
		}
		if ins[i] {
			return nil, nil, a.Errorf("axes %v repeat axis %d", axes, ax)
		}
		ins[i] = true
	}
	out := make(Shape, rank)
	j := 0
	for i := range out {
		if ins[i] {
			out[i] = 1
			continue
		}
		out[i] = in[j]
		j++
	}
	return &viewKernel{a.InType[0]}, []Shape{out}, nil
}

// shapeKernel writes a slice of its input's dimensions as int64.
type shapeKernel struct{ dims []int64 }

// OutDTypes gives the output type: int64.
func (k *shapeKernel) OutDTypes() []DType { return []DType{Int64} }

func (k *shapeKernel) Forward(_ *Ctx, in, out []*Tensor)             { copy(out[0].Ints, k.dims) }
func (k *shapeKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {}

func buildShape(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 1); err != nil {
		return nil, nil, err
	}
	s := a.In[0]
	r := int64(len(s))
	start, end := int64(0), r
	if a.Opset >= 15 {
		start = a.Node.Attrs.Int("start", 0)
		end = a.Node.Attrs.Int("end", r)
	}
	clampAxis := func(x int64) int64 {
		if x < 0 {
			x += r
		}
		return min(max(x, 0), r)
	}
	start, end = clampAxis(start), clampAxis(end)
	k := &shapeKernel{dims: []int64{}}
	for i := start; i < end; i++ {
		k.dims = append(k.dims, int64(s[i]))
	}
	return k, []Shape{{len(k.dims)}}, nil
}

// castKernel converts between float32 and int64 (int32 values are held as
// int64, truncated to the int32 range).
type castKernel struct {
	from, to DType
	int32    bool
}

// OutDTypes gives the output type: the target of the cast.
func (k *castKernel) OutDTypes() []DType { return []DType{k.to} }

func (k *castKernel) Forward(_ *Ctx, in, out []*Tensor) {
	x, y := in[0], out[0]
	switch {
	case k.to == Float32 && k.from == Float32:
		copy(y.Data, x.Data)
	case k.to == Float32:
		for i, v := range x.Ints {
			y.Data[i] = float32(v)
		}
	case k.from == Int64:
		copy(y.Ints, x.Ints)
	default:
		for i, v := range x.Data {
			// Truncation toward zero, as C casts; NaN becomes 0.
			if v != v {
				y.Ints[i] = 0
				continue
			}
			y.Ints[i] = int64(math.Trunc(float64(v)))
		}
	}
	if k.int32 {
		for i, v := range y.Ints {
			y.Ints[i] = int64(int32(v))
		}
	}
}

func (k *castKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {}

func buildCast(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 1); err != nil {
		return nil, nil, err
	}
	to, ok := a.Node.Attrs.Get("to")
	if !ok {
		return nil, nil, a.Errorf("attribute to missing")
	}
	k := &castKernel{from: a.InType[0]}
	switch to.Int {
	case onnxFloat:
		k.to = Float32
	case onnxInt64:
		k.to = Int64
	case onnxInt32:
		k.to, k.int32 = Int64, true
	default:
		return nil, nil, a.Unsupported("to", fmt.Sprint(to.Int), "1 (FLOAT), 6 (INT32, held as int64), 7 (INT64)")
	}
	return k, []Shape{a.In[0]}, nil
}

// constKernel writes a fixed tensor.
type constKernel struct{ t *Tensor }

// OutDTypes gives the output type: the constant's.
func (k *constKernel) OutDTypes() []DType { return []DType{k.t.DType} }

func (k *constKernel) Forward(_ *Ctx, in, out []*Tensor) {
	copy(out[0].Data, k.t.Data)
	copy(out[0].Ints, k.t.Ints)
}

func (k *constKernel) Backward(_ *Ctx, in, out, dout, din []*Tensor) {}

func buildConstant(a BuildArgs) (Kernel, []Shape, error) {
	if len(a.In) != 0 {
		return nil, nil, a.Errorf("takes no inputs, got %d", len(a.In))
	}
	var t *Tensor
	for _, at := range a.Node.Attrs {
		switch at.Name {
		case "value":
			if at.Tensor == nil {
				return nil, nil, a.Errorf("attribute value holds no tensor")
			}
			t = at.Tensor
		case "value_float":
			t = FromData([]float32{at.Float})
		case "value_floats":
			t = FromData(at.Floats, len(at.Floats))
		case "value_int":
			t = FromInts([]int64{at.Int})
		case "value_ints":
			t = FromInts(at.Ints, len(at.Ints))
		default:
			return nil, nil, a.Unsupported("attribute", at.Name, "value, value_float, value_floats, value_int, value_ints")
		}
	}
	if t == nil {
		return nil, nil, a.Errorf("no value attribute")
	}
	if t.Len() != t.Shape.Size() {
		return nil, nil, a.Errorf("value holds %d elements for shape %v", t.Len(), t.Shape)
	}
	return &constKernel{t}, []Shape{t.Shape}, nil
}

func buildConstantOfShape(a BuildArgs) (Kernel, []Shape, error) {
	if err := firstInput(a, 1); err != nil {
		return nil, nil, err
	}
	dims, err := intsInput(a, 0)
	if err != nil {
		return nil, nil, err
	}
	if len(a.In[0]) != 1 {
		return nil, nil, a.Errorf("shape input must be 1-D, got %v", a.In[0])
	}
	out := make(Shape, len(dims))
	for i, d := range dims {
		if d < 0 {
			return nil, nil, a.Errorf("shape %v has a negative dimension", dims)
		}
		out[i] = int(d)
	}
	n := out.Size()
	t := &Tensor{Shape: out, Data: make([]float32, n)}
	if at, ok := a.Node.Attrs.Get("value"); ok {
		v := at.Tensor
		if v == nil || v.Len() != 1 {
			return nil, nil, a.Errorf("value must be a one-element tensor")
		}
		if v.DType == Int64 {
			t.DType, t.Data, t.Ints = Int64, nil, make([]int64, n)
			for i := range t.Ints {
				t.Ints[i] = v.Ints[0]
			}
		} else {
			for i := range t.Data {
				t.Data[i] = v.Data[0]
			}
		}
	}
	return &constKernel{t}, []Shape{out}, nil
}
