package export_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/internal/ort"
	"github.com/aekit/aekit/onnx"
	"github.com/aekit/aekit/train"
)

// TestForeignRoundTrip imports the tf2onnx LeNet of shared/models,
// fine-tunes it for one epoch on 256 MNIST training images, exports it
// (opsets 11, 13, 17, 21; WriteFile verifies each file bit for bit against the
// fine-tuned graph), re-imports the files and checks that aekit and ONNX
// Runtime give the same outputs on 16 test images, and that the
// re-imported graph computes exactly what the fine-tuned one does.
func TestForeignRoundTrip(t *testing.T) {
	path := filepath.Join(ort.SharedModels(t), "tf2onnx-1.16.1_keras3_lenet", "model.onnx")
	g, err := onnx.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before := g.Clone()
	tr, err := data.MNIST(data.SplitTrain)
	if err != nil {
		t.Fatal(err)
	}
	const n = 256
	sub := tr.Slice(0, n)
	x := sub.X.Clone()
	x.Shape = graph.Shape{n, 28, 28}
	y := graph.New(n, 10)
	for i, l := range sub.Labels {
		y.Data[i*10+l] = 1
	}
	cfg := train.DefaultConfig()
	cfg.Loss = &train.MeanSquaredError{}
	cfg.Optimizer = train.NewAdam()
	if _, err := train.Fit(g, x, y, cfg); err != nil {
		t.Fatalf("fine-tune: %v", err)
	}
	changed := 0
	for _, name := range g.TrainableNames() {
		for i, v := range g.Params[name].Data {
			if v != before.Params[name].Data[i] {
				changed++
				break
			}
		}
	}
	if changed == 0 {
		t.Fatal("fine-tuning changed no weight")
	}

	te, err := data.MNIST(data.SplitTest)
	if err != nil {
		t.Fatal(err)
	}
	xt := te.Slice(0, 16).X.Clone()
	xt.Shape = graph.Shape{16, 28, 28}
	tuned, err := graph.Run(g, xt)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var jobs []ort.Job
	var files []string
	for _, opset := range testOpsets {
		file := filepath.Join(dir, fmt.Sprintf("lenet-tuned-%d.onnx", opset))
		if err := export.WriteFile(file, g, export.Options{Opset: opset, Doc: "fine-tuned 1 epoch"}); err != nil {
			t.Fatal(err)
		}
		back, err := onnx.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if tn, _ := back.ParamCount(); len(back.Trainable) != len(g.Trainable) || tn == 0 {
			t.Errorf("opset %d: re-imported %d trainable tensors, exported %d", opset, len(back.Trainable), len(g.Trainable))
		}
		got, err := graph.Run(back, xt)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range tuned[0].Data {
			if got[0].Data[i] != v {
				t.Fatalf("opset %d: re-imported output %d = %g, fine-tuned graph %g", opset, i, got[0].Data[i], v)
			}
		}
		files = append(files, file)
		jobs = append(jobs, ort.Job{Model: file, Inputs: map[string]*graph.Tensor{back.Inputs[0].Name: xt}})
	}
	ort.Require(t)
	ref, err := ort.RunAll(jobs)
	if err != nil {
		t.Fatal(err)
	}
	var report []string
	for i, file := range files {
		r, ok := ref[i][g.Outputs[0].Name]
		if !ok {
			t.Fatalf("%s: ORT gives no output %q", file, g.Outputs[0].Name)
		}
		d, err := ort.MaxAbsDiff(tuned[0], r)
		if err != nil {
			t.Fatal(err)
		}
		if !(d <= ortTol) {
			t.Errorf("%s: max abs diff aekit vs ORT %.3g > %g", filepath.Base(file), d, ortTol)
		}
		report = append(report, fmt.Sprintf("%s: %.3g", filepath.Base(file), d))
	}
	t.Logf("fine-tuned LeNet (%d weight tensors changed), max abs diff aekit vs ORT on 16 images:\n%s", changed, strings.Join(report, "\n"))
}

// TestConverterFilesExport re-exports the three converter files of
// shared/models (opsets 7, 11 and 15) at every tested opset: WriteFile
// verifies each against the imported graph, the checker accepts them and
// ONNX Runtime agrees with aekit. An NHWC export of keras2onnx's model,
// whose input is NHWC already, is refused.
func TestConverterFilesExport(t *testing.T) {
	dir := ort.SharedModels(t)
	out := t.TempDir()
	var files []exported
	for _, rel := range []string{
		"mnist-7_cntk_via_onnx-go/model.onnx",
		"keras2onnx-1.6.0_keras_mnist_cnn/keras_mnist.onnx",
		"tf2onnx-1.16.1_keras3_lenet/model.onnx",
	} {
		g, err := onnx.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		g.Name = strings.Split(rel, "_")[0]
		var opts []export.Options
		for _, o := range testOpsets {
			opts = append(opts, export.Options{Opset: o})
		}
		files = append(files, writeAll(t, g, out, opts)...)
		if strings.HasPrefix(rel, "keras2onnx") {
			_, err := export.Model(g, export.Options{Layout: export.LayoutNHWC})
			if err == nil || !strings.Contains(err.Error(), "already feeds Transpose") {
				t.Errorf("keras2onnx NHWC export: error %v, want a refusal (the input is NHWC already)", err)
			}
		}
	}
	checkFiles(t, files)
	compareORT(t, files, 2)
}
