package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aekit/aekit/cluster"
	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/graph"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// clusterScores is one clustering's figures as --json prints them. The
// label metrics are null when the data set has no labels.
type clusterScores struct {
	Acc     *float64 `json:"acc"`
	NMI     *float64 `json:"nmi"`
	ARI     *float64 `json:"ari"`
	Purity  *float64 `json:"purity"`
	Inertia float64  `json:"inertia"`
	K       int      `json:"k"`
	N       int      `json:"n"`
	Dim     int      `json:"dim"`
}

// clusterJSON is what --json prints: the codes' scores, and the raw
// pixels' under "baseline" with --baseline.
type clusterJSON struct {
	clusterScores
	Baseline *clusterScores `json:"baseline,omitempty"`
}

// clusterRecord is one cluster's line of the table.
type clusterRecord struct {
	Cluster int                  `json:"cluster"`
	Size    int                  `json:"size"`
	Label   *int                 `json:"label,omitempty"` // the label matched to it (Hungarian)
	Labels  []cluster.LabelCount `json:"labels,omitempty"`
}

// clusterReport is what a clustering run found; metrics.json holds it.
type clusterReport struct {
	clusterJSON
	Model         string  `json:"model,omitempty"`
	Cut           string  `json:"cut"`
	Data          string  `json:"data"`
	Algorithm     string  `json:"algorithm"`
	NInit         int     `json:"n_init"`
	Seed          uint64  `json:"seed"`
	Scale         float64 `json:"scale"`
	EncodeSeconds float64 `json:"encode_seconds"`
	KMeansSeconds float64 `json:"kmeans_seconds"`
	Iterations    int     `json:"iterations"`
	// RefineIterations is the number of DCEC steps of --refine.
	RefineIterations *int            `json:"refine_iterations,omitempty"`
	Clusters         []clusterRecord `json:"clusters"`

	model *cluster.Model // the codes' k-means
}

// clustering is one k-means run over a set of points (codes or pixels)
// and its scores against the labels.
type clustering struct {
	model   *cluster.Model
	scores  clusterScores
	records []clusterRecord
	seconds float64
}

// clusterModel is the clustering path that aekit cluster and aekit train
// share: cut g as o says (or take it whole with o.Encoder), encode ds in
// the layout g's input declares, run k-means (and on the raw pixels with
// o.Baseline), print the table and metrics on w (or one JSON object with
// o.JSON), and write o.Out's files. Progress goes to errw when it is a
// terminal.
func clusterModel(w, errw io.Writer, g *graph.Graph, ds *data.Dataset, o clusterOptions) (*clusterReport, error) {
	if ds.Len() < o.K {
		return nil, fmt.Errorf("--k %d: more clusters than the %d images of %q", o.K, ds.Len(), o.Data)
	}
	enc, cut, err := encoderOf(g, o)
	if err != nil {
		return nil, err
	}
	in, err := inputOf(enc)
	if err != nil {
		return nil, fmt.Errorf("--model %q: %w", o.Model, err)
	}
	x, err := in.feed(ds.X, o.Scale)
	if err != nil {
		return nil, fmt.Errorf("--data %q into --model %q: %w", o.Data, o.Model, err)
	}
	var ref *cluster.Refinement
	if o.Refine {
		if ref, err = refineModel(errw, g, cut, x, o); err != nil {
			return nil, err
		}
		if enc, cut, err = encoderOf(g, o); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	codes, n, d, err := cluster.Encode(enc, x, o.BatchSize, progressTo(errw, "encoding", o.Quiet || ds.Len() < 2000))
	if err != nil {
		return nil, fmt.Errorf("--model %q: %w", o.Model, err)
	}
	encodeTime := time.Since(start).Seconds()
	var res *clustering
	if ref != nil {
		res, err = scored(refinedModel(ref, codes, n, d), n, d, 0, ds, o)
	} else {
		res, err = kmeansScored(codes, n, d, ds, o)
	}
	if err != nil {
		return nil, fmt.Errorf("k-means on the codes: %w", err)
	}
	r := &clusterReport{
		clusterJSON: clusterJSON{clusterScores: res.scores},
		Model:       o.Model, Cut: cut, Data: o.Data, Algorithm: string(o.Algorithm),
		NInit: o.NInit, Seed: o.Seed, Scale: o.Scale,
		EncodeSeconds: encodeTime, KMeansSeconds: res.seconds, Iterations: res.model.NIter,
		Clusters: res.records, model: res.model,
	}
	if o.MiniBatch {
		r.Algorithm = "minibatch"
	}
	if ref != nil {
		r.Algorithm = "dcec"
		r.NInit = cluster.DefaultRefineNInit // the k-means that placed the centres
		r.RefineIterations = &ref.Iterations
	}
	var base *clustering
	if o.Baseline {
		per := len(ds.X.Data) / ds.Len()
		if base, err = kmeansScored(ds.X.Data, ds.Len(), per, ds, o); err != nil {
			return nil, fmt.Errorf("k-means on the pixels: %w", err)
		}
		r.Baseline = &base.scores
	}
	switch {
	case o.Quiet:
	case o.JSON:
		b, err := json.Marshal(r.clusterJSON)
		if err != nil {
			return nil, err
		}
		if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
			return nil, err
		}
	default:
		printClusters(w, r, base, ds)
	}
	if o.Out != "" {
		if err := writeClusterFiles(o.Out, r, ds); err != nil {
			return nil, fmt.Errorf("--out %q: %w", o.Out, err)
		}
		if !o.Quiet && !o.JSON {
			fmt.Fprintf(w, "wrote %s\n", strings.Join(clusterFileNames(o.Out), ", "))
		}
	}
	return r, nil
}

