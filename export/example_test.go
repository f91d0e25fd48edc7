package export_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
)

// The encoder of a small autoencoder, cut at its bottleneck, written in
// Keras's NHWC layout for opset 11.
func ExampleWriteFile() {
	g, err := graph.Sequential("ae", 1,
		graph.Input{Shape: []int{28, 28, 1}},
		graph.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		graph.MaxPooling2D{PoolSize: [2]int{2, 2}},
		graph.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		graph.UpSampling2D{Size: [2]int{2, 2}},
		graph.Conv2D{Filters: 1, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "sigmoid"},
	)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "aekit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	opt := export.Options{Part: export.PartEncoder, Layout: export.LayoutNHWC, Opset: 11, Doc: "example"}
	if err := export.WriteFile(filepath.Join(dir, "encoder.onnx"), g, opt); err != nil {
		log.Fatal(err)
	}
	enc, err := export.Model(g, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cut at", enc.Meta[export.MetaCut])
	fmt.Println("input", enc.Inputs[0].Name, enc.Inputs[0].Shape)
	fmt.Println("output", enc.Outputs[0].Name, enc.Outputs[0].Shape)
	// Output:
	// cut at max_pooling2d_1
	// input input ?×28×28×1
	// output max_pooling2d_1 ?×14×14×4
}
