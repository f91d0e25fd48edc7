//go:build unix

package bench

import "syscall"

// processCPUSeconds returns the user + system CPU time of the process so
// far (all threads): on a shared machine a steadier measure of work than
// wall time, which also counts the waits for a core.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
