package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/aekit/aekit/graph"
)

// sharedFile returns the path of a file in the project's shared folder
// (../../shared from this package). Where it is missing the test fails under
// CI (CI set) and is skipped, with the path as reason, elsewhere.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared file missing under CI: %v", err)
		}
		t.Skipf("shared file %s not present: %v", p, err)
	}
	return p
}

// tensorDiff describes how two tensors differ (bit for bit), or "".
func tensorDiff(a, b *graph.Tensor) string {
	if (a == nil) != (b == nil) {
		return fmt.Sprintf("nil %v vs %v", a == nil, b == nil)
	}
	if a == nil {
		return ""
	}
	if !a.Shape.Equal(b.Shape) || a.DType != b.DType {
		return fmt.Sprintf("%v %v vs %v %v", a.DType, a.Shape, b.DType, b.Shape)
	}
	if len(a.Data) != len(b.Data) || len(a.Ints) != len(b.Ints) {
		return fmt.Sprintf("lengths %d/%d vs %d/%d", len(a.Data), len(a.Ints), len(b.Data), len(b.Ints))
	}
	for i := range a.Data {
		if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
			return fmt.Sprintf("element %d: %08x vs %08x", i, math.Float32bits(a.Data[i]), math.Float32bits(b.Data[i]))
		}
	}
	for i := range a.Ints {
		if a.Ints[i] != b.Ints[i] {
			return fmt.Sprintf("element %d: %d vs %d", i, a.Ints[i], b.Ints[i])
		}
	}
	return ""
}

// graphDiff describes the first difference between two graphs, or "".
// Weights compare bit for bit; Trainable compares its true entries; nil and
// empty Meta are equal.
func graphDiff(a, b *graph.Graph) string {
	if a.Name != b.Name {
		return fmt.Sprintf("name %q vs %q", a.Name, b.Name)
	}
	if a.Opset != b.Opset {
		return fmt.Sprintf("opset %d vs %d", a.Opset, b.Opset)
	}
	for _, p := range []struct {
		what string
		x, y []graph.ValueInfo
	}{{"inputs", a.Inputs, b.Inputs}, {"outputs", a.Outputs, b.Outputs}} {
		if len(p.x) != len(p.y) {
			return fmt.Sprintf("%s: %d vs %d", p.what, len(p.x), len(p.y))
		}
		for i := range p.x {
			if p.x[i].Name != p.y[i].Name || !p.x[i].Shape.Equal(p.y[i].Shape) || (p.x[i].Shape == nil) != (p.y[i].Shape == nil) {
				return fmt.Sprintf("%s %d: %v vs %v", p.what, i, p.x[i], p.y[i])
			}
		}
	}
	if len(a.Nodes) != len(b.Nodes) {
		return fmt.Sprintf("%d nodes vs %d", len(a.Nodes), len(b.Nodes))
	}
	for i := range a.Nodes {
		x, y := a.Nodes[i], b.Nodes[i]
		if x.Name != y.Name || x.Op != y.Op || !slices.Equal(x.Inputs, y.Inputs) || !slices.Equal(x.Outputs, y.Outputs) {
			return fmt.Sprintf("node %d: %+v vs %+v", i, *x, *y)
		}
		if len(x.Attrs) != len(y.Attrs) {
			return fmt.Sprintf("node %d %q: %d attrs vs %d", i, x.Name, len(x.Attrs), len(y.Attrs))
		}
		for j := range x.Attrs {
			p, q := x.Attrs[j], y.Attrs[j]
			if d := tensorDiff(p.Tensor, q.Tensor); d != "" {
				return fmt.Sprintf("node %q attr %q tensor: %s", x.Name, p.Name, d)
			}
			p.Tensor, q.Tensor = nil, nil
			if !attrEqual(p, q) {
				return fmt.Sprintf("node %q attr %d: %+v vs %+v", x.Name, j, p, q)
			}
		}
	}
	if len(a.Params) != len(b.Params) {
		return fmt.Sprintf("%d params vs %d", len(a.Params), len(b.Params))
	}
	for name, t := range a.Params {
		if d := tensorDiff(t, b.Params[name]); d != "" {
			return fmt.Sprintf("param %q: %s", name, d)
		}
	}
	tr := func(g *graph.Graph) map[string]bool {
		m := map[string]bool{}
		for k, v := range g.Trainable {
			if v {
				m[k] = true
			}
		}
		return m
	}
	if !reflect.DeepEqual(tr(a), tr(b)) {
		return fmt.Sprintf("trainable %v vs %v", tr(a), tr(b))
	}
	if !reflect.DeepEqual(a.Layers, b.Layers) {
		return fmt.Sprintf("layers %+v vs %+v", a.Layers, b.Layers)
	}
	if len(a.Meta) != len(b.Meta) || (len(a.Meta) > 0 && !reflect.DeepEqual(a.Meta, b.Meta)) {
		return fmt.Sprintf("meta %v vs %v", a.Meta, b.Meta)
	}
	return ""
}

// attrEqual compares attributes, floats bit for bit.
func attrEqual(p, q graph.Attr) bool {
	if p.Name != q.Name || p.Kind != q.Kind || p.Int != q.Int || p.Str != q.Str ||
		math.Float32bits(p.Float) != math.Float32bits(q.Float) ||
		!slices.Equal(p.Ints, q.Ints) || !slices.Equal(p.Strings, q.Strings) ||
		len(p.Floats) != len(q.Floats) {
		return false
	}
	for i := range p.Floats {
		if math.Float32bits(p.Floats[i]) != math.Float32bits(q.Floats[i]) {
			return false
		}
	}
	return true
}
