package onnx

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// seedGraph returns the seed model as aekit builds it: the golden init.onnx
// weights, Keras layer records, metadata, and attributes of every kind.
func seedGraph(t *testing.T) *graph.Graph {
	t.Helper()
	g, err := ReadFile("testdata/seed-init.onnx")
	if err != nil {
		t.Fatal(err)
	}
	g.Name = "seed"
	g.Meta["aekit.version"] = "test"
	g.Meta["config"] = "optimizer: adadelta\n"
	g.Layers = []graph.LayerInfo{
		{Name: "input_1", Type: "InputLayer", Output: "input"},
		{Name: "conv2d_1", Type: "Conv2D", Output: "conv2d_1/conv", Params: []string{"conv2d_1.kernel", "conv2d_1.bias"}},
		{Name: "activation_1", Type: "Activation", Output: "conv2d_1/relu", Params: []string{}},
	}
	return g
}

// TestEncodeRoundTrip encodes graphs and decodes them again: everything
// comes back, weights bit for bit, and encoding is deterministic.
func TestEncodeRoundTrip(t *testing.T) {
	g := seedGraph(t)
	// Odd values must survive bit for bit: a NaN with payload, -0, the
	// smallest subnormal, an int64 constant and every attribute kind.
	k := g.Params["conv2d_1.kernel"]
	k.Data[0] = math.Float32frombits(0x7fc01234)
	k.Data[1] = float32(math.Copysign(0, -1))
	k.Data[2] = math.Float32frombits(1)
	g.AddParam("shape.const", graph.FromInts([]int64{-1, 1 << 40, 0}, 3), false)
	g.Nodes[0].Attrs = append(g.Nodes[0].Attrs,
		graph.FloatAttr("alpha", float32(math.Inf(-1))),
		graph.StringAttr("auto_pad", "NOTSET"),
		graph.FloatsAttr("f", 1.5, -0.25),
		graph.Attr{Name: "names", Kind: graph.AttrStrings, Strings: []string{"a", "", "ü"}},
		graph.Attr{Name: "value", Kind: graph.AttrTensor, Tensor: graph.FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3)},
		graph.IntsAttr("empty"),
	)
	g.Outputs = append(g.Outputs, graph.ValueInfo{Name: "conv2d_3/up"}) // no shape
	g.Inputs[0].Shape = graph.Shape{-1, 1, -1, 28}

	graphs := map[string]*graph.Graph{"seed+extras": g}
	for _, key := range []string{"seed-after10.onnx", "mnist7.onnx", "keras_mnist.onnx", "lenet.onnx"} {
		f, err := ReadFile(modelPath(t, key))
		if err != nil {
			t.Fatal(err)
		}
		graphs[key] = f
	}
	for name, g := range graphs {
		data, err := Encode(g)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := graphDiff(g, back); d != "" {
			t.Errorf("%s: round trip differs: %s", name, d)
		}
		again, err := Encode(back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, again) {
			t.Errorf("%s: second encoding differs (%d vs %d bytes)", name, len(data), len(again))
		}
	}
}

// TestEncodeFields checks what Encode writes at the model level.
func TestEncodeFields(t *testing.T) {
	g := seedGraph(t)
	data, err := Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeModel(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 7 || m.ProducerName != "aekit" || len(m.Opsets) != 1 || m.Opsets[""] != 13 {
		t.Errorf("IR %d producer %q opsets %v, want 7, aekit, {\"\": 13}", m.IRVersion, m.ProducerName, m.Opsets)
	}
	for _, bad := range []func(*graph.Graph){
		func(g *graph.Graph) { g.Meta[MetaLayers] = "x" },
		func(g *graph.Graph) { g.Trainable["nope"] = true },
		func(g *graph.Graph) { g.Opset = 22 },
		func(g *graph.Graph) { g.Params["conv2d_1.bias"].Data = nil },
		func(g *graph.Graph) {
			g.Nodes[0].Attrs = append(g.Nodes[0].Attrs, graph.Attr{Name: "t", Kind: graph.AttrTensor})
		},
	} {
		h := g.Clone()
		h.Layers = g.Layers
		bad(h)
		if _, err := Encode(h); err == nil {
			t.Errorf("Encode accepted a broken graph")
		}
	}
}

func TestIRVersion(t *testing.T) {
	want := map[int]int64{7: 3, 8: 3, 9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}
	for opset, ir := range want {
		if got := IRVersion(opset); got != ir {
			t.Errorf("IRVersion(%d) = %d, want %d", opset, got, ir)
		}
	}
}

// TestWriteFile checks the atomic write: the file reads back, an existing
// file is replaced, no temporary file is left, and a missing folder is an
// error naming the path.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := seedGraph(t)
	if err := WriteFile(path, g); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := graphDiff(g, back); d != "" {
		t.Error(d)
	}
	x := graph.FromData([]float32{1, -2, float32(math.NaN())}, 3, 1)
	if err := WriteTensorFile(filepath.Join(dir, "input_0.pb"), x); err != nil {
		t.Fatal(err)
	}
	y, err := ReadTensorFile(filepath.Join(dir, "input_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	if d := tensorDiff(x, y); d != "" {
		t.Error(d)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d entries, want 2 (no temporary files)", len(entries))
	}
	bad := filepath.Join(dir, "missing", "m.onnx")
	if err := WriteFile(bad, g); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("write into a missing folder: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "input_0.pb")); err == nil || !strings.Contains(err.Error(), "input_0.pb") {
		t.Errorf("reading a tensor file as a model: %v", err)
	}
}

// python3 returns the path of a Python with the onnx module. Under CI a
// missing one fails the test; elsewhere the test is skipped with the reason.
func python3(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import onnx").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs %s with the onnx module (Debian python3-onnx): %v", py, err)
		}
		t.Skipf("%s with the onnx module not available: %v", py, err)
	}
	return py
}

