package cluster

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
)

// Contingency is the table of counts of (true label, cluster) pairs.
type Contingency struct {
	// Labels and Clusters are the distinct true labels and cluster ids,
	// in increasing order.
	Labels   []int
	Clusters []int
	// Counts[i][j] is the number of points of label Labels[i] put in
	// cluster Clusters[j].
	Counts [][]int
	// N is the number of points.
	N int
}

// NewContingency counts the pairs (labels[i], clusters[i]). The two slices
// must have the same, non-zero length; any int values may be used.
func NewContingency(labels, clusters []int) (*Contingency, error) {
	if len(labels) != len(clusters) {
		return nil, fmt.Errorf("cluster.NewContingency: %d true labels but %d cluster assignments", len(labels), len(clusters))
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("cluster.NewContingency: no points")
	}
	c := &Contingency{Labels: distinct(labels), Clusters: distinct(clusters), N: len(labels)}
	c.Counts = make([][]int, len(c.Labels))
	for i := range c.Counts {
		c.Counts[i] = make([]int, len(c.Clusters))
	}
	for p, l := range labels {
		i, _ := slices.BinarySearch(c.Labels, l)
		j, _ := slices.BinarySearch(c.Clusters, clusters[p])
		c.Counts[i][j]++
	}
	return c, nil
}

func distinct(v []int) []int {
	s := slices.Clone(v)
	slices.Sort(s)
	return slices.Compact(s)
}

// rowSums returns the number of points of each label, colSums the size of
// each cluster.
func (c *Contingency) rowSums() []int {
	s := make([]int, len(c.Labels))
	for i, row := range c.Counts {
		for _, v := range row {
			s[i] += v
		}
	}
	return s
}

func (c *Contingency) colSums() []int {
	s := make([]int, len(c.Clusters))
	for _, row := range c.Counts {
		for j, v := range row {
			s[j] += v
		}
	}
	return s
}

// Matching returns the one-to-one assignment of clusters to labels that
// puts the most points under their own label (the Hungarian method on the
// contingency table): Matching()[j] is the label index (into c.Labels) of
// cluster c.Clusters[j], or -1 for a cluster left without a label when
// there are more clusters than labels.
func (c *Contingency) Matching() []int {
	cost := make([][]float64, len(c.Clusters))
	for j := range cost {
		cost[j] = make([]float64, len(c.Labels))
		for i := range c.Labels {
			cost[j][i] = -float64(c.Counts[i][j])
		}
	}
	m, err := Hungarian(cost)
	if err != nil {
		panic("cluster: Hungarian on a contingency table: " + err.Error())
	}
	return m
}

// Accuracy is the clustering accuracy: the fraction of points whose cluster
// is matched to their label by the best one-to-one matching (Matching).
func (c *Contingency) Accuracy() float64 {
	hit := 0
	for j, i := range c.Matching() {
		if i >= 0 {
			hit += c.Counts[i][j]
		}
	}
	return float64(hit) / float64(c.N)
}

// Purity is the fraction of points that belong to the most common label of
// their cluster.
func (c *Contingency) Purity() float64 {
	hit := 0
	for j := range c.Clusters {
		m := 0
		for i := range c.Labels {
			m = max(m, c.Counts[i][j])
		}
		hit += m
	}
	return float64(hit) / float64(c.N)
}

// MutualInfo returns the mutual information between labels and clusters in
// nats, as scikit-learn's mutual_info_score computes it.
func (c *Contingency) MutualInfo() float64 {
	a, b := c.rowSums(), c.colSums()
	if len(a) == 1 || len(b) == 1 {
		return 0
	}
	n := float64(c.N)
	logN := math.Log(n)
	mi := 0.0
	for i, row := range c.Counts {
		for j, v := range row {
			if v == 0 {
				continue
			}
			p := float64(v) / n
			outer := float64(int64(a[i]) * int64(b[j]))
			t := p*(math.Log(float64(v))-logN) + p*(-math.Log(outer)+logN+logN)
			if math.Abs(t) < 0x1p-52 {
				t = 0
			}
			mi += t
		}
	}
	return max(mi, 0)
}

// entropy returns the entropy in nats of the distribution given by counts.
func entropy(counts []int, n int) float64 {
	h := 0.0
	logN := math.Log(float64(n))
	for _, v := range counts {
		if v > 0 {
			h -= float64(v) / float64(n) * (math.Log(float64(v)) - logN)
		}
	}
	return h
}

// NMI is the normalized mutual information with the arithmetic mean of the
// two entropies as normaliser, scikit-learn's normalized_mutual_info_score:
// NMI = I(L;C) / ((H(L)+H(C))/2); 1 when both sides are one single group.
func (c *Contingency) NMI() float64 {
	if len(c.Labels) == 1 && len(c.Clusters) == 1 {
		return 1
	}
	mi := c.MutualInfo()
	if mi == 0 {
		return 0
	}
	hl, hc := entropy(c.rowSums(), c.N), entropy(c.colSums(), c.N)
	return mi / ((hl + hc) / 2)
}

