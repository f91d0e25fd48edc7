package graph

import "fmt"

// Conv2D is Keras's 2-D convolution: Conv (OIHW kernel "<name>.kernel",
// bias "<name>.bias"), followed by the activation's node when Activation is
// set. Zero fields take Keras's defaults: Strides (1, 1), Padding "valid",
// DilationRate (1, 1), KernelInitializer glorot_uniform; the bias starts at
// zero.
type Conv2D struct {
	Filters    int
	KernelSize [2]int
	// Strides defaults to (1, 1).
	Strides [2]int
	// Padding is "valid" (the default) or "same" (TensorFlow's: output
	// ceil(in/stride), the odd padding element at the end).
	Padding    string
	Activation string
	// NoBias is Keras's use_bias=False.
	NoBias bool
	// DilationRate defaults to (1, 1).
	DilationRate      [2]int
	KernelInitializer string
	Name              string
}

// KerasClass returns "Conv2D".
func (Conv2D) KerasClass() string { return "Conv2D" }

// KerasName returns the user-given name.
func (l Conv2D) KerasName() string { return l.Name }

// need4D returns the input's H, W, C or an error naming the layer.
func (b *Builder) need4D(name string) (h, w, c int, err error) {
	if len(b.shape) != 4 {
		return 0, 0, 0, fmt.Errorf("%s: expects a 4-D input (None, height, width, channels), got %s", name, kerasString(b.shape))
	}
	return b.shape[2], b.shape[3], b.shape[1], nil
}

// checkPadding returns padding ("" → "valid") or an error.
func checkPadding(name, p string) (string, error) {
	switch p {
	case "":
		return "valid", nil
	case "valid", "same":
		return p, nil
	}
	return "", fmt.Errorf("%s: padding %q unknown; use \"valid\" or \"same\"", name, p)
}

// windowOut computes the output size and ONNX pads of a sliding window over
// an h×w input; what names the window in errors ("kernel", "pool").
func windowOut(name, what, padding string, h, w int, k, s, d [2]int) (oh, ow int, pads []int64, err error) {
	if padding == "same" {
		var t, b, l, r int
		oh, t, b = samePads(h, k[0], s[0], d[0])
		ow, l, r = samePads(w, k[1], s[1], d[1])
		return oh, ow, []int64{int64(t), int64(l), int64(b), int64(r)}, nil
	}
	oh, ok1 := validOut(h, k[0], s[0], d[0])
	ow, ok2 := validOut(w, k[1], s[1], d[1])
	if !ok1 || !ok2 {
		eff := dims((k[0]-1)*d[0]+1, (k[1]-1)*d[1]+1)
		return 0, 0, nil, fmt.Errorf("%s: %s %s does not fit input %s with padding 'valid'", name, what, eff, dims(h, w))
	}
	return oh, ow, []int64{0, 0, 0, 0}, nil
}

func checkPositive(name, what string, v [2]int) error {
	if v[0] <= 0 || v[1] <= 0 {
		return fmt.Errorf("%s: %s must be positive, got (%d, %d)", name, what, v[0], v[1])
	}
	return nil
}

func (l Conv2D) build(b *Builder, name string) error {
	h, w, c, err := b.need4D(name)
	if err != nil {
		return err
	}
	if l.Filters <= 0 {
		return fmt.Errorf("%s: filters must be positive, got %d", name, l.Filters)
	}
	k, s, d := l.KernelSize, pair(l.Strides, 1), pair(l.DilationRate, 1)
	for _, v := range []struct {
		what string
		v    [2]int
	}{{"kernel_size", k}, {"strides", s}, {"dilation_rate", d}} {
		if err := checkPositive(name, v.what, v.v); err != nil {
			return err
		}
	}
	padding, err := checkPadding(name, l.Padding)
	if err != nil {
		return err
	}
	if err := checkActivation(name, l.Activation); err != nil {
		return err
	}
	oh, ow, pads, err := windowOut(name, "kernel", padding, h, w, k, s, d)
	if err != nil {
		return err
	}
	if err := checkElements(name, "kernel", l.Filters, c, k[0], k[1]); err != nil {
		return err
	}
	// Keras draws the kernel in HWIO; ONNX wants OIHW.
	hwio := make([]float32, k[0]*k[1]*c*l.Filters)
	if err := b.draw(name, l.KernelInitializer, hwio, k[0]*k[1]*c, k[0]*k[1]*l.Filters); err != nil {
		return err
	}
	kernel := New(l.Filters, c, k[0], k[1])
	for y := 0; y < k[0]; y++ {
		for x := 0; x < k[1]; x++ {
			for i := 0; i < c; i++ {
				for o := 0; o < l.Filters; o++ {
					kernel.Data[((o*c+i)*k[0]+y)*k[1]+x] = hwio[((y*k[1]+x)*c+i)*l.Filters+o]
				}
			}
		}
	}
	params := []string{b.param(name, "kernel", kernel, true)}
	inputs := []string{b.cur, params[0]}
	if !l.NoBias {
		params = append(params, b.param(name, "bias", New(l.Filters), true))
		inputs = append(inputs, params[1])
	}
	act := l.Activation != "" && l.Activation != "linear"
	b.node(name, "Conv", inputs, !act,
		IntsAttr("dilations", int64(d[0]), int64(d[1])),
		IntAttr("group", 1),
		IntsAttr("kernel_shape", int64(k[0]), int64(k[1])),
		IntsAttr("pads", pads...),
		IntsAttr("strides", int64(s[0]), int64(s[1])))
	b.shape = Shape{-1, l.Filters, oh, ow}
	if act {
		if err := b.activation(name, l.Activation, true); err != nil {
			return err
		}
	}
	return b.finish(name, "Conv2D", Shape{-1, l.Filters, oh, ow}, params...)
}

