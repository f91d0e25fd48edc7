package graph

import (
	"fmt"
	"math/rand/v2"
)

// Options tune Compile.
type Options struct {
	// InputGrads makes Backward also compute the gradient with respect to
	// the graph's inputs (gradient checks, saliency).
	InputGrads bool
	// NoGrad compiles a forward-only plan: no gradient buffers.
	NoGrad bool
	// NoFuse keeps every node its own step. By default a Conv is merged
	// with the Resize before it and the Relu or Sigmoid and MaxPool after
	// it (fuse.go); the values between merged operators then have no
	// buffer and Value returns nil for them.
	NoFuse bool
}

type step struct {
	node    *Node
	kernel  Kernel
	in, out []int // value slots; -1 for an omitted optional input
	grad    bool  // some output needs a gradient (so some input does)
	// din scratch for inputs whose gradient is accumulated from several
	// consumers; nil where the gradient goes straight into the slot.
	ins, outs, douts, dins []*Tensor
	tmp                    []*Tensor // per input, allocated on first need
}

// Plan is a graph compiled for fixed input shapes: every kernel is built,
// constant subgraphs are folded, and every intermediate tensor and gradient
// buffer is allocated once and reused by each Forward and Backward.
// Trainable parameters are shared with the graph, so an optimizer that
// updates g.Params is seen by the next Forward. A Plan is not safe for
// concurrent use.
type Plan struct {
	g       *Graph
	index   map[string]int
	vals    []*Tensor
	grads   []*Tensor
	need    []bool // slot needs a gradient
	isConst []bool
	steps   []step
	inputs  []int
	outputs []int
	ctx     Ctx
	written []bool
	outBuf  []*Tensor // what Forward returns
}

