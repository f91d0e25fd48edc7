package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/aekit/aekit/cluster"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newCluster) }

// clusterOptions are the settings of one clustering run, from aekit
// cluster's flags or from aekit train.
type clusterOptions struct {
	Model     string // the model file, for messages and metrics.json
	Layer     string // cut here; "" means the bottleneck
	Encoder   bool   // the model is an encoder already: do not cut
	K         int
	Data      string // the data set's name or folder, for messages
	NInit     int
	Seed      uint64
	Algorithm cluster.Algorithm
	MiniBatch bool
	Baseline  bool
	JSON      bool
	Out       string // folder for assignments.csv, centroids.csv, metrics.json, clusters.png; "" writes nothing
	Scale     float64
	Limit     int // cluster only the first Limit images (0: all)
	BatchSize int
	Quiet     bool // print nothing on stdout (aekit train --quiet)

	Refine      bool // DCEC self-training of the model before the clustering
	RefineIter  int
	RefineGamma float64
	Save        string // write the refined model here
}

func newCluster() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Encode a data set with a model's encoder, run k-means on the codes, and score the clusters against the labels",
		Long: `Cut the model at --layer (default: its bottleneck, the smallest value
between input and output), encode the images with the encoder half, cluster
the codes with k-means (k-means++, --n-init restarts, scikit-learn's
semantics), and print each cluster's size and label mix with accuracy
(Hungarian matching), NMI, ARI, purity and inertia. The model may be aekit's
own, a converted Keras/PyTorch/CNTK ONNX file (fed in the layout its input
declares: NCHW, NHWC, [N,H,W] or flat), or an exported encoder (--encoder, or
a file aekit export wrote with --part encoder).`,
		Example: `  aekit cluster --model out/model.onnx --baseline
  aekit cluster --model out/model.onnx --json
  aekit cluster --model keras_mnist.onnx --layer dense_5/Relu:0 --out clusters/
  aekit cluster --model mnist-7.onnx --layer Pooling160_Output_0 --scale 255`,
		Args: cobra.NoArgs,
		RunE: runClusterCmd,
	}
	f := cmd.Flags()
	f.String("model", "", "ONNX model (aekit's, a converted Keras/PyTorch model, or an encoder)")
	f.String("layer", "", "cut the model at this layer, node or value name (default: the detected bottleneck)")
	f.Bool("encoder", false, "the model is an encoder: its output is the code, do not cut it")
	f.Int("k", 10, "number of clusters")
	f.String("data", "mnist-test", "images: mnist-test, mnist-train, fashion-mnist-test, fashion-mnist-train or a folder")
	f.Int("n-init", cluster.DefaultNInit, "k-means++ restarts; the lowest inertia is kept")
	f.Uint64("seed", 0, "seed of the k-means++ initialisation")
	f.String("algorithm", string(cluster.Lloyd), "lloyd or elkan")
	f.Bool("minibatch", false, "mini-batch k-means (scikit-learn's MiniBatchKMeans) instead of full k-means")
	f.Bool("baseline", false, "also cluster the raw pixels and print both side by side")
	f.Bool("json", false, "print one JSON object (acc, nmi, ari, purity, inertia, k, n, dim, baseline) and nothing else on stdout")
	f.String("out", "", "folder to write assignments.csv, centroids.csv, metrics.json and clusters.png")
	f.Float64("scale", 1, "multiply pixel values (in [0,1]) by this before encoding; 255 for models trained on 0..255")
	f.Int("limit", 0, "cluster only the first N images (0: all)")
	f.Int("batch-size", cluster.DefaultEncodeBatch, "images per encoder batch")
	f.Bool("refine", false, "first train the model on the images with DCEC's clustering loss (k-means centres, then reconstruction + gamma·KL(P‖Q)), and report its soft assignments")
	f.Int("refine-iter", cluster.DefaultRefineMaxIter, "with --refine: at most this many steps (batches of 256)")
	f.Float64("refine-gamma", cluster.DefaultRefineGamma, "with --refine: weight of the clustering loss")
	f.String("save", "", "with --refine: write the refined model to this ONNX file")
	return cmd
}

