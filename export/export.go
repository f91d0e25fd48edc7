// Package export prepares aekit graphs for use outside aekit and writes them
// as ONNX files: the full model, its encoder or its decoder (cut with
// graph.Split at a named layer, node or value, or at the detected
// bottleneck), in aekit's NCHW layout or in Keras's NHWC layout, for a chosen
// ONNX opset, with training-only behaviour removed and aekit's metadata
// attached.
//
// Model transforms a graph in memory; WriteFile also encodes it (through
// package onnx), writes it atomically and checks it with Verify: the file is
// read back and run by aekit on a random batch, and its outputs must equal,
// bit for bit, both the in-memory export and the source graph run on the
// same data (transposed where the layout asks). Errors name the option,
// node or file at fault; bad input never panics.
//
// # Opset rewrites
//
// Nodes are rewritten from the graph's opset to the target one so that
// they compute the same thing, by operator (from → to):
//
//	Squeeze, Unsqueeze   axes attribute (< 13) ↔ constant int64 input (≥ 13)
//	Softmax              < 13 coerces the input to 2-D at axis (default 1),
//	                     ≥ 13 normalises one axis (default −1): the last axis
//	                     is written explicitly; another axis becomes
//	                     Flatten → Softmax → Reshape(Shape(x)) going up, and
//	                     Transpose → Softmax → Transpose going down
//	Clip                 min/max attributes (< 11) → scalar inputs
//	Pad                  pads/value attributes (< 11) → inputs; the axes
//	                     input (≥ 18) and mode wrap (≥ 19) cannot go down
//	Slice                starts/ends/axes attributes (< 10) → inputs
//	Upsample, Resize-10  → Resize-11+ with an empty roi, the constant scales,
//	                     coordinate_transformation_mode asymmetric and
//	                     nearest_mode floor (upscaling) or ceil (downscaling),
//	                     as aekit and ONNX Runtime read the old operators
//	Resize               opset 11 requires the roi and scales inputs: an
//	                     omitted one becomes an empty constant; the ≥ 18
//	                     attributes (antialias, axes, keep_aspect_ratio_policy)
//	                     and half_pixel_symmetric (19) go down only when they
//	                     hold their defaults
//	BatchNormalization   spatial (< 9) dropped when 1
//	Reshape              allowzero (≥ 14) dropped when 0, or when the shape
//	                     holds no 0
//	Shape                start/end (≥ 15) go down only when trivial
//	AveragePool          dilations (≥ 19) dropped when all 1
//	Cast                 saturate (≥ 19) dropped going down
//	Constant             value_float(s)/value_int(s) (≥ 12) → value going down
//
// Other operators are written as they are. Dropout never reaches the file
// (it becomes Identity), so its ratio attribute/input change does not
// matter; ReduceX and Split, which aekit does not run, are not rewritten.
package export

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
)

// Version is aekit's version, written as the ONNX producer_version (the
// producer_name is onnx.Producer, "aekit").
const Version = "0.1.0"

// The parts of a model that can be exported.
const (
	PartFull    = "full"
	PartEncoder = "encoder"
	PartDecoder = "decoder"
)

// The layouts of exported image inputs and outputs.
const (
	LayoutNCHW = "nchw"
	LayoutNHWC = "nhwc"
)

// The opsets Model can write. Opsets 11, 13, 17 and 21 are the tested
// ones; the others between them follow the same rules.
const (
	MinOpset = 11
	MaxOpset = 21
)

// Metadata keys Model sets on the exported graph (ONNX metadata_props).
const (
	MetaPart   = "aekit.export.part"   // full, encoder or decoder
	MetaLayout = "aekit.export.layout" // nchw or nhwc
	MetaCut    = "aekit.export.cut"    // the value the model was cut at
)

