package export_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	onnxgo "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"
)

// onnxgoTol is the tolerance between aekit and onnx-go's gorgonia backend.
const onnxgoTol = 1e-5

// runOnnxGo runs an ONNX file in github.com/owulveryck/onnx-go v0.5.0 with
// its gorgonia backend on one input.
func runOnnxGo(path string, x *graph.Tensor) (*graph.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	backend := gorgonnx.NewGraph()
	m := onnxgo.NewModel(backend)
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("onnx-go decode: %w", err)
	}
	in := tensor.New(tensor.WithShape(x.Shape...), tensor.WithBacking(append([]float32(nil), x.Data...)))
	if err := m.SetInput(0, in); err != nil {
		return nil, fmt.Errorf("onnx-go input: %w", err)
	}
	if err := backend.Run(); err != nil {
		return nil, fmt.Errorf("onnx-go run: %w", err)
	}
	outs, err := m.GetOutputTensors()
	if err != nil {
		return nil, fmt.Errorf("onnx-go output: %w", err)
	}
	if len(outs) != 1 {
		return nil, fmt.Errorf("onnx-go gives %d outputs, want 1", len(outs))
	}
	vals, ok := outs[0].Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("onnx-go output is %T, want []float32", outs[0].Data())
	}
	shape := graph.Shape(outs[0].Shape())
	return graph.FromData(append([]float32(nil), vals...), shape...), nil
}

// TestOnnxGoReadsSeedEncoder loads aekit's exported seed encoder (Conv,
// Relu and MaxPool; plus Transpose for NHWC) into onnx-go v0.5.0 with its
// gorgonia backend, for every tested opset and both layouts, and compares
// the codes of 8 MNIST test images with aekit's. Linking onnx-go (which
// registers the protobuf package "onnx") beside aekit's bindings (package
// "aekit.onnx") is part of the test.
func TestOnnxGoReadsSeedEncoder(t *testing.T) {
	g := seedGraph(t)
	mn, err := data.MNIST(data.SplitTest)
	if err != nil {
		t.Fatal(err)
	}
	x := mn.Slice(0, 8).X.Clone() // [8, 1, 28, 28]
	dir := t.TempDir()
	var report []string
	for _, layout := range testLayouts {
		for _, opset := range testOpsets {
			opt := export.Options{Part: export.PartEncoder, Layout: layout, Opset: opset}
			path := filepath.Join(dir, fmt.Sprintf("enc-%s-%d.onnx", layout, opset))
			if err := export.WriteFile(path, g, opt); err != nil {
				t.Fatal(err)
			}
			e, err := export.Model(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			in := x
			if layout == export.LayoutNHWC {
				in = export.Transpose4(x, []int64{0, 2, 3, 1})
			}
			want, err := graph.Run(e, in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := runOnnxGo(path, in)
			if err != nil {
				t.Fatalf("%s opset %d: %v", layout, opset, err)
			}
			if !got.Shape.Equal(want[0].Shape) {
				t.Fatalf("%s opset %d: onnx-go output %v, aekit %v", layout, opset, got.Shape, want[0].Shape)
			}
			worst := 0.0
			for i, w := range want[0].Data {
				worst = math.Max(worst, math.Abs(float64(got.Data[i]-w)))
			}
			if !(worst <= onnxgoTol) {
				t.Errorf("%s opset %d: max abs diff onnx-go vs aekit %.3g > %g", layout, opset, worst, onnxgoTol)
			}
			report = append(report, fmt.Sprintf("encoder %s opset %d: %.3g", layout, opset, worst))
		}
	}
	t.Logf("max abs diff onnx-go (gorgonia) vs aekit, 8 MNIST images:\n%s", strings.Join(report, "\n"))
}

// TestOnnxGoCannotReadResize documents what onnx-go v0.5.0 cannot read: the
// seed's full model and decoder use Resize (UpSampling2D), which onnx-go
// does not implement; it must say so rather than compute something else.
func TestOnnxGoCannotReadResize(t *testing.T) {
	g := seedGraph(t)
	dir := t.TempDir()
	for _, part := range []string{export.PartFull, export.PartDecoder} {
		path := filepath.Join(dir, part+".onnx")
		if err := export.WriteFile(path, g, export.Options{Part: part}); err != nil {
			t.Fatal(err)
		}
		e, err := export.Model(g, export.Options{Part: part})
		if err != nil {
			t.Fatal(err)
		}
		shape := e.Inputs[0].Shape.Clone()
		shape[0] = 1
		_, err = runOnnxGo(path, graph.New(shape...))
		var ni *onnxgo.ErrNotImplemented
		if !errors.As(err, &ni) || ni.Operator != "Resize" {
			t.Errorf("%s: onnx-go error %v, want its not-implemented error for Resize", part, err)
		} else {
			t.Logf("%s: onnx-go refuses it: %v", part, err)
		}
	}
}