// Compile builds a plan for g with the given input shapes (by input name;
// inputs not named take their declared shape, which must then be static).
func Compile(g *Graph, inputs map[string]Shape, opt Options) (*Plan, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	p := &Plan{g: g, index: map[string]int{}}
	p.ctx.Rand = rand.New(rand.NewPCG(1, 2))
	slot := func(name string) int {
		if i, ok := p.index[name]; ok {
			return i
		}
		p.index[name] = len(p.vals)
		p.vals = append(p.vals, nil)
		p.need = append(p.need, false)
		p.isConst = append(p.isConst, false)
		return len(p.vals) - 1
	}
	for _, in := range g.Inputs {
		if _, isParam := g.Params[in.Name]; isParam {
			continue // an initializer also listed as an input (old ONNX files)
		}
		s, ok := inputs[in.Name]
		if !ok {
			s = in.Shape
		}
		if s.Size() < 0 {
			return nil, fmt.Errorf("graph %q: input %q has dynamic shape %v: give its shape to Compile", g.Name, in.Name, s)
		}
		if len(in.Shape) > 0 && len(s) != len(in.Shape) {
			return nil, fmt.Errorf("graph %q: input %q is declared %v, got %v", g.Name, in.Name, in.Shape, s)
		}
		for i := range s {
			if i < len(in.Shape) && in.Shape[i] >= 0 && in.Shape[i] != s[i] {
				return nil, fmt.Errorf("graph %q: input %q is declared %v, got %v", g.Name, in.Name, in.Shape, s)
			}
		}
		i := slot(in.Name)
		p.vals[i] = New(s...)
		if in.DType == Int64 {
			p.vals[i] = &Tensor{Shape: s.Clone(), DType: Int64, Ints: make([]int64, s.Size())}
		}
		p.inputs = append(p.inputs, i)
		p.need[i] = opt.InputGrads && !opt.NoGrad
	}
	for name, t := range g.Params {
		i := slot(name)
		p.vals[i] = t
		p.need[i] = g.Trainable[name] && !opt.NoGrad
		p.isConst[i] = !g.Trainable[name]
	}
	for _, n := range g.Nodes {
		def, ok := Lookup(n.Op)
		if !ok {
			return nil, &NotImplementedError{Op: n.Op, Node: n.Name, Opset: g.Opset}
		}
		st := step{node: n}
		args := BuildArgs{Node: n, Opset: g.Opset}
		allConst := true
		for _, name := range n.Inputs {
			if name == "" {
				st.in = append(st.in, -1)
				args.In = append(args.In, nil)
				args.InType = append(args.InType, Float32)
				args.Consts = append(args.Consts, nil)
				continue
			}
			i := p.index[name]
			st.in = append(st.in, i)
			v := p.vals[i]
			args.In = append(args.In, v.Shape)
			args.InType = append(args.InType, v.DType)
			if p.isConst[i] {
				args.Consts = append(args.Consts, v)
			} else {
				args.Consts = append(args.Consts, nil)
				allConst = false
			}
			if p.need[i] {
				st.grad = true
			}
		}
		k, shapes, err := def.Build(args)
		if err != nil {
			return nil, err
		}
		if len(shapes) < len(n.Outputs) {
			return nil, fmt.Errorf("%s %q: operator gives %d outputs, node names %d", n.Op, n.Name, len(shapes), len(n.Outputs))
		}
		var types []DType
		if t, ok := k.(OutDTyper); ok {
			types = t.OutDTypes()
		}
		st.kernel = k
		for j, name := range n.Outputs {
			if name == "" {
				st.out = append(st.out, -1)
				continue
			}
			i := slot(name)
			t := &Tensor{Shape: shapes[j].Clone()}
			if size := t.Shape.Size(); size < 0 {
				return nil, fmt.Errorf("%s %q: output %q has unknown shape %v", n.Op, n.Name, name, t.Shape)
			}
			if j < len(types) && types[j] == Int64 {
				t.DType = Int64
				t.Ints = make([]int64, t.Shape.Size())
			} else {
				t.Data = make([]float32, t.Shape.Size())
			}
			p.vals[i] = t
			st.out = append(st.out, i)
			// Gradients stop at int64 values and at operators that
			// read only their inputs' shapes.
			p.need[i] = st.grad && !def.ShapeOnly && t.DType == Float32
		}
		st.grad = false
		for _, i := range st.out {
			if i >= 0 && p.need[i] {
				st.grad = true
			}
		}
		st.ins = make([]*Tensor, len(st.in))
		st.outs = make([]*Tensor, len(st.out))
		for j, i := range st.in {
			if i >= 0 {
				st.ins[j] = p.vals[i]
			}
		}
		for j, i := range st.out {
			if i >= 0 {
				st.outs[j] = p.vals[i]
			}
		}
		if (allConst || def.ShapeOnly) && !st.grad {
			k.Forward(&p.ctx, st.ins, st.outs)
			for _, i := range st.out {
				if i >= 0 {
					p.isConst[i] = true
				}
			}
			continue
		}
		if st.grad && def.NoGrad {
			return nil, fmt.Errorf("%s %q: operator has no gradient, but a trainable parameter flows through it", n.Op, n.Name)
		}
		p.steps = append(p.steps, st)
	}
	for _, out := range g.Outputs {
		p.outputs = append(p.outputs, p.index[out.Name])
	}
	if !opt.NoFuse {
		p.fuse()
	}
	if !opt.NoGrad {
		p.grads = make([]*Tensor, len(p.vals))
		p.written = make([]bool, len(p.vals))
		for i, v := range p.vals {
			if p.need[i] {
				p.grads[i] = &Tensor{Shape: v.Shape, Data: make([]float32, len(v.Data))}
			}
		}
		for _, o := range p.outputs {
			if p.grads[o] == nil {
				v := p.vals[o]
				p.grads[o] = &Tensor{Shape: v.Shape, Data: make([]float32, len(v.Data))}
			}
		}
		for s := range p.steps {
			st := &p.steps[s]
			st.douts = make([]*Tensor, len(st.out))
			for j, i := range st.out {
				if i >= 0 {
					st.douts[j] = p.grads[i]
				}
			}
			st.dins = make([]*Tensor, len(st.in))
			st.tmp = make([]*Tensor, len(st.in))
		}
	}
	return p, nil
}

// Graph returns the graph the plan runs.
func (p *Plan) Graph() *Graph { return p.g }

// SetTraining switches training behaviour (BatchNormalization, Dropout).
func (p *Plan) SetTraining(on bool) { p.ctx.Training = on }