// Options choose what Model exports.
type Options struct {
	// Part is PartFull (the default when empty), PartEncoder or
	// PartDecoder.
	Part string
	// At names the cut for an encoder or decoder: a layer, node or value
	// (see graph.Split); "" cuts at graph.Bottleneck. It must be empty for
	// the full model.
	At string
	// Layout is LayoutNCHW (the default when empty: the graph as aekit
	// holds it) or LayoutNHWC: every 4-D input is declared [N, H, W, C]
	// and transposed to NCHW inside the model, and every 4-D output is
	// transposed back to [N, H, W, C], so that a Keras user feeds and
	// gets the arrays Keras uses.
	Layout string
	// Opset is the default-domain ONNX opset to write, MinOpset to
	// MaxOpset. 0 keeps the graph's opset when it is at least MinOpset,
	// else writes graph.DefaultOpset.
	Opset int
	// Doc is the model's doc_string (WriteFile writes it; the command
	// line puts the training configuration there).
	Doc string
}

// normalize checks o and fills in its defaults for graph g.
func (o Options) normalize(g *graph.Graph) (Options, error) {
	switch strings.ToLower(o.Part) {
	case "", PartFull:
		o.Part = PartFull
		if o.At != "" {
			return o, fmt.Errorf("export: cut %q given for the full model; a cut applies to part %q or %q", o.At, PartEncoder, PartDecoder)
		}
	case PartEncoder, PartDecoder:
		o.Part = strings.ToLower(o.Part)
	default:
		return o, fmt.Errorf("export: part %q unknown; want %q, %q or %q", o.Part, PartFull, PartEncoder, PartDecoder)
	}
	switch strings.ToLower(o.Layout) {
	case "", LayoutNCHW:
		o.Layout = LayoutNCHW
	case LayoutNHWC:
		o.Layout = LayoutNHWC
	default:
		return o, fmt.Errorf("export: layout %q unknown; want %q or %q", o.Layout, LayoutNCHW, LayoutNHWC)
	}
	if o.Opset == 0 {
		o.Opset = graph.DefaultOpset
		if g.Opset >= MinOpset && g.Opset <= MaxOpset {
			o.Opset = g.Opset
		}
	}
	if o.Opset < MinOpset || o.Opset > MaxOpset {
		return o, fmt.Errorf("export: opset %d not supported; aekit writes opsets %d to %d (tested: 11, 13, 17, 21)", o.Opset, MinOpset, MaxOpset)
	}
	return o, nil
}

// Model returns the part of g that opt asks for, ready to encode: cut
// (Options.Part, Options.At), stripped of training-only behaviour (Dropout
// becomes Identity; BatchNormalization loses training_mode and its
// training outputs), laid out (Options.Layout), rewritten for the target
// opset (Options.Opset; see "Opset rewrites" above), with the
// initializers no node reads dropped (optimizer state of checkpoints), and
// with the metadata keys MetaPart, MetaLayout and MetaCut set. g itself is
// not changed. Trainable and Layers are kept, so that a re-imported export
// can be trained further and summarised.
func Model(g *graph.Graph, opt Options) (*graph.Graph, error) {
	if g == nil {
		return nil, fmt.Errorf("export: nil graph")
	}
	opt, err := opt.normalize(g)
	if err != nil {
		return nil, err
	}
	if opt.Layout == LayoutNHWC && g.Meta[MetaLayout] == LayoutNHWC {
		return nil, fmt.Errorf("export %q: layout %q: the graph's inputs are already NHWC (metadata %s)", g.Name, opt.Layout, MetaLayout)
	}
	out, cut, err := part(g, opt)
	if err != nil {
		return nil, err
	}
	if err := stripTraining(out); err != nil {
		return nil, fmt.Errorf("export %q: %w", g.Name, err)
	}
	if opt.Layout == LayoutNHWC {
		if err := toNHWC(out); err != nil {
			return nil, fmt.Errorf("export %q: layout %q: %w", g.Name, opt.Layout, err)
		}
	}
	if err := convertOpset(out, opt.Opset); err != nil {
		return nil, fmt.Errorf("export %q: opset %d: %w", g.Name, opt.Opset, err)
	}
	prune(out)
	if out.Meta == nil {
		out.Meta = map[string]string{}
	}
	out.Meta[MetaPart] = opt.Part
	out.Meta[MetaLayout] = opt.Layout
	delete(out.Meta, MetaCut)
	if cut != "" {
		out.Meta[MetaCut] = cut
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("export %q: %w", g.Name, err)
	}
	return out, nil
}

