package graph

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// ModelConfig is a model written as data (YAML through viper in the
// command; any decoder that honours the mapstructure tags works):
//
//	name: seed
//	input: [28, 28, 1]      # height, width, channels
//	seed: 1
//	layers:
//	  - {type: Conv2D, filters: 16, kernel_size: 3, padding: same}
//	  - {type: Activation, activation: relu}
//	  - {type: MaxPooling2D, pool_size: 2, padding: same}
//
// Layer types are Keras class names (matched ignoring case and
// underscores, so max_pooling2d works too); argument keys are Keras's
// snake_case argument names. A pair argument (kernel_size, strides,
// pool_size, size, dilation_rate) takes one number or two.
type ModelConfig struct {
	Name string `mapstructure:"name"`
	// Input is the input shape without the batch, Keras order
	// (height, width, channels). It may instead be the first layer,
	// {type: Input, shape: […]}.
	Input []int `mapstructure:"input"`
	// Seed seeds the weight initialisers.
	Seed   uint64        `mapstructure:"seed"`
	Layers []LayerConfig `mapstructure:"layers"`
}

// LayerConfig is one layer of a ModelConfig: its Keras type and arguments.
// Arguments a type does not take are an error in Build.
type LayerConfig struct {
	Type string `mapstructure:"type"`
	Name string `mapstructure:"name"`
	// Input.
	Shape []int `mapstructure:"shape"`
	// Conv2D, Conv2DTranspose, Dense, Activation.
	Filters           int    `mapstructure:"filters"`
	KernelSize        []int  `mapstructure:"kernel_size"`
	Strides           []int  `mapstructure:"strides"`
	Padding           string `mapstructure:"padding"`
	Activation        string `mapstructure:"activation"`
	UseBias           *bool  `mapstructure:"use_bias"`
	DilationRate      []int  `mapstructure:"dilation_rate"`
	KernelInitializer string `mapstructure:"kernel_initializer"`
	Units             int    `mapstructure:"units"`
	// Pooling and upsampling.
	PoolSize      []int  `mapstructure:"pool_size"`
	Size          []int  `mapstructure:"size"`
	Interpolation string `mapstructure:"interpolation"`
	// Reshape.
	TargetShape []int `mapstructure:"target_shape"`
	// BatchNormalization.
	Axis     *int     `mapstructure:"axis"`
	Momentum *float64 `mapstructure:"momentum"`
	Epsilon  *float64 `mapstructure:"epsilon"`
	Center   *bool    `mapstructure:"center"`
	Scale    *bool    `mapstructure:"scale"`
	// Dropout.
	Rate *float64 `mapstructure:"rate"`
}

// layerKeys lists, per Keras class, the argument keys it takes (besides
// type and name).
var layerKeys = map[string][]string{
	"InputLayer":         {"shape"},
	"Conv2D":             {"filters", "kernel_size", "strides", "padding", "activation", "use_bias", "dilation_rate", "kernel_initializer"},
	"Conv2DTranspose":    {"filters", "kernel_size", "strides", "padding", "activation", "use_bias", "kernel_initializer"},
	"MaxPooling2D":       {"pool_size", "strides", "padding"},
	"AveragePooling2D":   {"pool_size", "strides", "padding"},
	"UpSampling2D":       {"size", "interpolation"},
	"Dense":              {"units", "activation", "use_bias", "kernel_initializer"},
	"Flatten":            {},
	"Reshape":            {"target_shape"},
	"Activation":         {"activation"},
	"BatchNormalization": {"axis", "momentum", "epsilon", "center", "scale"},
	"Dropout":            {"rate"},
}

