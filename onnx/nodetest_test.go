package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// nodeTestRoot is where Debian's libonnx-testdata (ONNX 1.12) installs the
// backend node tests.
const nodeTestRoot = "/usr/share/libonnx-testdata/data/node"

// Node-test tolerance: |got - want| ≤ nodeAbsTol + nodeRelTol·|want|.
const (
	nodeAbsTol = 1e-4
	nodeRelTol = 1e-3
)

// nodeTally counts outcomes per operator set.
type nodeTally struct {
	pass, folded, fail, skip int
}

// TestNodeTests runs every ONNX backend node test whose operators are all
// registered in graph: the model is decoded with Decode, compiled with
// graph.Compile and run with Forward on each test_data_set_*, and every
// output is compared with |d| ≤ 1e-4 + 1e-3·|expected| (int64 outputs
// exactly). Int64 graph inputs (shapes, axes, indices) are given to the
// plan as constant initializers, as converters store them; when a plan
// cannot be built with the float32 inputs as run-time inputs (an operator
// needs them constant, such as Resize's scales), the test runs with every
// input constant and is counted as "passed, inputs folded".
//
// Not failures, but counted with their reason: tests of unregistered
// operators, of other domains, with inputs or outputs aekit cannot hold
// (sequences, bool, uint8, float16, …), and operator variants that the
// kernel refuses with a graph.NotImplementedError. Any other error or a
// wrong number is a failure.
func TestNodeTests(t *testing.T) {
	if _, err := os.Stat(nodeTestRoot); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs the ONNX node tests (Debian libonnx-testdata): %v", err)
		}
		t.Skipf("ONNX node tests not installed: %v", err)
	}
	dirs, err := filepath.Glob(filepath.Join(nodeTestRoot, "test_*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no node tests under %s: %v", nodeTestRoot, err)
	}
	var since7 map[string]map[string]int
	if data, err := os.ReadFile("testdata/since7.json"); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(data, &since7); err != nil {
		t.Fatal(err)
	}
	unsupported := map[string]int{} // op → tests
	var unsupportedTests int
	skipped := map[string]int{} // reason → tests
	perOp := map[string]*nodeTally{}
	var passed, folded, failed int
	for _, dir := range dirs {
		name := filepath.Base(dir)
		data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(data, &mp); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ops, missing, domain := nodeOps(&mp)
		if domain != "" {
			skipped["operator domain "+domain]++
			continue
		}
		if len(missing) > 0 {
			unsupportedTests++
			for _, op := range missing {
				unsupported[op]++
			}
			continue
		}
		key := strings.Join(ops, "+")
		tally := perOp[key]
		if tally == nil {
			tally = &nodeTally{}
			perOp[key] = tally
		}
		if reason := nodeTypesReason(&mp); reason != "" {
			skipped[reason]++
			tally.skip++
			continue
		}
		if reason := raiseOpset(&mp, since7); reason != "" {
			skipped[reason]++
			tally.skip++
			continue
		}
		data, err = proto.Marshal(&mp)
		if err != nil {
			t.Fatal(err)
		}
		var outcome string
		t.Run(name, func(t *testing.T) {
			var detail string
			outcome, detail = runNodeTest(t, dir, data)
			if reason, ok := strings.CutPrefix(outcome, "skip: "); ok {
				t.Skipf("%s: %s", reason, detail)
			}
		})
		switch {
		case outcome == "pass":
			passed++
			tally.pass++
		case outcome == "folded":
			folded++
			tally.folded++
		case strings.HasPrefix(outcome, "skip: "):
			skipped[strings.TrimPrefix(outcome, "skip: ")]++
			tally.skip++
		default:
			failed++
			tally.fail++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ONNX node tests (%s, %d folders): %d passed, %d passed with inputs folded, %d failed, %d skipped, %d use unregistered operators\n",
		nodeTestRoot, len(dirs), passed, folded, failed, sum(skipped), unsupportedTests)
	fmt.Fprintf(&b, "per operator (pass/folded/fail/skip):\n")
	for _, k := range sortedKeys(perOp) {
		c := perOp[k]
		fmt.Fprintf(&b, "  %-40s %3d %3d %3d %3d\n", k, c.pass, c.folded, c.fail, c.skip)
	}
	fmt.Fprintf(&b, "skipped by reason:\n")
	for _, k := range sortedKeys(skipped) {
		fmt.Fprintf(&b, "  %4d  %s\n", skipped[k], k)
	}
	fmt.Fprintf(&b, "unregistered operators (tests): ")
	for _, k := range sortedKeys(unsupported) {
		fmt.Fprintf(&b, "%s %d, ", k, unsupported[k])
	}
	t.Log(b.String())
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// nodeOps returns the sorted distinct op types of a model, those not
// registered in graph, and the first non-default domain a node uses.
func nodeOps(mp *onnxpb.ModelProto) (ops, missing []string, domain string) {
	seen := map[string]bool{}
	for _, n := range mp.GetGraph().GetNode() {
		if d := n.GetDomain(); d != "" && d != "ai.onnx" && domain == "" {
			domain = d
		}
		op := n.GetOpType()
		if seen[op] {
			continue
		}
		seen[op] = true
		ops = append(ops, op)
		if _, ok := graph.Lookup(op); !ok {
			missing = append(missing, op)
		}
	}
	sort.Strings(ops)
	return ops, missing, domain
}

// nodeTypesReason returns why a model's inputs or outputs cannot be run by
// aekit (only float32 tensors, and int64 inputs given as constants), or "".
func nodeTypesReason(mp *onnxpb.ModelProto) string {
	check := func(what string, vis []*onnxpb.ValueInfoProto, intOK bool) string {
		for _, vi := range vis {
			tt := vi.GetType().GetTensorType()
			if tt == nil {
				return fmt.Sprintf("%s is %s", what, typeKind(vi.GetType()))
			}
			switch et := tt.GetElemType(); {
			case et == dtFloat:
			case et == dtInt64 && intOK:
			default:
				return fmt.Sprintf("%s dtype %s", what, dtypeName(et))
			}
		}
		return ""
	}
	if r := check("input", mp.GetGraph().GetInput(), true); r != "" {
		return r
	}
	return check("output", mp.GetGraph().GetOutput(), true)
}

// raiseOpset moves a model of a default-domain opset below 7 to opset 7
// when each of its operators has the same schema version at both (per
// testdata/since7.json, from ONNX's own schemas); it returns a skip reason
// otherwise.
func raiseOpset(mp *onnxpb.ModelProto, since7 map[string]map[string]int) string {
	for _, os := range mp.GetOpsetImport() {
		if (os.GetDomain() != "" && os.GetDomain() != "ai.onnx") || os.GetVersion() >= MinOpset {
			continue
		}
		from := fmt.Sprint(os.GetVersion())
		for _, n := range mp.GetGraph().GetNode() {
			v := since7[n.GetOpType()]
			if v == nil || v[from] == 0 || v[from] != v["7"] {
				return fmt.Sprintf("opset %s: %s changed before opset 7", from, n.GetOpType())
			}
		}
		os.Version = MinOpset
	}
	return ""
}

// runNodeTest decodes and runs one node test on each of its data sets. It
// returns "pass", "folded", "skip: <reason>" (with the error as detail) or
// "fail"; failures are reported with t.Errorf.
func runNodeTest(t *testing.T, dir string, data []byte) (outcome, detail string) {
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("panic: %v", r)
			outcome = "fail"
		}
	}()
	g, err := Decode(data)
	if err != nil {
		t.Errorf("decode: %v", err)
		return "fail", ""
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Errorf("no test_data_set_* folders")
		return "fail", ""
	}
	outcome = "pass"
	for _, set := range sets {
		var inputs, want []*graph.Tensor
		for i := range g.Inputs {
			x, err := ReadTensorFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(set), err)
				return "fail", ""
			}
			inputs = append(inputs, x)
		}
		for i := range g.Outputs {
			y, err := ReadTensorFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(set), err)
				return "fail", ""
			}
			want = append(want, y)
		}
		got, foldedAll, err := runNodeGraph(g, inputs)
		var ni *graph.NotImplementedError
		if errors.As(err, &ni) {
			return fmt.Sprintf("skip: unsupported variant of %s (%s)", ni.Op, ni.Attribute), err.Error()
		}
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(set), err)
			return "fail", ""
		}
		if foldedAll {
			outcome = "folded"
		}
		for i := range want {
			if msg := compareOutput(got[i], want[i]); msg != "" {
				t.Errorf("%s: output %d (%q): %s", filepath.Base(set), i, g.Outputs[i].Name, msg)
				return "fail", ""
			}
		}
	}
	return outcome, ""
}