// ARI is the adjusted Rand index, scikit-learn's adjusted_rand_score: the
// Rand index over pairs of points, corrected for chance so that random
// labellings score about 0 and identical partitions 1. It is computed from
// the pair confusion matrix in exact integer arithmetic.
func (c *Contingency) ARI() float64 {
	n := int64(c.N)
	var sumSq, sumA, sumB int64 // Σn_ij², Σ_ij n_ij·a_i, Σ_ij n_ij·b_j
	a, b := c.rowSums(), c.colSums()
	for i, row := range c.Counts {
		for j, v := range row {
			v := int64(v)
			sumSq += v * v
			sumA += v * int64(a[i])
			sumB += v * int64(b[j])
		}
	}
	tp := sumSq - n
	fp := sumB - sumSq // pairs together in a cluster, apart in labels
	fn := sumA - sumSq // pairs together in labels, apart in clusters
	tn := n*n - fp - fn - sumSq
	if fn == 0 && fp == 0 {
		return 1
	}
	bi := func(v int64) *big.Int { return big.NewInt(v) }
	mul := func(x, y int64) *big.Int { return new(big.Int).Mul(bi(x), bi(y)) }
	num := new(big.Int).Sub(mul(tp, tn), mul(fn, fp))
	num.Lsh(num, 1)
	den := new(big.Int).Add(mul(tp+fn, fn+tn), mul(tp+fp, fp+tn))
	r, _ := new(big.Rat).SetFrac(num, den).Float64()
	return r
}

// Scores gathers the usual external clustering metrics.
type Scores struct {
	Acc    float64 `json:"acc"`
	NMI    float64 `json:"nmi"`
	ARI    float64 `json:"ari"`
	Purity float64 `json:"purity"`
}

// Scores returns accuracy, NMI, ARI and purity.
func (c *Contingency) Scores() Scores {
	return Scores{Acc: c.Accuracy(), NMI: c.NMI(), ARI: c.ARI(), Purity: c.Purity()}
}

// Evaluate compares cluster assignments with true labels and returns
// accuracy (Hungarian matching), NMI, ARI and purity.
func Evaluate(labels, clusters []int) (Scores, error) {
	c, err := NewContingency(labels, clusters)
	if err != nil {
		return Scores{}, err
	}
	return c.Scores(), nil
}

// Accuracy returns the clustering accuracy under the best one-to-one
// matching of clusters to labels (see Contingency.Accuracy).
func Accuracy(labels, clusters []int) (float64, error) {
	c, err := NewContingency(labels, clusters)
	if err != nil {
		return 0, err
	}
	return c.Accuracy(), nil
}

// NMI returns the normalized mutual information (arithmetic mean), as
// scikit-learn's normalized_mutual_info_score.
func NMI(labels, clusters []int) (float64, error) {
	c, err := NewContingency(labels, clusters)
	if err != nil {
		return 0, err
	}
	return c.NMI(), nil
}

// ARI returns the adjusted Rand index, as scikit-learn's adjusted_rand_score.
func ARI(labels, clusters []int) (float64, error) {
	c, err := NewContingency(labels, clusters)
	if err != nil {
		return 0, err
	}
	return c.ARI(), nil
}

// Purity returns the fraction of points in their cluster's majority label.
func Purity(labels, clusters []int) (float64, error) {
	c, err := NewContingency(labels, clusters)
	if err != nil {
		return 0, err
	}
	return c.Purity(), nil
}

// LabelCount is how many points of one true label a cluster holds.
type LabelCount struct {
	Label int `json:"label"`
	Count int `json:"count"`
}

// ClusterSummary is one cluster's size and label mix.
type ClusterSummary struct {
	Cluster int `json:"cluster"`
	Size    int `json:"size"`
	// Labels lists the labels present, most frequent first (ties by
	// increasing label).
	Labels []LabelCount `json:"labels"`
}

// String formats the summary as "cluster 6 (44): 22×4, 14×9, 7×7, 1×5".
func (s ClusterSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster %d (%d):", s.Cluster, s.Size)
	for i, lc := range s.Labels {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %d×%d", lc.Count, lc.Label)
	}
	return b.String()
}

// Summaries returns every cluster's size and label distribution, in
// increasing cluster order.
func (c *Contingency) Summaries() []ClusterSummary {
	out := make([]ClusterSummary, len(c.Clusters))
	for j, id := range c.Clusters {
		s := ClusterSummary{Cluster: id}
		for i, l := range c.Labels {
			if v := c.Counts[i][j]; v > 0 {
				s.Labels = append(s.Labels, LabelCount{Label: l, Count: v})
				s.Size += v
			}
		}
		slices.SortStableFunc(s.Labels, func(x, y LabelCount) int { return y.Count - x.Count })
		out[j] = s
	}
	return out
}

// Summarize returns every cluster's size and label distribution (see
// Contingency.Summaries).
func Summarize(labels, clusters []int) ([]ClusterSummary, error) {
	c, err := NewContingency(labels, clusters)
	if err != nil {
		return nil, err
	}
	return c.Summaries(), nil
}
