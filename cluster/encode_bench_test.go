package cluster

import "testing"

// BenchmarkEncodeSeed10k encodes 10,000 28×28 images with the seed
// encoder (98 codes each), batch 256: one plan per core (the default)
// against one plan whose kernels parallelise alone.
func BenchmarkEncodeSeed10k(b *testing.B) {
	g := seedEncoder(b)
	X := randData(5, 10000, 1, 28, 28)
	for i, v := range X.Data {
		X.Data[i] = max(v, 0) / 3
	}
	for _, workers := range []int{0, 1} {
		name := "plan-per-core"
		if workers == 1 {
			name = "one-plan"
		}
		b.Run(name, func(b *testing.B) {
			encodeWorkers = workers
			defer func() { encodeWorkers = 0 }()
			for range b.N {
				if _, _, _, err := Encode(g, X, 256, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
