package onnx

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

// ref is testdata/ref.json, written by testdata/make_ref.py (Python onnx).
type ref struct {
	Models map[string]struct {
		IRVersion    int64            `json:"ir_version"`
		Opsets       map[string]int64 `json:"opsets"`
		Nodes        int              `json:"nodes"`
		Inputs       [][2]any         `json:"inputs"`
		Outputs      [][2]any         `json:"outputs"`
		Initializers map[string]struct {
			Dims   []int  `json:"dims"`
			SHA256 string `json:"sha256"`
		} `json:"initializers"`
	} `json:"models"`
	Tensors map[string]struct {
		Name   string  `json:"name"`
		Dims   []int   `json:"dims"`
		SHA256 string  `json:"sha256"`
		Min    float64 `json:"min"`
		Max    float64 `json:"max"`
	} `json:"tensors"`
}

func loadRef(t *testing.T) ref {
	t.Helper()
	data, err := os.ReadFile("testdata/ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r ref
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// digest hashes a tensor's values as little-endian float32 or int64 bytes,
// as make_ref.py does.
func digest(t *graph.Tensor) string {
	var b []byte
	for _, v := range t.Data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	for _, v := range t.Ints {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// modelPaths maps ref.json's model keys to files.
func modelPath(t *testing.T, key string) string {
	switch key {
	case "keras_mnist.onnx":
		return sharedFile(t, "models/keras2onnx-1.6.0_keras_mnist_cnn/keras_mnist.onnx")
	case "lenet.onnx":
		return sharedFile(t, "models/tf2onnx-1.16.1_keras3_lenet/model.onnx")
	}
	return filepath.Join("testdata", key)
}

// TestDecodeMatchesPython decodes the seed model, its trained twin and the
// three converter files, and checks every initializer bit for bit, the
// inputs, outputs, opset and node count against Python onnx's reading.
func TestDecodeMatchesPython(t *testing.T) {
	r := loadRef(t)
	for key, want := range r.Models {
		t.Run(key, func(t *testing.T) {
			path := modelPath(t, key)
			m, err := func() (*Model, error) {
				data, err := os.ReadFile(path)
				if err != nil {
					return nil, err
				}
				return DecodeModel(data)
			}()
			if err != nil {
				t.Fatal(err)
			}
			g := m.Graph
			if m.IRVersion != want.IRVersion || int64(g.Opset) != want.Opsets[""] {
				t.Errorf("IR %d opset %d, want IR %d opsets %v", m.IRVersion, g.Opset, want.IRVersion, want.Opsets)
			}
			if len(g.Nodes) != want.Nodes {
				t.Errorf("%d nodes, want %d", len(g.Nodes), want.Nodes)
			}
			checkValues := func(what string, got []graph.ValueInfo, want [][2]any) {
				if len(got) != len(want) {
					t.Fatalf("%s: %v, want %v", what, got, want)
				}
				for i, w := range want {
					var shape graph.Shape
					for _, d := range w[1].([]any) {
						shape = append(shape, int(d.(float64)))
					}
					if got[i].Name != w[0].(string) || !got[i].Shape.Equal(shape) {
						t.Errorf("%s %d: %v, want %v %v", what, i, got[i], w[0], shape)
					}
				}
			}
			checkValues("inputs", g.Inputs, want.Inputs)
			checkValues("outputs", g.Outputs, want.Outputs)
			if len(g.Params) != len(want.Initializers) {
				t.Errorf("%d params, want %d", len(g.Params), len(want.Initializers))
			}
			for name, w := range want.Initializers {
				p := g.Params[name]
				if p == nil {
					t.Errorf("initializer %q missing", name)
					continue
				}
				if !p.Shape.Equal(w.Dims) || digest(p) != w.SHA256 {
					t.Errorf("initializer %q: shape %v (want %v), sha256 %s (want %s)", name, p.Shape, w.Dims, digest(p), w.SHA256)
				}
			}
		})
	}
}

// TestDecodeSeedModel checks the seed model's parameters: 937 trainable
// elements in conv2d_1 … conv2d_5, kernels OIHW, the Resize scales a
// constant.
func TestDecodeSeedModel(t *testing.T) {
	for _, file := range []string{"seed-init.onnx", "seed-after10.onnx"} {
		g, err := ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		tr, other := g.ParamCount()
		if tr != 937 || other != 4 {
			t.Errorf("%s: %d trainable and %d other elements, want 937 and 4", file, tr, other)
		}
		want := []string{"conv2d_1.kernel", "conv2d_1.bias", "conv2d_2.kernel", "conv2d_2.bias", "conv2d_3.kernel",
			"conv2d_3.bias", "conv2d_4.kernel", "conv2d_4.bias", "conv2d_5.kernel", "conv2d_5.bias"}
		if got := g.TrainableNames(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: trainable %v, want %v", file, got, want)
		}
		if s := g.Params["conv2d_2.kernel"].Shape; !s.Equal(graph.Shape{2, 16, 3, 3}) {
			t.Errorf("%s: conv2d_2.kernel %v", file, s)
		}
		if g.Trainable["upsample.scales"] {
			t.Errorf("%s: upsample.scales marked trainable", file)
		}
		if g.Inputs[0].Shape[0] != -1 {
			t.Errorf("%s: batch dim %v, want dynamic", file, g.Inputs[0].Shape)
		}
	}
}

// TestForeignTrainable checks the weight heuristic on the converter files:
// Conv weights and biases, MatMul kernels (also through a Reshape) and the
// biases added after them are trainable; shape constants are not.
func TestForeignTrainable(t *testing.T) {
	cases := []struct {
		path      string
		trainable int
		constants []string
	}{
		{"testdata/mnist7.onnx", 5994, []string{"Pooling160_Output_0_reshape0_shape", "Parameter193_reshape1_shape"}},
		{sharedFile(t, "models/tf2onnx-1.16.1_keras3_lenet/model.onnx"), 61706, []string{"new_shape__30", "const_fold_opt__33"}},
		{sharedFile(t, "models/keras2onnx-1.6.0_keras_mnist_cnn/keras_mnist.onnx"), 921034, nil},
	}
	for _, c := range cases {
		g, err := ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if tr, _ := g.ParamCount(); tr != c.trainable {
			t.Errorf("%s: %d trainable elements, want %d", c.path, tr, c.trainable)
		}
		for _, name := range c.constants {
			if _, ok := g.Params[name]; !ok || g.Trainable[name] {
				t.Errorf("%s: %q should be a constant initializer", c.path, name)
			}
		}
	}
	// mnist-7 lists its initializers as graph inputs too: only Input3 stays.
	g, err := ReadFile("testdata/mnist7.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "Input3" || !g.Inputs[0].Shape.Equal(graph.Shape{1, 1, 28, 28}) {
		t.Errorf("mnist7 inputs %v", g.Inputs)
	}
}

// TestDecodeTensorFiles reads the golden batch and mnist-7's test data and
// compares them with Python's reading.
func TestDecodeTensorFiles(t *testing.T) {
	r := loadRef(t)
	paths := map[string]string{
		"batch.pb":           sharedFile(t, "golden/seed-adadelta/batch.pb"),
		"mnist7-input_0.pb":  "testdata/mnist7-input_0.pb",
		"mnist7-output_0.pb": "testdata/mnist7-output_0.pb",
	}
	for key, want := range r.Tensors {
		data, err := os.ReadFile(paths[key])
		if err != nil {
			t.Fatal(err)
		}
		name, x, err := DecodeNamedTensor(data)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if name != want.Name || !x.Shape.Equal(want.Dims) || digest(x) != want.SHA256 {
			t.Errorf("%s: %q %v %s, want %q %v %s", key, name, x.Shape, digest(x), want.Name, want.Dims, want.SHA256)
		}
	}
	x, err := ReadTensorFile(paths["batch.pb"])
	if err != nil {
		t.Fatal(err)
	}
	if !x.Shape.Equal(graph.Shape{32, 1, 28, 28}) || x.DType != graph.Float32 {
		t.Fatalf("batch.pb: %v %v", x.DType, x.Shape)
	}
	// Every pixel is float32(k)/255 for an integer k in 0..255.
	for i, v := range x.Data {
		k := math.Round(float64(v) * 255)
		if k < 0 || k > 255 || float32(k)/255 != v {
			t.Fatalf("batch.pb element %d = %v is not a pixel/255", i, v)
		}
	}
}