// kmeansScored clusters the n×d points x as o says and scores the
// clusters against ds's labels when it has them.
func kmeansScored(x []float32, n, d int, ds *data.Dataset, o clusterOptions) (*clustering, error) {
	start := time.Now()
	var m *cluster.Model
	var err error
	if o.MiniBatch {
		m, err = cluster.MiniBatchKMeans(x, n, d, cluster.MiniBatchConfig{K: o.K, NInit: o.NInit, Seed: o.Seed})
	} else {
		m, err = cluster.KMeans(x, n, d, cluster.Config{K: o.K, NInit: o.NInit, Algorithm: o.Algorithm, Seed: o.Seed})
	}
	if err != nil {
		return nil, err
	}
	return scored(m, n, d, time.Since(start).Seconds(), ds, o)
}

// scored scores the clustering m of n points of d numbers against ds's
// labels when it has them.
func scored(m *cluster.Model, n, d int, seconds float64, ds *data.Dataset, o clusterOptions) (*clustering, error) {
	c := &clustering{model: m, seconds: seconds}
	c.scores = clusterScores{Inertia: m.Inertia, K: o.K, N: n, Dim: d}
	sizes := make([]int, o.K)
	for _, l := range m.Labels {
		sizes[l]++
	}
	c.records = make([]clusterRecord, o.K)
	for j := range c.records {
		c.records[j] = clusterRecord{Cluster: j, Size: sizes[j]}
	}
	if ds.Labels == nil {
		return c, nil
	}
	t, err := cluster.NewContingency(ds.Labels, m.Labels)
	if err != nil {
		return nil, err
	}
	s := t.Scores()
	c.scores.Acc, c.scores.NMI, c.scores.ARI, c.scores.Purity = &s.Acc, &s.NMI, &s.ARI, &s.Purity
	match := t.Matching()
	for j, sum := range t.Summaries() {
		rec := &c.records[sum.Cluster]
		rec.Labels = sum.Labels
		if li := match[j]; li >= 0 {
			label := t.Labels[li]
			rec.Label = &label
		}
	}
	return c, nil
}

// progressTo returns an Encode progress callback that draws a bar on w when
// w is a terminal, or nil.
func progressTo(w io.Writer, what string, off bool) func(done, total int) {
	f, ok := w.(*os.File)
	if off || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(what),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		bar.Set(done)
		if done == total {
			bar.Finish()
		}
	}
}

// digitWords names MNIST's labels as the seed reads its clusters ("22
// fours, 1 five").
var digitWords = [10][2]string{
	{"zero", "zeros"}, {"one", "ones"}, {"two", "twos"}, {"three", "threes"}, {"four", "fours"},
	{"five", "fives"}, {"six", "sixes"}, {"seven", "sevens"}, {"eight", "eights"}, {"nine", "nines"},
}

