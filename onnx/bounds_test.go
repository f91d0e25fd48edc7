package onnx

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tinyModel returns a valid one-node model (y = Relu(x) + w) to break.
func tinyModel() *onnxpb.ModelProto {
	vi := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: dtFloat, Shape: &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{
				{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "unk__1"}},
				{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 2}},
				{}, // neither value nor param: unknown
			}}}}}}
	}
	return &onnxpb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 15}, {Domain: "ai.onnx.ml", Version: 2}},
		Graph: &onnxpb.GraphProto{
			Name: "tiny",
			Node: []*onnxpb.NodeProto{
				{Name: "r", OpType: "Relu", Input: []string{"x"}, Output: []string{"h"}},
				{Name: "a", OpType: "Add", Input: []string{"h", "w"}, Output: []string{"y"}},
			},
			Initializer: []*onnxpb.TensorProto{{Name: "w", DataType: dtFloat, Dims: []int64{2, 1}, FloatData: []float32{1, 2}}},
			Input:       []*onnxpb.ValueInfoProto{vi("x")},
			Output:      []*onnxpb.ValueInfoProto{vi("y")},
		},
	}
}

func TestDecodeTinyModel(t *testing.T) {
	g, err := Decode(marshal(t, tinyModel()))
	if err != nil {
		t.Fatal(err)
	}
	if g.Opset != 15 || !g.Inputs[0].Shape.Equal(graph.Shape{-1, 2, -1}) || len(g.Trainable) != 0 {
		t.Errorf("opset %d, input %v, trainable %v", g.Opset, g.Inputs[0].Shape, g.Trainable)
	}
}