// layerAliases maps a normalised type name (lower case, no underscores) to
// its Keras class; Keras's own aliases are included.
var layerAliases = map[string]string{
	"input": "InputLayer", "inputlayer": "InputLayer",
	"conv2d": "Conv2D", "convolution2d": "Conv2D",
	"conv2dtranspose": "Conv2DTranspose", "deconvolution2d": "Conv2DTranspose", "deconv2d": "Conv2DTranspose",
	"maxpooling2d": "MaxPooling2D", "maxpool2d": "MaxPooling2D",
	"averagepooling2d": "AveragePooling2D", "avgpool2d": "AveragePooling2D",
	"upsampling2d":       "UpSampling2D",
	"dense":              "Dense",
	"flatten":            "Flatten",
	"reshape":            "Reshape",
	"activation":         "Activation",
	"batchnormalization": "BatchNormalization",
	"dropout":            "Dropout",
}

// LayerTypes returns the Keras class names a LayerConfig may have, sorted.
func LayerTypes() []string {
	var names []string
	for k := range layerKeys {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Build checks the configuration and builds the graph.
func (c ModelConfig) Build() (*Graph, error) {
	name := c.Name
	if name == "" {
		name = "model"
	}
	var layers []Layer
	if len(c.Input) > 0 {
		layers = append(layers, Input{Shape: c.Input})
	}
	for i, lc := range c.Layers {
		l, err := lc.Layer()
		if err != nil {
			return nil, fmt.Errorf("model %q: layer %d: %w", name, i, err)
		}
		if _, isInput := l.(Input); isInput && len(c.Input) > 0 {
			return nil, fmt.Errorf("model %q: layer %d: Input given both as input: and as a layer", name, i)
		}
		layers = append(layers, l)
	}
	if len(layers) == 0 || layers[0].KerasClass() != "InputLayer" {
		return nil, fmt.Errorf("model %q: no input shape: give input: [height, width, channels]", name)
	}
	return Sequential(name, c.Seed, layers...)
}

// Layer checks the configuration and returns the layer it describes.
func (lc LayerConfig) Layer() (Layer, error) {
	class, ok := layerAliases[strings.ReplaceAll(strings.ToLower(lc.Type), "_", "")]
	if !ok {
		if lc.Type == "" {
			return nil, fmt.Errorf("no type; known types: %s", strings.Join(LayerTypes(), ", "))
		}
		return nil, fmt.Errorf("unknown type %q; known types: %s", lc.Type, strings.Join(LayerTypes(), ", "))
	}
	what := class
	if lc.Name != "" {
		what = fmt.Sprintf("%s %q", class, lc.Name)
	}
	if err := lc.checkKeys(class); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	p := func(key string, v []int) ([2]int, error) {
		switch len(v) {
		case 0:
			return [2]int{}, nil
		case 1:
			if v[0] <= 0 {
				return [2]int{}, fmt.Errorf("%s: %s %v must be positive", what, key, v)
			}
			return [2]int{v[0], v[0]}, nil
		case 2:
			if v[0] <= 0 || v[1] <= 0 {
				return [2]int{}, fmt.Errorf("%s: %s %v must be positive", what, key, v)
			}
			return [2]int{v[0], v[1]}, nil
		}
		return [2]int{}, fmt.Errorf("%s: %s %v: give one number or two", what, key, v)
	}
	var err error
	pairs := map[string][2]int{}
	for key, v := range map[string][]int{"kernel_size": lc.KernelSize, "strides": lc.Strides, "dilation_rate": lc.DilationRate, "pool_size": lc.PoolSize, "size": lc.Size} {
		if pairs[key], err = p(key, v); err != nil {
			return nil, err
		}
	}
	noBias := lc.UseBias != nil && !*lc.UseBias
	switch class {
	case "InputLayer":
		return Input{Shape: lc.Shape, Name: lc.Name}, nil
	case "Conv2D", "Conv2DTranspose":
		if lc.Filters <= 0 {
			return nil, fmt.Errorf("%s: filters must be a positive number, got %d", what, lc.Filters)
		}
		if len(lc.KernelSize) == 0 {
			return nil, fmt.Errorf("%s: kernel_size is required", what)
		}
		if class == "Conv2DTranspose" {
			return Conv2DTranspose{Filters: lc.Filters, KernelSize: pairs["kernel_size"], Strides: pairs["strides"], Padding: lc.Padding,
				Activation: lc.Activation, NoBias: noBias, KernelInitializer: lc.KernelInitializer, Name: lc.Name}, nil
		}
		return Conv2D{Filters: lc.Filters, KernelSize: pairs["kernel_size"], Strides: pairs["strides"], Padding: lc.Padding,
			Activation: lc.Activation, NoBias: noBias, DilationRate: pairs["dilation_rate"], KernelInitializer: lc.KernelInitializer, Name: lc.Name}, nil
	case "MaxPooling2D":
		return MaxPooling2D{PoolSize: pairs["pool_size"], Strides: pairs["strides"], Padding: lc.Padding, Name: lc.Name}, nil
	case "AveragePooling2D":
		return AveragePooling2D{PoolSize: pairs["pool_size"], Strides: pairs["strides"], Padding: lc.Padding, Name: lc.Name}, nil
	case "UpSampling2D":
		return UpSampling2D{Size: pairs["size"], Interpolation: lc.Interpolation, Name: lc.Name}, nil
	case "Dense":
		if lc.Units <= 0 {
			return nil, fmt.Errorf("%s: units must be a positive number, got %d", what, lc.Units)
		}
		return Dense{Units: lc.Units, Activation: lc.Activation, NoBias: noBias, KernelInitializer: lc.KernelInitializer, Name: lc.Name}, nil
	case "Flatten":
		return Flatten{Name: lc.Name}, nil
	case "Reshape":
		if len(lc.TargetShape) == 0 {
			return nil, fmt.Errorf("%s: target_shape is required", what)
		}
		return Reshape{TargetShape: lc.TargetShape, Name: lc.Name}, nil
	case "Activation":
		if lc.Activation == "" {
			return nil, fmt.Errorf("%s: activation is required; known: %s", what, strings.Join(ActivationNames(), ", "))
		}
		return Activation{Activation: lc.Activation, Name: lc.Name}, nil
	case "BatchNormalization":
		bn := BatchNormalization{Name: lc.Name}
		if lc.Axis != nil {
			if *lc.Axis == 0 {
				return nil, fmt.Errorf("%s: axis 0 is the batch axis", what)
			}
			bn.Axis = *lc.Axis
		}
		if lc.Momentum != nil {
			if *lc.Momentum <= 0 || *lc.Momentum >= 1 {
				return nil, fmt.Errorf("%s: momentum %g must be in (0, 1)", what, *lc.Momentum)
			}
			bn.Momentum = *lc.Momentum
		}
		if lc.Epsilon != nil {
			if *lc.Epsilon <= 0 {
				return nil, fmt.Errorf("%s: epsilon %g must be positive", what, *lc.Epsilon)
			}
			bn.Epsilon = *lc.Epsilon
		}
		bn.NoCenter = lc.Center != nil && !*lc.Center
		bn.NoScale = lc.Scale != nil && !*lc.Scale
		return bn, nil
	case "Dropout":
		if lc.Rate == nil {
			return nil, fmt.Errorf("%s: rate is required", what)
		}
		return Dropout{Rate: *lc.Rate, Name: lc.Name}, nil
	}
	return nil, fmt.Errorf("%s: no builder (internal error)", what)
}

// checkKeys reports an argument set on lc that class does not take.
func (lc LayerConfig) checkKeys(class string) error {
	allowed := map[string]bool{"type": true, "name": true}
	for _, k := range layerKeys[class] {
		allowed[k] = true
	}
	v := reflect.ValueOf(lc)
	t := v.Type()
	var bad []string
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("mapstructure")
		if allowed[key] || v.Field(i).IsZero() {
			continue
		}
		bad = append(bad, key)
	}
	if len(bad) > 0 {
		takes := strings.Join(layerKeys[class], ", ")
		if takes == "" {
			takes = "no arguments besides name"
		}
		return fmt.Errorf("%s does not take %s; it takes %s", class, strings.Join(bad, ", "), takes)
	}
	return nil
}
