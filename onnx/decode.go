package onnx

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx/onnxpb"
)

// The IR versions and default-domain opsets Decode accepts.
const (
	MinIRVersion = 3
	MaxIRVersion = 10
	MinOpset     = 7
	MaxOpset     = 21
)

// Metadata keys under which Encode stores what ONNX has no field for. A
// model that carries MetaTrainable was written by aekit: its Trainable set
// (and Layers, when present) come from these keys instead of the heuristic
// Decode applies to foreign models.
const (
	MetaLayers    = "aekit.layers"
	MetaTrainable = "aekit.trainable"
)

// Model is a decoded ONNX model: its graph and the model-level fields that
// the graph does not hold.
type Model struct {
	Graph *graph.Graph
	// IRVersion is the file's IR version. Encode picks it from the opset
	// when it is 0.
	IRVersion int64
	// Opsets lists the opset_import entries by domain ("" is the default
	// domain). Encode ignores it: it writes Graph.Opset.
	Opsets map[string]int64
	// ProducerName and ProducerVersion name the tool that wrote the file;
	// Encode writes "aekit" when ProducerName is empty.
	ProducerName, ProducerVersion string
	// Domain, ModelVersion and DocString are the ModelProto fields of the
	// same names.
	Domain       string
	ModelVersion int64
	DocString    string
}

// Decode reads a model from ONNX protobuf bytes with DefaultLimits. See
// Limits.DecodeModel for what it accepts.
func Decode(data []byte) (*graph.Graph, error) { return DefaultLimits.Decode(data) }

// DecodeModel reads a model and its model-level fields with DefaultLimits.
func DecodeModel(data []byte) (*Model, error) { return DefaultLimits.DecodeModel(data) }

// Decode reads a model's graph from ONNX protobuf bytes within the limits.
// Unlike DecodeModel, which gives the file's graph as written, it also
// normalises what converters write for the graph aekit runs: pairs of
// Transposes that undo each other, back to back or around element-wise
// operators (the NHWC/NCHW boundaries tf2onnx and keras2onnx leave), are
// removed (graph.CancelTransposes). Constant subgraphs (tf2onnx's
// Shape→Gather→Concat chains) fold when a plan is compiled for concrete
// input shapes.
func (l Limits) Decode(data []byte) (*graph.Graph, error) {
	m, err := l.DecodeModel(data)
	if err != nil {
		return nil, err
	}
	if m.ProducerName != Producer {
		graph.CancelTransposes(m.Graph)
	}
	return m.Graph, nil
}

// DecodeModel reads a model from ONNX protobuf bytes within the limits.
//
// It accepts IR versions 3–10 and default-domain opsets 7–21; imported
// domains that no node uses (ai.onnx.ml from tf2onnx) are ignored, and a
// node of any other domain is an error naming it. Initializers become
// Graph.Params; those listed again as graph inputs (IR < 4 files) are
// dropped from Graph.Inputs. Symbolic or unknown dimensions become -1.
// Attributes of kind GRAPH, GRAPHS, TENSORS and SPARSE_TENSOR are errors
// naming the node. Constant nodes stay nodes.
//
// For files aekit wrote (metadata key aekit.trainable), Trainable and
// Layers come from the metadata. For foreign files, the float initializers
// that act as weights are marked trainable: Conv and ConvTranspose W and B,
// Gemm B and C, a constant operand of MatMul, a constant bias added to the
// output of MatMul, Gemm, Conv or ConvTranspose, and BatchNormalization
// scale and B (reached also through Reshape, Transpose, Identity, Flatten,
// Squeeze and Unsqueeze of an initializer); every other initializer is a
// constant. The graph is checked with graph.Validate (cycles, dangling
// inputs, values produced twice).
func (l Limits) DecodeModel(data []byte) (*Model, error) {
	m, err := l.decodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return m, nil
}

