package train

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aekit/aekit/graph"
)

// Optimizer updates parameters from their gradients, with Keras 2
// semantics. Step is called with the same parameters, in the same order
// and of the same shapes, at every step; the optimizer's per-parameter
// state (its slots) follows that order.
type Optimizer interface {
	// Name returns the Keras name ("adadelta").
	Name() string
	// Step applies one update: params[i] moves along grads[i]. It panics
	// when the slices differ in length or disagree with the state's
	// shapes, a programmer error.
	Step(params, grads []*graph.Tensor)
	// State returns the optimizer's state for checkpointing. The tensors
	// are the optimizer's own (not copies).
	State() State
	// SetState replaces the state, e.g. from a checkpoint. Slots absent
	// from s start at zero at the next Step.
	SetState(s State) error
}

// State is an optimizer's state: the number of steps taken and, for each
// slot (Adadelta's "accum_grad" and "accum_update", Adam's "m" and "v"…),
// one tensor per parameter in Step's order.
type State struct {
	Iterations int64
	Slots      map[string][]*graph.Tensor
}

// slots is the state shared by the optimizers: named per-parameter
// accumulators created at zero on the first Step.
type slots struct {
	opt   string
	names []string // every slot the optimizer may keep
	iter  int64
	t     map[string][]*graph.Tensor
}

func newSlots(opt string, names ...string) slots {
	return slots{opt: opt, names: names, t: map[string][]*graph.Tensor{}}
}

// prepare checks Step's arguments and makes the active slots exist with
// the parameters' shapes.
func (s *slots) prepare(params, grads []*graph.Tensor, active ...string) {
	if len(params) != len(grads) {
		panic(fmt.Sprintf("train: %s: %d parameters, %d gradients", s.opt, len(params), len(grads)))
	}
	for i, p := range params {
		if len(grads[i].Data) != len(p.Data) {
			panic(fmt.Sprintf("train: %s: parameter %d has %d elements, its gradient %d", s.opt, i, len(p.Data), len(grads[i].Data)))
		}
	}
	for _, name := range active {
		ts := s.t[name]
		if ts == nil {
			ts = make([]*graph.Tensor, len(params))
			s.t[name] = ts
		}
		if len(ts) != len(params) {
			panic(fmt.Sprintf("train: %s: state slot %q holds %d tensors, Step got %d parameters", s.opt, name, len(ts), len(params)))
		}
		for i, p := range params {
			if ts[i] == nil {
				ts[i] = graph.New(p.Shape...)
			} else if len(ts[i].Data) != len(p.Data) {
				panic(fmt.Sprintf("train: %s: state slot %q tensor %d has %d elements, parameter %d", s.opt, name, i, len(ts[i].Data), len(p.Data)))
			}
		}
	}
}

func (s *slots) state() State {
	st := State{Iterations: s.iter, Slots: map[string][]*graph.Tensor{}}
	for _, name := range s.names {
		if ts := s.t[name]; ts != nil {
			st.Slots[name] = ts
		}
	}
	return st
}

func (s *slots) setState(st State) error {
	if st.Iterations < 0 {
		return fmt.Errorf("%s state: iterations %d < 0", s.opt, st.Iterations)
	}
	n := -1
	for name, ts := range st.Slots {
		known := false
		for _, k := range s.names {
			known = known || k == name
		}
		if !known {
			return fmt.Errorf("%s state: unknown slot %q (slots: %s)", s.opt, name, strings.Join(s.names, ", "))
		}
		if n >= 0 && len(ts) != n {
			return fmt.Errorf("%s state: slot %q holds %d tensors, another slot %d", s.opt, name, len(ts), n)
		}
		n = len(ts)
	}
	s.iter = st.Iterations
	s.t = map[string][]*graph.Tensor{}
	for name, ts := range st.Slots {
		s.t[name] = ts
	}
	return nil
}

// decayed returns Keras 2's time-decayed learning rate
// lr/(1 + decay·iterations), iterations counted before this step.
func decayed(lr, decay float64, iter int64) float64 {
	if decay > 0 {
		return lr / (1 + decay*float64(iter))
	}
	return lr
}

var optimizers = map[string]func() Optimizer{
	"adadelta": func() Optimizer { return NewAdadelta() },
	"adam":     func() Optimizer { return NewAdam() },
	"sgd":      func() Optimizer { return NewSGD() },
	"rmsprop":  func() Optimizer { return NewRMSprop() },
}

// RegisterOptimizer adds an optimizer under a name NewOptimizer accepts
// (lowercase). It panics on a duplicate name, a programming error.
func RegisterOptimizer(name string, make func() Optimizer) {
	name = strings.ToLower(name)
	if _, dup := optimizers[name]; dup {
		panic("train: optimizer " + name + " registered twice")
	}
	optimizers[name] = make
}

// NewOptimizer returns the optimizer called name (case-insensitive:
// "adadelta", "adam", "sgd", "rmsprop") with its Keras 2 defaults.
func NewOptimizer(name string) (Optimizer, error) {
	if f, ok := optimizers[strings.ToLower(name)]; ok {
		return f(), nil
	}
	return nil, fmt.Errorf("optimizer %q: unknown; known optimizers: %s", name, strings.Join(OptimizerNames(), ", "))
}

// OptimizerNames returns the names NewOptimizer accepts, sorted.
func OptimizerNames() []string {
	names := make([]string, 0, len(optimizers))
	for n := range optimizers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// updateSplit runs one parameter's update over the cores without
// allocating: Step's path for parameters of parallelMin elements or more.
// The optimizer puts the parameter's slices in t and its hyper-parameters
// in h, and its part method (kept in fn, made once) reads them.
type updateSplit struct {
	workers graph.Workers
	t       [5][]float32
	h       [4]float64
	b       bool
	fn      func(lo, hi int)
}

// run calls fn over [0, n) split over the cores, then drops the slices.
func (u *updateSplit) run(n int) {
	u.workers.Run(n, u.fn)
	u.t = [5][]float32{}
}

// sub returns t[lo:hi], or nil for a nil t.
func sub(t []float32, lo, hi int) []float32 {
	if t == nil {
		return nil
	}
	return t[lo:hi]
}