// TestCheckerAcceptsEncoded runs onnx.checker.check_model(full_check=True)
// on files Encode wrote: the seed model at opsets 13 and 11, and the
// converter files re-encoded (opsets 7, 11 and 15). Python also reads back a
// weight and the metadata to confirm they are what aekit wrote.
func TestCheckerAcceptsEncoded(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	files := map[string]*graph.Graph{"seed13.onnx": seedGraph(t)}
	s11 := seedGraph(t)
	s11.Opset = 11
	// Resize-11 takes roi and scales (both given; roi empty tensor).
	s11.AddParam("roi", graph.FromData([]float32{}, 0), false)
	for _, n := range s11.Nodes {
		if n.Op == "Resize" {
			n.Inputs[1] = "roi"
		}
	}
	files["seed11.onnx"] = s11
	for _, key := range []string{"mnist7.onnx", "keras_mnist.onnx", "lenet.onnx"} {
		g, err := ReadFile(modelPath(t, key))
		if err != nil {
			t.Fatal(err)
		}
		files[key] = g
	}
	for name, g := range files {
		path := filepath.Join(dir, name)
		if err := WriteFile(path, g); err != nil {
			t.Fatal(err)
		}
		script := `import sys, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
meta = {p.key: p.value for p in m.metadata_props}
w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
print(m.producer_name, m.ir_version, "trainable" if "aekit.trainable" in meta else "-", len(w))
if "conv2d_1.kernel" in w:
    print(repr(float(w["conv2d_1.kernel"].ravel()[5])))
`
		out, err := exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Errorf("%s: check_model failed: %v\n%s", name, err, out)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		fields := strings.Fields(lines[0])
		if len(fields) != 4 || fields[0] != "aekit" || fields[1] != strconv.FormatInt(IRVersion(g.Opset), 10) || fields[2] != "trainable" || fields[3] != strconv.Itoa(len(g.Params)) {
			t.Errorf("%s: python read %q", name, lines[0])
		}
		if w, ok := g.Params["conv2d_1.kernel"]; ok {
			if len(lines) < 2 || !sameFloat(lines[1], w.Data[5]) {
				t.Errorf("%s: python read conv2d_1.kernel[5] as %v, aekit wrote %v", name, lines[1:], w.Data[5])
			}
		}
	}
}

// sameFloat reports whether Python's repr s of a float64 is exactly v.
func sameFloat(s string, v float32) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == float64(v)
}

// TestProtoPackageRenamed pins the registration names of the bindings, which
// must not clash with other ONNX Go packages (onnx-go registers "onnx.*").
func TestProtoPackageRenamed(t *testing.T) {
	d := (&onnxpb.ModelProto{}).ProtoReflect().Descriptor()
	if d.FullName() != "aekit.onnx.ModelProto" || d.ParentFile().Path() != "onnx/onnxpb/onnx.proto3" {
		t.Errorf("bindings registered as %s in %s", d.FullName(), d.ParentFile().Path())
	}
}

func TestInt64GraphOutputTypeRoundTrips(t *testing.T) {
	g := graph.NewGraph("shape")
	g.Inputs = []graph.ValueInfo{{Name: "x", Shape: graph.Shape{-1, 3}}}
	g.Nodes = []*graph.Node{{Name: "s", Op: "Shape", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", Shape: graph.Shape{2}, DType: graph.Int64}}
	b, err := Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if et := m.GetGraph().GetOutput()[0].GetType().GetTensorType().GetElemType(); et != dtInt64 {
		t.Fatalf("output declared as %s, want INT64", dtypeName(et))
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Outputs[0].DType != graph.Int64 || back.Inputs[0].DType != graph.Float32 {
		t.Fatalf("decoded dtypes: input %v, output %v", back.Inputs[0].DType, back.Outputs[0].DType)
	}
}
