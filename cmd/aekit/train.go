package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
	"github.com/aekit/aekit/train"
	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// trainOptions is the train: section of a config, after flags and
// AEKIT_TRAIN_* variables are applied.
type trainOptions struct {
	Optimizer       string  `mapstructure:"optimizer"`
	Loss            string  `mapstructure:"loss"`
	Epochs          int     `mapstructure:"epochs"`
	BatchSize       int     `mapstructure:"batch_size"`
	LearningRate    float64 `mapstructure:"learning_rate"`
	Seed            uint64  `mapstructure:"seed"`
	Shuffle         bool    `mapstructure:"shuffle"`
	Data            string  `mapstructure:"data"`
	Validation      string  `mapstructure:"validation"`
	ValidationSplit float64 `mapstructure:"validation_split"`
	Patience        int     `mapstructure:"early_stopping_patience"`
	// From flags only.
	Out    string `mapstructure:"out"`
	Resume bool   `mapstructure:"resume"`
	Quiet  bool   `mapstructure:"quiet"`
	Init   string `mapstructure:"init"`
	Engine string `mapstructure:"engine"`
}

func newTrain() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train the model of the config (default: the Keras MNIST seed) and write DIR/model.onnx, history.json, reconstructions.png",
		Args:  cobra.NoArgs,
		RunE:  runTrain,
	}
	f := cmd.Flags()
	f.Int("epochs", 3, "epochs to train (a resumed run counts the epochs already done)")
	f.Int("batch-size", 32, "samples per step")
	f.String("optimizer", "adadelta", "adadelta, adam, sgd or rmsprop (Keras 2 defaults)")
	f.String("loss", "binary_crossentropy", "binary_crossentropy or mse")
	f.Float64("learning-rate", 0, "learning rate (0: the optimizer's Keras 2 default; Adadelta's is 1.0)")
	f.Uint64("seed", 1, "seed for weight initialisation, shuffling and dropout")
	f.String("data", "mnist-train", "training data: mnist-train, fashion-mnist-train or a folder of images")
	f.String("validation", "", "validation data: mnist-test, fashion-mnist-test, a folder, or none (default: the test split of --data, or --validation-split for a folder)")
	f.Float64("validation-split", 0.1, "fraction held out for validation when --data is a folder and --validation is not given")
	f.Int("early-stopping-patience", 0, "stop after this many epochs without val_loss improvement (0: off)")
	f.String("out", "out", "output folder")
	f.Bool("resume", false, "continue from DIR/checkpoint.onnx when it exists")
	f.Bool("quiet", false, "print nothing but errors")
	f.String("init", "", "start from the weights (and graph) of this ONNX model instead of the config's model")
	f.String("engine", "native", "native, or gorgonia (the gorgonia.org/gorgonia engine; slower)")
	addTrainClusterFlag(cmd)
	return cmd
}

// bindTrainFlags maps each flag onto its train.* key, so that a flag given
// on the command line beats AEKIT_TRAIN_* and the config file, which beat
// the flag's default.
func bindTrainFlags(cmd *cobra.Command, v *viper.Viper) error {
	for _, name := range []string{"epochs", "batch-size", "optimizer", "loss", "learning-rate", "seed", "data", "validation", "validation-split", "early-stopping-patience", "out", "resume", "quiet", "init", "engine"} {
		key := "train." + underscore(name)
		if err := v.BindPFlag(key, cmd.Flags().Lookup(name)); err != nil {
			return err
		}
	}
	v.SetDefault("train.shuffle", true)
	return nil
}

