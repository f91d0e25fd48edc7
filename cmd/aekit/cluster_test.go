package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/onnx"
)

// seedModelFile writes the seed model, untrained (glorot weights from the
// config's seed), to an ONNX file once per test run.
var seedModelFile = sync.OnceValues(func() (string, error) {
	mc, err := loadModelConfig("../../examples/mnist/seed.yaml")
	if err != nil {
		return "", err
	}
	g, err := mc.Build()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "aekit-cluster-test-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "seed.onnx")
	return path, onnx.WriteFile(path, g)
})

func seedModel(t *testing.T) string {
	t.Helper()
	path, err := seedModelFile()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// runAekit runs the command line in-process and returns its stdout and
// stderr.
func runAekit(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

var scoreKeys = []string{"acc", "nmi", "ari", "purity", "inertia", "k", "n", "dim"}

func checkScores(t *testing.T, what string, m map[string]any, n, dim int) {
	t.Helper()
	for _, k := range scoreKeys {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("%s: key %q missing or not a number: %v", what, k, m[k])
		}
	}
	if m["k"] != 10.0 || m["n"] != float64(n) || m["dim"] != float64(dim) {
		t.Errorf("%s: k %v n %v dim %v, want 10 %d %d", what, m["k"], m["n"], m["dim"], n, dim)
	}
	for _, k := range []string{"acc", "nmi", "purity"} {
		if v, _ := m[k].(float64); v <= 0 || v > 1 {
			t.Errorf("%s: %s %v outside (0, 1]", what, k, v)
		}
	}
	if v, _ := m["acc"].(float64); v < 0.15 {
		t.Errorf("%s: acc %v: no better than chance on MNIST", what, v)
	}
	if v, _ := m["inertia"].(float64); v <= 0 {
		t.Errorf("%s: inertia %v", what, v)
	}
}

func TestClusterJSON(t *testing.T) {
	model := seedModel(t)
	out, _, err := runAekit(t, "cluster", "--model", model, "--limit", "400", "--n-init", "2", "--baseline", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "}\n") {
		t.Fatalf("stdout is not one JSON line:\n%s", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	checkScores(t, "codes", m, 400, 98) // the seed's code: 7×7×2
	base, ok := m["baseline"].(map[string]any)
	if !ok {
		t.Fatalf("no baseline object in %s", out)
	}
	checkScores(t, "baseline", base, 400, 784)
	if len(m) != len(scoreKeys)+1 || len(base) != len(scoreKeys) {
		t.Errorf("unexpected keys: %s", out)
	}

	// Same seed, same clustering; without --baseline no baseline key.
	out2, _, err := runAekit(t, "cluster", "--model", model, "--limit", "400", "--n-init", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var m2 map[string]any
	if err := json.Unmarshal([]byte(out2), &m2); err != nil {
		t.Fatal(err)
	}
	if _, has := m2["baseline"]; has {
		t.Error("baseline key without --baseline")
	}
	for _, k := range scoreKeys {
		if m[k] != m2[k] {
			t.Errorf("%s: %v then %v with the same seed", k, m[k], m2[k])
		}
	}
}

func TestClusterTable(t *testing.T) {
	out, _, err := runAekit(t, "cluster", "--model", seedModel(t), "--limit", "300", "--n-init", "1", "--algorithm", "elkan", "--baseline")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"top labels", "matched", "codes", "pixels", "acc", "nmi", "ari", "purity", "inertia", `cut at "max_pooling2d_2"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Ten cluster lines whose sizes add up to the 300 images, labels read
	// as words.
	lines := strings.Split(out, "\n")
	total, rows := 0, 0
	for i, l := range lines {
		if !strings.Contains(l, "top labels") {
			continue
		}
		for _, row := range lines[i+1 : i+11] {
			var c, size int
			if _, err := fmt.Sscan(row, &c, &size); err != nil {
				t.Fatalf("row %q: %v", row, err)
			}
			total += size
			rows++
		}
	}
	if rows != 10 || total != 300 {
		t.Errorf("%d rows adding to %d, want 10 adding to 300:\n%s", rows, total, out)
	}
	if !strings.Contains(out, "ones") && !strings.Contains(out, "sevens") {
		t.Errorf("labels not read as words:\n%s", out)
	}
}

func TestClusterOut(t *testing.T) {
	dir := t.TempDir()
	out, _, err := runAekit(t, "cluster", "--model", seedModel(t), "--limit", "250", "--n-init", "1", "--out", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("--json with --out printed more than the object:\n%s", out)
	}
	recs := readCSV(t, filepath.Join(dir, "assignments.csv"))
	if len(recs) != 251 || strings.Join(recs[0], ",") != "index,cluster,label" {
		t.Fatalf("assignments.csv: %d rows, header %v", len(recs), recs[0])
	}
	if recs[1][0] != "0" || recs[1][2] != "7" { // the first test image is a 7
		t.Errorf("assignments.csv row 1: %v", recs[1])
	}
	cents := readCSV(t, filepath.Join(dir, "centroids.csv"))
	if len(cents) != 11 || len(cents[0]) != 99 || cents[0][0] != "cluster" {
		t.Errorf("centroids.csv: %d rows of %d columns", len(cents), len(cents[0]))
	}
	var m map[string]any
	readJSON(t, filepath.Join(dir, "metrics.json"), &m)
	checkScores(t, "metrics.json", m, 250, 98)
	if cl, _ := m["clusters"].([]any); len(cl) != 10 {
		t.Errorf("metrics.json clusters: %v", m["clusters"])
	}
	f, err := os.Open(filepath.Join(dir, "clusters.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Ten rows of 28×2-pixel images with gaps: taller than 560 pixels,
	// wider than ten images.
	if b := img.Bounds(); b.Dy() < 560 || b.Dx() < 560 {
		t.Errorf("clusters.png is %v", b)
	}
}

// readJSON decodes the JSON file at path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

func TestClusterFlagErrors(t *testing.T) {
	model := seedModel(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--k", "0"}, "--k 0"},
		{[]string{"--k", "500", "--limit", "300"}, "--k 500"},
		{[]string{"--n-init", "0"}, "--n-init 0"},
		{[]string{"--data", "no-such-set"}, `--data "no-such-set"`},
		{[]string{"--algorithm", "hartigan"}, `--algorithm "hartigan"`},
		{[]string{"--minibatch", "--algorithm", "elkan"}, `--algorithm "elkan"`},
		{[]string{"--scale", "0"}, "--scale 0"},
		{[]string{"--limit", "-1"}, "--limit -1"},
		{[]string{"--layer", "no_such_layer"}, `--layer "no_such_layer"`},
		{[]string{"--layer", "conv2d_1", "--encoder"}, `--layer "conv2d_1"`},
		{[]string{"--refine-iter", "5"}, "--refine-iter: only used with --refine"},
		{[]string{"--save", "x.onnx"}, "--save: only used with --refine"},
		{[]string{"--refine", "--encoder"}, "--refine: needs the whole autoencoder"},
		{[]string{"--refine", "--refine-iter", "0"}, "--refine-iter 0"},
		{[]string{"--refine", "--refine-gamma", "-1"}, "--refine-gamma -1"},
		{[]string{"--refine", "--minibatch"}, "--refine: not used with --minibatch"},
	} {
		args := append([]string{"cluster", "--model", model}, c.args...)
		_, _, err := runAekit(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %s", c.args, err, c.want)
		}
	}
	if _, _, err := runAekit(t, "cluster"); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("no --model: error %v", err)
	}
	missing := filepath.Join(t.TempDir(), "absent.onnx")
	if _, _, err := runAekit(t, "cluster", "--model", missing); err == nil || !strings.Contains(err.Error(), "--model") || !strings.Contains(err.Error(), "absent.onnx") {
		t.Errorf("missing model file: error %v", err)
	}
}

// TestClusterEncoderFile clusters with an exported encoder: the file's
// output is the code, and --layer is not needed.
func TestClusterEncoderFile(t *testing.T) {
	dir := t.TempDir()
	enc := filepath.Join(dir, "encoder.onnx")
	g, err := onnx.ReadFile(seedModel(t))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := clusterModelJSON(t, "--model", seedModel(t), "--layer", "max_pooling2d_2")
	if err != nil {
		t.Fatal(err)
	}
	if err := export.WriteFile(enc, g, export.Options{Part: export.PartEncoder}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--model", enc, "--encoder"}, {"--model", enc}} {
		m, err := clusterModelJSON(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range scoreKeys {
			if m[k] != whole[k] {
				t.Errorf("%v: %s %v, the whole model cut at its bottleneck gives %v", args, k, m[k], whole[k])
			}
		}
	}
}

func clusterModelJSON(t *testing.T, args ...string) (map[string]any, error) {
	t.Helper()
	out, _, err := runAekit(t, append([]string{"cluster", "--limit", "200", "--n-init", "1", "--json"}, args...)...)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal([]byte(out), &m)
}

// sharedModel locates a converted model of ../shared/models (beside the
// repository). Without the folder the test fails under CI and is skipped
// elsewhere.
func sharedModel(t *testing.T, rel string) string {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "models", rel)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared model missing under CI: %v", err)
		}
		t.Skipf("shared model not here (%v); CI=true makes this a failure", err)
	}
	return path
}

// TestClusterImportedModels clusters MNIST with the encoders of converted
// classifiers, cut at named layers and fed in the layout each input
// declares, with no change to the files: a trained classifier's hidden
// features separate the digits, so k-means on them must beat 0.85
// accuracy on 2,000 test images (measured: 0.989, 0.956, 0.893).
func TestClusterImportedModels(t *testing.T) {
	for _, c := range []struct {
		file, layer string
		extra       []string
		dim         int
		minAcc      float64
	}{
		// keras2onnx, NHWC input [N,28,28,1]: the first Dense layer's ReLU.
		{"keras2onnx-1.6.0_keras_mnist_cnn/keras_mnist.onnx", "dense_5/Relu:0", nil, 256, 0.9},
		// tf2onnx from Keras 3, input [N,28,28]: the second Dense's ReLU.
		{"tf2onnx-1.16.1_keras3_lenet/model.onnx", "sequential_1/dense_1_2/Relu:0", nil, 84, 0.9},
		// CNTK's mnist-7, NCHW with a fixed batch of 1, pixels 0..255.
		{"mnist-7_cntk_via_onnx-go/model.onnx", "Pooling160_Output_0", []string{"--scale", "255"}, 256, 0.85},
	} {
		t.Run(filepath.Dir(c.file), func(t *testing.T) {
			path := sharedModel(t, c.file)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := clusterModelJSON(t, append([]string{"--model", path, "--layer", c.layer, "--limit", "2000", "--n-init", "10"}, c.extra...)...)
			if err != nil {
				t.Fatal(err)
			}
			if m["dim"] != float64(c.dim) || m["n"] != 2000.0 {
				t.Errorf("dim %v n %v, want %d 2000", m["dim"], m["n"], c.dim)
			}
			if acc, _ := m["acc"].(float64); acc < c.minAcc {
				t.Errorf("acc %v < %v (nmi %v, ari %v)", acc, c.minAcc, m["nmi"], m["ari"])
			}
			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(before, after) {
				t.Errorf("the model file changed (%v)", err)
			}
		})
	}
}

// writeDigitFolder writes the first per images of each MNIST test digit as
// PNG files in class folders dir/0 … dir/9, a labelled image folder.
func writeDigitFolder(t *testing.T, dir string, per int) {
	t.Helper()
	test, err := data.MNIST("test")
	if err != nil {
		t.Fatal(err)
	}
	count := make([]int, 10)
	for i, l := range test.Labels {
		if count[l] == per {
			continue
		}
		count[l]++
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for p, v := range test.Image(i).Data {
			img.Pix[p] = uint8(v*255 + 0.5)
		}
		sub := filepath.Join(dir, strconv.Itoa(l))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := data.WritePNG(filepath.Join(sub, fmt.Sprintf("%05d.png", i)), img); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTrainClusters runs aekit train on a small labelled folder: after
// training it exports encoder.onnx and clusters the validation images with
// it (k = 10), unless --cluster=false.
func TestTrainClusters(t *testing.T) {
	images := t.TempDir()
	writeDigitFolder(t, images, 4)
	out := t.TempDir()
	stdout, _, err := runAekit(t, "train", "--data", images, "--validation", images, "--epochs", "1", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"encoder.onnx", "top labels", "acc", "nmi"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"model.onnx", "encoder.onnx", "clusters.png", "assignments.csv", "centroids.csv", "metrics.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	enc, err := onnx.ReadFile(filepath.Join(out, "encoder.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if enc.Meta["aekit.export.part"] != "encoder" || !enc.Outputs[0].Shape[1:].Equal([]int{2, 7, 7}) {
		t.Errorf("encoder.onnx: part %q, output %v", enc.Meta["aekit.export.part"], enc.Outputs[0].Shape)
	}
	var m map[string]any
	readJSON(t, filepath.Join(out, "metrics.json"), &m)
	if m["n"] != 40.0 || m["k"] != 10.0 || m["dim"] != 98.0 {
		t.Errorf("metrics.json: n %v k %v dim %v", m["n"], m["k"], m["dim"])
	}

	skip := t.TempDir()
	if _, _, err := runAekit(t, "train", "--data", images, "--validation", images, "--epochs", "1", "--out", skip, "--cluster=false", "--quiet"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(skip, "encoder.onnx")); !os.IsNotExist(err) {
		t.Errorf("--cluster=false still wrote encoder.onnx (%v)", err)
	}
}

func TestClusterMiniBatch(t *testing.T) {
	m, err := clusterModelJSON(t, "--model", seedModel(t), "--limit", "500", "--minibatch", "--n-init", "2")
	if err != nil {
		t.Fatal(err)
	}
	checkScores(t, "minibatch", m, 500, 98)
}

// TestClusterRefine runs DCEC's refinement from the command line: the
// report says so, and the saved model holds the refined weights and
// clusters again.
func TestClusterRefine(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "refined.onnx")
	out := filepath.Join(dir, "clusters")
	m, err := clusterModelJSON(t, "--model", seedModel(t), "--limit", "512",
		"--refine", "--refine-iter", "6", "--save", saved, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	checkScores(t, "refined", m, 512, 98)
	var metrics map[string]any
	readJSON(t, filepath.Join(out, "metrics.json"), &metrics)
	if metrics["algorithm"] != "dcec" || metrics["refine_iterations"] != 6.0 {
		t.Errorf("metrics.json: algorithm %v, refine_iterations %v; want dcec, 6", metrics["algorithm"], metrics["refine_iterations"])
	}
	before, err := onnx.ReadFile(seedModel(t))
	if err != nil {
		t.Fatal(err)
	}
	after, err := onnx.ReadFile(saved)
	if err != nil {
		t.Fatalf("--save: %v", err)
	}
	changed := 0
	for name, w := range before.Params {
		a, ok := after.Params[name]
		if !ok {
			t.Fatalf("saved model lacks %q", name)
		}
		for i := range w.Data {
			if w.Data[i] != a.Data[i] {
				changed++
				break
			}
		}
	}
	if changed == 0 {
		t.Error("the saved model holds the weights it started from")
	}
	again, err := clusterModelJSON(t, "--model", saved, "--limit", "512")
	if err != nil {
		t.Fatal(err)
	}
	if again["dim"] != 98.0 {
		t.Errorf("saved model's code has %v numbers, want 98", again["dim"])
	}
}
