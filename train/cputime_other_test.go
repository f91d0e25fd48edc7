//go:build !unix

package train

// processCPUSeconds is 0 where getrusage is missing: the CPU metric then
// reads 0.
func processCPUSeconds() float64 { return 0 }
