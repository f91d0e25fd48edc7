package data_test

import (
	"fmt"
	"log"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/graph"
)

func ExampleMNIST() {
	test, err := data.MNIST("test")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(test.Name, test.X.Shape, test.Labels[:5])
	// Output: mnist-test 10000×1×28×28 [7 2 1 0 4]
}

func ExampleImageGrid() {
	test, err := data.MNIST("test")
	if err != nil {
		log.Fatal(err)
	}
	// Two rows of 10 images, as reconstructions.png lays out originals
	// above reconstructions (here the same images twice).
	rows := make([][]*graph.Tensor, 2)
	for i := 0; i < 10; i++ {
		rows[0] = append(rows[0], test.Image(i))
		rows[1] = append(rows[1], test.Image(i))
	}
	img, err := data.ImageGrid(rows, data.GridOptions{Scale: 2})
	if err != nil {
		log.Fatal(err)
	}
	// data.WritePNG("reconstructions.png", img) would write it.
	fmt.Println(img.Bounds().Dx(), "×", img.Bounds().Dy())
	// Output: 582 × 118
}
