package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/aekit/aekit/graph"
)

// NumericError reports a NaN or infinity that stopped training: where it
// first appeared, in which epoch and batch.
type NumericError struct {
	// Epoch and Batch are 1-based, out of Epochs and Batches; Batch is 0
	// for weights found non-finite before the epoch began. Batches of the
	// validation set are counted apart.
	Epoch, Epochs, Batch, Batches int
	// Quantity is what went non-finite: "loss", "validation loss",
	// "gradient" or "weight"; "input" or "target" (or "validation input",
	// "validation target") when the data themselves hold one.
	Quantity string
	// Loss is the batch's loss (NaN when not computed).
	Loss float64
	// Value is the first non-finite value found (NaN, +Inf or -Inf).
	Value float32
	// Node and Op name the first node (in execution order) whose output
	// holds a non-finite value, for a loss fault; Param names the
	// parameter, for a gradient or weight fault.
	Node, Op, Param string
	// Layer is the Keras layer of that node or parameter, when known.
	Layer string
	// Checkpoint is the checkpoint left on disk (the last good epoch's),
	// or "" when none was written.
	Checkpoint string
}

// Error says where and when the value went non-finite.
func (e *NumericError) Error() string {
	s := fmt.Sprintf("train: epoch %d/%d, batch %d/%d: non-finite %s", e.Epoch, e.Epochs, e.Batch, e.Batches, e.Quantity)
	switch {
	case e.Batch == 0:
		s = fmt.Sprintf("train: before epoch %d/%d: non-finite %s", e.Epoch, e.Epochs, e.Quantity)
	case strings.HasPrefix(e.Quantity, "validation"):
		s = fmt.Sprintf("train: epoch %d/%d, validation batch %d/%d: non-finite %s", e.Epoch, e.Epochs, e.Batch, e.Batches, e.Quantity)
	}
	if strings.HasSuffix(e.Quantity, "loss") {
		s += fmt.Sprintf(" (%v)", e.Loss)
	} else if !math.IsNaN(e.Loss) {
		s += fmt.Sprintf(" (batch loss %.6g)", e.Loss)
	}
	switch {
	case e.Node != "":
		s += fmt.Sprintf("; first non-finite value (%v) in the output of node %q (%s)", e.Value, e.Node, e.Op)
	case e.Param != "":
		s += fmt.Sprintf("; first non-finite value (%v) in parameter %q", e.Value, e.Param)
	case strings.HasSuffix(e.Quantity, "loss"):
		s += "; every layer's output is finite: the loss itself overflowed"
	}
	if e.Layer != "" {
		s += fmt.Sprintf(", layer %q", e.Layer)
	}
	if e.Checkpoint != "" {
		s += "; last good checkpoint kept: " + e.Checkpoint
	}
	return s
}

// finite reports whether every element of x is finite. x·0 is NaN exactly
// for NaN and ±Inf, so one sum tells.
func finite(x []float32) bool {
	var s float32
	for _, v := range x {
		s += v * 0
	}
	return s == 0
}

func firstNonFinite(x []float32) float32 {
	for _, v := range x {
		if v*0 != 0 {
			return v
		}
	}
	return 0
}

func (t *trainer) numericError(quantity string, loss float64) *NumericError {
	e := &NumericError{Epoch: t.epoch + 1, Epochs: t.cfg.Epochs, Batch: t.batch + 1, Batches: t.batches,
		Quantity: quantity, Loss: loss}
	if t.cfg.CheckpointPath != "" && t.wroteCheckpoint {
		e.Checkpoint = t.cfg.CheckpointPath
	}
	return e
}

// forwardFault finds where a non-finite loss came from: the data, or the
// first node whose output holds a NaN or infinity.
func (t *trainer) forwardFault(rp *runPlan, loss float64, quantity string) error {
	e := t.numericError(quantity, loss)
	prefix, _ := strings.CutSuffix(quantity, "loss")
	if !finite(rp.x.Data) {
		e.Quantity, e.Value = prefix+"input", firstNonFinite(rp.x.Data)
		return e
	}
	if !finite(rp.y.Data) {
		e.Quantity, e.Value = prefix+"target", firstNonFinite(rp.y.Data)
		return e
	}
	for _, n := range t.g.Nodes {
		for _, out := range n.Outputs {
			v := rp.p.Value(out)
			if v == nil || v.DType != graph.Float32 || finite(v.Data) {
				continue
			}
			e.Node, e.Op, e.Value = n.Name, n.Op, firstNonFinite(v.Data)
			e.Layer = t.layerOfNode(n)
			return e
		}
	}
	return e
}

// paramFault reports parameter i's non-finite gradient or weight.
func (t *trainer) paramFault(quantity string, i int, data []float32, loss float64) error {
	e := t.numericError(quantity, loss)
	e.Param, e.Value = t.names[i], firstNonFinite(data)
	e.Layer = t.layerOfParam(t.names[i])
	return e
}

func (t *trainer) layerOfParam(name string) string {
	for _, l := range t.g.Layers {
		for _, p := range l.Params {
			if p == name {
				return l.Name
			}
		}
	}
	return ""
}

// layerOfNode returns the layer whose output the node makes or whose
// parameters it reads.
func (t *trainer) layerOfNode(n *graph.Node) string {
	for _, l := range t.g.Layers {
		for _, out := range n.Outputs {
			if out != "" && out == l.Output {
				return l.Name
			}
		}
	}
	for _, in := range n.Inputs {
		if l := t.layerOfParam(in); l != "" {
			return l
		}
	}
	return ""
}
