package train_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/train"
)

// A small convolutional autoencoder trained as the seed model is: binary
// cross-entropy, Keras 2's Adadelta, batches of 32, shuffled, with 20% of
// the samples held out for validation.
func ExampleFit() {
	g, err := graph.Sequential("ae", 1,
		graph.Input{Shape: []int{8, 8, 1}},
		graph.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "relu"},
		graph.MaxPooling2D{},
		graph.UpSampling2D{},
		graph.Conv2D{Filters: 1, KernelSize: [2]int{3, 3}, Padding: "same", Activation: "sigmoid"},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	// 200 images of a bright square at a random place.
	rng := rand.New(rand.NewPCG(1, 2))
	x := graph.New(200, 1, 8, 8)
	for i := range 200 {
		r, c := rng.IntN(6), rng.IntN(6)
		for dr := range 3 {
			for dc := range 3 {
				x.Data[i*64+(r+dr)*8+c+dc] = 1
			}
		}
	}
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.Seed, cfg.ValidationSplit = 5, 7, 0.2
	h, err := train.Fit(g, x, nil, cfg) // nil targets: the target is the input
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d epochs; loss fell: %v; val_loss fell: %v\n", h.Epoch,
		h.Loss[4] < h.Loss[0], h.ValLoss[4] < h.ValLoss[0])
	// Output: 5 epochs; loss fell: true; val_loss fell: true
}
