package gorgonia

import (
	"fmt"

	"github.com/aekit/aekit/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Model is an aekit graph compiled into a gorgonia expression graph for one
// batch size, with a loss node and the gradient nodes of every trainable
// parameter.
type Model struct {
	// G is the gorgonia graph.
	G *G.ExprGraph
	// Input, Target, Output and Cost are the graph's input, the loss target,
	// the model's output and the scalar loss.
	Input, Target, Output, Cost *G.Node
	// Params are the trainable weights, in Names order.
	Params []*G.Node
	// Names are the aekit parameter names of Params.
	Names []string

	src     *graph.Graph
	xT, yT  *tensor.Dense
	vm      G.VM
	batch   int
	perElem float64
}

// Compile builds the gorgonia graph of g for the given batch size and loss
// ("binary_crossentropy" or "mse"), and the symbolic gradient of the loss
// with respect to every trainable parameter.
func Compile(g *graph.Graph, batch int, loss string) (*Model, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	var inputs []graph.ValueInfo
	for _, in := range g.Inputs {
		if _, isParam := g.Params[in.Name]; !isParam {
			inputs = append(inputs, in)
		}
	}
	if len(inputs) != 1 || len(g.Outputs) != 1 {
		return nil, fmt.Errorf("gorgonia engine: graph %q has %d inputs and %d outputs; the engine trains one-input, one-output models", g.Name, len(inputs), len(g.Outputs))
	}
	m := &Model{G: G.NewGraph(), src: g, batch: batch}
	b := &builder{m: m, vals: map[string]*G.Node{}, g: g}
	shape := inputs[0].Shape.Clone()
	if len(shape) == 0 {
		return nil, fmt.Errorf("gorgonia engine: input %q has no shape", inputs[0].Name)
	}
	shape[0] = batch
	if shape.Size() < 0 {
		return nil, fmt.Errorf("gorgonia engine: input %q has dynamic shape %v", inputs[0].Name, inputs[0].Shape)
	}
	m.xT = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	m.Input = G.NewTensor(m.G, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(inputs[0].Name), G.WithValue(m.xT))
	b.vals[inputs[0].Name] = m.Input
	for _, name := range g.TrainableNames() {
		t := g.Params[name]
		p := G.NewTensor(m.G, tensor.Float32, len(t.Shape), G.WithShape(t.Shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(t.Data))))
		b.vals[name] = p
		m.Params = append(m.Params, p)
		m.Names = append(m.Names, name)
	}
	for _, n := range g.Nodes {
		if err := b.node(n); err != nil {
			return nil, err
		}
	}
	out, ok := b.vals[g.Outputs[0].Name]
	if !ok {
		return nil, fmt.Errorf("gorgonia engine: output %q not built", g.Outputs[0].Name)
	}
	m.Output = out
	m.yT = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(out.Shape()...))
	m.Target = G.NewTensor(m.G, tensor.Float32, out.Dims(), G.WithShape(out.Shape()...), G.WithName("target"), G.WithValue(m.yT))
	cost, err := lossNode(loss, out, m.Target)
	if err != nil {
		return nil, err
	}
	m.Cost = cost
	if _, err := G.Grad(cost, m.Params...); err != nil {
		return nil, fmt.Errorf("gorgonia engine: gradient of graph %q: %w", g.Name, err)
	}
	m.vm = G.NewTapeMachine(m.G, G.BindDualValues(m.Params...))
	return m, nil
}

// lossNode builds the mean loss. Binary cross-entropy omits Keras's clip to
// [1e-7, 1-1e-7]: gorgonia has no differentiable clip, and a sigmoid output
// in float32 stays inside that range unless it saturates.
func lossNode(name string, p, y *G.Node) (*G.Node, error) {
	switch name {
	case "binary_crossentropy", "bce":
		one := G.NewConstant(float32(1))
		logP, err := G.Log(p)
		if err != nil {
			return nil, err
		}
		q, err := G.Sub(one, p)
		if err != nil {
			return nil, err
		}
		logQ, err := G.Log(q)
		if err != nil {
			return nil, err
		}
		ny, err := G.Sub(one, y)
		if err != nil {
			return nil, err
		}
		a, err := G.HadamardProd(y, logP)
		if err != nil {
			return nil, err
		}
		c, err := G.HadamardProd(ny, logQ)
		if err != nil {
			return nil, err
		}
		s, err := G.Add(a, c)
		if err != nil {
			return nil, err
		}
		mean, err := G.Mean(s)
		if err != nil {
			return nil, err
		}
		return G.Neg(mean)
	case "mse", "mean_squared_error":
		d, err := G.Sub(p, y)
		if err != nil {
			return nil, err
		}
		sq, err := G.Square(d)
		if err != nil {
			return nil, err
		}
		return G.Mean(sq)
	}
	return nil, fmt.Errorf("gorgonia engine: loss %q not supported (binary_crossentropy, mse)", name)
}

// Step runs one forward and backward pass on a batch and returns the loss.
// Afterwards Grad returns each parameter's gradient.
func (m *Model) Step(x, y *graph.Tensor) (float64, error) {
	if len(x.Data) != m.xT.Len() || len(y.Data) != m.yT.Len() {
		return 0, fmt.Errorf("gorgonia engine: batch of %d inputs / %d targets, compiled for %d / %d", len(x.Data), len(y.Data), m.xT.Len(), m.yT.Len())
	}
	copy(m.xT.Data().([]float32), x.Data)
	copy(m.yT.Data().([]float32), y.Data)
	// The tape machine adds into the weights' dual values; gorgonia's own
	// solvers zero them after each update, and so must we.
	for _, p := range m.Params {
		if gv, err := p.Grad(); err == nil && gv != nil {
			if d, ok := gv.Data().([]float32); ok {
				clear(d)
			}
		}
	}
	m.vm.Reset()
	if err := m.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("gorgonia engine: %w", err)
	}
	v, ok := m.Cost.Value().Data().(float32)
	if !ok {
		return 0, fmt.Errorf("gorgonia engine: loss is %T", m.Cost.Value().Data())
	}
	return float64(v), nil
}

// Grad returns the gradient of parameter i (in Names order) after Step. The
// slice belongs to gorgonia and changes with the next Step.
func (m *Model) Grad(i int) ([]float32, error) {
	gv, err := m.Params[i].Grad()
	if err != nil {
		return nil, fmt.Errorf("gorgonia engine: gradient of %q: %w", m.Names[i], err)
	}
	d, ok := gv.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("gorgonia engine: gradient of %q is %T", m.Names[i], gv.Data())
	}
	return d, nil
}

// Output returns the model output of the last Step.
func (m *Model) OutputData() []float32 {
	return m.Output.Value().Data().([]float32)
}

// Close releases the tape machine.
func (m *Model) Close() error { return m.vm.Close() }
