package main

import (
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/train"
	"github.com/aekit/aekit/train/gorgonia"
)

// gorgoniaEngine returns the gorgonia engine for cfg's loss.
func gorgoniaEngine(_ *graph.Graph, cfg train.Config) (func(*graph.Graph, int) (train.Engine, error), error) {
	return gorgonia.Engine(cfg.Loss.Name()), nil
}