// Conv2DTranspose is Keras's transposed convolution: ONNX ConvTranspose
// with the kernel "<name>.kernel" in [in_channels, filters, kh, kw] (ONNX's
// layout for group 1) and bias "<name>.bias". The output size is Keras's:
// in·stride for "same", in·stride + max(kernel − stride, 0) for "valid";
// TensorFlow's padding (the odd element at the end) becomes ONNX pads, and
// output_padding makes up the rest when the kernel is smaller than the
// stride.
type Conv2DTranspose struct {
	Filters    int
	KernelSize [2]int
	// Strides defaults to (1, 1).
	Strides [2]int
	// Padding is "valid" (the default) or "same".
	Padding    string
	Activation string
	// NoBias is Keras's use_bias=False.
	NoBias            bool
	KernelInitializer string
	Name              string
}

// KerasClass returns "Conv2DTranspose".
func (Conv2DTranspose) KerasClass() string { return "Conv2DTranspose" }

// KerasName returns the user-given name.
func (l Conv2DTranspose) KerasName() string { return l.Name }

// transposeAxis returns Keras's output size and the ONNX pads and
// output_padding for one axis.
func transposeAxis(in, k, s int, padding string) (out, before, after, outPad int) {
	if padding == "same" {
		out = in * s
		total := max(k-s, 0)
		return out, total / 2, total - total/2, max(s-k, 0)
	}
	return in*s + max(k-s, 0), 0, 0, max(s-k, 0)
}

func (l Conv2DTranspose) build(b *Builder, name string) error {
	h, w, c, err := b.need4D(name)
	if err != nil {
		return err
	}
	if l.Filters <= 0 {
		return fmt.Errorf("%s: filters must be positive, got %d", name, l.Filters)
	}
	k, s := l.KernelSize, pair(l.Strides, 1)
	if err := checkPositive(name, "kernel_size", k); err != nil {
		return err
	}
	if err := checkPositive(name, "strides", s); err != nil {
		return err
	}
	padding, err := checkPadding(name, l.Padding)
	if err != nil {
		return err
	}
	if err := checkActivation(name, l.Activation); err != nil {
		return err
	}
	oh, t, bo, oph := transposeAxis(h, k[0], s[0], padding)
	ow, le, r, opw := transposeAxis(w, k[1], s[1], padding)
	if err := checkElements(name, "kernel", c, l.Filters, k[0], k[1]); err != nil {
		return err
	}
	// Keras's kernel is (kh, kw, filters, in); fans come from that shape.
	hwoi := make([]float32, k[0]*k[1]*l.Filters*c)
	if err := b.draw(name, l.KernelInitializer, hwoi, k[0]*k[1]*l.Filters, k[0]*k[1]*c); err != nil {
		return err
	}
	kernel := New(c, l.Filters, k[0], k[1])
	for y := 0; y < k[0]; y++ {
		for x := 0; x < k[1]; x++ {
			for o := 0; o < l.Filters; o++ {
				for i := 0; i < c; i++ {
					kernel.Data[((i*l.Filters+o)*k[0]+y)*k[1]+x] = hwoi[((y*k[1]+x)*l.Filters+o)*c+i]
				}
			}
		}
	}
	params := []string{b.param(name, "kernel", kernel, true)}
	inputs := []string{b.cur, params[0]}
	if !l.NoBias {
		params = append(params, b.param(name, "bias", New(l.Filters), true))
		inputs = append(inputs, params[1])
	}
	attrs := []Attr{
		IntsAttr("dilations", 1, 1),
		IntAttr("group", 1),
		IntsAttr("kernel_shape", int64(k[0]), int64(k[1])),
	}
	if oph != 0 || opw != 0 {
		attrs = append(attrs, IntsAttr("output_padding", int64(oph), int64(opw)))
	}
	attrs = append(attrs,
		IntsAttr("pads", int64(t), int64(le), int64(bo), int64(r)),
		IntsAttr("strides", int64(s[0]), int64(s[1])))
	act := l.Activation != "" && l.Activation != "linear"
	b.node(name, "ConvTranspose", inputs, !act, attrs...)
	b.shape = Shape{-1, l.Filters, oh, ow}
	if act {
		if err := b.activation(name, l.Activation, true); err != nil {
			return err
		}
	}
	return b.finish(name, "Conv2DTranspose", Shape{-1, l.Filters, oh, ow}, params...)
}

