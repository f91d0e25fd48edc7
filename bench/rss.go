package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// PeakRSSMB returns the process's peak resident set size in MiB (2²⁰
// bytes), read from VmHWM in /proc/self/status, or 0 where that file
// does not exist (systems other than Linux). It covers the whole process:
// data sets, every engine run so far and the Go runtime's heap slack.
func PeakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	return vmHWM(bufio.NewScanner(f))
}

// vmHWM finds the "VmHWM: <n> kB" line of a /proc status file.
func vmHWM(sc *bufio.Scanner) float64 {
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}
