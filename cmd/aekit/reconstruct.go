package main

import (
	"fmt"

	"github.com/aekit/aekit/onnx"
	"github.com/spf13/cobra"
)

func newReconstruct() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reconstruct",
		Short: "Draw test images above the model's reconstructions of them (PNG)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			model, _ := f.GetString("model")
			n, _ := f.GetInt("n")
			out, _ := f.GetString("out")
			spec, _ := f.GetString("data")
			if model == "" {
				return fmt.Errorf("--model: required")
			}
			if n < 1 {
				return fmt.Errorf("--n %d: must be at least 1", n)
			}
			g, err := onnx.ReadFile(model)
			if err != nil {
				return fmt.Errorf("--model: %w", err)
			}
			in, err := inputOf(g)
			if err != nil {
				return fmt.Errorf("--model %q: %w", model, err)
			}
			if in.Layout != layoutNCHW {
				return fmt.Errorf("--model %q: input %q is %s; reconstruct draws NCHW image models (export the model with --layout nchw)", model, in.Name, in.Layout)
			}
			ds, err := loadDataset("data", spec, "test", in.C, in.H, in.W)
			if err != nil {
				return err
			}
			if err := writeReconstructions(out, g, ds, n); err != nil {
				return fmt.Errorf("--out %q: %w", out, err)
			}
			return nil
		},
	}
	cmd.Flags().String("model", "", "trained model (.onnx)")
	cmd.Flags().Int("n", 10, "number of images")
	cmd.Flags().String("out", "reconstructions.png", "PNG to write")
	cmd.Flags().String("data", "mnist-test", "images: mnist-test, fashion-mnist-test or a folder")
	return cmd
}
