package cluster_test

import (
	"fmt"

	"github.com/aekit/aekit/cluster"
)

func ExampleKMeans() {
	// Six points in two groups, row-major 6×2.
	x := []float32{0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10}
	m, err := cluster.KMeans(x, 6, 2, cluster.Config{K: 2, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Labels[0] == m.Labels[2], m.Labels[0] != m.Labels[3])
	c := m.Center(m.Labels[3])
	fmt.Printf("center of the second group: %.3f %.3f\n", c[0], c[1])
	fmt.Printf("inertia %.3f\n", m.Inertia)
	next, _ := m.Predict([]float32{9, 9})
	fmt.Println(next[0] == m.Labels[3])
	// Output:
	// true true
	// center of the second group: 10.333 10.333
	// inertia 2.667
	// true
}

func ExampleEvaluate() {
	labels := []int{4, 4, 4, 9, 9, 9, 7, 7}
	clusters := []int{0, 0, 1, 1, 1, 1, 2, 2}
	s, err := cluster.Evaluate(labels, clusters)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("acc %.3f nmi %.3f ari %.3f purity %.3f\n", s.Acc, s.NMI, s.ARI, s.Purity)
	sums, _ := cluster.Summarize(labels, clusters)
	for _, c := range sums {
		fmt.Println(c)
	}
	// Output:
	// acc 0.875 nmi 0.755 ari 0.545 purity 0.875
	// cluster 0 (2): 2×4
	// cluster 1 (4): 3×9, 1×4
	// cluster 2 (2): 2×7
}
