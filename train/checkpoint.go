package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// A checkpoint is an ONNX model file: the graph with its current weights,
// plus the optimizer's slots as extra initializers named
// OptimizerStatePrefix + "<slot>/<parameter>", and the training position in
// Graph.Meta under the keys below. The model itself (g) never holds the
// optimizer state, so a model written after Fit does not carry it.
const (
	// OptimizerStatePrefix starts the names of optimizer-state
	// initializers in a checkpoint.
	OptimizerStatePrefix = "aekit.opt/"
	// MetaEpoch holds the number of epochs completed.
	MetaEpoch = "aekit.train.epoch"
	// MetaHistory holds the History so far, as JSON.
	MetaHistory = "aekit.train.history"
	// MetaSeed, MetaBatchSize and MetaShuffle hold the run's settings;
	// Resume refuses a checkpoint whose settings differ from Config's,
	// since the run would not continue as it began.
	MetaSeed      = "aekit.train.seed"
	MetaBatchSize = "aekit.train.batch_size"
	MetaShuffle   = "aekit.train.shuffle"
	// MetaOptimizer holds the optimizer's name; MetaIterations its step
	// count.
	MetaOptimizer  = "aekit.train.optimizer"
	MetaIterations = "aekit.train.optimizer_iterations"
	// MetaLoss holds the loss's name.
	MetaLoss = "aekit.train.loss"
	// MetaStopped is "true" when a callback stopped training.
	MetaStopped = "aekit.train.stopped"
)

// checkpointGraph returns a shallow copy of g whose Params and Meta also
// carry the optimizer state and the training position. Tensors are shared.
func (t *trainer) checkpointGraph(h *History, stopped bool) (*graph.Graph, error) {
	ck := *t.g
	st := t.cfg.Optimizer.State()
	ck.Params = make(map[string]*graph.Tensor, len(t.g.Params)+len(st.Slots)*len(t.names))
	for k, v := range t.g.Params {
		ck.Params[k] = v
	}
	for slot, ts := range st.Slots {
		if len(ts) != len(t.names) {
			return nil, fmt.Errorf("checkpoint: optimizer slot %q holds %d tensors for %d parameters", slot, len(ts), len(t.names))
		}
		for i, v := range ts {
			if v != nil {
				ck.Params[OptimizerStatePrefix+slot+"/"+t.names[i]] = v
			}
		}
	}
	hist, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	ck.Meta = make(map[string]string, len(t.g.Meta)+9)
	for k, v := range t.g.Meta {
		ck.Meta[k] = v
	}
	ck.Meta[MetaEpoch] = strconv.Itoa(h.Epoch)
	ck.Meta[MetaHistory] = string(hist)
	ck.Meta[MetaSeed] = strconv.FormatUint(t.cfg.Seed, 10)
	ck.Meta[MetaBatchSize] = strconv.Itoa(t.cfg.BatchSize)
	ck.Meta[MetaShuffle] = strconv.FormatBool(t.cfg.Shuffle)
	ck.Meta[MetaOptimizer] = t.cfg.Optimizer.Name()
	ck.Meta[MetaIterations] = strconv.FormatInt(st.Iterations, 10)
	ck.Meta[MetaLoss] = t.cfg.Loss.Name()
	ck.Meta[MetaStopped] = strconv.FormatBool(stopped)
	return &ck, nil
}

// checkpoint writes the checkpoint file (onnx.WriteFile writes a temporary
// file and renames it, so a crash leaves the previous checkpoint whole).
func (t *trainer) checkpoint(h *History, stopped bool) error {
	ck, err := t.checkpointGraph(h, stopped)
	if err != nil {
		return err
	}
	if err := onnx.WriteFile(t.cfg.CheckpointPath, ck); err != nil {
		return fmt.Errorf("checkpoint %q: %w", t.cfg.CheckpointPath, err)
	}
	t.wroteCheckpoint = true
	return nil
}

// resumed is what a checkpoint restores besides the weights.
type resumed struct {
	epoch   int
	history *History
	stopped bool
}

// resume loads the checkpoint at CheckpointPath into g and the optimizer.
// It returns nil, nil when there is no checkpoint yet.
func (t *trainer) resume() (*resumed, error) {
	path := t.cfg.CheckpointPath
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	ck, err := onnx.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %q: %w", path, err)
	}
	r, err := t.restore(ck)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %q: %w", path, err)
	}
	t.wroteCheckpoint = true
	return r, nil
}

