package main

import (
	"fmt"
	"path/filepath"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
	"github.com/spf13/cobra"
)

// trainClusterK is the number of clusters aekit train's clustering step
// asks for, as the seed does.
const trainClusterK = 10

// addTrainClusterFlag adds aekit train's --cluster flag.
func addTrainClusterFlag(cmd *cobra.Command) {
	cmd.Flags().Bool("cluster", true, "after training, export DIR/encoder.onnx and cluster the validation images with it (k=10), as the seed does; on by default when the validation data have labels")
}

// clusterAfterTraining is aekit train's last step: it exports the encoder
// of g (cut at the bottleneck) to DIR/encoder.onnx, reads it back and runs
// aekit cluster's path on ds with k = 10, printing the table and metrics
// and writing clusters.png, assignments.csv, centroids.csv and
// metrics.json into DIR. Unless --cluster was given explicitly it only
// runs when ds has labels; --cluster=false skips it.
func clusterAfterTraining(cmd *cobra.Command, g *graph.Graph, ds *data.Dataset, o trainOptions) error {
	on, _ := cmd.Flags().GetBool("cluster")
	if !on || ds == nil || (ds.Labels == nil && !cmd.Flags().Changed("cluster")) {
		return nil
	}
	if ds.Len() < trainClusterK {
		return fmt.Errorf("--cluster: %d images are fewer than the %d clusters", ds.Len(), trainClusterK)
	}
	path := filepath.Join(o.Out, "encoder.onnx")
	if err := export.WriteFile(path, g, export.Options{Part: export.PartEncoder}); err != nil {
		return fmt.Errorf("--cluster: %w", err)
	}
	enc, err := onnx.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--cluster: %w", err)
	}
	w := cmd.OutOrStdout()
	if !o.Quiet {
		fmt.Fprintf(w, "\nwrote %s; clustering %s with it:\n", path, ds.Name)
	}
	_, err = clusterModel(w, cmd.ErrOrStderr(), enc, ds, clusterOptions{
		Model: path, Encoder: true, K: trainClusterK, Data: ds.Name,
		NInit: 10, Seed: o.Seed, Algorithm: "lloyd", Out: o.Out, Scale: 1,
		BatchSize: 256, Quiet: o.Quiet,
	})
	return err
}
