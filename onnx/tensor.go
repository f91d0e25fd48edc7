package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx/onnxpb"
)

// ONNX element types that decodeTensor reads. Float types become float32
// tensors, integer and boolean types int64 tensors.
const (
	dtFloat    = int32(onnxpb.TensorProto_FLOAT)
	dtUint8    = int32(onnxpb.TensorProto_UINT8)
	dtInt8     = int32(onnxpb.TensorProto_INT8)
	dtUint16   = int32(onnxpb.TensorProto_UINT16)
	dtInt16    = int32(onnxpb.TensorProto_INT16)
	dtInt32    = int32(onnxpb.TensorProto_INT32)
	dtInt64    = int32(onnxpb.TensorProto_INT64)
	dtBool     = int32(onnxpb.TensorProto_BOOL)
	dtFloat16  = int32(onnxpb.TensorProto_FLOAT16)
	dtDouble   = int32(onnxpb.TensorProto_DOUBLE)
	dtUint32   = int32(onnxpb.TensorProto_UINT32)
	dtUint64   = int32(onnxpb.TensorProto_UINT64)
	dtBfloat16 = int32(onnxpb.TensorProto_BFLOAT16)
)

// dtypeName returns the ONNX name of an element type ("FLOAT", "INT64").
func dtypeName(dt int32) string {
	if s, ok := onnxpb.TensorProto_DataType_name[dt]; ok {
		return s
	}
	return fmt.Sprintf("data_type %d", dt)
}

// elemSize returns the bytes per element in raw_data, 0 for types aekit
// does not read.
func elemSize(dt int32) int {
	switch dt {
	case dtUint8, dtInt8, dtBool:
		return 1
	case dtUint16, dtInt16, dtFloat16, dtBfloat16:
		return 2
	case dtFloat, dtInt32, dtUint32:
		return 4
	case dtInt64, dtDouble, dtUint64:
		return 8
	}
	return 0
}

// isFloatType reports whether dt decodes to a float32 tensor.
func isFloatType(dt int32) bool {
	return dt == dtFloat || dt == dtDouble || dt == dtFloat16 || dt == dtBfloat16
}