// TestDecodeRefuses breaks the tiny model in many ways; each must give an
// error that names the culprit.
func TestDecodeRefuses(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(m *onnxpb.ModelProto)
		want   string
	}{
		{"cycle", func(m *onnxpb.ModelProto) { m.Graph.Node[0].Input[0] = "y" }, "cycle"},
		{"dangling", func(m *onnxpb.ModelProto) { m.Graph.Node[1].Input[1] = "nowhere" }, `"nowhere"`},
		{"duplicate output", func(m *onnxpb.ModelProto) { m.Graph.Node[1].Output[0] = "h" }, `"h"`},
		{"output overwrites initializer", func(m *onnxpb.ModelProto) { m.Graph.Node[0].Output[0] = "w" }, `output "w" is also an initializer`},
		{"duplicate initializer", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = append(m.Graph.Initializer, m.Graph.Initializer[0])
		}, `initializer "w" is listed twice`},
		{"negative dim", func(m *onnxpb.ModelProto) { m.Graph.Initializer[0].Dims[0] = -2 }, `initializer "w": dimension 0 is negative (-2)`},
		{"typed data short", func(m *onnxpb.ModelProto) { m.Graph.Initializer[0].FloatData = []float32{1} }, `initializer "w": FLOAT tensor [2 1] has 2 elements, its typed data field holds 1`},
		{"raw data short", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0].FloatData = nil
			m.Graph.Initializer[0].RawData = make([]byte, 7)
		}, "needs 8 bytes of raw_data (2 elements × 4), found 7"},
		{"rank", func(m *onnxpb.ModelProto) { m.Graph.Initializer[0].Dims = make([]int64, 9) }, "rank 9 exceeds the limit of 8"},
		{"external", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer[0].DataLocation = onnxpb.TensorProto_EXTERNAL
			m.Graph.Initializer[0].ExternalData = []*onnxpb.StringStringEntryProto{{Key: "location", Value: "w.bin"}}
		}, `initializer "w": data is stored in an external file ("w.bin")`},
		{"string tensor", func(m *onnxpb.ModelProto) { m.Graph.Initializer[0].DataType = int32(onnxpb.TensorProto_STRING) }, "element type STRING is not supported"},
		{"IR 2", func(m *onnxpb.ModelProto) { m.IrVersion = 2 }, "IR version 2 is not supported (aekit reads 3 to 10)"},
		{"IR 11", func(m *onnxpb.ModelProto) { m.IrVersion = 11 }, "IR version 11"},
		{"opset 6", func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = 6 }, "opset 6 is not supported (aekit reads opsets 7 to 21)"},
		{"opset 22", func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = 22 }, "opset 22"},
		{"no default opset", func(m *onnxpb.ModelProto) { m.OpsetImport = m.OpsetImport[1:] }, "the model imports no default-domain opset (opset_import lists 1 other domains)"},
		{"ml node", func(m *onnxpb.ModelProto) { m.Graph.Node[0].Domain = "ai.onnx.ml" }, `node 0 "r" (Relu): domain "ai.onnx.ml" is not supported`},
		{"custom domain", func(m *onnxpb.ModelProto) { m.Graph.Node[1].Domain = "com.microsoft" }, `node 1 "a" (Add): domain "com.microsoft"`},
		{"graph attribute", func(m *onnxpb.ModelProto) {
			m.Graph.Node[1].Attribute = []*onnxpb.AttributeProto{{Name: "then_branch", Type: onnxpb.AttributeProto_GRAPH, G: &onnxpb.GraphProto{}}}
		}, `node 1 "a" (Add): attribute "then_branch": holds a subgraph (GRAPH)`},
		{"duplicate attribute", func(m *onnxpb.ModelProto) {
			a := &onnxpb.AttributeProto{Name: "axis", Type: onnxpb.AttributeProto_INT, I: 1}
			m.Graph.Node[1].Attribute = []*onnxpb.AttributeProto{a, a}
		}, `attribute "axis" is given twice`},
		{"no graph", func(m *onnxpb.ModelProto) { m.Graph = nil }, "model has no graph"},
		{"huge input shape", func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type.GetTensorType().Shape.Dim[0].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 1 << 40}
		}, `input "x": dims [1099511627776 2] declare more than 268435456 elements`},
		{"sparse initializer", func(m *onnxpb.ModelProto) {
			m.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Values: &onnxpb.TensorProto{Name: "s"}}}
		}, `sparse initializers ("s"`},
		{"bad trainable metadata", func(m *onnxpb.ModelProto) {
			m.MetadataProps = []*onnxpb.StringStringEntryProto{{Key: MetaTrainable, Value: `["x"]`}}
		}, `metadata aekit.trainable names "x", which is not an initializer`},
	}
	for _, c := range cases {
		m := tinyModel()
		c.break_(m)
		_, err := Decode(marshal(t, m))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	lim := DefaultLimits
	lim.MaxNodes = 1
	if _, err := lim.Decode(marshal(t, tinyModel())); err == nil || !strings.Contains(err.Error(), "2 nodes, more than the limit of 1") {
		t.Errorf("node limit: %v", err)
	}
	lim = DefaultLimits
	lim.MaxTotalElements = 1
	if _, err := lim.Decode(marshal(t, tinyModel())); err == nil || !strings.Contains(err.Error(), "more than 1 elements") {
		t.Errorf("total limit: %v", err)
	}
}

