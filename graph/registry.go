package graph

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// Ctx is what a kernel sees at run time.
type Ctx struct {
	// Training selects training behaviour (batch statistics in
	// BatchNormalization, masks in Dropout).
	Training bool
	// Rand draws Dropout masks; the executor seeds it.
	Rand *rand.Rand
}

// Kernel is an operator bound to concrete input shapes. It owns whatever
// scratch memory it needs for those shapes, allocated once in Build.
//
// Forward reads in and writes every element of out. Backward receives the
// forward's in and out, the gradient of the loss with respect to each output
// (dout), and overwrites din[i] with the gradient with respect to input i
// for every din[i] that is not nil.
type Kernel interface {
	Forward(ctx *Ctx, in, out []*Tensor)
	Backward(ctx *Ctx, in, out, dout, din []*Tensor)
}

// OutDTyper is implemented by kernels whose outputs are not all float32.
type OutDTyper interface {
	OutDTypes() []DType
}

// BuildArgs is what an operator's Build gets: the node, the shapes and types
// of its inputs, the values of the inputs that are constant (nil entries for
// the others), and the opset the node follows.
type BuildArgs struct {
	Node   *Node
	In     []Shape
	InType []DType
	Consts []*Tensor
	Opset  int
}

// Const returns the constant value of input i, or an error naming the node
// when input i is absent or not constant.
func (a BuildArgs) Const(i int) (*Tensor, error) {
	if i >= len(a.Consts) || a.Consts[i] == nil {
		name := ""
		if i < len(a.Node.Inputs) {
			name = a.Node.Inputs[i]
		}
		return nil, a.Errorf("input %d (%q) must be a constant known before run", i, name)
	}
	return a.Consts[i], nil
}

// Errorf returns an error prefixed with the node's op type and name.
func (a BuildArgs) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s %q: %s", a.Node.Op, a.Node.Name, fmt.Sprintf(format, args...))
}

// OpDef registers an operator.
type OpDef struct {
	// Type is the ONNX op type, e.g. "Conv".
	Type string
	// Build checks the node's inputs and attributes, and returns a kernel
	// bound to args.In together with the output shapes.
	Build func(args BuildArgs) (Kernel, []Shape, error)
	// ShapeOnly marks operators whose output depends only on the shapes of
	// their inputs (Shape, Size); the executor folds them to constants.
	ShapeOnly bool
	// NoGrad marks operators without a gradient (integer arithmetic). A
	// graph that needs a gradient through one is refused at compile time.
	NoGrad bool
}

var registry = map[string]*OpDef{}

// Register adds an operator. It panics on a duplicate name: two files
// claiming one op is a programming error.
func Register(d OpDef) {
	if _, dup := registry[d.Type]; dup {
		panic("graph: operator " + d.Type + " registered twice")
	}
	if d.Build == nil {
		panic("graph: operator " + d.Type + " has no Build")
	}
	registry[d.Type] = &d
}

// Lookup returns the registered operator for op type name.
func Lookup(op string) (*OpDef, bool) {
	d, ok := registry[op]
	return d, ok
}

// Ops returns the names of all registered operators, sorted.
func Ops() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NotImplementedError reports an operator, or an attribute value of one,
// that aekit does not support.
type NotImplementedError struct {
	Op, Node  string
	Opset     int
	Attribute string
	Value     string
	Supported string
}

func (e *NotImplementedError) Error() string {
	s := fmt.Sprintf("%s %q (opset %d): ", e.Op, e.Node, e.Opset)
	if e.Attribute == "" {
		s += "operator not supported"
		if e.Supported != "" {
			s += "; supported operators: " + e.Supported
		}
		return s
	}
	s += fmt.Sprintf("%s=%s not supported", e.Attribute, e.Value)
	if e.Supported != "" {
		s += "; supported: " + e.Supported
	}
	return s
}

// Unsupported returns a NotImplementedError for an attribute value of the
// node being built.
func (a BuildArgs) Unsupported(attr, value, supported string) error {
	return &NotImplementedError{Op: a.Node.Op, Node: a.Node.Name, Opset: a.Opset, Attribute: attr, Value: value, Supported: supported}
}
