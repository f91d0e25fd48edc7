// Command seed runs the classic Keras MNIST convolutional autoencoder end to
// end with aekit's packages, as the seed script does: build the model from
// Go layers, train it 3 epochs with Adadelta and binary cross-entropy,
// export its encoder (input → the 7×7×2 bottleneck) as ONNX, read that file
// back, encode the 10,000 test images, run k-means with 10 clusters on the
// 98-number codes, and read each cluster's label mix ("cluster 6: 22
// fours, 14 nines, 7 sevens, 1 five") with the usual metrics.
//
//	go run ./examples/mnist/seed            # writes seed-out/
//	go run ./examples/mnist/seed -epochs 1 -out /tmp/seed
//
// The command-line equivalent is `go run ./cmd/aekit train`.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/aekit/aekit/cluster"
	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
	"github.com/aekit/aekit/train"
)

func main() {
	epochs := flag.Int("epochs", 3, "training epochs")
	out := flag.String("out", "seed-out", "output folder")
	seed := flag.Uint64("seed", 1, "seed for weights, shuffling and k-means")
	flag.Parse()
	if err := run(*epochs, *out, *seed); err != nil {
		log.Fatal(err)
	}
}

// seedModel is the seed's Keras model, layer for layer.
func seedModel(seed uint64) (*graph.Graph, error) {
	conv := func(f int) graph.Layer {
		return graph.Conv2D{Filters: f, KernelSize: [2]int{3, 3}, Padding: "same"}
	}
	relu := graph.Activation{Activation: "relu"}
	pool := graph.MaxPooling2D{PoolSize: [2]int{2, 2}, Padding: "same"}
	up := graph.UpSampling2D{Size: [2]int{2, 2}}
	return graph.Sequential("seed", seed,
		graph.Input{Shape: []int{28, 28, 1}},
		conv(16), relu, pool,
		conv(2), relu, pool, // the code: 7×7×2
		conv(2), relu, up,
		conv(16), relu, up,
		conv(1), graph.Activation{Activation: "sigmoid"},
	)
}

func run(epochs int, out string, seed uint64) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	trainSet, err := data.MNIST("train")
	if err != nil {
		return err
	}
	testSet, err := data.MNIST("test")
	if err != nil {
		return err
	}
	g, err := seedModel(seed)
	if err != nil {
		return err
	}
	fmt.Print(graph.Summary(g))

	// model.fit(x_train, x_train, epochs=3, batch_size=32, shuffle=True,
	//           validation_data=(x_test, x_test))
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Seed = epochs, 32, seed
	if cfg.Loss, err = train.NewLoss("binary_crossentropy"); err != nil {
		return err
	}
	cfg.Optimizer = train.NewAdadelta() // Keras 2: lr 1.0, rho 0.95, epsilon 1e-7
	cfg.ValidationX = testSet.X
	cfg.Progress = os.Stderr
	if _, err := train.Fit(g, trainSet.X, nil, cfg); err != nil {
		return err
	}
	if err := onnx.WriteFile(filepath.Join(out, "model.onnx"), g); err != nil {
		return err
	}

	// The encoder: cut at the bottleneck (the second MaxPooling2D's 98
	// numbers), written as its own ONNX file and read back.
	encPath := filepath.Join(out, "encoder.onnx")
	if err := export.WriteFile(encPath, g, export.Options{Part: export.PartEncoder}); err != nil {
		return err
	}
	enc, err := onnx.ReadFile(encPath)
	if err != nil {
		return err
	}
	codes, n, d, err := cluster.Encode(enc, testSet.X, 0, nil)
	if err != nil {
		return err
	}
	km, err := cluster.KMeans(codes, n, d, cluster.Config{K: 10, Seed: seed})
	if err != nil {
		return err
	}
	table, err := cluster.NewContingency(testSet.Labels, km.Labels)
	if err != nil {
		return err
	}
	fmt.Printf("\n%d test images → %d-number codes; k-means, 10 clusters:\n", n, d)
	words := []string{"zeros", "ones", "twos", "threes", "fours", "fives", "sixes", "sevens", "eights", "nines"}
	for _, s := range table.Summaries() {
		var mix []string
		for i, lc := range s.Labels {
			if i == 4 {
				break
			}
			mix = append(mix, fmt.Sprintf("%d %s", lc.Count, words[lc.Label]))
		}
		fmt.Printf("cluster %d (%d): %s\n", s.Cluster, s.Size, strings.Join(mix, ", "))
	}
	sc := table.Scores()
	fmt.Printf("acc %.4f  nmi %.4f  ari %.4f  purity %.4f  inertia %.1f\n", sc.Acc, sc.NMI, sc.ARI, sc.Purity, km.Inertia)

	// clusters.png: ten test images of each cluster, one row per cluster.
	rows := make([][]*graph.Tensor, 10)
	for i, c := range km.Labels {
		if len(rows[c]) < 10 {
			rows[c] = append(rows[c], testSet.Image(i))
		}
	}
	img, err := data.ImageGrid(rows, data.GridOptions{Scale: 2})
	if err != nil {
		return err
	}
	png := filepath.Join(out, "clusters.png")
	if err := data.WritePNG(png, img); err != nil {
		return err
	}
	fmt.Printf("wrote %s, %s, %s\n", filepath.Join(out, "model.onnx"), encPath, png)
	return nil
}
