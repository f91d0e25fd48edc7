// Package cluster groups the codes an encoder makes: Encode runs an encoder
// graph over a data set in batches, KMeans and MiniBatch cluster the codes
// with scikit-learn's semantics (greedy k-means++, restarts, Lloyd or Elkan
// iterations, mini-batch updates), and the metrics compare clusters with
// known labels (accuracy under the Hungarian matching, NMI, ARI, purity,
// contingency tables and per-cluster label counts).
//
// Points are passed as flat row-major float32 slices, n points of d values.
// Results are deterministic: the same data, configuration and seed give the
// same clustering on any number of cores, because parallel work is split in
// fixed chunks whose partial sums are combined in chunk order. On amd64 the
// distance kernels are AVX2/FMA assembly (chosen at run time, pure Go
// elsewhere or with the purego build tag); the two round differently, so a
// machine without AVX2 may differ in the last bits.
//
// Error policy: bad input (sizes that disagree, non-finite values, K larger
// than the number of points) is returned as an error naming the function
// and the numbers at fault; panics are kept for broken internal invariants.
package cluster