// runNodeGraph runs g on inputs: int64 inputs become constant initializers;
// if the plan cannot be built, every input becomes a constant (foldedAll).
func runNodeGraph(g *graph.Graph, inputs []*graph.Tensor) (out []*graph.Tensor, foldedAll bool, err error) {
	try := func(constAll bool) ([]*graph.Tensor, error) {
		h := g.Clone()
		h.Inputs = nil
		shapes := map[string]graph.Shape{}
		var feed []*graph.Tensor
		for i, in := range g.Inputs {
			x := inputs[i]
			if constAll || x.DType != graph.Float32 {
				h.AddParam(in.Name, x, false)
				continue
			}
			h.Inputs = append(h.Inputs, graph.ValueInfo{Name: in.Name, Shape: x.Shape})
			shapes[in.Name] = x.Shape
			feed = append(feed, x)
		}
		p, err := graph.Compile(h, shapes, graph.Options{NoGrad: true})
		if err != nil {
			return nil, err
		}
		return p.Forward(feed...)
	}
	out, err = try(false)
	if err == nil {
		return out, false, nil
	}
	var ni *graph.NotImplementedError
	if errors.As(err, &ni) {
		return nil, false, err
	}
	out, err2 := try(true)
	if err2 != nil {
		return nil, false, fmt.Errorf("%w (with every input constant: %v)", err, err2)
	}
	return out, true, nil
}