func underscore(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

func decodeTrainOptions(v *viper.Viper, where string) (trainOptions, error) {
	// Unmarshal (not UnmarshalKey) sees the bound flags' defaults too.
	var all struct {
		Model any          `mapstructure:"model"`
		Train trainOptions `mapstructure:"train"`
	}
	exact := func(c *mapstructure.DecoderConfig) { c.ErrorUnused = true }
	if err := v.Unmarshal(&all, exact); err != nil {
		return all.Train, fmt.Errorf("config %q: %w", where, err)
	}
	return all.Train, nil
}

func runTrain(cmd *cobra.Command, _ []string) error {
	v, where, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if err := bindTrainFlags(cmd, v); err != nil {
		return err
	}
	o, err := decodeTrainOptions(v, where)
	if err != nil {
		return err
	}
	if o.Engine != "native" && o.Engine != "gorgonia" {
		return fmt.Errorf("--engine %q: use native or gorgonia", o.Engine)
	}
	if err := prepareOut(o.Out); err != nil {
		return err
	}
	var g *graph.Graph
	if o.Init != "" {
		if g, err = onnx.ReadFile(o.Init); err != nil {
			return fmt.Errorf("--init: %w", err)
		}
	} else {
		mc, err := modelConfig(v, where)
		if err != nil {
			return err
		}
		if cmd.Flags().Changed("seed") {
			mc.Seed = o.Seed
		}
		if g, err = mc.Build(); err != nil {
			return fmt.Errorf("config %q: %w", where, err)
		}
	}
	// Models imported from Keras take NHWC (or [N,H,W]) images: the data
	// sets are NCHW and are laid out as the model's input says.
	in, err := inputOf(g)
	if err != nil {
		return err
	}
	c, h, w := in.C, in.H, in.W
	var trainSet *data.Dataset
	var trainX *graph.Tensor
	if (o.Data == "mnist" || o.Data == "mnist-train") && in.Layout == layoutNCHW && c == 1 && h == 28 && w == 28 {
		// Raw pixels, converted batch by batch: a quarter of the memory
		// of the float32 images, and the same training bit for bit.
		if trainX, _, err = data.MNISTPixels("train"); err != nil {
			return err
		}
	} else {
		if trainSet, err = loadDataset("data", o.Data, "train", c, h, w); err != nil {
			return err
		}
		if trainX, err = in.feed(trainSet.X, 1); err != nil {
			return fmt.Errorf("--data %q: %w", o.Data, err)
		}
	}
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Seed, cfg.Shuffle = o.Epochs, o.BatchSize, o.Seed, o.Shuffle
	if cfg.Epochs < 1 {
		return fmt.Errorf("--epochs %d: must be at least 1", o.Epochs)
	}
	if cfg.BatchSize < 1 {
		return fmt.Errorf("--batch-size %d: must be at least 1", o.BatchSize)
	}
	if cfg.Loss, err = train.NewLoss(o.Loss); err != nil {
		return fmt.Errorf("--loss: %w", err)
	}
	if cfg.Optimizer, err = train.NewOptimizer(o.Optimizer); err != nil {
		return fmt.Errorf("--optimizer: %w", err)
	}
	if o.LearningRate < 0 {
		return fmt.Errorf("--learning-rate %g: must not be negative", o.LearningRate)
	}
	if o.LearningRate > 0 {
		if err := setLearningRate(cfg.Optimizer, o.LearningRate); err != nil {
			return err
		}
	}
	var valSet *data.Dataset
	switch {
	case o.Validation == "none":
	case o.Validation != "":
		if valSet, err = loadDataset("validation", o.Validation, "test", c, h, w); err != nil {
			return err
		}
	case o.Data == "mnist" || o.Data == "mnist-train":
		valSet, err = data.MNIST("test")
	case o.Data == "fashion-mnist" || o.Data == "fashion-mnist-train":
		valSet, err = data.FashionMNIST("", "test")
	default:
		if o.ValidationSplit < 0 || o.ValidationSplit >= 1 {
			return fmt.Errorf("--validation-split %g: must be in [0, 1)", o.ValidationSplit)
		}
		cfg.ValidationSplit = o.ValidationSplit
	}
	if err != nil {
		return err
	}
	if valSet != nil {
		if cfg.ValidationX, err = in.feed(valSet.X, 1); err != nil {
			return fmt.Errorf("validation data: %w", err)
		}
	}
	if o.Patience > 0 {
		cfg.Callbacks = append(cfg.Callbacks, &train.EarlyStopping{Monitor: "val_loss", Patience: o.Patience})
	}
	cfg.CheckpointPath = filepath.Join(o.Out, "checkpoint.onnx")
	cfg.Resume = o.Resume
	if !o.Resume {
		// A fresh run must not pick up an old run's checkpoint later.
		if err := os.Remove(cfg.CheckpointPath); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("--out %q: %w", o.Out, err)
		}
	}
	if !o.Quiet {
		cfg.Progress = os.Stderr
	}
	if o.Engine == "gorgonia" {
		if cfg.Engine, err = gorgoniaEngine(g, cfg); err != nil {
			return err
		}
	}
	hist, err := train.Fit(g, trainX, nil, cfg)
	if err != nil {
		return err
	}
	g.Meta["aekit.train.config"] = configDoc(o)
	if err := onnx.WriteFile(filepath.Join(o.Out, "model.onnx"), g); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(o.Out, "history.json"), hist); err != nil {
		return err
	}
	recon := valSet
	if recon == nil {
		recon = trainSet
	}
	if recon == nil {
		if recon, err = data.MNIST("test"); err != nil {
			return err
		}
	}
	wrote := []string{filepath.Join(o.Out, "model.onnx"), filepath.Join(o.Out, "history.json")}
	if in.Layout == layoutNCHW {
		p := filepath.Join(o.Out, "reconstructions.png")
		if err := writeReconstructions(p, g, recon, 10); err != nil {
			return err
		}
		wrote = append(wrote, p)
	}
	if !o.Quiet {
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", strings.Join(wrote, ", "))
	}
	return clusterAfterTraining(cmd, g, recon, o)
}

