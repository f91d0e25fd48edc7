package graph

import (
	"runtime"
	"sync"
)

// A pool of long-lived worker goroutines, so that a kernel can spread its
// work over the cores on every call without allocating: Parallel starts
// goroutines and captures closures, which costs a few allocations per call.

type parJob struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var workers = struct {
	mu      sync.Mutex
	started int
	jobs    chan parJob
}{jobs: make(chan parJob, 256)}

func ensureWorkers(n int) {
	workers.mu.Lock()
	for workers.started < n {
		workers.started++
		go func() {
			for j := range workers.jobs {
				j.fn(j.lo, j.hi)
				j.wg.Done()
			}
		}()
	}
	workers.mu.Unlock()
}

// parallelFixed splits [0, n) into the same chunks as Parallel and runs fn
// on each, the first chunk on the calling goroutine and the others on pool
// workers. It allocates nothing once the workers exist, provided fn is a
// func value made once (a method value stored at build time, not a fresh
// closure) and wg belongs to the caller. fn must not call parallelFixed.
func parallelFixed(n int, fn func(lo, hi int), wg *sync.WaitGroup) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	ensureWorkers(w - 1)
	wg.Add(w - 1)
	for i := 1; i < w; i++ {
		workers.jobs <- parJob{fn: fn, lo: i * n / w, hi: (i + 1) * n / w, wg: wg}
	}
	fn(0, n/w)
	wg.Wait()
}
