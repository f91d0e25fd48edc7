// Command keras-import-cluster clusters MNIST with the encoder of a Keras
// model converted to ONNX, with no change to the file: it reads the model
// (by default keras2onnx's conversion of a Keras 2 MNIST CNN from
// ../shared/models), cuts it at a named layer with graph.Split — here the
// output of the first Dense layer's ReLU, 256 numbers — feeds the test
// images in the layout the model declares (Keras's NHWC, [N,28,28,1]),
// runs k-means with 10 clusters on the codes and scores them against the
// labels.
//
//	go run ./examples/keras-import-cluster
//	go run ./examples/keras-import-cluster -layer flatten_3 path/to/model.onnx
//
// The command-line equivalent is
//
//	aekit cluster --model keras_mnist.onnx --layer dense_5/Relu:0
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/aekit/aekit/cluster"
	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

const defaultModel = "../shared/models/keras2onnx-1.6.0_keras_mnist_cnn/keras_mnist.onnx"

func main() {
	layer := flag.String("layer", "dense_5/Relu:0", "cut the model at this layer, node or value name")
	n := flag.Int("n", 10000, "number of test images to cluster")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: keras-import-cluster [-layer NAME] [-n N] [model.onnx]\n(default model: %s)\n", defaultModel)
		flag.PrintDefaults()
	}
	flag.Parse()
	path := defaultModel
	if flag.NArg() > 0 {
		path = flag.Arg(0)
	}
	if err := run(path, *layer, *n); err != nil {
		log.Fatal(err)
	}
}

func run(path, layer string, n int) error {
	g, err := onnx.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Printf("%s: input %q %v, %d nodes\n", path, g.Inputs[0].Name, g.Inputs[0].Shape, len(g.Nodes))
	for _, node := range g.Nodes {
		fmt.Printf("  %-10s %-28s → %v\n", node.Op, node.Name, node.Outputs)
	}
	enc, _, err := graph.Split(g, layer)
	if err != nil {
		return err
	}
	test, err := data.MNIST("test")
	if err != nil {
		return err
	}
	if n > 0 && n < test.Len() {
		test = test.Slice(0, n)
	}
	// aekit's data sets are NCHW, [N,1,28,28]; the Keras model takes NHWC,
	// [N,28,28,1]. With one channel the two hold the same numbers in the
	// same order, so a reshape is all it takes (more channels would need a
	// transpose: aekit cluster does it).
	x, err := nhwc(enc, test.X)
	if err != nil {
		return err
	}
	codes, n, d, err := cluster.Encode(enc, x, 0, nil)
	if err != nil {
		return err
	}
	km, err := cluster.KMeans(codes, n, d, cluster.Config{K: 10})
	if err != nil {
		return err
	}
	table, err := cluster.NewContingency(test.Labels, km.Labels)
	if err != nil {
		return err
	}
	fmt.Printf("\ncut at %q: %d images → %d-number codes; k-means, 10 clusters:\n", layer, n, d)
	for _, s := range table.Summaries() {
		fmt.Println(s)
	}
	sc := table.Scores()
	fmt.Printf("acc %.4f  nmi %.4f  ari %.4f  purity %.4f\n", sc.Acc, sc.NMI, sc.ARI, sc.Purity)
	return nil
}

// nhwc lays the one-channel images x ([N,1,H,W]) out as the encoder's input
// declares: [N,H,W,1] for a Keras model, unchanged for an NCHW one.
func nhwc(enc *graph.Graph, x *graph.Tensor) (*graph.Tensor, error) {
	in := enc.Inputs[0].Shape
	switch {
	case len(in) == 4 && in[3] == 1 && in[1] != 1:
		return graph.FromData(x.Data, x.Shape[0], x.Shape[2], x.Shape[3], 1), nil
	case len(in) == 4 && in[1] == 1:
		return x, nil
	}
	return nil, fmt.Errorf("encoder input %v: expected one-channel images, [N,H,W,1] or [N,1,H,W]", in)
}