// prepareOut makes the output folder and checks that it can be written, so
// that a bad --out fails before training rather than after.
func prepareOut(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %q: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".aekit-write-test-*")
	if err != nil {
		return fmt.Errorf("--out %q: cannot write there: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func setLearningRate(o train.Optimizer, lr float64) error {
	switch o := o.(type) {
	case *train.Adadelta:
		o.LearningRate = lr
	case *train.Adam:
		o.LearningRate = lr
	case *train.SGD:
		o.LearningRate = lr
	case *train.RMSprop:
		o.LearningRate = lr
	default:
		return fmt.Errorf("--learning-rate: optimizer %q has no learning rate", o.Name())
	}
	return nil
}

// configDoc is the training configuration stored in the model's metadata.
func configDoc(o trainOptions) string {
	b, _ := json.Marshal(map[string]any{"optimizer": o.Optimizer, "loss": o.Loss, "epochs": o.Epochs, "batch_size": o.BatchSize, "learning_rate": o.LearningRate, "seed": o.Seed, "data": o.Data})
	return string(b)
}

// writeJSON writes v as indented JSON through a temp file and a rename.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeReconstructions draws the first n images of ds above the model's
// reconstructions of them, as the seed's figure does.
func writeReconstructions(path string, g *graph.Graph, ds *data.Dataset, n int) error {
	n = min(n, ds.Len())
	batch := ds.Slice(0, n).X
	out, err := graph.Run(g, batch)
	if err != nil {
		return fmt.Errorf("reconstructions: %w", err)
	}
	if !out[0].Shape.Equal(batch.Shape) {
		return fmt.Errorf("reconstructions: model output %v is not an image of the input's shape %v", out[0].Shape, batch.Shape)
	}
	rec := &data.Dataset{X: out[0]}
	rows := [][]*graph.Tensor{make([]*graph.Tensor, n), make([]*graph.Tensor, n)}
	for i := 0; i < n; i++ {
		rows[0][i] = ds.Image(i)
		rows[1][i] = rec.Image(i)
	}
	img, err := data.ImageGrid(rows, data.GridOptions{Scale: 2})
	if err != nil {
		return err
	}
	return data.WritePNG(path, img)
}

var _ io.Writer = os.Stderr
