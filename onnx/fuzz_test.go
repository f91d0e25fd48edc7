package onnx

import (
	"os"
	"testing"

	"github.com/aekit/aekit/onnx/onnxpb"
)

// FuzzDecode feeds arbitrary bytes to Decode. Decode must never panic and,
// whatever it accepts, Encode must write back and Decode must read back to
// the same graph (the name aside, which Encode fills in when empty).
//
// The seed corpus holds real models (the seed autoencoder, mnist-7 from the
// ONNX model zoo), a hand-made model, a tensor file, and broken variants.
func FuzzDecode(f *testing.F) {
	for _, path := range []string{"testdata/seed-init.onnx", "testdata/mnist7.onnx", "testdata/mnist7-output_0.pb"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add(marshal(f, tinyModel()))
	m := tinyModel()
	m.Graph.Node[0].Input[0] = "y" // a cycle
	f.Add(marshal(f, m))
	m = tinyModel()
	m.Graph.Initializer[0] = &onnxpb.TensorProto{Name: "w", DataType: dtFloat, Dims: []int64{1 << 40, 1}, RawData: []byte{0, 0, 128, 63}}
	f.Add(marshal(f, m))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Decode(data)
		if err != nil {
			return
		}
		if g.Name == "" {
			g.Name = Producer
		}
		enc, err := Encode(g)
		if err != nil {
			t.Fatalf("decoded graph does not encode: %v", err)
		}
		back, err := Decode(enc)
		if err != nil {
			t.Fatalf("encoded graph does not decode: %v", err)
		}
		if d := graphDiff(g, back); d != "" {
			t.Fatalf("round trip differs: %s", d)
		}
	})
}
