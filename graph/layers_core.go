package graph

import "fmt"

// Input is Keras's Input: the model's input, Shape without the batch in
// Keras order — (height, width, channels) for images, (features) for
// vectors. An image input becomes the NCHW graph input "input" of shape
// [-1, channels, height, width]; other shapes are taken as they are. Its
// Keras class is InputLayer and its default names input_1, input_2, ….
type Input struct {
	Shape []int
	Name  string
}

// KerasClass returns "InputLayer".
func (Input) KerasClass() string { return "InputLayer" }

// KerasName returns the user-given name.
func (l Input) KerasName() string { return l.Name }

func (l Input) build(b *Builder, name string) error {
	if len(l.Shape) == 0 || len(l.Shape) > 3 {
		return fmt.Errorf("%s: shape %v: give (features), (steps, features) or (height, width, channels)", name, l.Shape)
	}
	for _, d := range l.Shape {
		if d <= 0 {
			return fmt.Errorf("%s: shape %v has a dimension that is not positive", name, l.Shape)
		}
	}
	s := append(Shape{-1}, l.Shape...)
	if len(s) == 4 {
		s = Shape{-1, l.Shape[2], l.Shape[0], l.Shape[1]}
	}
	b.g.Inputs = append(b.g.Inputs, ValueInfo{Name: "input", Shape: s.Clone()})
	b.cur = "input"
	return b.finish(name, "InputLayer", s)
}

// Dense is Keras's fully connected layer on a 2-D input (None, features):
// Gemm with the kernel "<name>.kernel" in Keras's [in, units] layout and the
// bias "<name>.bias", then the activation's node when Activation is set.
type Dense struct {
	Units      int
	Activation string
	// NoBias is Keras's use_bias=False.
	NoBias            bool
	KernelInitializer string
	Name              string
}

// KerasClass returns "Dense".
func (Dense) KerasClass() string { return "Dense" }

// KerasName returns the user-given name.
func (l Dense) KerasName() string { return l.Name }

func (l Dense) build(b *Builder, name string) error {
	if len(b.shape) != 2 {
		return fmt.Errorf("%s: expects a 2-D input (None, features), got %s: put a Flatten before it", name, kerasString(b.shape))
	}
	if l.Units <= 0 {
		return fmt.Errorf("%s: units must be positive, got %d", name, l.Units)
	}
	if err := checkActivation(name, l.Activation); err != nil {
		return err
	}
	in := b.shape[1]
	if err := checkElements(name, "kernel", in, l.Units); err != nil {
		return err
	}
	kernel := New(in, l.Units)
	if err := b.draw(name, l.KernelInitializer, kernel.Data, in, l.Units); err != nil {
		return err
	}
	params := []string{b.param(name, "kernel", kernel, true)}
	inputs := []string{b.cur, params[0]}
	if !l.NoBias {
		params = append(params, b.param(name, "bias", New(l.Units), true))
		inputs = append(inputs, params[1])
	}
	act := l.Activation != "" && l.Activation != "linear"
	b.node(name, "Gemm", inputs, !act)
	b.shape = Shape{-1, l.Units}
	if act {
		if err := b.activation(name, l.Activation, true); err != nil {
			return err
		}
	}
	return b.finish(name, "Dense", Shape{-1, l.Units}, params...)
}

// Flatten is Keras's Flatten: a 4-D input is first put in Keras's order
// (Transpose perm [0, 2, 3, 1], NCHW → NHWC), then reshaped to
// (None, height·width·channels) by a Reshape to the constant
// "<name>.shape" = [-1, n].
type Flatten struct {
	Name string
}

// KerasClass returns "Flatten".
func (Flatten) KerasClass() string { return "Flatten" }

// KerasName returns the user-given name.
func (l Flatten) KerasName() string { return l.Name }

func (l Flatten) build(b *Builder, name string) error {
	n := 1
	for _, d := range b.shape[1:] {
		n *= d
	}
	if len(b.shape) == 4 {
		b.node(name, "Transpose", nil, false, IntsAttr("perm", 0, 2, 3, 1))
	}
	shape := b.param(name, "shape", FromInts([]int64{-1, int64(n)}, 2), false)
	b.node(name, "Reshape", []string{b.cur, shape}, true)
	return b.finish(name, "Flatten", Shape{-1, n})
}

// Reshape is Keras's Reshape to TargetShape (without the batch, in Keras
// order; one entry may be -1). Keras's element order is kept: a 4-D input
// is first transposed to NHWC, and a 3-entry target (height, width,
// channels) is reshaped to [-1, h, w, c], then transposed to NCHW.
type Reshape struct {
	TargetShape []int
	Name        string
}

// KerasClass returns "Reshape".
func (Reshape) KerasClass() string { return "Reshape" }

// KerasName returns the user-given name.
func (l Reshape) KerasName() string { return l.Name }