// part returns a copy of the part of g that opt names, and the value cut
// at ("" for the full model).
func part(g *graph.Graph, opt Options) (*graph.Graph, string, error) {
	if opt.Part == PartFull {
		c := g.Clone()
		if err := c.Validate(); err != nil {
			return nil, "", fmt.Errorf("export %q: %w", g.Name, err)
		}
		return c, "", nil
	}
	enc, dec, err := graph.Split(g, opt.At)
	if err != nil {
		return nil, "", fmt.Errorf("export %q: part %q: %w", g.Name, opt.Part, err)
	}
	cut := enc.Outputs[0].Name
	if opt.Part == PartEncoder {
		return enc, cut, nil
	}
	return dec, cut, nil
}

// stripTraining removes what only training uses: Dropout becomes Identity
// (its ratio and training_mode inputs go; a used mask output is an error),
// BatchNormalization loses its training_mode attribute and its unused
// training outputs (a used one is an error).
func stripTraining(g *graph.Graph) error {
	used := usedValues(g)
	for _, n := range g.Nodes {
		switch n.Op {
		case "Dropout":
			if len(n.Outputs) > 1 && n.Outputs[1] != "" && used[n.Outputs[1]] {
				return fmt.Errorf("Dropout %q: its mask output %q is used; only the data output can be exported", n.Name, n.Outputs[1])
			}
			n.Op = "Identity"
			n.Inputs = n.Inputs[:1]
			n.Outputs = n.Outputs[:1]
			n.Attrs = nil
		case "BatchNormalization":
			n.Attrs = slices.DeleteFunc(n.Attrs, func(a graph.Attr) bool { return a.Name == "training_mode" })
			for j := 1; j < len(n.Outputs); j++ {
				if n.Outputs[j] != "" && used[n.Outputs[j]] {
					return fmt.Errorf("BatchNormalization %q: its training output %q is used; only Y can be exported", n.Name, n.Outputs[j])
				}
			}
			n.Outputs = n.Outputs[:1]
		}
	}
	return nil
}

// usedValues returns the values some node reads or the graph outputs.
func usedValues(g *graph.Graph) map[string]bool {
	used := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			used[in] = true
		}
	}
	for _, o := range g.Outputs {
		used[o.Name] = true
	}
	return used
}

// prune drops the initializers no node reads and that are not graph
// inputs or outputs, with their Trainable marks and layer references.
func prune(g *graph.Graph) {
	used := usedValues(g)
	for _, in := range g.Inputs {
		used[in.Name] = true
	}
	for name := range g.Params {
		if !used[name] {
			delete(g.Params, name)
			delete(g.Trainable, name)
		}
	}
	for i := range g.Layers {
		g.Layers[i].Params = slices.DeleteFunc(slices.Clone(g.Layers[i].Params), func(p string) bool {
			_, ok := g.Params[p]
			return !ok
		})
	}
}

// WriteFile exports g (see Model) to the ONNX file path: producer "aekit"
// with producer_version Version, doc_string opt.Doc, the opset's IR
// version. The file is written atomically (a temporary file in the same
// folder, then a rename) and checked with Verify; a file that fails the
// check is removed and the error says why.
func WriteFile(path string, g *graph.Graph, opt Options) error {
	m, err := Model(g, opt)
	if err != nil {
		return err
	}
	data, err := onnx.EncodeModel(&onnx.Model{Graph: m, ProducerVersion: Version, DocString: opt.Doc})
	if err != nil {
		return fmt.Errorf("export %q: %w", path, err)
	}
	if err := writeAtomic(path, data); err != nil {
		return err
	}
	if err := Verify(path, g, opt); err != nil {
		os.Remove(path)
		return fmt.Errorf("%w (the file was removed)", err)
	}
	return nil
}

// writeAtomic writes data to path through a temporary file in the same
// folder and a rename.
func writeAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("export: write %q: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(0o644)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("export: write %q: %w", path, werr)
	}
	return nil
}