func (l Limits) decodeModel(data []byte) (*Model, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("empty input: no model")
	}
	var mp onnxpb.ModelProto
	if err := l.unmarshal(data, &mp); err != nil {
		return nil, err
	}
	ir := mp.GetIrVersion()
	if ir < MinIRVersion || ir > MaxIRVersion {
		return nil, fmt.Errorf("IR version %d is not supported (aekit reads %d to %d)", ir, MinIRVersion, MaxIRVersion)
	}
	m := &Model{
		IRVersion:       ir,
		Opsets:          map[string]int64{},
		ProducerName:    mp.GetProducerName(),
		ProducerVersion: mp.GetProducerVersion(),
		Domain:          mp.GetDomain(),
		ModelVersion:    mp.GetModelVersion(),
		DocString:       mp.GetDocString(),
	}
	for _, os := range mp.GetOpsetImport() {
		d := os.GetDomain()
		if d == "ai.onnx" {
			d = ""
		}
		if v, dup := m.Opsets[d]; dup && v != os.GetVersion() {
			return nil, fmt.Errorf("opset_import lists domain %q twice (versions %d and %d)", d, v, os.GetVersion())
		}
		m.Opsets[d] = os.GetVersion()
	}
	gp := mp.GetGraph()
	if gp == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	v, ok := m.Opsets[""]
	if !ok {
		for i, np := range gp.GetNode() {
			if err := checkDomain(np); err != nil {
				return nil, fmt.Errorf("node %d %q (%s): %w", i, np.GetName(), np.GetOpType(), err)
			}
		}
		return nil, fmt.Errorf("the model imports no default-domain opset (opset_import lists %d other domains)", len(m.Opsets))
	}
	if v < MinOpset || v > MaxOpset {
		return nil, fmt.Errorf("default-domain opset %d is not supported (aekit reads opsets %d to %d)", v, MinOpset, MaxOpset)
	}
	g := graph.NewGraph(gp.GetName())
	g.Opset = int(v)
	if err := l.decodeGraph(gp, g); err != nil {
		return nil, err
	}
	if err := decodeMeta(mp.GetMetadataProps(), g); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}

// decodeGraph fills g from gp: initializers, inputs, outputs and nodes.
func (l Limits) decodeGraph(gp *onnxpb.GraphProto, g *graph.Graph) error {
	if n := len(gp.GetNode()); n > l.MaxNodes {
		return fmt.Errorf("graph %q has %d nodes, more than the limit of %d", gp.GetName(), n, l.MaxNodes)
	}
	if n := len(gp.GetSparseInitializer()); n > 0 {
		return fmt.Errorf("graph %q has %d sparse initializers (%q …), which aekit does not read", gp.GetName(), n, gp.GetSparseInitializer()[0].GetValues().GetName())
	}
	var total int64
	for i, tp := range gp.GetInitializer() {
		name := tp.GetName()
		if name == "" {
			return fmt.Errorf("initializer %d has no name", i)
		}
		if _, dup := g.Params[name]; dup {
			return fmt.Errorf("initializer %q is listed twice", name)
		}
		t, err := l.decodeTensor(tp)
		if err != nil {
			return fmt.Errorf("initializer %q: %w", name, err)
		}
		if total += int64(t.Len()); total > l.MaxTotalElements {
			return fmt.Errorf("initializer %q: the model's tensors hold more than %d elements (the limit)", name, l.MaxTotalElements)
		}
		g.Params[name] = t
	}
	for _, vi := range gp.GetInput() {
		if _, isParam := g.Params[vi.GetName()]; isParam {
			continue // an initializer listed again as an input (IR < 4)
		}
		v, err := l.decodeValueInfo(vi)
		if err != nil {
			return fmt.Errorf("input %q: %w", vi.GetName(), err)
		}
		g.Inputs = append(g.Inputs, v)
	}
	for _, vi := range gp.GetOutput() {
		v, err := l.decodeValueInfo(vi)
		if err != nil {
			return fmt.Errorf("output %q: %w", vi.GetName(), err)
		}
		g.Outputs = append(g.Outputs, v)
	}
	outer := map[string]string{}
	for name := range g.Params {
		outer[name] = "an initializer"
	}
	for _, in := range g.Inputs {
		outer[in.Name] = "a graph input"
	}
	for i, np := range gp.GetNode() {
		n, err := l.decodeNode(np, &total)
		if err != nil {
			return fmt.Errorf("node %d %q (%s): %w", i, np.GetName(), np.GetOpType(), err)
		}
		for _, out := range n.Outputs {
			if what, ok := outer[out]; ok {
				return fmt.Errorf("node %d %q (%s): output %q is also %s", i, n.Name, n.Op, out, what)
			}
		}
		g.Nodes = append(g.Nodes, n)
	}
	return nil
}

