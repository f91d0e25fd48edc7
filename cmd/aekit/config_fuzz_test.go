package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/spf13/viper"
)

// FuzzConfig feeds arbitrary bytes through the config path the commands
// use — viper's YAML reader, the model: section, and the layer builder —
// which must return errors, never panic or allocate without bound.
func FuzzConfig(f *testing.F) {
	for _, p := range []string{"../../examples/mnist/seed.yaml", "../../examples/dcec/dcec.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("model:\n  input: [28, 28, 1]\n  layers:\n    - {type: Conv2D, filters: 3, kernel_size: 3}\n"))
	f.Add([]byte("model:\n  input: [1, 1, 1]\n  layers:\n    - {type: MaxPooling2D}\n"))
	f.Add([]byte("model:\n  input: [4]\n  layers:\n    - {type: Dense, units: 2, activation: nope}\n"))
	f.Add([]byte("model: [1, 2\n"))
	f.Add([]byte("model:\n  input: [28, 28, 1]\n  layers:\n    - {type: Reshape, target_shape: [-1, 7]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := viper.New()
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(b)); err != nil {
			return
		}
		mc, err := modelConfig(v, "fuzz")
		if err != nil {
			return
		}
		g, err := mc.Build()
		if err != nil {
			return
		}
		if len(g.Layers) == 0 {
			t.Fatalf("Build succeeded with no layers for %q", b)
		}
	})
}
