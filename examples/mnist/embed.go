// Package mnist holds the seed model's config, embedded so that aekit runs
// the seed with no files and no flags.
package mnist

import _ "embed"

// SeedYAML is examples/mnist/seed.yaml: the classic Keras MNIST
// convolutional autoencoder and its training settings.
//
//go:embed seed.yaml
var SeedYAML []byte