// decodeValueInfo reads a graph input or output: its name and shape, with
// -1 for symbolic or unknown dimensions; nil shape when none is declared.
func (l Limits) decodeValueInfo(vi *onnxpb.ValueInfoProto) (graph.ValueInfo, error) {
	v := graph.ValueInfo{Name: vi.GetName()}
	if v.Name == "" {
		return v, fmt.Errorf("value has no name")
	}
	tp := vi.GetType()
	if tp == nil {
		return v, nil
	}
	tt := tp.GetTensorType()
	if tt == nil {
		return v, fmt.Errorf("only tensor values are supported, not %s", typeKind(tp))
	}
	if et := tt.GetElemType(); et != 0 && !isFloatType(et) && elemSize(et) > 0 {
		v.DType = graph.Int64
	}
	sp := tt.GetShape()
	if sp == nil {
		return v, nil
	}
	dims := sp.GetDim()
	if len(dims) > l.MaxDims {
		return v, fmt.Errorf("rank %d exceeds the limit of %d dimensions", len(dims), l.MaxDims)
	}
	v.Shape = make(graph.Shape, len(dims))
	known := make([]int64, 0, len(dims))
	for i, d := range dims {
		v.Shape[i] = -1
		if x, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
			if x.DimValue < 0 {
				return v, fmt.Errorf("dimension %d is negative (%d)", i, x.DimValue)
			}
			v.Shape[i] = int(x.DimValue)
			known = append(known, x.DimValue)
		}
	}
	// A static shape is allocated as declared when the plan is compiled.
	if _, err := l.elements(known); err != nil {
		return v, err
	}
	return v, nil
}

// typeKind names the kind of a non-tensor type.
func typeKind(tp *onnxpb.TypeProto) string {
	switch tp.GetValue().(type) {
	case *onnxpb.TypeProto_SequenceType:
		return "a sequence"
	case *onnxpb.TypeProto_MapType:
		return "a map"
	case *onnxpb.TypeProto_OptionalType:
		return "an optional"
	case *onnxpb.TypeProto_SparseTensorType:
		return "a sparse tensor"
	}
	return "an unknown type"
}

// checkDomain refuses a node of a domain other than the default one.
func checkDomain(np *onnxpb.NodeProto) error {
	if d := np.GetDomain(); d != "" && d != "ai.onnx" {
		return fmt.Errorf("domain %q is not supported (aekit runs operators of the default ONNX domain only)", d)
	}
	return nil
}

// decodeNode converts a NodeProto, counting tensor attribute elements into
// total.
func (l Limits) decodeNode(np *onnxpb.NodeProto, total *int64) (*graph.Node, error) {
	if err := checkDomain(np); err != nil {
		return nil, err
	}
	if np.GetOpType() == "" {
		return nil, fmt.Errorf("node has no op_type")
	}
	n := &graph.Node{
		Name:    np.GetName(),
		Op:      np.GetOpType(),
		Inputs:  append([]string(nil), np.GetInput()...),
		Outputs: append([]string(nil), np.GetOutput()...),
	}
	for _, ap := range np.GetAttribute() {
		a, err := l.decodeAttr(ap, total)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", ap.GetName(), err)
		}
		if _, dup := n.Attrs.Get(a.Name); dup {
			return nil, fmt.Errorf("attribute %q is given twice", a.Name)
		}
		n.Attrs = append(n.Attrs, a)
	}
	return n, nil
}

