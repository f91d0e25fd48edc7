package onnx

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Producer is the producer_name Encode writes.
const Producer = "aekit"

// IRVersion returns the IR version of the ONNX release that introduced
// opset: 3 up to opset 8, 4 for 9, 5 for 10, 6 for 11, 7 for 12–14, 8 for
// 15–18, 9 for 19–20, 10 for 21. It is the IR version Encode writes.
func IRVersion(opset int) int64 {
	switch {
	case opset <= 8:
		return 3
	case opset == 9:
		return 4
	case opset == 10:
		return 5
	case opset == 11:
		return 6
	case opset <= 14:
		return 7
	case opset <= 18:
		return 8
	case opset <= 20:
		return 9
	}
	return 10
}

// Encode writes g as an ONNX model: opset g.Opset (graph.DefaultOpset when
// 0) in the default domain, the IR version that goes with it, producer
// "aekit". See EncodeModel.
func Encode(g *graph.Graph) ([]byte, error) { return EncodeModel(&Model{Graph: g}) }

// EncodeModel writes m as ONNX protobuf bytes. Decode of the result gives
// back the graph exactly: nodes in order with their attributes,
// initializers bit for bit (float32 as FLOAT, int64 as INT64, raw_data),
// inputs and outputs with their shapes (a -1 dimension is written as the
// symbolic dimension "N" on axis 0 and "d<axis>" elsewhere; a nil shape as
// no shape), Meta as metadata_props, and Layers and Trainable as JSON under
// the metadata keys MetaLayers and MetaTrainable. Inputs and outputs are
// declared float32 tensors, except those that name an int64 initializer.
// An empty graph name is written as "aekit" (ONNX requires one). At IR 3
// (opsets 7 and 8) every initializer is listed as a graph input too, as that
// IR requires; Decode drops inputs that name initializers, so a graph input
// that names one does not survive the round trip.
func EncodeModel(m *Model) ([]byte, error) {
	mp, err := encodeModel(m)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode: %w", err)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode: %w", err)
	}
	return data, nil
}

func encodeModel(m *Model) (*onnxpb.ModelProto, error) {
	g := m.Graph
	if g == nil {
		return nil, fmt.Errorf("no graph")
	}
	opset := g.Opset
	if opset == 0 {
		opset = graph.DefaultOpset
	}
	if opset < MinOpset || opset > MaxOpset {
		return nil, fmt.Errorf("graph %q: opset %d is outside %d–%d", g.Name, opset, MinOpset, MaxOpset)
	}
	ir := m.IRVersion
	if ir == 0 {
		ir = IRVersion(opset)
	}
	producer := m.ProducerName
	if producer == "" {
		producer = Producer
	}
	mp := &onnxpb.ModelProto{
		IrVersion:       ir,
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: "", Version: int64(opset)}},
		ProducerName:    producer,
		ProducerVersion: m.ProducerVersion,
		Domain:          m.Domain,
		ModelVersion:    m.ModelVersion,
		DocString:       m.DocString,
	}
	gp, err := encodeGraph(g, ir)
	if err != nil {
		return nil, err
	}
	mp.Graph = gp
	props, err := encodeMeta(g)
	if err != nil {
		return nil, err
	}
	mp.MetadataProps = props
	return mp, nil
}

func encodeGraph(g *graph.Graph, ir int64) (*onnxpb.GraphProto, error) {
	name := g.Name
	if name == "" {
		name = Producer
	}
	gp := &onnxpb.GraphProto{Name: name}
	for _, n := range g.Nodes {
		np := &onnxpb.NodeProto{
			Name:   n.Name,
			OpType: n.Op,
			Input:  append([]string(nil), n.Inputs...),
			Output: append([]string(nil), n.Outputs...),
		}
		for _, a := range n.Attrs {
			ap, err := encodeAttr(a)
			if err != nil {
				return nil, fmt.Errorf("node %q (%s): attribute %q: %w", n.Name, n.Op, a.Name, err)
			}
			np.Attribute = append(np.Attribute, ap)
		}
		gp.Node = append(gp.Node, np)
	}
	for _, name := range paramOrder(g) {
		tp, err := encodeTensor(name, g.Params[name])
		if err != nil {
			return nil, fmt.Errorf("initializer: %w", err)
		}
		gp.Initializer = append(gp.Initializer, tp)
	}
	for _, v := range g.Inputs {
		gp.Input = append(gp.Input, encodeValueInfo(g, v))
	}
	if ir < 4 {
		// IR 3 requires every initializer to be a graph input too.
		listed := map[string]bool{}
		for _, v := range g.Inputs {
			listed[v.Name] = true
		}
		for _, tp := range gp.Initializer {
			if !listed[tp.Name] {
				shape := make(graph.Shape, len(tp.Dims))
				for i, d := range tp.Dims {
					shape[i] = int(d)
				}
				gp.Input = append(gp.Input, encodeValueInfo(g, graph.ValueInfo{Name: tp.Name, Shape: shape}))
			}
		}
	}
	for _, v := range g.Outputs {
		gp.Output = append(gp.Output, encodeValueInfo(g, v))
	}
	return gp, nil
}