// TestDecodeTruncatedAndCorrupted feeds every prefix of a real model and
// single-byte corruptions of it: each gives an error or a valid graph,
// never a panic; the empty and truncated files give errors.
func TestDecodeTruncatedAndCorrupted(t *testing.T) {
	data, err := os.ReadFile("testdata/seed-init.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(nil); err == nil {
		t.Error("empty input decoded")
	}
	for _, n := range []int{1, 10, 100, len(data) / 2, len(data) - 1} {
		if _, err := Decode(data[:n]); err == nil {
			t.Errorf("truncated to %d of %d bytes: decoded", n, len(data))
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "cut.onnx")
	if err := os.WriteFile(path, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("truncated file: error %v does not name %s", err, path)
	}
	for i := 0; i < len(data); i += 7 {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0xa5
		Decode(bad) // must not panic
	}
	if _, err := Decode([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")); err == nil {
		t.Error("garbage decoded")
	}
}

// TestHugeTensorBoundedMemory declares a tensor of 2^40 float32 elements
// with 4 bytes of data: it is refused without allocating anywhere near its
// size.
func TestHugeTensorBoundedMemory(t *testing.T) {
	cases := map[string][]byte{
		"raw":   marshal(t, &onnxpb.TensorProto{DataType: dtFloat, Dims: []int64{1 << 40}, RawData: []byte{0, 0, 128, 63}}),
		"typed": marshal(t, &onnxpb.TensorProto{DataType: dtFloat, Dims: []int64{1 << 20, 1 << 20}, FloatData: []float32{1}}),
		"small": marshal(t, &onnxpb.TensorProto{DataType: dtFloat, Dims: []int64{1 << 20}, RawData: []byte{0, 0, 128, 63}}),
	}
	m := tinyModel()
	m.Graph.Initializer[0] = &onnxpb.TensorProto{Name: "w", DataType: dtFloat, Dims: []int64{1 << 40, 1}, RawData: []byte{0, 0, 128, 63}}
	model := marshal(t, m)
	for name, data := range cases {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := DecodeTensor(data)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: huge tensor decoded", name)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("%s: refusing the tensor allocated %d bytes", name, grew)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := Decode(model); err == nil {
			t.Fatal("huge initializer decoded")
		}
	})
	if allocs > 200 {
		t.Errorf("refusing a huge initializer took %v allocations", allocs)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Decode(model)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), `initializer "w"`) || !strings.Contains(err.Error(), "1099511627776") {
		t.Errorf("error %v should name the initializer and its dims", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing the model allocated %d bytes", grew)
	}
}

// TestDeepNestingRefused nests subgraph attributes 200 deep: protobuf's
// recursion limit refuses it before any graph is built.
func TestDeepNestingRefused(t *testing.T) {
	g := &onnxpb.GraphProto{Name: "leaf"}
	for range 200 {
		g = &onnxpb.GraphProto{Name: "g", Node: []*onnxpb.NodeProto{{OpType: "If", Attribute: []*onnxpb.AttributeProto{
			{Name: "then_branch", Type: onnxpb.AttributeProto_GRAPH, G: g}}}}}
	}
	m := &onnxpb.ModelProto{IrVersion: 8, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 15}}, Graph: g}
	_, err := Decode(marshal(t, m))
	if err == nil || !strings.Contains(err.Error(), "not a valid ONNX protobuf") {
		t.Errorf("deep nesting: %v", err)
	}
}

