package graph

import (
	"runtime"
	"sync"
)

// Parallel splits [0, n) into contiguous chunks, at most one per available
// core, and runs fn on each concurrently. The split depends only on n and
// GOMAXPROCS, so results that are reduced per chunk are deterministic on a
// given machine.
func Parallel(n int, fn func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	if w <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	wg.Add(w - 1)
	for i := 1; i < w; i++ {
		lo, hi := i*n/w, (i+1)*n/w
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/w)
	wg.Wait()
}

// Workers runs work split as Parallel splits it, on long-lived worker
// goroutines, without allocating: for a step loop that must not allocate
// (training). The zero value is ready; one Workers must not Run from two
// goroutines at once, and fn must not itself Run or call a kernel.
type Workers struct {
	wg sync.WaitGroup
}

// Run splits [0, n) into the chunks Parallel would and runs fn on each,
// the first on the calling goroutine, and returns when all are done. It
// allocates nothing when fn is a func value made once (a method value
// kept in a field, or a function), not a fresh closure.
func (w *Workers) Run(n int, fn func(lo, hi int)) {
	parallelFixed(n, fn, &w.wg)
}