// compareOutput checks got against want within the node-test tolerance.
func compareOutput(got, want *graph.Tensor) string {
	if got == nil {
		return "no output"
	}
	if !got.Shape.Equal(want.Shape) {
		return fmt.Sprintf("shape %v, want %v", got.Shape, want.Shape)
	}
	if want.DType == graph.Int64 {
		g := got.Int64s()
		for i, w := range want.Ints {
			if g[i] != w {
				return fmt.Sprintf("element %d = %d, want %d", i, g[i], w)
			}
		}
		return ""
	}
	if got.DType != graph.Float32 {
		return fmt.Sprintf("dtype %v, want float32", got.DType)
	}
	worst, at := 0.0, -1
	for i, w := range want.Data {
		x, y := float64(got.Data[i]), float64(w)
		if math.IsNaN(y) {
			if !math.IsNaN(x) {
				return fmt.Sprintf("element %d = %v, want NaN", i, x)
			}
			continue
		}
		if math.IsInf(y, 0) {
			if x != y {
				return fmt.Sprintf("element %d = %v, want %v", i, x, y)
			}
			continue
		}
		d := math.Abs(x - y)
		if !(d <= nodeAbsTol+nodeRelTol*math.Abs(y)) && (at < 0 || d > worst) {
			worst, at = d, i
		}
	}
	if at >= 0 {
		return fmt.Sprintf("element %d = %v, want %v (|d| = %.3g > %g + %g·|want|)", at, got.Data[at], want.Data[at], worst, nodeAbsTol, nodeRelTol)
	}
	return ""
}

// TestNodeTestModelsDecode decodes every node-test model, whatever its
// operators, and every data file of a supported element type. A model may
// only be refused for a reason aekit documents (another domain, a subgraph
// attribute, a non-tensor input or output); each decoded model must survive
// Encode and Decode unchanged.
func TestNodeTestModelsDecode(t *testing.T) {
	if _, err := os.Stat(nodeTestRoot); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs the ONNX node tests (Debian libonnx-testdata): %v", err)
		}
		t.Skipf("ONNX node tests not installed: %v", err)
	}
	var since7 map[string]map[string]int
	if data, err := os.ReadFile("testdata/since7.json"); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(data, &since7); err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(nodeTestRoot, "test_*"))
	allowed := []string{"is not supported (aekit runs operators of the default ONNX domain only)", "holds a subgraph", "only tensor values are supported"}
	var models, refused, tensors int
	for _, dir := range dirs {
		name := filepath.Base(dir)
		data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(data, &mp); err != nil {
			t.Fatal(err)
		}
		if reason := raiseOpset(&mp, since7); reason != "" {
			t.Errorf("%s: %s", name, reason)
			continue
		}
		data, _ = proto.Marshal(&mp)
		g, err := Decode(data)
		if err != nil {
			ok := false
			for _, a := range allowed {
				ok = ok || strings.Contains(err.Error(), a)
			}
			if !ok {
				t.Errorf("%s: %v", name, err)
			}
			refused++
			continue
		}
		models++
		enc, err := Encode(g)
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		back, err := Decode(enc)
		if err != nil {
			t.Errorf("%s: decode of encoded: %v", name, err)
			continue
		}
		if g.Name == "" {
			g.Name = Producer
		}
		if d := graphDiff(g, back); d != "" {
			t.Errorf("%s: round trip: %s", name, d)
		}
		// Data files of tensor values with a supported element type.
		values := map[string]*onnxpb.ValueInfoProto{}
		for i, vi := range mp.GetGraph().GetInput() {
			values[fmt.Sprintf("input_%d.pb", i)] = vi
		}
		for i, vi := range mp.GetGraph().GetOutput() {
			values[fmt.Sprintf("output_%d.pb", i)] = vi
		}
		files, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*", "*.pb"))
		for _, f := range files {
			tt := values[filepath.Base(f)].GetType().GetTensorType()
			if tt == nil || elemSize(tt.GetElemType()) == 0 {
				continue
			}
			x, err := ReadTensorFile(f)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			// The file's own type decides (ONNX 1.12 stores its BFLOAT16
			// test data as UINT16).
			raw, _ := os.ReadFile(f)
			var tp onnxpb.TensorProto
			if err := proto.Unmarshal(raw, &tp); err != nil {
				t.Fatal(err)
			}
			if want := isFloatType(tp.GetDataType()); want != (x.DType == graph.Float32) || !x.Shape.Equal(shapeOf(tp.GetDims())) {
				t.Errorf("%s: %s (%s %v) decoded as %v %v", name, filepath.Base(f), dtypeName(tp.GetDataType()), tp.GetDims(), x.DType, x.Shape)
			}
			tensors++
		}
	}
	t.Logf("%d node-test models decoded and round-tripped, %d refused for documented reasons; %d tensor files decoded", models, refused, tensors)
	if models < 800 {
		t.Errorf("only %d of %d node-test models decoded", models, len(dirs))
	}
}

func shapeOf(dims []int64) graph.Shape {
	s := make(graph.Shape, len(dims))
	for i, d := range dims {
		s[i] = int(d)
	}
	return s
}