// decodeAttr converts one attribute.
func (l Limits) decodeAttr(ap *onnxpb.AttributeProto, total *int64) (graph.Attr, error) {
	a := graph.Attr{Name: ap.GetName()}
	if a.Name == "" {
		return a, fmt.Errorf("attribute has no name")
	}
	if ap.GetRefAttrName() != "" {
		return a, fmt.Errorf("refers to function attribute %q, which is only valid inside functions", ap.GetRefAttrName())
	}
	switch ap.GetType() {
	case onnxpb.AttributeProto_FLOAT:
		a.Kind, a.Float = graph.AttrFloat, ap.GetF()
	case onnxpb.AttributeProto_INT:
		a.Kind, a.Int = graph.AttrInt, ap.GetI()
	case onnxpb.AttributeProto_STRING:
		a.Kind, a.Str = graph.AttrString, string(ap.GetS())
	case onnxpb.AttributeProto_INTS:
		a.Kind, a.Ints = graph.AttrInts, append([]int64{}, ap.GetInts()...)
	case onnxpb.AttributeProto_FLOATS:
		a.Kind, a.Floats = graph.AttrFloats, append([]float32{}, ap.GetFloats()...)
	case onnxpb.AttributeProto_STRINGS:
		a.Kind = graph.AttrStrings
		a.Strings = make([]string, len(ap.GetStrings()))
		for i, s := range ap.GetStrings() {
			a.Strings[i] = string(s)
		}
	case onnxpb.AttributeProto_TENSOR:
		if ap.GetT() == nil {
			return a, fmt.Errorf("TENSOR attribute holds no tensor")
		}
		t, err := l.decodeTensor(ap.GetT())
		if err != nil {
			return a, err
		}
		if *total += int64(t.Len()); *total > l.MaxTotalElements {
			return a, fmt.Errorf("the model's tensors hold more than %d elements (the limit)", l.MaxTotalElements)
		}
		a.Kind, a.Tensor = graph.AttrTensor, t
	case onnxpb.AttributeProto_GRAPH, onnxpb.AttributeProto_GRAPHS:
		return a, fmt.Errorf("holds a subgraph (%s); aekit does not support control flow (If, Loop, Scan)", ap.GetType())
	default:
		return a, fmt.Errorf("attribute type %s is not supported (aekit reads INT, FLOAT, STRING, INTS, FLOATS, STRINGS and TENSOR)", ap.GetType())
	}
	return a, nil
}

// decodeMeta fills g.Meta from metadata_props, and g.Trainable and
// g.Layers from aekit's keys (or the foreign-model heuristic).
func decodeMeta(props []*onnxpb.StringStringEntryProto, g *graph.Graph) error {
	var layers, trainable *string
	for _, kv := range props {
		k, v := kv.GetKey(), kv.GetValue()
		if _, dup := g.Meta[k]; dup || (k == MetaLayers && layers != nil) || (k == MetaTrainable && trainable != nil) {
			return fmt.Errorf("metadata key %q is listed twice", k)
		}
		switch k {
		case MetaLayers:
			layers = &v
		case MetaTrainable:
			trainable = &v
		default:
			g.Meta[k] = v
		}
	}
	if trainable == nil {
		markTrainable(g)
		return nil
	}
	var names []string
	if err := json.Unmarshal([]byte(*trainable), &names); err != nil {
		return fmt.Errorf("metadata %s: %w", MetaTrainable, err)
	}
	for _, name := range names {
		t, ok := g.Params[name]
		if !ok {
			return fmt.Errorf("metadata %s names %q, which is not an initializer", MetaTrainable, name)
		}
		if t.DType != graph.Float32 {
			return fmt.Errorf("metadata %s names %q, an %v initializer", MetaTrainable, name, t.DType)
		}
		g.Trainable[name] = true
	}
	if layers != nil {
		if err := json.Unmarshal([]byte(*layers), &g.Layers); err != nil {
			return fmt.Errorf("metadata %s: %w", MetaLayers, err)
		}
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