// decodeTensor converts a TensorProto to a tensor, checking its size
// against the limits before allocating. FLOAT, DOUBLE, FLOAT16 and BFLOAT16
// become float32 tensors (DOUBLE rounded to nearest); INT64, INT32, INT16,
// INT8, UINT8, UINT16, UINT32, UINT64 and BOOL become int64 tensors (a
// UINT64 above 2^63-1 is an error). Other types, external data and segments
// are errors.
func (l Limits) decodeTensor(tp *onnxpb.TensorProto) (*graph.Tensor, error) {
	n, err := l.elements(tp.GetDims())
	if err != nil {
		return nil, err
	}
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(tp.GetExternalData()) > 0 {
		loc := ""
		for _, kv := range tp.GetExternalData() {
			if kv.GetKey() == "location" {
				loc = kv.GetValue()
			}
		}
		return nil, fmt.Errorf("data is stored in an external file (%q), which aekit does not read", loc)
	}
	if tp.GetSegment() != nil {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	dt := tp.GetDataType()
	size := elemSize(dt)
	if size == 0 {
		return nil, fmt.Errorf("element type %s is not supported (aekit reads float, double, float16, bfloat16, bool and integer tensors)", dtypeName(dt))
	}
	shape := make(graph.Shape, len(tp.GetDims()))
	for i, d := range tp.GetDims() {
		shape[i] = int(d)
	}
	raw := tp.GetRawData()
	typed := len(tp.GetFloatData()) + len(tp.GetInt32Data()) + len(tp.GetInt64Data()) + len(tp.GetDoubleData()) + len(tp.GetUint64Data()) + len(tp.GetStringData())
	if len(raw) > 0 && typed > 0 {
		return nil, fmt.Errorf("%s tensor %v has both raw_data and typed data", dtypeName(dt), tp.GetDims())
	}
	if len(raw) > 0 || (n == 0 && typed == 0) {
		if int64(len(raw)) != n*int64(size) {
			return nil, fmt.Errorf("%s tensor %v needs %d bytes of raw_data (%d elements × %d), found %d", dtypeName(dt), tp.GetDims(), n*int64(size), n, size, len(raw))
		}
		return rawTensor(dt, shape, int(n), raw)
	}
	var have int
	switch dt {
	case dtFloat:
		have = len(tp.GetFloatData())
	case dtDouble:
		have = len(tp.GetDoubleData())
	case dtInt64:
		have = len(tp.GetInt64Data())
	case dtUint32, dtUint64:
		have = len(tp.GetUint64Data())
	default:
		have = len(tp.GetInt32Data())
	}
	if int64(have) != n {
		return nil, fmt.Errorf("%s tensor %v has %d elements, its typed data field holds %d", dtypeName(dt), tp.GetDims(), n, have)
	}
	return typedTensor(tp, shape, int(n))
}

// rawTensor decodes n little-endian elements of type dt from raw.
func rawTensor(dt int32, shape graph.Shape, n int, raw []byte) (*graph.Tensor, error) {
	le := binary.LittleEndian
	if isFloatType(dt) {
		t := &graph.Tensor{Shape: shape, Data: make([]float32, n)}
		for i := range t.Data {
			switch dt {
			case dtFloat:
				t.Data[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
			case dtDouble:
				t.Data[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
			case dtFloat16:
				t.Data[i] = halfToFloat(le.Uint16(raw[2*i:]))
			case dtBfloat16:
				t.Data[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
			}
		}
		return t, nil
	}
	t := &graph.Tensor{Shape: shape, DType: graph.Int64, Ints: make([]int64, n)}
	for i := range t.Ints {
		var v int64
		switch dt {
		case dtInt64:
			v = int64(le.Uint64(raw[8*i:]))
		case dtUint64:
			u := le.Uint64(raw[8*i:])
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("UINT64 element %d (%d) does not fit int64", i, u)
			}
			v = int64(u)
		case dtInt32:
			v = int64(int32(le.Uint32(raw[4*i:])))
		case dtUint32:
			v = int64(le.Uint32(raw[4*i:]))
		case dtInt16:
			v = int64(int16(le.Uint16(raw[2*i:])))
		case dtUint16:
			v = int64(le.Uint16(raw[2*i:]))
		case dtInt8:
			v = int64(int8(raw[i]))
		case dtUint8:
			v = int64(raw[i])
		case dtBool:
			if raw[i] != 0 {
				v = 1
			}
		}
		t.Ints[i] = v
	}
	return t, nil
}

// typedTensor decodes the n elements of tp's typed data field.
func typedTensor(tp *onnxpb.TensorProto, shape graph.Shape, n int) (*graph.Tensor, error) {
	dt := tp.GetDataType()
	if isFloatType(dt) {
		t := &graph.Tensor{Shape: shape, Data: make([]float32, n)}
		switch dt {
		case dtFloat:
			copy(t.Data, tp.GetFloatData())
		case dtDouble:
			for i, v := range tp.GetDoubleData() {
				t.Data[i] = float32(v)
			}
		case dtFloat16:
			for i, v := range tp.GetInt32Data() {
				t.Data[i] = halfToFloat(uint16(v))
			}
		case dtBfloat16:
			for i, v := range tp.GetInt32Data() {
				t.Data[i] = math.Float32frombits(uint32(uint16(v)) << 16)
			}
		}
		return t, nil
	}
	t := &graph.Tensor{Shape: shape, DType: graph.Int64, Ints: make([]int64, n)}
	switch dt {
	case dtInt64:
		copy(t.Ints, tp.GetInt64Data())
	case dtUint32, dtUint64:
		for i, u := range tp.GetUint64Data() {
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("%s element %d (%d) does not fit int64", dtypeName(dt), i, u)
			}
			t.Ints[i] = int64(u)
		}
	case dtBool:
		for i, v := range tp.GetInt32Data() {
			if v != 0 {
				t.Ints[i] = 1
			}
		}
	default:
		for i, v := range tp.GetInt32Data() {
			t.Ints[i] = int64(v)
		}
	}
	return t, nil
}

// halfToFloat converts IEEE 754 binary16 bits to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
	case man == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal: value = man · 2^-24.
	f := float32(man) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// encodeTensor converts a tensor to a TensorProto: float32 tensors as FLOAT,
// int64 tensors as INT64, both in little-endian raw_data (bit for bit).
func encodeTensor(name string, t *graph.Tensor) (*onnxpb.TensorProto, error) {
	if t == nil {
		return nil, fmt.Errorf("tensor %q is nil", name)
	}
	size := t.Shape.Size()
	if size < 0 {
		return nil, fmt.Errorf("tensor %q has dynamic shape %v", name, t.Shape)
	}
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	tp := &onnxpb.TensorProto{Name: name, Dims: dims}
	le := binary.LittleEndian
	switch t.DType {
	case graph.Float32:
		if len(t.Data) != size {
			return nil, fmt.Errorf("tensor %q: shape %v holds %d elements, Data has %d", name, t.Shape, size, len(t.Data))
		}
		tp.DataType = dtFloat
		tp.RawData = make([]byte, 4*size)
		for i, v := range t.Data {
			le.PutUint32(tp.RawData[4*i:], math.Float32bits(v))
		}
	case graph.Int64:
		if len(t.Ints) != size {
			return nil, fmt.Errorf("tensor %q: shape %v holds %d elements, Ints has %d", name, t.Shape, size, len(t.Ints))
		}
		tp.DataType = dtInt64
		tp.RawData = make([]byte, 8*size)
		for i, v := range t.Ints {
			le.PutUint64(tp.RawData[8*i:], uint64(v))
		}
	default:
		return nil, fmt.Errorf("tensor %q has unknown dtype %v", name, t.DType)
	}
	return tp, nil
}