// Seed reseeds the generator that Dropout draws from.
func (p *Plan) Seed(seed uint64) { p.ctx.Rand = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// InputShape returns the shape the plan was compiled for, for input i.
func (p *Plan) InputShape(i int) Shape { return p.vals[p.inputs[i]].Shape }

// Forward runs the graph on inputs (one per graph input, in order, each of
// the compiled shape; their data is copied in, unless an input is the
// plan's own buffer, Value(name)) and returns the outputs. The returned
// slice and tensors belong to the plan and are overwritten by the next call.
func (p *Plan) Forward(inputs ...*Tensor) ([]*Tensor, error) {
	if len(inputs) != len(p.inputs) {
		return nil, fmt.Errorf("graph %q: %d inputs given, the graph takes %d", p.g.Name, len(inputs), len(p.inputs))
	}
	for j, t := range inputs {
		dst := p.vals[p.inputs[j]]
		if !t.Shape.Equal(dst.Shape) {
			return nil, fmt.Errorf("graph %q: input %d has shape %v, plan compiled for %v", p.g.Name, j, t.Shape, dst.Shape)
		}
		if t.DType != dst.DType {
			return nil, fmt.Errorf("graph %q: input %d is %v, want %v", p.g.Name, j, t.DType, dst.DType)
		}
		if t != dst { // a caller may fill the input buffer in place (Value)
			copy(dst.Data, t.Data)
			copy(dst.Ints, t.Ints)
		}
	}
	for s := range p.steps {
		st := &p.steps[s]
		st.kernel.Forward(&p.ctx, st.ins, st.outs)
	}
	// The slice is reused too, so that a training step allocates nothing.
	if p.outBuf == nil {
		p.outBuf = make([]*Tensor, len(p.outputs))
	}
	for j, i := range p.outputs {
		p.outBuf[j] = p.vals[i]
	}
	return p.outBuf, nil
}

// Backward propagates dOut (the loss gradient with respect to each graph
// output, or nil for an output the loss ignores; it may be the plan's own
// buffer, Grad(output), filled in place) through the last Forward.
// Afterwards Grad returns each trainable parameter's gradient.
func (p *Plan) Backward(dOut ...*Tensor) error {
	if p.grads == nil {
		return fmt.Errorf("graph %q: plan was compiled without gradients", p.g.Name)
	}
	for i := range p.written {
		p.written[i] = false
	}
	for j, i := range p.outputs {
		g := p.grads[i]
		if j < len(dOut) && dOut[j] != nil {
			if len(dOut[j].Data) != len(g.Data) {
				return fmt.Errorf("graph %q: output gradient %d has %d elements, want %d", p.g.Name, j, len(dOut[j].Data), len(g.Data))
			}
			if dOut[j] != g { // a caller may fill it in place (Grad)
				copy(g.Data, dOut[j].Data)
			}
		} else {
			clear(g.Data)
		}
		p.written[i] = true
	}
	for s := len(p.steps) - 1; s >= 0; s-- {
		st := &p.steps[s]
		if !st.grad {
			continue
		}
		live := false
		for _, i := range st.out {
			if i >= 0 && p.written[i] {
				live = true
			}
		}
		for _, i := range st.out {
			if i >= 0 && !p.written[i] {
				// An output nobody consumed: its gradient is zero.
				clear(p.grads[i].Data)
				p.written[i] = true
			}
		}
		if !live {
			continue
		}
		for j, i := range st.in {
			st.dins[j] = nil
			if i < 0 || !p.need[i] {
				continue
			}
			if p.written[i] {
				// Another consumer already wrote this gradient: this
				// one goes to scratch and is added afterwards.
				if st.tmp[j] == nil {
					st.tmp[j] = &Tensor{Shape: p.grads[i].Shape, Data: make([]float32, len(p.grads[i].Data))}
				}
				st.dins[j] = st.tmp[j]
			} else {
				st.dins[j] = p.grads[i]
				p.written[i] = true
			}
		}
		st.kernel.Backward(&p.ctx, st.ins, st.outs, st.douts, st.dins)
		for j, i := range st.in {
			if st.dins[j] == nil {
				continue
			}
			if st.dins[j] != p.grads[i] {
				dst := p.grads[i].Data
				for k, v := range st.dins[j].Data {
					dst[k] += v
				}
			}
			p.written[i] = true
		}
	}
	// Parameters no live path reached have zero gradient.
	for i, w := range p.written {
		if !w && p.grads[i] != nil {
			clear(p.grads[i].Data)
		}
	}
	return nil
}

// Grad returns the gradient of a trainable parameter or (with
// Options.InputGrads) an input after Backward, or nil.
func (p *Plan) Grad(name string) *Tensor {
	i, ok := p.index[name]
	if !ok || p.grads == nil {
		return nil
	}
	return p.grads[i]
}

// Value returns the tensor that holds value name after Forward, or nil
// (also for a value between operators that Compile merged).
func (p *Plan) Value(name string) *Tensor {
	i, ok := p.index[name]
	if !ok {
		return nil
	}
	return p.vals[i]
}

// Run compiles g for the shapes of inputs and runs it once forward. It is
// the convenience entry point for a single inference.
func Run(g *Graph, inputs ...*Tensor) ([]*Tensor, error) {
	shapes := map[string]Shape{}
	k := 0
	for _, in := range g.Inputs {
		if _, isParam := g.Params[in.Name]; isParam {
			continue
		}
		if k >= len(inputs) {
			return nil, fmt.Errorf("graph %q: input %q not given", g.Name, in.Name)
		}
		shapes[in.Name] = inputs[k].Shape
		k++
	}
	p, err := Compile(g, shapes, Options{NoGrad: true})
	if err != nil {
		return nil, err
	}
	return p.Forward(inputs...)
}
