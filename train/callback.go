package train

import (
	"fmt"
	"math"

	"github.com/aekit/aekit/graph"
)

// History is what Fit returns: one entry per epoch run, in order. Its JSON
// form is Keras's history dict: {"loss": […], "val_loss": […], "seconds": […]}.
type History struct {
	Loss    []float64 `json:"loss"`
	ValLoss []float64 `json:"val_loss,omitempty"`
	Seconds []float64 `json:"seconds"`
	// Epoch is the number of epochs completed, counting those a resumed
	// checkpoint had run.
	Epoch int `json:"-"`
}

// EpochLogs is what a Callback sees at the end of an epoch.
type EpochLogs struct {
	// Epoch is the index of the epoch that ended (0-based).
	Epoch int
	// Loss is the epoch's training loss; ValLoss its validation loss, NaN
	// without validation data.
	Loss, ValLoss float64
	// Graph is the model being trained: a callback may read or set its
	// parameters. It is nil for epochs replayed from a resumed checkpoint.
	Graph *graph.Graph
}

// Value returns the quantity a callback monitors: "loss" or "val_loss".
func (l EpochLogs) Value(monitor string) (float64, error) {
	switch monitor {
	case "loss":
		return l.Loss, nil
	case "val_loss":
		if math.IsNaN(l.ValLoss) {
			return 0, fmt.Errorf("monitor %q: no validation data", monitor)
		}
		return l.ValLoss, nil
	}
	return 0, fmt.Errorf("monitor %q: unknown; use \"loss\" or \"val_loss\"", monitor)
}

// Callback is called by Fit after each epoch (after validation, before the
// checkpoint). When Fit resumes from a checkpoint it first replays the
// epochs already run, with a nil Graph, so callbacks rebuild their state.
type Callback interface {
	// EpochEnd returns true to stop training after this epoch.
	EpochEnd(logs EpochLogs) (stop bool, err error)
}

// EarlyStopping stops training when the monitored quantity has not
// improved for Patience epochs, as Keras 2's EarlyStopping in mode "min":
// an epoch improves when value < best - |MinDelta|.
type EarlyStopping struct {
	// Monitor is "val_loss" (the Keras default when empty) or "loss".
	Monitor string
	// MinDelta is the smallest decrease that counts as an improvement.
	MinDelta float64
	// Patience is the number of epochs without improvement to wait.
	Patience int
	// RestoreBest puts back the weights of the best epoch when training
	// stops early. Epochs replayed on resume carry no weights: if the best
	// one was among them, the current weights are kept.
	RestoreBest bool

	best, wait  int
	bestValue   float64
	bestWeights map[string][]float32
	started     bool
	// StoppedEpoch is the epoch (0-based) at which training stopped, or -1.
	StoppedEpoch int
}

// EpochEnd records the epoch and reports whether to stop.
func (e *EarlyStopping) EpochEnd(l EpochLogs) (bool, error) {
	monitor := e.Monitor
	if monitor == "" {
		monitor = "val_loss"
	}
	v, err := l.Value(monitor)
	if err != nil {
		return false, fmt.Errorf("EarlyStopping: %w", err)
	}
	if !e.started {
		e.started, e.bestValue, e.wait, e.StoppedEpoch, e.best = true, math.Inf(1), 0, -1, -1
	}
	if v < e.bestValue-math.Abs(e.MinDelta) {
		e.bestValue, e.best, e.wait = v, l.Epoch, 0
		e.bestWeights = nil
		if e.RestoreBest && l.Graph != nil {
			e.bestWeights = map[string][]float32{}
			for name := range l.Graph.Trainable {
				if t := l.Graph.Params[name]; t != nil {
					e.bestWeights[name] = append([]float32(nil), t.Data...)
				}
			}
		}
		return false, nil
	}
	e.wait++
	if e.wait < e.Patience {
		return false, nil
	}
	e.StoppedEpoch = l.Epoch
	if e.RestoreBest && e.bestWeights != nil && l.Graph != nil {
		for name, w := range e.bestWeights {
			copy(l.Graph.Params[name].Data, w)
		}
	}
	return true, nil
}

// Best returns the best monitored value seen and its epoch (0-based; -1
// before any epoch).
func (e *EarlyStopping) Best() (float64, int) {
	if !e.started {
		return math.Inf(1), -1
	}
	return e.bestValue, e.best
}
