//go:build !unix

package bench

// processCPUSeconds returns 0: process CPU time is read on Unix systems
// only, and the CPU-time figures of a Result stay 0 elsewhere.
func processCPUSeconds() float64 { return 0 }
