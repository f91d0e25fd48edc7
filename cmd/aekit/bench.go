package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"github.com/aekit/aekit/bench"
	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/train"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newBench) }

func newBench() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure training (native and gorgonia engines), encoding, k-means and peak memory on the config's model (default: the seed) and MNIST, in one process",
		Long: `bench trains the config's model (default: the embedded seed) on the embedded
MNIST training images at batch 32 with the native engine and with the gorgonia
engine, from the same initial weights, and extrapolates each to a 60,000-image
epoch; then encodes the 10,000 test images with the trained encoder (and runs
the full model forward over them), clusters the codes with k-means (k=10, 10
restarts), and reads the process's peak RSS. BENCHMARKS.md records its figures.`,
		Args: cobra.NoArgs,
		RunE: runBench,
	}
	f := cmd.Flags()
	f.Bool("json", false, "print one JSON object instead of text")
	f.Int("steps", bench.DefaultSteps, "native training steps timed (after warm-up steps)")
	f.Bool("full", false, "time a full native epoch (1,875 steps for MNIST) instead of --steps")
	f.Int("warmup-steps", bench.DefaultWarmupSteps, "native steps run before timing (negative: none)")
	f.Int("gorgonia-steps", bench.DefaultGorgoniaSteps, "gorgonia engine steps timed (0 or negative: skip the gorgonia engine)")
	f.Int("batch-size", train.DefaultBatchSize, "training batch size")
	f.Int("encode-batch", 0, "batch size of the encoding pass (0: cluster.Encode's default)")
	f.Int("repeats", bench.DefaultEncodeRepeats, "timed encoding passes (the best is reported)")
	f.Uint64("seed", 1, "seed for shuffling and k-means")
	return cmd
}

func runBench(cmd *cobra.Command, _ []string) error {
	v, where, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	mc, err := modelConfig(v, where)
	if err != nil {
		return err
	}
	g, err := mc.Build()
	if err != nil {
		return fmt.Errorf("config %q: %w", where, err)
	}
	f := cmd.Flags()
	asJSON, _ := f.GetBool("json")
	cfg := bench.Config{Model: g}
	cfg.Steps, _ = f.GetInt("steps")
	cfg.Full, _ = f.GetBool("full")
	cfg.WarmupSteps, _ = f.GetInt("warmup-steps")
	cfg.GorgoniaSteps, _ = f.GetInt("gorgonia-steps")
	cfg.BatchSize, _ = f.GetInt("batch-size")
	cfg.EncodeBatch, _ = f.GetInt("encode-batch")
	cfg.Repeats, _ = f.GetInt("repeats")
	cfg.Seed, _ = f.GetUint64("seed")
	for _, c := range []struct {
		flag string
		n    int
	}{{"steps", cfg.Steps}, {"batch-size", cfg.BatchSize}, {"repeats", cfg.Repeats}} {
		if c.n < 1 {
			return fmt.Errorf("--%s %d: must be at least 1", c.flag, c.n)
		}
	}
	if cfg.EncodeBatch < 0 {
		return fmt.Errorf("--encode-batch %d: must not be negative", cfg.EncodeBatch)
	}
	if cfg.GorgoniaSteps == 0 {
		cfg.GorgoniaSteps = -1 // 0 on the command line: skip, as negative
	}
	if v.IsSet("train.loss") {
		if cfg.Loss, err = train.NewLoss(v.GetString("train.loss")); err != nil {
			return fmt.Errorf("config %q: train.loss: %w", where, err)
		}
	}
	trainSet, err := data.MNIST("train")
	if err != nil {
		return err
	}
	testSet, err := data.MNIST("test")
	if err != nil {
		return err
	}
	cfg.Train, cfg.Test = trainSet.X, testSet.X
	out := cmd.OutOrStdout()
	if !asJSON {
		cfg.Log = out
		fmt.Fprintf(out, "model %q (%s), %d training and %d test images, GOMAXPROCS %d\n", g.Name, where, trainSet.Len(), testSet.Len(), runtime.GOMAXPROCS(0))
	}
	r, err := bench.Run(cfg)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(out, r)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