// TestTensorTypes decodes each element type, raw and typed, and checks the
// conversion to float32 or int64.
func TestTensorTypes(t *testing.T) {
	le := binary.LittleEndian
	f16 := []uint16{0x3c00, 0xc000, 0x7c00, 0x0001, 0x7bff, 0x8000}
	f16want := []float32{1, -2, float32(math.Inf(1)), 1.0 / (1 << 24), 65504, float32(math.Copysign(0, -1))}
	var f16raw []byte
	var f16typed []int32
	for _, h := range f16 {
		f16raw = le.AppendUint16(f16raw, h)
		f16typed = append(f16typed, int32(h))
	}
	n := int64(len(f16))
	cases := []struct {
		name   string
		tp     *onnxpb.TensorProto
		floats []float32
		ints   []int64
	}{
		{"float16 raw", &onnxpb.TensorProto{DataType: dtFloat16, Dims: []int64{n}, RawData: f16raw}, f16want, nil},
		{"float16 typed", &onnxpb.TensorProto{DataType: dtFloat16, Dims: []int64{n}, Int32Data: f16typed}, f16want, nil},
		{"bfloat16", &onnxpb.TensorProto{DataType: dtBfloat16, Dims: []int64{2}, Int32Data: []int32{0x3f80, 0xc040}}, []float32{1, -3}, nil},
		{"double raw", &onnxpb.TensorProto{DataType: dtDouble, Dims: []int64{2}, RawData: le.AppendUint64(le.AppendUint64(nil, math.Float64bits(0.1)), math.Float64bits(-1e300))},
			[]float32{0.1, float32(math.Inf(-1))}, nil},
		{"double typed", &onnxpb.TensorProto{DataType: dtDouble, Dims: []int64{1}, DoubleData: []float64{2.5}}, []float32{2.5}, nil},
		{"float typed scalar", &onnxpb.TensorProto{DataType: dtFloat, FloatData: []float32{7}}, []float32{7}, nil},
		{"int32 raw", &onnxpb.TensorProto{DataType: dtInt32, Dims: []int64{2}, RawData: le.AppendUint32(le.AppendUint32(nil, uint32(0xffffffff)), 5)}, nil, []int64{-1, 5}},
		{"int32 typed", &onnxpb.TensorProto{DataType: dtInt32, Dims: []int64{2}, Int32Data: []int32{-7, 9}}, nil, []int64{-7, 9}},
		{"int8 raw", &onnxpb.TensorProto{DataType: dtInt8, Dims: []int64{2}, RawData: []byte{0xff, 3}}, nil, []int64{-1, 3}},
		{"uint8 raw", &onnxpb.TensorProto{DataType: dtUint8, Dims: []int64{2}, RawData: []byte{0xff, 3}}, nil, []int64{255, 3}},
		{"bool raw", &onnxpb.TensorProto{DataType: dtBool, Dims: []int64{3}, RawData: []byte{0, 1, 2}}, nil, []int64{0, 1, 1}},
		{"bool typed", &onnxpb.TensorProto{DataType: dtBool, Dims: []int64{2}, Int32Data: []int32{1, 0}}, nil, []int64{1, 0}},
		{"int64 typed", &onnxpb.TensorProto{DataType: dtInt64, Dims: []int64{2}, Int64Data: []int64{math.MinInt64, 3}}, nil, []int64{math.MinInt64, 3}},
		{"uint64 typed", &onnxpb.TensorProto{DataType: dtUint64, Dims: []int64{1}, Uint64Data: []uint64{1 << 40}}, nil, []int64{1 << 40}},
		{"empty", &onnxpb.TensorProto{DataType: dtFloat, Dims: []int64{0, 3}}, []float32{}, nil},
	}
	for _, c := range cases {
		x, err := DecodeTensor(marshal(t, c.tp))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := &graph.Tensor{Shape: make(graph.Shape, len(c.tp.Dims)), Data: c.floats, Ints: c.ints}
		for i, d := range c.tp.Dims {
			want.Shape[i] = int(d)
		}
		if c.ints != nil {
			want.DType = graph.Int64
		}
		if c.floats != nil && len(c.floats) == 0 {
			want.Data = x.Data
		}
		if d := tensorDiff(want, x); d != "" {
			t.Errorf("%s: %s", c.name, d)
		}
	}
	for name, tp := range map[string]*onnxpb.TensorProto{
		"uint64 overflow": {DataType: dtUint64, Dims: []int64{1}, Uint64Data: []uint64{1 << 63}},
		"raw and typed":   {DataType: dtFloat, Dims: []int64{1}, FloatData: []float32{1}, RawData: []byte{0, 0, 0, 0}},
		"no data":         {DataType: dtFloat, Dims: []int64{3}},
		"undefined type":  {Dims: []int64{1}, RawData: []byte{0}},
		"complex":         {DataType: int32(onnxpb.TensorProto_COMPLEX64), Dims: []int64{1}, RawData: make([]byte, 8)},
	} {
		if _, err := DecodeTensor(marshal(t, tp)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	// Encode writes FLOAT / INT64 raw data that decodes bit for bit.
	for _, x := range []*graph.Tensor{
		graph.FromData([]float32{float32(math.NaN()), -0.0, 1e-45}, 3),
		graph.FromInts([]int64{math.MaxInt64, -5}, 1, 2),
	} {
		data, err := EncodeNamedTensor("v", x)
		if err != nil {
			t.Fatal(err)
		}
		name, y, err := DecodeNamedTensor(data)
		if err != nil || name != "v" {
			t.Fatalf("%q %v", name, err)
		}
		if d := tensorDiff(x, y); d != "" {
			t.Error(d)
		}
	}
}