// clusterFlags reads and checks aekit cluster's flags.
func clusterFlags(cmd *cobra.Command) (clusterOptions, error) {
	f := cmd.Flags()
	var o clusterOptions
	var alg string
	o.Model, _ = f.GetString("model")
	o.Layer, _ = f.GetString("layer")
	o.Encoder, _ = f.GetBool("encoder")
	o.K, _ = f.GetInt("k")
	o.Data, _ = f.GetString("data")
	o.NInit, _ = f.GetInt("n-init")
	o.Seed, _ = f.GetUint64("seed")
	alg, _ = f.GetString("algorithm")
	o.MiniBatch, _ = f.GetBool("minibatch")
	o.Baseline, _ = f.GetBool("baseline")
	o.JSON, _ = f.GetBool("json")
	o.Out, _ = f.GetString("out")
	o.Scale, _ = f.GetFloat64("scale")
	o.Limit, _ = f.GetInt("limit")
	o.BatchSize, _ = f.GetInt("batch-size")
	o.Refine, _ = f.GetBool("refine")
	o.RefineIter, _ = f.GetInt("refine-iter")
	o.RefineGamma, _ = f.GetFloat64("refine-gamma")
	o.Save, _ = f.GetString("save")
	for _, name := range []string{"refine-iter", "refine-gamma", "save"} {
		if f.Changed(name) && !o.Refine {
			return o, fmt.Errorf("--%s: only used with --refine", name)
		}
	}
	switch {
	case o.Model == "":
		return o, fmt.Errorf("--model: required (an ONNX file)")
	case o.Encoder && o.Layer != "":
		return o, fmt.Errorf("--layer %q: not used with --encoder (an encoder is not cut)", o.Layer)
	case o.K < 1:
		return o, fmt.Errorf("--k %d: must be at least 1", o.K)
	case o.NInit < 1:
		return o, fmt.Errorf("--n-init %d: must be at least 1", o.NInit)
	case o.Limit < 0:
		return o, fmt.Errorf("--limit %d: must not be negative", o.Limit)
	case o.BatchSize < 1:
		return o, fmt.Errorf("--batch-size %d: must be at least 1", o.BatchSize)
	case math.IsNaN(o.Scale) || math.IsInf(o.Scale, 0) || o.Scale <= 0:
		return o, fmt.Errorf("--scale %g: must be a positive number", o.Scale)
	case o.Refine && o.Encoder:
		return o, fmt.Errorf("--refine: needs the whole autoencoder, not an encoder (--encoder)")
	case o.Refine && o.MiniBatch:
		return o, fmt.Errorf("--refine: not used with --minibatch")
	case o.RefineIter < 1:
		return o, fmt.Errorf("--refine-iter %d: must be at least 1", o.RefineIter)
	case math.IsNaN(o.RefineGamma) || math.IsInf(o.RefineGamma, 0) || o.RefineGamma <= 0:
		return o, fmt.Errorf("--refine-gamma %g: must be a positive number", o.RefineGamma)
	}
	switch a := cluster.Algorithm(strings.ToLower(alg)); a {
	case cluster.Lloyd, cluster.Elkan:
		o.Algorithm = a
	default:
		return o, fmt.Errorf("--algorithm %q: use lloyd or elkan", alg)
	}
	if o.MiniBatch && f.Changed("algorithm") {
		return o, fmt.Errorf("--algorithm %q: not used with --minibatch", alg)
	}
	if o.MiniBatch && !f.Changed("n-init") {
		o.NInit = cluster.DefaultMiniBatchNInit
	}
	return o, nil
}

func runClusterCmd(cmd *cobra.Command, _ []string) error {
	o, err := clusterFlags(cmd)
	if err != nil {
		return err
	}
	if o.Out != "" {
		if err := prepareOut(o.Out); err != nil {
			return err
		}
	}
	g, err := onnx.ReadFile(o.Model)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	if g.Meta["aekit.export.part"] == "encoder" && o.Layer == "" {
		o.Encoder = true // aekit export --part encoder wrote it
	}
	in, err := inputOf(g)
	if err != nil {
		return fmt.Errorf("--model %q: %w", o.Model, err)
	}
	ds, err := loadDataset("data", o.Data, "test", in.C, in.H, in.W)
	if err != nil {
		return err
	}
	if o.Limit > 0 && o.Limit < ds.Len() {
		ds = ds.Slice(0, o.Limit)
	}
	if o.K > ds.Len() {
		return fmt.Errorf("--k %d: more clusters than the %d images of --data %q", o.K, ds.Len(), o.Data)
	}
	_, err = clusterModel(cmd.OutOrStdout(), cmd.ErrOrStderr(), g, ds, o)
	return err
}

// encoderOf returns the encoder half of g as o asks (g itself with
// --encoder) and the value its codes come from.
func encoderOf(g *graph.Graph, o clusterOptions) (*graph.Graph, string, error) {
	if o.Encoder {
		if len(g.Outputs) == 0 {
			return nil, "", fmt.Errorf("--model %q: the encoder has no output", o.Model)
		}
		if cut := g.Meta["aekit.export.cut"]; cut != "" {
			return g, cut, nil
		}
		return g, g.Outputs[0].Name, nil
	}
	enc, _, err := graph.Split(g, o.Layer)
	if err != nil {
		if o.Layer != "" {
			return nil, "", fmt.Errorf("--layer %q: %w", o.Layer, err)
		}
		return nil, "", fmt.Errorf("--model %q: %w (name a cut with --layer, or pass --encoder if the file is an encoder)", o.Model, err)
	}
	return enc, enc.Outputs[0].Name, nil
}
