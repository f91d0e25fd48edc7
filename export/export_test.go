package export_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

var (
	testParts   = []string{export.PartFull, export.PartEncoder, export.PartDecoder}
	testLayouts = []string{export.LayoutNCHW, export.LayoutNHWC}
	testOpsets  = []int{11, 13, 17, 21}
)

// matrix lists every part × layout × opset of issue 3's acceptance.
func matrix() []export.Options {
	var opts []export.Options
	for _, p := range testParts {
		for _, l := range testLayouts {
			for _, o := range testOpsets {
				opts = append(opts, export.Options{Part: p, Layout: l, Opset: o, Doc: "optimizer: adadelta\nloss: binary_crossentropy"})
			}
		}
	}
	return opts
}

// TestSeedExports writes the 24 exports of the seed (WriteFile verifies each
// bit for bit against the source graph), checks their declared shapes,
// operators and metadata, runs the ONNX checker on them and compares them
// with ONNX Runtime.
func TestSeedExports(t *testing.T) {
	g := seedGraph(t)
	files := writeAll(t, g, t.TempDir(), matrix())
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := onnx.DecodeModel(data)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		e := m.Graph
		if m.ProducerName != "aekit" || m.ProducerVersion != export.Version || m.DocString != f.opt.Doc {
			t.Errorf("%s: producer %q %q, doc %q", f.name, m.ProducerName, m.ProducerVersion, m.DocString)
		}
		if m.Opsets[""] != int64(f.opt.Opset) || m.IRVersion != onnx.IRVersion(f.opt.Opset) {
			t.Errorf("%s: opset %d IR %d, want opset %d IR %d", f.name, m.Opsets[""], m.IRVersion, f.opt.Opset, onnx.IRVersion(f.opt.Opset))
		}
		if e.Meta[export.MetaPart] != f.opt.Part || e.Meta[export.MetaLayout] != f.opt.Layout {
			t.Errorf("%s: metadata %v", f.name, e.Meta)
		}
		nhwc := f.opt.Layout == export.LayoutNHWC
		img, code := graph.Shape{-1, 1, 28, 28}, graph.Shape{-1, 2, 7, 7}
		if nhwc {
			img, code = graph.Shape{-1, 28, 28, 1}, graph.Shape{-1, 7, 7, 2}
		}
		in, out := img, img
		switch f.opt.Part {
		case export.PartEncoder:
			out = code
			if e.Meta[export.MetaCut] != "max_pooling2d_2" {
				t.Errorf("%s: cut at %q, want the bottleneck max_pooling2d_2", f.name, e.Meta[export.MetaCut])
			}
			for op := range opsOf(e) {
				if op != "Conv" && op != "Relu" && op != "MaxPool" && !(nhwc && op == "Transpose") {
					t.Errorf("%s: encoder has a %s node", f.name, op)
				}
			}
		case export.PartDecoder:
			in = code
		}
		if len(e.Inputs) != 1 || !e.Inputs[0].Shape.Equal(in) || len(e.Outputs) != 1 || !e.Outputs[0].Shape.Equal(out) {
			t.Errorf("%s: inputs %v outputs %v, want shapes %v → %v", f.name, e.Inputs, e.Outputs, in, out)
		}
		// Weights are the source's, bit for bit.
		for name, p := range e.Params {
			if src, ok := g.Params[name]; ok && e.Trainable[name] {
				for i := range p.Data {
					if p.Data[i] != src.Data[i] {
						t.Fatalf("%s: parameter %q differs from the source", f.name, name)
					}
				}
			}
		}
	}
	checkFiles(t, files)
	compareORT(t, files, 4)
}

// TestOptionsErrors checks that bad options are refused with the option
// named.
func TestOptionsErrors(t *testing.T) {
	g := seedGraph(t)
	cases := []struct {
		opt  export.Options
		want string
	}{
		{export.Options{Part: "middle"}, `part "middle" unknown`},
		{export.Options{Layout: "chwn"}, `layout "chwn" unknown`},
		{export.Options{Opset: 9}, "opset 9 not supported"},
		{export.Options{Opset: 22}, "opset 22 not supported"},
		{export.Options{At: "conv2d_1"}, `cut "conv2d_1" given for the full model`},
		{export.Options{Part: export.PartEncoder, At: "nosuch"}, `no value, node or layer is named "nosuch"`},
		{export.Options{Part: export.PartEncoder, At: "output"}, "decoder would be empty"},
	}
	for _, c := range cases {
		_, err := export.Model(g, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to contain %q", c.opt, err, c.want)
		}
	}
	// An NHWC export cannot be laid out as NHWC again.
	e, err := export.Model(g, export.Options{Layout: export.LayoutNHWC})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := export.Model(e, export.Options{Layout: export.LayoutNHWC}); err == nil || !strings.Contains(err.Error(), "already NHWC") {
		t.Errorf("NHWC twice: error %v", err)
	}
}

// TestCutAtLayer cuts the seed at a named layer and checks both halves.
func TestCutAtLayer(t *testing.T) {
	g := seedGraph(t)
	enc, err := export.Model(g, export.Options{Part: export.PartEncoder, At: "conv2d_2"})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := export.Model(g, export.Options{Part: export.PartDecoder, At: "conv2d_2"})
	if err != nil {
		t.Fatal(err)
	}
	if !enc.Outputs[0].Shape.Equal(graph.Shape{-1, 2, 14, 14}) || !dec.Inputs[0].Shape.Equal(graph.Shape{-1, 2, 14, 14}) {
		t.Errorf("cut at conv2d_2: encoder output %v, decoder input %v, want ?×2×14×14", enc.Outputs[0].Shape, dec.Inputs[0].Shape)
	}
	if enc.Meta[export.MetaCut] != "conv2d_2" {
		t.Errorf("cut recorded as %q", enc.Meta[export.MetaCut])
	}
	path := t.TempDir() + "/dec.onnx"
	if err := export.WriteFile(path, g, export.Options{Part: export.PartDecoder, At: "conv2d_2", Layout: export.LayoutNHWC, Opset: 11}); err != nil {
		t.Fatal(err)
	}
}

// TestWriteFileRemovesUnverified checks that WriteFile leaves no file when
// the export cannot be made, and that Verify catches a file that differs
// from its source.
func TestWriteFileRemovesUnverified(t *testing.T) {
	g := seedGraph(t)
	dir := t.TempDir()
	if err := export.WriteFile(dir+"/bad.onnx", g, export.Options{Opset: 5}); err == nil {
		t.Fatal("opset 5 accepted")
	}
	if _, err := os.Stat(dir + "/bad.onnx"); !os.IsNotExist(err) {
		t.Errorf("a refused export left a file: %v", err)
	}
	path := dir + "/seed.onnx"
	if err := export.WriteFile(path, g, export.Options{}); err != nil {
		t.Fatal(err)
	}
	// Change one weight of the source: the file no longer matches it.
	h := g.Clone()
	h.Params["conv2d_1.kernel"].Data[0] += 0.5
	err := export.Verify(path, h, export.Options{})
	if err == nil || !strings.Contains(err.Error(), "file vs") {
		t.Errorf("Verify of a changed source: %v", err)
	}
}