func (l Reshape) build(b *Builder, name string) error {
	n := 1
	for _, d := range b.shape[1:] {
		n *= d
	}
	if len(l.TargetShape) == 0 || len(l.TargetShape) > 3 {
		return fmt.Errorf("%s: target_shape %v: give 1 to 3 dimensions", name, l.TargetShape)
	}
	target := append([]int(nil), l.TargetShape...)
	unknown, known := -1, 1
	for i, d := range target {
		switch {
		case d == -1 && unknown < 0:
			unknown = i
		case d <= 0:
			return fmt.Errorf("%s: target_shape %v: dimension %d is %d", name, l.TargetShape, i, d)
		default:
			known *= d
		}
	}
	if unknown >= 0 {
		if n%known != 0 {
			return fmt.Errorf("%s: cannot reshape %s (%d elements) to %v", name, kerasString(b.shape), n, l.TargetShape)
		}
		target[unknown] = n / known
		known = n
	}
	if known != n {
		return fmt.Errorf("%s: cannot reshape %s (%d elements) to %v (%d elements)", name, kerasString(b.shape), n, l.TargetShape, known)
	}
	if len(b.shape) == 4 {
		b.node(name, "Transpose", nil, false, IntsAttr("perm", 0, 2, 3, 1))
	}
	dims := []int64{-1}
	for _, d := range target {
		dims = append(dims, int64(d))
	}
	shape := b.param(name, "shape", FromInts(dims, len(dims)), false)
	out := append(Shape{-1}, target...)
	if len(target) == 3 {
		b.node(name, "Reshape", []string{b.cur, shape}, false)
		b.node(name, "Transpose", nil, true, IntsAttr("perm", 0, 3, 1, 2))
		out = Shape{-1, target[2], target[0], target[1]}
	} else {
		b.node(name, "Reshape", []string{b.cur, shape}, true)
	}
	return b.finish(name, "Reshape", out)
}

// Activation is Keras's Activation layer: one node for the named function
// (see ActivationNames); "linear" is an Identity node.
type Activation struct {
	Activation string
	Name       string
}

// KerasClass returns "Activation".
func (Activation) KerasClass() string { return "Activation" }

// KerasName returns the user-given name.
func (l Activation) KerasName() string { return l.Name }

func (l Activation) build(b *Builder, name string) error {
	if l.Activation == "" {
		return fmt.Errorf("%s: activation is required; known: %v", name, ActivationNames())
	}
	if err := b.activation(name, l.Activation, true); err != nil {
		return err
	}
	return b.finish(name, "Activation", b.shape)
}

// Keras 2's BatchNormalization defaults.
const (
	// BatchNormMomentum is the moving statistics' momentum.
	BatchNormMomentum = 0.99
	// BatchNormEpsilon is added to the variance.
	BatchNormEpsilon = 1e-3
)

// BatchNormalization is Keras's batch normalisation over the channel axis
// (Keras axis -1, which is axis 1 inside the NCHW graph): ONNX
// BatchNormalization with "<name>.gamma" (ones) and "<name>.beta" (zeros)
// trainable, and "<name>.moving_mean" (zeros) and "<name>.moving_variance"
// (ones) non-trainable. Momentum (default 0.99) and Epsilon (default 1e-3)
// have Keras's meaning, which is also ONNX's: moving = moving·momentum +
// batch·(1−momentum). NoCenter and NoScale are center=False and
// scale=False: beta is then a constant 0, gamma a constant 1.
type BatchNormalization struct {
	// Axis is the Keras axis: -1 (the default, written 0 here) or its
	// positive spelling (3 for images, 1 for vectors).
	Axis     int
	Momentum float64
	Epsilon  float64
	NoCenter bool
	NoScale  bool
	Name     string
}

// KerasClass returns "BatchNormalization".
func (BatchNormalization) KerasClass() string { return "BatchNormalization" }

// KerasName returns the user-given name.
func (l BatchNormalization) KerasName() string { return l.Name }

func (l BatchNormalization) build(b *Builder, name string) error {
	rank := len(b.shape)
	if rank != 2 && rank != 4 {
		return fmt.Errorf("%s: expects a 2-D or 4-D input, got %s", name, kerasString(b.shape))
	}
	if l.Axis != 0 && l.Axis != -1 && l.Axis != rank-1 {
		return fmt.Errorf("%s: axis %d not supported; only the channel axis (-1) for input %s", name, l.Axis, kerasString(b.shape))
	}
	mom, eps := l.Momentum, l.Epsilon
	if mom == 0 {
		mom = BatchNormMomentum
	}
	if eps == 0 {
		eps = BatchNormEpsilon
	}
	if mom < 0 || mom >= 1 || eps < 0 {
		return fmt.Errorf("%s: momentum %g must be in [0, 1) and epsilon %g positive", name, mom, eps)
	}
	c := b.shape[1]
	ones := func() *Tensor {
		t := New(c)
		for i := range t.Data {
			t.Data[i] = 1
		}
		return t
	}
	var params []string
	gamma := b.param(name, "gamma", ones(), !l.NoScale)
	if !l.NoScale {
		params = append(params, gamma)
	}
	beta := b.param(name, "beta", New(c), !l.NoCenter)
	if !l.NoCenter {
		params = append(params, beta)
	}
	mean := b.param(name, "moving_mean", New(c), false)
	variance := b.param(name, "moving_variance", ones(), false)
	params = append(params, mean, variance)
	b.node(name, "BatchNormalization", []string{b.cur, gamma, beta, mean, variance}, true,
		FloatAttr("epsilon", float32(eps)), FloatAttr("momentum", float32(mom)))
	return b.finish(name, "BatchNormalization", b.shape, params...)
}

// Dropout is Keras's Dropout: ONNX Dropout (opset 13) with the ratio as the
// constant input "<name>.ratio". It drops only in training; inference
// passes the input through.
type Dropout struct {
	Rate float64
	Name string
}

// KerasClass returns "Dropout".
func (Dropout) KerasClass() string { return "Dropout" }

// KerasName returns the user-given name.
func (l Dropout) KerasName() string { return l.Name }

func (l Dropout) build(b *Builder, name string) error {
	if l.Rate < 0 || l.Rate >= 1 {
		return fmt.Errorf("%s: rate %g must be in [0, 1)", name, l.Rate)
	}
	ratio := b.param(name, "ratio", &Tensor{Data: []float32{float32(l.Rate)}}, false)
	b.node(name, "Dropout", []string{b.cur, ratio}, true)
	return b.finish(name, "Dropout", b.shape)
}