// paramOrder lists the initializers in the order nodes first use them, then
// the unused ones sorted by name.
func paramOrder(g *graph.Graph) []string {
	var names []string
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if _, ok := g.Params[in]; ok && !seen[in] {
				seen[in] = true
				names = append(names, in)
			}
		}
	}
	for _, name := range sortedKeys(g.Params) {
		if !seen[name] {
			names = append(names, name)
		}
	}
	return names
}

func encodeValueInfo(g *graph.Graph, v graph.ValueInfo) *onnxpb.ValueInfoProto {
	elem, shape := dtFloat, v.Shape
	if t, ok := g.Params[v.Name]; v.DType == graph.Int64 || ok && t.DType == graph.Int64 {
		elem = dtInt64
	}
	tt := &onnxpb.TypeProto_Tensor{ElemType: elem}
	if shape != nil {
		tt.Shape = &onnxpb.TensorShapeProto{Dim: make([]*onnxpb.TensorShapeProto_Dimension, len(shape))}
		for i, d := range shape {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			switch {
			case d >= 0:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
			case i == 0:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
			default:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: fmt.Sprintf("d%d", i)}
			}
			tt.Shape.Dim[i] = dim
		}
	}
	return &onnxpb.ValueInfoProto{
		Name: v.Name,
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}},
	}
}

func encodeAttr(a graph.Attr) (*onnxpb.AttributeProto, error) {
	if a.Name == "" {
		return nil, fmt.Errorf("attribute has no name")
	}
	ap := &onnxpb.AttributeProto{Name: a.Name}
	switch a.Kind {
	case graph.AttrInt:
		ap.Type, ap.I = onnxpb.AttributeProto_INT, a.Int
	case graph.AttrFloat:
		ap.Type, ap.F = onnxpb.AttributeProto_FLOAT, a.Float
	case graph.AttrString:
		ap.Type, ap.S = onnxpb.AttributeProto_STRING, []byte(a.Str)
	case graph.AttrInts:
		ap.Type, ap.Ints = onnxpb.AttributeProto_INTS, append([]int64(nil), a.Ints...)
	case graph.AttrFloats:
		ap.Type, ap.Floats = onnxpb.AttributeProto_FLOATS, append([]float32(nil), a.Floats...)
	case graph.AttrStrings:
		ap.Type = onnxpb.AttributeProto_STRINGS
		for _, s := range a.Strings {
			ap.Strings = append(ap.Strings, []byte(s))
		}
	case graph.AttrTensor:
		tp, err := encodeTensor("", a.Tensor)
		if err != nil {
			return nil, err
		}
		ap.Type, ap.T = onnxpb.AttributeProto_TENSOR, tp
	default:
		return nil, fmt.Errorf("unknown attribute kind %d", a.Kind)
	}
	return ap, nil
}

// encodeMeta writes Meta (sorted by key), then Layers and Trainable as JSON.
func encodeMeta(g *graph.Graph) ([]*onnxpb.StringStringEntryProto, error) {
	var props []*onnxpb.StringStringEntryProto
	for _, k := range sortedKeys(g.Meta) {
		if k == MetaLayers || k == MetaTrainable {
			return nil, fmt.Errorf("graph %q: Meta key %q is reserved for aekit's own metadata", g.Name, k)
		}
		props = append(props, &onnxpb.StringStringEntryProto{Key: k, Value: g.Meta[k]})
	}
	if g.Layers != nil {
		js, err := json.Marshal(g.Layers)
		if err != nil {
			return nil, err
		}
		props = append(props, &onnxpb.StringStringEntryProto{Key: MetaLayers, Value: string(js)})
	}
	trainable := []string{}
	for name, on := range g.Trainable {
		if !on {
			continue
		}
		t, ok := g.Params[name]
		if !ok {
			return nil, fmt.Errorf("graph %q: trainable %q is not an initializer", g.Name, name)
		}
		if t.DType != graph.Float32 {
			return nil, fmt.Errorf("graph %q: trainable %q is an %v tensor", g.Name, name, t.DType)
		}
		trainable = append(trainable, name)
	}
	sort.Strings(trainable)
	js, err := json.Marshal(trainable)
	if err != nil {
		return nil, err
	}
	props = append(props, &onnxpb.StringStringEntryProto{Key: MetaTrainable, Value: string(js)})
	return props, nil
}
