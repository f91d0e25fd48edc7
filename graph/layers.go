package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Keras-style model building.
//
// A Layer is a Keras layer's configuration (its Keras 2 arguments, with the
// documented defaults taken where a field is left at its zero value); a
// Builder turns layers into nodes and parameters of a Graph. The user-facing
// layout is Keras's channels-last: Input{Shape: []int{28, 28, 1}} means
// height, width, channels. Inside, the graph is NCHW: that input becomes the
// graph input "input" of shape [-1, 1, 28, 28]. Flatten and Reshape insert the
// transposes that keep Keras's element order, so that the weights of a Dense
// after a Flatten mean what they mean in Keras.
//
// Naming follows Keras 2: a layer without a Name gets its class's snake-case
// prefix and a counter per Builder (conv2d_1, conv2d_2, activation_1,
// max_pooling2d_1, …). A layer's nodes are called "<layer>/<Op>", its
// output value "<layer>", other values it makes "<layer>/<op>", and its
// weights "<layer>.kernel", "<layer>.bias", "<layer>.gamma", "<layer>.beta",
// "<layer>.moving_mean" and "<layer>.moving_variance". The graph's input is
// "input" and the last layer's output is renamed "output".

// Layer is one Keras layer configuration. The layer types of this package
// implement it: Input, Conv2D, Conv2DTranspose, MaxPooling2D,
// AveragePooling2D, UpSampling2D, Dense, Flatten, Reshape, Activation,
// BatchNormalization and Dropout.
type Layer interface {
	// KerasClass returns the Keras class name (Conv2D, MaxPooling2D, …).
	KerasClass() string
	// KerasName returns the name the user gave, or "" for the default.
	KerasName() string
	// build appends the layer to b, reading b's current value and shape.
	build(b *Builder, name string) error
}

// Builder appends Keras layers to a graph. Its zero value is not usable:
// call NewBuilder.
type Builder struct {
	g     *Graph
	rng   *rand.Rand
	uid   map[string]int
	names map[string]bool
	cur   string // the current value: the last layer's output
	shape Shape  // its internal shape (NCHW for 4-D), batch -1
	done  bool
	total int // elements of weights and activations so far
}

// NewBuilder returns a builder for a graph called name whose weights are
// drawn from a PCG generator seeded with seed: building the same layers with
// the same seed gives the same graph, bit for bit.
func NewBuilder(name string, seed uint64) *Builder {
	return &Builder{
		g:     NewGraph(name),
		rng:   rand.New(rand.NewPCG(seed, 0x5eed_ae_c0de)),
		uid:   map[string]int{},
		names: map[string]bool{},
	}
}

// Sequential builds a graph from layers, the first of which must be an Input.
func Sequential(name string, seed uint64, layers ...Layer) (*Graph, error) {
	b := NewBuilder(name, seed)
	for _, l := range layers {
		if err := b.Add(l); err != nil {
			return nil, err
		}
	}
	return b.Graph()
}

// Add appends one layer.
func (b *Builder) Add(l Layer) error {
	if b.done {
		return fmt.Errorf("graph %q: layer %s added after Graph was called", b.g.Name, l.KerasClass())
	}
	_, isInput := l.(Input)
	if _, p := l.(*Input); p {
		isInput = true
	}
	if b.cur == "" && !isInput {
		return fmt.Errorf("graph %q: the first layer must be Input, got %s", b.g.Name, l.KerasClass())
	}
	if b.cur != "" && isInput {
		return fmt.Errorf("graph %q: Input given twice (a Sequential model has one input)", b.g.Name)
	}
	name := l.KerasName()
	if name == "" {
		prefix := snakeCase(l.KerasClass())
		if isInput {
			prefix = "input"
		}
		b.uid[prefix]++
		name = fmt.Sprintf("%s_%d", prefix, b.uid[prefix])
	}
	if name == "input" || name == "output" || strings.ContainsAny(name, "/.") {
		return fmt.Errorf("graph %q: layer name %q is reserved or contains '/' or '.'", b.g.Name, name)
	}
	if b.names[name] {
		return fmt.Errorf("graph %q: two layers are named %q", b.g.Name, name)
	}
	b.names[name] = true
	return l.build(b, name)
}

