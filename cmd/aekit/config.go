package main

import (
	"fmt"

	"github.com/aekit/aekit/graph"
	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// loadModelConfig reads the model section of the config file at path
// (YAML, or any format viper knows by the file's extension).
func loadModelConfig(path string) (graph.ModelConfig, error) {
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return graph.ModelConfig{}, fmt.Errorf("config %q: %w", path, err)
	}
	return modelConfig(v, path)
}

// modelConfig decodes the "model" section of v into a graph.ModelConfig.
// A key that ModelConfig or LayerConfig does not have is an error, as in
// viper's UnmarshalExact; a single number where a list is expected
// (kernel_size: 3) is taken as a one-element list. where names the source
// in errors.
func modelConfig(v *viper.Viper, where string) (graph.ModelConfig, error) {
	var mc graph.ModelConfig
	if !v.IsSet("model") {
		return mc, fmt.Errorf("config %q: no model: section", where)
	}
	exact := func(c *mapstructure.DecoderConfig) { c.ErrorUnused = true }
	if err := v.UnmarshalKey("model", &mc, exact); err != nil {
		return mc, fmt.Errorf("config %q: model: %w", where, err)
	}
	return mc, nil
}
