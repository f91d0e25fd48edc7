package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newRun) }

func newRun() *cobra.Command {
	var inDir, outDir string
	cmd := &cobra.Command{
		Use:   "run MODEL.onnx --inputs DIR --out DIR",
		Short: "Run an ONNX model on input_0.pb, input_1.pb, … (or .npy) and write output_0.pb, …",
		Long: `Run reads the model's inputs from DIR, one file per graph input in the
graph's order: input_0.pb, input_1.pb, … (ONNX TensorProto files, the layout
of the ONNX backend tests) or input_0.npy, … (NumPy arrays). It runs the
model once and writes output_0.pb, output_1.pb, … to the --out folder, each
TensorProto named after its graph output; when the inputs were .npy files
it also writes output_0.npy, ….`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if inDir == "" {
				return fmt.Errorf("--inputs is required (the folder holding input_0.pb or input_0.npy)")
			}
			if outDir == "" {
				return fmt.Errorf("--out is required (the folder to write output_0.pb, … into)")
			}
			written, err := runModel(args[0], inDir, outDir)
			if err != nil {
				return err
			}
			for _, line := range written {
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&inDir, "inputs", "", "folder with input_0.pb, input_1.pb, … or input_0.npy, …")
	cmd.Flags().StringVar(&outDir, "out", "", "folder to write output_0.pb, … into (created if missing)")
	return cmd
}

// runModel runs the model at path on the inputs in inDir and writes its
// outputs to outDir; it returns one line per file written.
func runModel(path, inDir, outDir string) ([]string, error) {
	g, err := onnx.ReadFile(path)
	if err != nil {
		return nil, err
	}
	inputs, npy, err := readInputs(inDir, len(g.Inputs))
	if err != nil {
		return nil, err
	}
	for i, in := range g.Inputs {
		if err := fits(in, inputs[i]); err != nil {
			return nil, fmt.Errorf("--inputs %q: input_%d for graph input %q: %w", inDir, i, in.Name, err)
		}
	}
	// A one-shot run knows every input's value before it compiles, so
	// the inputs become constants: operators that need constant inputs
	// (Reshape's shape, Clip's bounds, Resize's scales fed as graph
	// inputs) then build, and the whole graph folds at compile time.
	for i, in := range g.Inputs {
		g.AddParam(in.Name, inputs[i], false)
	}
	g.Inputs = nil
	p, err := graph.Compile(g, nil, graph.Options{NoGrad: true})
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", path, err)
	}
	outs, err := p.Forward()
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", path, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("--out %q: %w", outDir, err)
	}
	var lines []string
	for i, o := range g.Outputs {
		t := outs[i]
		pb, err := onnx.EncodeNamedTensor(o.Name, t)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		file := filepath.Join(outDir, fmt.Sprintf("output_%d.pb", i))
		if err := os.WriteFile(file, pb, 0o644); err != nil {
			return nil, fmt.Errorf("--out %q: %w", outDir, err)
		}
		lines = append(lines, fmt.Sprintf("%s: %s %v %v", file, o.Name, t.DType, t.Shape))
		if npy {
			file := filepath.Join(outDir, fmt.Sprintf("output_%d.npy", i))
			if err := data.WriteNPY(file, t); err != nil {
				return nil, fmt.Errorf("--out %q: %w", outDir, err)
			}
			lines = append(lines, fmt.Sprintf("%s: %s %v %v", file, o.Name, t.DType, t.Shape))
		}
	}
	return lines, nil
}

// readInputs reads input_0 … input_{n-1} from dir, each a .pb or a .npy
// file; npy reports whether any was a .npy file.
func readInputs(dir string, n int) (inputs []*graph.Tensor, npy bool, err error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, false, fmt.Errorf("--inputs %q: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, false, fmt.Errorf("--inputs %q: not a folder", dir)
	}
	for i := 0; ; i++ {
		pb := filepath.Join(dir, fmt.Sprintf("input_%d.pb", i))
		np := filepath.Join(dir, fmt.Sprintf("input_%d.npy", i))
		_, pbErr := os.Stat(pb)
		_, npErr := os.Stat(np)
		if pbErr == nil && npErr == nil {
			return nil, false, fmt.Errorf("--inputs %q: both input_%d.pb and input_%d.npy exist; keep one", dir, i, i)
		}
		var t *graph.Tensor
		switch {
		case pbErr == nil:
			t, err = onnx.ReadTensorFile(pb)
		case npErr == nil:
			t, err = data.ReadNPY(np)
			npy = true
		default:
			if i != n {
				return nil, false, fmt.Errorf("--inputs %q: the model takes %d inputs, the folder holds %d (input_0 … input_%d as .pb or .npy; input_%d missing)", dir, n, i, n-1, i)
			}
			return inputs, npy, nil
		}
		if err != nil {
			return nil, false, err
		}
		if i >= n {
			return nil, false, fmt.Errorf("--inputs %q: the model takes %d inputs, the folder holds more (input_%d)", dir, n, i)
		}
		inputs = append(inputs, t)
	}
}

// fits checks a tensor against a declared input shape (-1 matches any
// length).
func fits(in graph.ValueInfo, t *graph.Tensor) error {
	if in.DType != t.DType {
		return fmt.Errorf("holds %v values, the model declares %v", t.DType, in.DType)
	}
	if in.Shape == nil {
		return nil
	}
	if len(in.Shape) != len(t.Shape) {
		return fmt.Errorf("shape %v, the model declares %v", t.Shape, in.Shape)
	}
	for i, d := range in.Shape {
		if d >= 0 && d != t.Shape[i] {
			return fmt.Errorf("shape %v, the model declares %v", t.Shape, in.Shape)
		}
	}
	return nil
}
