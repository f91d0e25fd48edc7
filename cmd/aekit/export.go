package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newExport) }

// exportFlags are the flags of aekit export.
type exportFlags struct {
	model, part, layer, layout, out, doc string
	opset                                int
}

func newExport() *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export --model F --part full|encoder|decoder [--layer NAME] [--layout nchw|nhwc] [--opset N] --out F",
		Short: "Write a model, its encoder or its decoder as an ONNX file that ONNX Runtime runs",
		Long: `Export writes the full model, its encoder or its decoder as ONNX. The
encoder/decoder cut is at --layer (a layer, node or value name) or, without
it, at the detected bottleneck (the smallest activation between input and
output: for the seed, the 7×7×2 pooling output). --layout nhwc declares image
inputs and outputs in Keras's [N, H, W, C] order, so that a Keras user feeds
the same arrays; --opset is 11 to 21 (tested: 11, 13, 17, 21). Dropout is
removed. The file's doc string holds --doc, or else the training settings
recorded in the model. The written file is read back and run on a random
batch; its outputs must equal the model's bit for bit.

--model is an ONNX file (trained by aekit or converted from Keras or
PyTorch) or a YAML model config (its freshly initialised weights).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt, err := f.options()
			if err != nil {
				return err
			}
			g, err := loadModel(f.model)
			if err != nil {
				return err
			}
			if opt.Doc == "" {
				opt.Doc = trainingDoc(g)
			}
			if err := export.WriteFile(f.out, g, opt); err != nil {
				if f.layer != "" && strings.Contains(err.Error(), f.layer) {
					return fmt.Errorf("--layer %q: %w", f.layer, err)
				}
				return err
			}
			e, err := onnx.ReadFile(f.out)
			if err != nil {
				return err
			}
			what := opt.Part
			if cut := e.Meta[export.MetaCut]; cut != "" {
				what += fmt.Sprintf(" (cut at %q)", cut)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s, layout %s, opset %d; inputs %s, outputs %s; verified bit for bit\n",
				f.out, what, e.Meta[export.MetaLayout], e.Opset, valueList(e.Inputs), valueList(e.Outputs))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "the model: an ONNX file, or a YAML model config")
	fl.StringVar(&f.part, "part", export.PartFull, "what to export: full, encoder or decoder")
	fl.StringVar(&f.layer, "layer", "", "the layer, node or value to cut at (encoder/decoder; default: the bottleneck)")
	fl.StringVar(&f.layout, "layout", export.LayoutNCHW, "image layout of inputs and outputs: nchw, or nhwc (Keras)")
	fl.IntVar(&f.opset, "opset", graph.DefaultOpset, fmt.Sprintf("ONNX opset to write, %d to %d", export.MinOpset, export.MaxOpset))
	fl.StringVar(&f.out, "out", "", "the ONNX file to write")
	fl.StringVar(&f.doc, "doc", "", "doc string to write (default: the training settings recorded in the model)")
	return cmd
}

// options checks the flags and returns the export options; errors name
// the flag at fault.
func (f exportFlags) options() (export.Options, error) {
	if f.model == "" {
		return export.Options{}, fmt.Errorf("--model is required (an ONNX file or a YAML model config)")
	}
	if f.out == "" {
		return export.Options{}, fmt.Errorf("--out is required (the ONNX file to write)")
	}
	switch f.part {
	case export.PartFull, export.PartEncoder, export.PartDecoder:
	default:
		return export.Options{}, fmt.Errorf("--part %q: want full, encoder or decoder", f.part)
	}
	if f.layer != "" && f.part == export.PartFull {
		return export.Options{}, fmt.Errorf("--layer %q: a cut applies to --part encoder or decoder, not full", f.layer)
	}
	switch f.layout {
	case export.LayoutNCHW, export.LayoutNHWC:
	default:
		return export.Options{}, fmt.Errorf("--layout %q: want nchw or nhwc", f.layout)
	}
	if f.opset < export.MinOpset || f.opset > export.MaxOpset {
		return export.Options{}, fmt.Errorf("--opset %d: aekit writes opsets %d to %d", f.opset, export.MinOpset, export.MaxOpset)
	}
	return export.Options{Part: f.part, At: f.layer, Layout: f.layout, Opset: f.opset, Doc: f.doc}, nil
}

// loadModel reads --model: an ONNX file, or a YAML/JSON model config.
func loadModel(path string) (*graph.Graph, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json", ".toml":
		mc, err := loadModelConfig(path)
		if err != nil {
			return nil, fmt.Errorf("--model: %w", err)
		}
		g, err := mc.Build()
		if err != nil {
			return nil, fmt.Errorf("--model %q: %w", path, err)
		}
		return g, nil
	}
	g, err := onnx.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	return g, nil
}

// trainingDoc returns the training settings recorded in g's metadata
// (aekit.train.* keys, the training history left out) as "key: value"
// lines, or "" when there are none.
func trainingDoc(g *graph.Graph) string {
	const prefix = "aekit.train."
	var keys []string
	for k := range g.Meta {
		if strings.HasPrefix(k, prefix) && k != prefix+"history" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("aekit training configuration\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", strings.TrimPrefix(k, prefix), g.Meta[k])
	}
	return b.String()
}

// valueList formats names and shapes: input [?, 28, 28, 1], ….
func valueList(vs []graph.ValueInfo) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, v.Name+" "+shapeString(v.Shape))
	}
	return strings.Join(parts, ", ")
}