// Shape returns the current output shape in Keras order (channels last for
// 4-D values), the batch as -1.
func (b *Builder) Shape() Shape { return kerasShape(b.shape) }

// Graph finishes the graph: the last layer's output becomes the graph output
// "output", and the graph is validated. The builder takes no more layers.
func (b *Builder) Graph() (*Graph, error) {
	if b.done {
		return b.g, nil
	}
	if b.cur == "" {
		return nil, fmt.Errorf("graph %q: no layers", b.g.Name)
	}
	if len(b.g.Nodes) == 0 {
		return nil, fmt.Errorf("graph %q: no layers after Input", b.g.Name)
	}
	last := b.g.Nodes[len(b.g.Nodes)-1]
	for i, out := range last.Outputs {
		if out == b.cur {
			last.Outputs[i] = "output"
		}
	}
	for i := range b.g.Layers {
		if b.g.Layers[i].Output == b.cur {
			b.g.Layers[i].Output = "output"
		}
	}
	b.cur = "output"
	b.g.Outputs = []ValueInfo{{Name: "output", Shape: b.shape.Clone()}}
	b.done = true
	if err := b.g.Validate(); err != nil {
		return nil, err
	}
	return b.g, nil
}

// node appends a node called "<layer>/<op>" reading inputs (the current
// value when inputs is nil) and returns its output value, which becomes the
// current value. final marks the layer's last node, whose output is named
// after the layer.
func (b *Builder) node(layer, op string, inputs []string, final bool, attrs ...Attr) string {
	if inputs == nil {
		inputs = []string{b.cur}
	}
	out := layer + "/" + strings.ToLower(op)
	if final {
		out = layer
	}
	name := layer + "/" + op
	for i := 2; b.names[name]; i++ {
		name = fmt.Sprintf("%s/%s_%d", layer, op, i)
		out = fmt.Sprintf("%s/%s_%d", layer, strings.ToLower(op), i)
		if final {
			out = layer
		}
	}
	b.names[name] = true
	b.g.Nodes = append(b.g.Nodes, &Node{Name: name, Op: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	b.cur = out
	return out
}

// param adds an initializer called "<layer>.<what>".
func (b *Builder) param(layer, what string, t *Tensor, trainable bool) string {
	name := layer + "." + what
	b.g.AddParam(name, t, trainable)
	return name
}

// finish records the layer for Summary and Split; its output is the current
// value.
func (b *Builder) finish(layer, class string, shape Shape, params ...string) error {
	if err := checkElements(layer, "output", shape[1:]...); err != nil {
		return err
	}
	// The model as a whole is bounded too: its weights and one sample's
	// activations, which Summary and Compile allocate.
	b.total += shape[1:].Size()
	for _, p := range params {
		b.total += b.g.Params[p].Len()
	}
	if b.total > MaxModelElements {
		return fmt.Errorf("%s: the model's weights and activations exceed %d elements", layer, MaxModelElements)
	}
	b.shape = shape
	b.g.Layers = append(b.g.Layers, LayerInfo{Name: layer, Type: class, Output: b.cur, Params: params})
	return nil
}

// MaxLayerElements bounds the elements of one weight tensor and of one
// sample's activation of a layer (2^26 float32s, 256 MiB), so that a config
// asking for absurd sizes is refused before anything is allocated.
const MaxLayerElements = 1 << 26

// MaxModelElements bounds the sum over layers of weights and per-sample
// activations (2^28 float32s, 1 GiB).
const MaxModelElements = 1 << 28

// checkElements returns an error naming the layer when the product of dims
// exceeds MaxLayerElements (or a dimension is not positive).
func checkElements(layer, what string, dims ...int) error {
	n := 1
	for _, d := range dims {
		if d <= 0 {
			return fmt.Errorf("%s: %s shape %v has a dimension that is not positive", layer, what, dims)
		}
		if n > MaxLayerElements/d {
			return fmt.Errorf("%s: %s shape %v exceeds %d elements", layer, what, dims, MaxLayerElements)
		}
		n *= d
	}
	return nil
}

// snakeCase is Keras's _to_snake_case: Conv2DTranspose → conv2d_transpose,
// MaxPooling2D → max_pooling2d.
func snakeCase(s string) string {
	r := []rune(s)
	var out []rune
	// First pass: "_" before an upper-case letter followed by lower-case
	// letters or digits, when something precedes it.
	for i := 0; i < len(r); i++ {
		if i > 0 && isUpper(r[i]) && i+1 < len(r) && (isLower(r[i+1]) || isDigit(r[i+1])) {
			out = append(out, '_')
		}
		out = append(out, r[i])
	}
	// Second pass: "_" between a lower-case letter and an upper-case one.
	var res []rune
	for i, c := range out {
		if i > 0 && isLower(out[i-1]) && isUpper(c) {
			res = append(res, '_')
		}
		res = append(res, c)
	}
	return strings.ToLower(string(res))
}

func isUpper(c rune) bool { return c >= 'A' && c <= 'Z' }
func isLower(c rune) bool { return c >= 'a' && c <= 'z' }
func isDigit(c rune) bool { return c >= '0' && c <= '9' }

// kerasShape turns an internal shape into Keras order: NCHW → NHWC for 4-D
// shapes; others are unchanged.
func kerasShape(s Shape) Shape {
	if len(s) != 4 {
		return s.Clone()
	}
	return Shape{s[0], s[2], s[3], s[1]}
}

// kerasString formats an internal shape the way Keras prints an output
// shape: (None, 28, 28, 1), the batch as None when dynamic.
func kerasString(s Shape) string {
	k := kerasShape(s)
	parts := make([]string, len(k))
	for i, d := range k {
		if d < 0 {
			parts[i] = "None"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// pair returns v, or (def, def) when v is (0, 0).
func pair(v [2]int, def int) [2]int {
	if v == [2]int{} {
		return [2]int{def, def}
	}
	return v
}

// samePads returns TensorFlow's 'same' output size and padding for one
// spatial axis: the output is ceil(in/stride), and the padding that needs
// (the odd one goes at the end).
func samePads(in, k, stride, dilation int) (out, before, after int) {
	eff := (k-1)*dilation + 1
	out = (in + stride - 1) / stride
	total := max((out-1)*stride+eff-in, 0)
	return out, total / 2, total - total/2
}

// validOut returns the 'valid' output size, or ok false when the window does
// not fit.
func validOut(in, k, stride, dilation int) (out int, ok bool) {
	eff := (k-1)*dilation + 1
	if in < eff {
		return 0, false
	}
	return (in-eff)/stride + 1, true
}

// Initializers, as Keras 2 defines them (VarianceScaling): fanIn and fanOut
// are computed from the Keras kernel shape.
const (
	// GlorotUniform draws from U(-l, l), l = sqrt(6/(fan_in+fan_out)):
	// the Keras default for Conv2D, Conv2DTranspose and Dense kernels.
	GlorotUniform = "glorot_uniform"
	// GlorotNormal draws from a normal truncated at two standard
	// deviations, stddev sqrt(2/(fan_in+fan_out))/0.8796.
	GlorotNormal = "glorot_normal"
	// HeUniform draws from U(-l, l), l = sqrt(6/fan_in).
	HeUniform = "he_uniform"
	// HeNormal is the truncated normal with stddev sqrt(2/fan_in)/0.8796.
	HeNormal = "he_normal"
	// LecunUniform draws from U(-l, l), l = sqrt(3/fan_in).
	LecunUniform = "lecun_uniform"
	// LecunNormal is the truncated normal with stddev sqrt(1/fan_in)/0.8796.
	LecunNormal = "lecun_normal"
	// Zeros fills with 0.
	Zeros = "zeros"
)

// initializers lists the kernel initializers Build accepts.
var initializers = []string{GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Zeros}

// draw fills data (in Keras order) with the initializer kind.
func (b *Builder) draw(layer, kind string, data []float32, fanIn, fanOut int) error {
	if kind == "" {
		kind = GlorotUniform
	}
	var scale, n float64
	switch kind {
	case GlorotUniform, GlorotNormal:
		scale, n = 1, float64(fanIn+fanOut)/2
	case HeUniform, HeNormal:
		scale, n = 2, float64(fanIn)
	case LecunUniform, LecunNormal:
		scale, n = 1, float64(fanIn)
	case Zeros:
		clear(data)
		return nil
	default:
		return fmt.Errorf("%s: kernel_initializer %q unknown; known: %s", layer, kind, strings.Join(initializers, ", "))
	}
	if strings.HasSuffix(kind, "_uniform") {
		l := math.Sqrt(3 * scale / n)
		for i := range data {
			data[i] = float32((2*b.rng.Float64() - 1) * l)
		}
		return nil
	}
	// Truncated normal: redraw beyond two standard deviations; the
	// constant corrects the variance the truncation removes.
	sd := math.Sqrt(scale/n) / 0.87962566103423978
	for i := range data {
		v := b.rng.NormFloat64()
		for v < -2 || v > 2 {
			v = b.rng.NormFloat64()
		}
		data[i] = float32(v * sd)
	}
	return nil
}

// activationOps maps Keras activation names to ONNX operators.
var activationOps = map[string]string{
	"relu":         "Relu",
	"sigmoid":      "Sigmoid",
	"tanh":         "Tanh",
	"softmax":      "Softmax",
	"elu":          "Elu",
	"selu":         "Selu",
	"softplus":     "Softplus",
	"softsign":     "Softsign",
	"hard_sigmoid": "HardSigmoid",
	"leaky_relu":   "LeakyRelu",
	"exponential":  "Exp",
}

// ActivationNames lists the activation names Activation and the activation
// argument of Conv2D, Conv2DTranspose and Dense accept.
func ActivationNames() []string {
	return []string{"linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign", "hard_sigmoid", "leaky_relu", "exponential"}
}

// checkActivation returns an error naming the layer for an unknown name.
func checkActivation(layer, act string) error {
	if act == "" || act == "linear" {
		return nil
	}
	if _, ok := activationOps[act]; !ok {
		return fmt.Errorf("%s: activation %q unknown; known: %s", layer, act, strings.Join(ActivationNames(), ", "))
	}
	return nil
}

// activation appends the node for act (nothing for "" and "linear" unless
// final, where linear becomes Identity so that the layer has an output).
// leaky_relu uses Keras 3's default slope 0.2; hard_sigmoid is Keras 2's
// max(0, min(1, 0.2x+0.5)), ONNX's defaults.
func (b *Builder) activation(layer, act string, final bool) error {
	if err := checkActivation(layer, act); err != nil {
		return err
	}
	if act == "" || act == "linear" {
		if final {
			b.node(layer, "Identity", nil, true)
		}
		return nil
	}
	op := activationOps[act]
	var attrs []Attr
	switch act {
	case "softmax":
		// Keras normalises the last axis: the channels, axis 1 in NCHW.
		axis := int64(-1)
		if len(b.shape) == 4 {
			axis = 1
		}
		attrs = append(attrs, IntAttr("axis", axis))
	case "leaky_relu":
		attrs = append(attrs, FloatAttr("alpha", 0.2))
	}
	b.node(layer, op, nil, final, attrs...)
	return nil
}

// dims formats h×w.
func dims(a, b int) string { return fmt.Sprintf("%d×%d", a, b) }
