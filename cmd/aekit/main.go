// Command aekit builds, trains, exports, imports and clusters convolutional
// autoencoders that live in ONNX. With no flags, `aekit train` runs the
// classic Keras MNIST seed end to end on the embedded data set.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aekit/aekit/examples/mnist"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the process exit code:
// 0 on success, 1 with the error printed on stderr otherwise.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "aekit:", err)
		return 1
	}
	return 0
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "aekit",
		Short:         "Convolutional autoencoders in Go, in and out of ONNX",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "YAML config (model: and train: sections); default: the embedded seed (examples/mnist/seed.yaml)")
	root.AddCommand(newSummary(), newTrain(), newReconstruct())
	for _, add := range extraCommands {
		root.AddCommand(add())
	}
	return root
}

// extraCommands lets each verb's file register itself.
var extraCommands []func() *cobra.Command

// loadConfig reads the config named by --config (or the embedded seed) into
// a fresh viper, with AEKIT_* environment variables overriding file keys
// (AEKIT_TRAIN_EPOCHS=1 sets train.epochs).
func loadConfig(cmd *cobra.Command) (*viper.Viper, string, error) {
	v := viper.New()
	v.SetEnvPrefix("AEKIT")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(mnist.SeedYAML)); err != nil {
			return nil, "", fmt.Errorf("embedded seed config: %w", err)
		}
		return v, "embedded seed.yaml", nil
	}
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		var nf viper.ConfigFileNotFoundError
		if errors.As(err, &nf) || os.IsNotExist(err) {
			return nil, "", fmt.Errorf("--config %q: file not found", path)
		}
		return nil, "", fmt.Errorf("--config %q: %w", path, err)
	}
	for _, k := range v.AllKeys() {
		top := strings.SplitN(k, ".", 2)[0]
		if top != "model" && top != "train" {
			return nil, "", fmt.Errorf("config %q: unknown key %q (top-level sections: model, train)", path, k)
		}
	}
	return v, path, nil
}