// restore copies a checkpoint graph's weights and optimizer state into the
// trainer's graph and optimizer, after checking it belongs to this run.
func (t *trainer) restore(ck *graph.Graph) (*resumed, error) {
	meta := func(key string) (string, error) {
		v, ok := ck.Meta[key]
		if !ok {
			return "", fmt.Errorf("metadata %q missing: not an aekit checkpoint", key)
		}
		return v, nil
	}
	want := map[string]string{
		MetaSeed:      strconv.FormatUint(t.cfg.Seed, 10),
		MetaBatchSize: strconv.Itoa(t.cfg.BatchSize),
		MetaShuffle:   strconv.FormatBool(t.cfg.Shuffle),
		MetaOptimizer: t.cfg.Optimizer.Name(),
	}
	for _, key := range []string{MetaSeed, MetaBatchSize, MetaShuffle, MetaOptimizer} {
		v, err := meta(key)
		if err != nil {
			return nil, err
		}
		if v != want[key] {
			return nil, fmt.Errorf("written with %s = %s, this run has %s: resuming would not continue the same run", key, v, want[key])
		}
	}
	r := &resumed{history: &History{}}
	v, err := meta(MetaEpoch)
	if err != nil {
		return nil, err
	}
	if r.epoch, err = strconv.Atoi(v); err != nil || r.epoch < 0 {
		return nil, fmt.Errorf("metadata %s = %q is not an epoch count", MetaEpoch, v)
	}
	if v, err = meta(MetaHistory); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(v), r.history); err != nil {
		return nil, fmt.Errorf("metadata %s: %w", MetaHistory, err)
	}
	if len(r.history.Loss) != r.epoch || len(r.history.Seconds) != r.epoch {
		return nil, fmt.Errorf("history holds %d losses for %d epochs", len(r.history.Loss), r.epoch)
	}
	r.history.Epoch = r.epoch
	r.stopped = ck.Meta[MetaStopped] == "true"
	st := State{Slots: map[string][]*graph.Tensor{}}
	if v, err = meta(MetaIterations); err != nil {
		return nil, err
	}
	if st.Iterations, err = strconv.ParseInt(v, 10, 64); err != nil {
		return nil, fmt.Errorf("metadata %s = %q is not a step count", MetaIterations, v)
	}
	index := map[string]int{}
	for i, name := range t.names {
		index[name] = i
	}
	// Check everything before changing anything.
	for name, p := range t.g.Params {
		c, ok := ck.Params[name]
		if !ok {
			if t.g.Trainable[name] {
				return nil, fmt.Errorf("weight %q missing", name)
			}
			continue
		}
		if !c.Shape.Equal(p.Shape) || c.DType != p.DType || c.Len() != p.Len() {
			return nil, fmt.Errorf("parameter %q is %v %v, the model's %v %v", name, c.DType, c.Shape, p.DType, p.Shape)
		}
	}
	for key, c := range ck.Params {
		rest, ok := strings.CutPrefix(key, OptimizerStatePrefix)
		if !ok {
			continue
		}
		slot, param, ok := strings.Cut(rest, "/")
		i, known := index[param]
		if !ok || !known {
			return nil, fmt.Errorf("optimizer state %q names no trainable parameter of the model", key)
		}
		if c.DType != graph.Float32 || len(c.Data) != len(t.params[i].Data) {
			return nil, fmt.Errorf("optimizer state %q has %d elements, parameter %q %d", key, c.Len(), param, len(t.params[i].Data))
		}
		if st.Slots[slot] == nil {
			st.Slots[slot] = make([]*graph.Tensor, len(t.names))
		}
		st.Slots[slot][i] = graph.FromData(append([]float32(nil), c.Data...), t.params[i].Shape...)
	}
	for slot, ts := range st.Slots {
		for i, v := range ts {
			if v == nil {
				return nil, fmt.Errorf("optimizer state %q missing", OptimizerStatePrefix+slot+"/"+t.names[i])
			}
		}
	}
	if err := t.cfg.Optimizer.SetState(st); err != nil {
		return nil, err
	}
	for name, p := range t.g.Params {
		if c, ok := ck.Params[name]; ok {
			copy(p.Data, c.Data)
			copy(p.Ints, c.Ints)
		}
	}
	return r, nil
}
