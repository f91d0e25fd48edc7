package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newInspect) }

func newInspect() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect MODEL.onnx",
		Short: "Describe an ONNX model: producer, IR version, opsets, inputs, outputs, operators, parameters, layers",
		Long: `Inspect prints what an ONNX file holds: its producer, IR version and
opsets, its inputs and outputs with their shapes (? is a dynamic dimension),
how many nodes of each operator it has, its parameter count, its metadata,
and then the Keras-style layer table (aekit's summary) when the file records
its layers, or else one row per node with its output shape.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := readModel(args[0])
			if err != nil {
				return err
			}
			inspect(cmd.OutOrStdout(), args[0], m)
			return nil
		},
	}
}

// readModel reads and decodes an ONNX file with its model-level fields,
// refusing a file larger than onnx.DefaultLimits allow before reading it.
func readModel(path string) (*onnx.Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("model %q: is a folder", path)
	}
	if st.Size() > onnx.DefaultLimits.MaxFileBytes {
		return nil, fmt.Errorf("model %q: %d bytes, more than the limit of %d", path, st.Size(), onnx.DefaultLimits.MaxFileBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := onnx.DecodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", path, err)
	}
	return m, nil
}

// inspect writes the description of m to w.
func inspect(w io.Writer, path string, m *onnx.Model) {
	g := m.Graph
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s (graph %q)\n", path, g.Name)
	producer := strings.TrimSpace(m.ProducerName + " " + m.ProducerVersion)
	if producer == "" {
		producer = "(not recorded)"
	}
	fmt.Fprintf(tw, "producer\t%s\n", producer)
	fmt.Fprintf(tw, "IR version\t%d\n", m.IRVersion)
	var domains []string
	for d := range m.Opsets {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	var opsets []string
	for _, d := range domains {
		name := d
		if name == "" {
			name = "ai.onnx"
		}
		opsets = append(opsets, fmt.Sprintf("%s %d", name, m.Opsets[d]))
	}
	fmt.Fprintf(tw, "opsets\t%s\n", strings.Join(opsets, ", "))
	if m.DocString != "" {
		fmt.Fprintf(tw, "doc\t%s\n", strings.ReplaceAll(strings.TrimSpace(m.DocString), "\n", "\n\t"))
	}
	for i, in := range g.Inputs {
		label := ""
		if i == 0 {
			label = "inputs"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label, in.Name, shapeString(in.Shape))
	}
	for i, out := range g.Outputs {
		label := ""
		if i == 0 {
			label = "outputs"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label, out.Name, shapeString(out.Shape))
	}
	counts := map[string]int{}
	for _, n := range g.Nodes {
		counts[n.Op]++
	}
	var ops []string
	for op := range counts {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var opList []string
	for _, op := range ops {
		opList = append(opList, fmt.Sprintf("%s×%d", op, counts[op]))
	}
	fmt.Fprintf(tw, "operators\t%d nodes: %s\n", len(g.Nodes), strings.Join(opList, " "))
	trainable, other := g.ParamCount()
	fmt.Fprintf(tw, "parameters\t%s (%s trainable, %s in constants; %d initializers)\n",
		commas(trainable+other), commas(trainable), commas(other), len(g.Params))
	var keys []string
	for k := range g.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		label := ""
		if i == 0 {
			label = "metadata"
		}
		v := g.Meta[k]
		if len(v) > 60 {
			v = v[:57] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s = %s\n", label, k, strings.ReplaceAll(v, "\n", `\n`))
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(g.Layers) > 0 {
		fmt.Fprint(w, graph.Summary(g))
		return
	}
	nodeTable(w, g)
}

// nodeTable writes one row per node: name, operator, inputs, output shape
// and the number of parameter elements it reads. Shapes come from
// compiling the graph for a batch of 1; where that fails the column reads
// "?" and the reason follows the table.
func nodeTable(w io.Writer, g *graph.Graph) {
	shapes, shapeErr := graph.ValueShapes(g, 1)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tnode\top\tinputs\toutput shape (batch 1)\tparams")
	for i, n := range g.Nodes {
		params := 0
		var ins []string
		for _, in := range n.Inputs {
			if t, ok := g.Params[in]; ok {
				params += t.Len()
				continue
			}
			if in != "" {
				ins = append(ins, in)
			}
		}
		shape := "?"
		if len(n.Outputs) > 0 {
			if s, ok := shapes[n.Outputs[0]]; ok {
				shape = s.String()
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\n", i, n.Name, n.Op, strings.Join(ins, ", "), shape, params)
	}
	tw.Flush()
	if shapeErr != nil {
		fmt.Fprintf(w, "(shapes unknown: %v)\n", shapeErr)
	}
}

// shapeString formats a declared shape; nil is "(no shape)".
func shapeString(s graph.Shape) string {
	if s == nil {
		return "(no shape)"
	}
	return "[" + strings.ReplaceAll(s.String(), "×", ", ") + "]"
}

// commas formats n with thousands separators.
func commas(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