// MaxPooling2D is Keras's max pooling: ONNX MaxPool. PoolSize defaults to
// (2, 2), Strides to PoolSize, Padding to "valid". With "same", the window
// hangs over the edge as in TensorFlow (pads, the odd one at the end, never
// win the max).
type MaxPooling2D struct {
	PoolSize [2]int
	Strides  [2]int
	Padding  string
	Name     string
}

// KerasClass returns "MaxPooling2D".
func (MaxPooling2D) KerasClass() string { return "MaxPooling2D" }

// KerasName returns the user-given name.
func (l MaxPooling2D) KerasName() string { return l.Name }

func (l MaxPooling2D) build(b *Builder, name string) error {
	return b.pool(name, "MaxPooling2D", "MaxPool", l.PoolSize, l.Strides, l.Padding)
}

// AveragePooling2D is Keras's average pooling: ONNX AveragePool with
// count_include_pad 0, so that with "same" padding the edge windows average
// only the elements they cover, as TensorFlow does. Defaults as
// MaxPooling2D.
type AveragePooling2D struct {
	PoolSize [2]int
	Strides  [2]int
	Padding  string
	Name     string
}

// KerasClass returns "AveragePooling2D".
func (AveragePooling2D) KerasClass() string { return "AveragePooling2D" }

// KerasName returns the user-given name.
func (l AveragePooling2D) KerasName() string { return l.Name }

func (l AveragePooling2D) build(b *Builder, name string) error {
	return b.pool(name, "AveragePooling2D", "AveragePool", l.PoolSize, l.Strides, l.Padding)
}

func (b *Builder) pool(name, class, op string, size, strides [2]int, padding string) error {
	h, w, c, err := b.need4D(name)
	if err != nil {
		return err
	}
	k := pair(size, 2)
	s := strides
	if s == [2]int{} {
		s = k
	}
	if err := checkPositive(name, "pool_size", k); err != nil {
		return err
	}
	if err := checkPositive(name, "strides", s); err != nil {
		return err
	}
	if padding, err = checkPadding(name, padding); err != nil {
		return err
	}
	oh, ow, pads, err := windowOut(name, "pool", padding, h, w, k, s, [2]int{1, 1})
	if err != nil {
		return err
	}
	attrs := []Attr{IntsAttr("kernel_shape", int64(k[0]), int64(k[1]))}
	if pads[0] != 0 || pads[1] != 0 || pads[2] != 0 || pads[3] != 0 {
		attrs = append(attrs, IntsAttr("pads", pads...))
	}
	attrs = append(attrs, IntsAttr("strides", int64(s[0]), int64(s[1])))
	b.node(name, op, nil, true, attrs...)
	return b.finish(name, class, Shape{-1, c, oh, ow})
}

// UpSampling2D is Keras's upsampling: ONNX Resize (opset 13) with an empty
// roi, the constant scales "<name>.scales" = [1, 1, size_h, size_w], and for
// Interpolation "nearest" (the default) mode nearest, coordinate
// transformation asymmetric, nearest_mode floor: each pixel repeated into a
// size_h×size_w block. "bilinear" gives mode linear, asymmetric (Keras 2's
// resize without half-pixel centres). Size defaults to (2, 2).
type UpSampling2D struct {
	Size          [2]int
	Interpolation string
	Name          string
}

// KerasClass returns "UpSampling2D".
func (UpSampling2D) KerasClass() string { return "UpSampling2D" }

// KerasName returns the user-given name.
func (l UpSampling2D) KerasName() string { return l.Name }

func (l UpSampling2D) build(b *Builder, name string) error {
	h, w, c, err := b.need4D(name)
	if err != nil {
		return err
	}
	s := pair(l.Size, 2)
	if err := checkPositive(name, "size", s); err != nil {
		return err
	}
	scales := b.param(name, "scales", FromData([]float32{1, 1, float32(s[0]), float32(s[1])}, 4), false)
	var attrs []Attr
	switch l.Interpolation {
	case "", "nearest":
		attrs = []Attr{
			StringAttr("coordinate_transformation_mode", "asymmetric"),
			StringAttr("mode", "nearest"),
			StringAttr("nearest_mode", "floor"),
		}
	case "bilinear":
		attrs = []Attr{
			StringAttr("coordinate_transformation_mode", "asymmetric"),
			StringAttr("mode", "linear"),
		}
	default:
		return fmt.Errorf("%s: interpolation %q unknown; use \"nearest\" or \"bilinear\"", name, l.Interpolation)
	}
	b.node(name, "Resize", []string{b.cur, "", scales}, true, attrs...)
	return b.finish(name, "UpSampling2D", Shape{-1, c, h * s[0], w * s[1]})
}
