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