// labelName names label as the table shows it: digits as words for MNIST,
// class names where the data set has them, else the number.
func labelName(ds *data.Dataset, label, count int) string {
	if isMNIST(ds) && label >= 0 && label < 10 {
		if count == 1 {
			return digitWords[label][0]
		}
		return digitWords[label][1]
	}
	if label >= 0 && label < len(ds.Classes) {
		return ds.Classes[label]
	}
	return fmt.Sprintf("label %d", label)
}

// isMNIST tells whether ds is one of MNIST's splits (or a part of one).
func isMNIST(ds *data.Dataset) bool { return strings.HasPrefix(ds.Name, "mnist-") }

// labelMix reads a cluster's label counts as the seed does: "22 fours,
// 14 nines, 7 sevens, 1 five" for MNIST, "22 × Sneaker" for named classes;
// the top 4, then how many points the other labels hold.
func labelMix(ds *data.Dataset, labels []cluster.LabelCount) string {
	const top = 4
	var parts []string
	rest := 0
	for i, lc := range labels {
		if i < top {
			sep := " × "
			if isMNIST(ds) {
				sep = " "
			}
			parts = append(parts, fmt.Sprintf("%d%s%s", lc.Count, sep, labelName(ds, lc.Label, lc.Count)))
		} else {
			rest += lc.Count
		}
	}
	switch {
	case rest == 1:
		parts = append(parts, "1 other")
	case rest > 1:
		parts = append(parts, fmt.Sprintf("%d others", rest))
	}
	return strings.Join(parts, ", ")
}

// printClusters writes the cluster table and the metrics (codes beside
// pixels with a baseline).
func printClusters(w io.Writer, r *clusterReport, base *clustering, ds *data.Dataset) {
	how := "cut at " + quote(r.Cut)
	if r.Cut == "" {
		how = "encoder"
	}
	if r.RefineIterations != nil {
		fmt.Fprintf(w, "%d images of %s → codes of %d numbers (%s) in %.2f s; DCEC k=%d after %d refinement steps\n\n",
			r.N, r.Data, r.Dim, how, r.EncodeSeconds, r.K, *r.RefineIterations)
	} else {
		fmt.Fprintf(w, "%d images of %s → codes of %d numbers (%s) in %.2f s; k-means k=%d, %s, n_init=%d: %.2f s, %d iterations\n\n",
			r.N, r.Data, r.Dim, how, r.EncodeSeconds, r.K, r.Algorithm, r.NInit, r.KMeansSeconds, r.Iterations)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	labelled := ds.Labels != nil
	if labelled {
		fmt.Fprintln(tw, "cluster\tsize\tmatched\t\ttop labels")
	} else {
		fmt.Fprintln(tw, "cluster\tsize\t")
	}
	for _, rec := range r.Clusters {
		if !labelled {
			fmt.Fprintf(tw, "%d\t%d\t\n", rec.Cluster, rec.Size)
			continue
		}
		matched := "–"
		if rec.Label != nil {
			matched = labelName(ds, *rec.Label, 1)
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t\t%s\n", rec.Cluster, rec.Size, matched, labelMix(ds, rec.Labels))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if base != nil {
		fmt.Fprintf(tw, "\tcodes\tpixels\n")
		fmt.Fprintf(tw, "dim\t%d\t%d\n", r.Dim, base.scores.Dim)
	}
	row := func(name string, a, b *float64) {
		if a == nil {
			return
		}
		if base == nil {
			fmt.Fprintf(tw, "%s\t%.4f\n", name, *a)
			return
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\n", name, *a, *b)
	}
	var bs clusterScores
	if base != nil {
		bs = base.scores
	}
	row("acc", r.Acc, bs.Acc)
	row("nmi", r.NMI, bs.NMI)
	row("ari", r.ARI, bs.ARI)
	row("purity", r.Purity, bs.Purity)
	if base != nil {
		fmt.Fprintf(tw, "inertia\t%.6g\t%.6g\n", r.Inertia, bs.Inertia)
		fmt.Fprintf(tw, "k-means s\t%.2f\t%.2f\n", r.KMeansSeconds, base.seconds)
	} else {
		fmt.Fprintf(tw, "inertia\t%.6g\n", r.Inertia)
	}
	tw.Flush()
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
