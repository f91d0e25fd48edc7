//go:build !unix

package graph

// processCPUSeconds is not measured here; benchmarks report 0.
func processCPUSeconds() float64 { return 0 }
