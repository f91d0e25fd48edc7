package graph

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/go-viper/mapstructure/v2"
	yaml "go.yaml.in/yaml/v3"
)

// decodeModel decodes YAML the way the command's viper does: into a map,
// then through mapstructure with weakly typed input (a single number where
// a list is expected becomes a one-element list) and unused keys refused.
func decodeModel(t *testing.T, text string) (ModelConfig, error) {
	t.Helper()
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(text), &raw); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Model ModelConfig    `mapstructure:"model"`
		Train map[string]any `mapstructure:"train"`
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{WeaklyTypedInput: true, ErrorUnused: true, Result: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	err = dec.Decode(raw)
	return cfg.Model, err
}

func readExample(t *testing.T, path string) ModelConfig {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := decodeModel(t, string(text))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return mc
}

func TestSeedYAMLIsTheSeed(t *testing.T) {
	mc := readExample(t, "../examples/mnist/seed.yaml")
	g, err := mc.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := buildSeed(t, 1)
	if !reflect.DeepEqual(g.Nodes, want.Nodes) || !reflect.DeepEqual(g.Params, want.Params) || !reflect.DeepEqual(g.Layers, want.Layers) {
		t.Fatal("examples/mnist/seed.yaml does not build the seed model of seedLayers")
	}
	if got := Summary(g); got != unbar(seedSummary) {
		t.Fatalf("summary\n%s", got)
	}
}

func TestDCECYAML(t *testing.T) {
	mc := readExample(t, "../examples/dcec/dcec.yaml")
	g, err := mc.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := buildDCEC(t)
	if !reflect.DeepEqual(g.Nodes, want.Nodes) || !reflect.DeepEqual(g.Params, want.Params) {
		t.Fatal("examples/dcec/dcec.yaml differs from buildDCEC")
	}
}

func TestConfigScalarPairsAndAliases(t *testing.T) {
	mc, err := decodeModel(t, `
model:
  input: [8, 8, 3]
  layers:
    - {type: conv2d, filters: 4, kernel_size: 3, strides: 2, padding: same, use_bias: false}
    - {type: max_pooling2d, pool_size: [2, 1]}
    - {type: BatchNormalization, momentum: 0.9, epsilon: 0.00001, center: false}
    - {type: Flatten}
    - {type: Dropout, rate: 0.25, name: drop}
    - {type: Dense, units: 3, activation: softmax}
`)
	if err != nil {
		t.Fatal(err)
	}
	g, err := mc.Build()
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Params["conv2d_1.kernel"].Shape; !s.Equal(Shape{4, 3, 3, 3}) {
		t.Fatalf("kernel %v", s)
	}
	if _, ok := g.Params["conv2d_1.bias"]; ok {
		t.Fatal("use_bias: false still made a bias")
	}
	// 8 → 4 (stride 2, same) → pool 2×1 → 2×4.
	if s := g.Params["flatten_1.shape"].Ints; !reflect.DeepEqual(s, []int64{-1, 32}) {
		t.Fatalf("flatten shape %v", s)
	}
	bn := g.Nodes[2]
	if bn.Op != "BatchNormalization" || bn.Attrs.Float("momentum", 0) != 0.9 || bn.Attrs.Float("epsilon", 0) != 1e-5 || g.Trainable["batch_normalization_1.beta"] {
		t.Fatalf("bn %+v", bn)
	}
	if g.Layers[5].Name != "drop" || g.Params["drop.ratio"].Data[0] != 0.25 {
		t.Fatalf("dropout %+v", g.Layers[5])
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"model: {input: [28, 28, 1], layers: [{type: Flatten}, {type: Dense, units: 2}, {type: Conv3D, filters: 2}]}",
			`model "model": layer 2: unknown type "Conv3D"; known types: Activation, AveragePooling2D, BatchNormalization, Conv2D, Conv2DTranspose, Dense, Dropout, Flatten, InputLayer, MaxPooling2D, Reshape, UpSampling2D`},
		{"model: {input: [28, 28, 1], layers: [{filters: 2}]}", "layer 0: no type"},
		{"model: {input: [28, 28, 1], layers: [{type: Conv2D, filters: 2, kernel_size: 3, units: 4}]}",
			"layer 0: Conv2D: Conv2D does not take units; it takes filters, kernel_size"},
		{"model: {input: [28, 28, 1], layers: [{type: Flatten, rate: 0.5}]}", "Flatten does not take rate; it takes no arguments besides name"},
		{"model: {input: [28, 28, 1], layers: [{type: Conv2D, filters: 2}]}", "Conv2D: kernel_size is required"},
		{"model: {input: [28, 28, 1], layers: [{type: Conv2D, filters: 2, kernel_size: [3, 3, 3]}]}", "kernel_size [3 3 3]: give one number or two"},
		{"model: {input: [28, 28, 1], layers: [{type: Conv2D, filters: 2, kernel_size: [3, 0]}]}", "kernel_size [3 0] must be positive"},
		{"model: {input: [28, 28, 1], layers: [{type: Dropout}]}", "Dropout: rate is required"},
		{"model: {input: [28, 28, 1], layers: [{type: BatchNormalization, momentum: 1.5}]}", "momentum 1.5 must be in (0, 1)"},
		{"model: {input: [28, 28, 1], layers: [{type: Activation}]}", "Activation: activation is required"},
		{"model: {input: [1, 1, 1], layers: [{type: MaxPooling2D, name: p}]}", "p: pool 2×2 does not fit input 1×1"},
		{"model: {layers: [{type: Flatten}]}", "no input shape"},
		{"model: {input: [4], layers: [{type: Input, shape: [4]}]}", "Input given both as input: and as a layer"},
	} {
		mc, err := decodeModel(t, c.yaml)
		if err != nil {
			t.Fatalf("%s: %v", c.yaml, err)
		}
		_, err = mc.Build()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\n got %v\nwant %q", c.yaml, err, c.want)
		}
	}
	// A key no layer has is refused by the decoder (viper's UnmarshalExact
	// in the command).
	if _, err := decodeModel(t, "model: {input: [4], layers: [{type: Dense, unitz: 3}]}"); err == nil || !strings.Contains(err.Error(), "unitz") {
		t.Fatalf("unknown key: %v", err)
	}
	// Input as the first layer works.
	mc, _ := decodeModel(t, "model: {layers: [{type: Input, shape: [4]}, {type: Dense, units: 2}]}")
	if _, err := mc.Build(); err != nil {
		t.Fatal(err)
	}
}
