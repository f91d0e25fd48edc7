package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aekit/aekit/cluster"
	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/export"
	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/internal/ort"
	"github.com/aekit/aekit/onnx"
)

// EnvCompareORT names the environment variable that turns on
// TestCompareORT (set it to 1); bench/compare-ort.sh sets it.
const EnvCompareORT = "AEKIT_COMPARE_ORT"

// ortResult is what ort-bench.js prints.
type ortResult struct {
	N          int    `json:"n"`
	ORTVersion string `json:"ort_version"`
	Results    []struct {
		Batch int       `json:"batch"`
		BestS float64   `json:"best_s"`
		RunsS []float64 `json:"runs_s"`
	} `json:"results"`
}

// compareRow is one line of the comparison: a model at a batch size.
// AekitS and ORTS use every core (ORT: its default thread count);
// Aekit1S and ORT1S one (GOMAXPROCS=1; intraOpNumThreads=1). Ratio is
// AekitS over the faster of ORTS and ORT1S (on a busy machine ORT's
// spinning thread pool can be slower than one thread), Ratio1 is Aekit1S
// over ORT1S.
type compareRow struct {
	Model   string  `json:"model"`
	Batch   int     `json:"batch"`
	AekitS  float64 `json:"aekit_s"`
	ORTS    float64 `json:"ort_s"`
	Aekit1S float64 `json:"aekit_1core_s"`
	ORT1S   float64 `json:"ort_1thread_s"`
	Ratio   float64 `json:"ratio_aekit_over_best_ort"`
	Ratio1  float64 `json:"ratio_1core"`
}

// TestCompareORT exports the seed's encoder and full model to ONNX and
// times the 10,000 MNIST test images through ONNX Runtime (ort-bench.js,
// one session with its default threads, and one with a single thread) and
// through aekit (cluster.Encode on the exported file read back, on every
// core and on one), at batch sizes 32, 256 and 1000, taking the best of
// several passes over two interleaved rounds. It checks that both give the
// same outputs and logs the times and their ratios; with
// AEKIT_COMPARE_ORT_OUT set it also writes them there as JSON.
func TestCompareORT(t *testing.T) {
	if os.Getenv(EnvCompareORT) != "1" {
		t.Skip("a timing run of about two minutes: set " + EnvCompareORT + "=1 (bench/compare-ort.sh does)")
	}
	if err := ort.Available(); err != nil {
		t.Fatal(err)
	}
	ortDir, err := ortModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	repeats := 5
	if s := os.Getenv("AEKIT_COMPARE_ORT_REPEATS"); s != "" {
		if repeats, err = strconv.Atoi(s); err != nil || repeats < 1 {
			t.Fatalf("AEKIT_COMPARE_ORT_REPEATS=%q: want a positive integer", s)
		}
	}
	const rounds = 2
	batches := []int{32, 256, 1000}

	dir := t.TempDir()
	g := seedModel(t)
	test, err := data.MNIST("test")
	if err != nil {
		t.Fatal(err)
	}
	X := test.X
	xFile := filepath.Join(dir, "x.f32")
	if err := writeRaw(xFile, X.Data); err != nil {
		t.Fatal(err)
	}
	var rows []compareRow
	for _, part := range []string{export.PartEncoder, export.PartFull} {
		path := filepath.Join(dir, part+".onnx")
		if err := export.WriteFile(path, g, export.Options{Part: part}); err != nil {
			t.Fatal(err)
		}
		m, err := onnx.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Best times by [threads: 0 all, 1 one][batch size].
		var bestORT, bestAekit [2]map[int]float64
		for i := range 2 {
			bestORT[i], bestAekit[i] = map[int]float64{}, map[int]float64{}
		}
		keep := func(m map[int]float64, b int, s float64) {
			if best, ok := m[b]; !ok || s < best {
				m[b] = s
			}
		}
		var ortOut []float32
		var aekitOut []float32
		var version string
		for range rounds {
			for threads := range 2 {
				res, out, err := runORTBench(ortDir, path, xFile, X.Shape, batches, repeats, threads, dir)
				if err != nil {
					t.Fatal(err)
				}
				version, ortOut = res.ORTVersion, out
				for _, r := range res.Results {
					keep(bestORT[threads], r.Batch, r.BestS)
				}
				procs := runtime.GOMAXPROCS(0)
				if threads == 1 {
					runtime.GOMAXPROCS(1)
				}
				for _, b := range batches {
					cluster.Encode(m, X, b, nil) // warm-up (compiles the plans)
					for range repeats {
						began := time.Now()
						codes, _, _, err := cluster.Encode(m, X, b, nil)
						s := time.Since(began).Seconds()
						if err != nil {
							t.Fatal(err)
						}
						keep(bestAekit[threads], b, s)
						aekitOut = codes
					}
				}
				runtime.GOMAXPROCS(procs)
			}
		}
		// The last ORT outputs (batch 1000) against aekit's (batch 1000).
		if len(ortOut) != len(aekitOut) {
			t.Fatalf("%s: ONNX Runtime gave %d values, aekit %d", part, len(ortOut), len(aekitOut))
		}
		worst := 0.0
		for i := range ortOut {
			worst = max(worst, math.Abs(float64(ortOut[i])-float64(aekitOut[i])))
		}
		if worst > 1e-4 {
			t.Errorf("%s: outputs of ONNX Runtime and aekit differ by up to %g", part, worst)
		}
		t.Logf("%s: ONNX Runtime %s and aekit agree within %.2g", part, version, worst)
		for _, b := range batches {
			r := compareRow{Model: part, Batch: b, AekitS: bestAekit[0][b], ORTS: bestORT[0][b], Aekit1S: bestAekit[1][b], ORT1S: bestORT[1][b]}
			r.Ratio = r.AekitS / min(r.ORTS, r.ORT1S)
			r.Ratio1 = r.Aekit1S / r.ORT1S
			rows = append(rows, r)
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%d MNIST test images, seconds, best of %d passes × %d rounds; GOMAXPROCS %d\n", X.Shape[0], repeats, rounds, runtime.GOMAXPROCS(0))
	fmt.Fprintf(&table, "%-8s %6s %9s %9s %9s %9s %9s %9s\n", "model", "batch", "aekit", "ORT", "aekit 1c", "ORT 1t", "ratio", "ratio 1c")
	for _, r := range rows {
		fmt.Fprintf(&table, "%-8s %6d %9.4f %9.4f %9.4f %9.4f %9.2f %9.2f\n", r.Model, r.Batch, r.AekitS, r.ORTS, r.Aekit1S, r.ORT1S, r.Ratio, r.Ratio1)
	}
	table.WriteString("aekit, ORT: every core (ORT's default threads); 1c, 1t: one core, one thread;\nratio: aekit / the faster ORT setting; ratio 1c: aekit 1c / ORT 1t\n")
	t.Log("\n" + table.String())
	if out := os.Getenv("AEKIT_COMPARE_ORT_OUT"); out != "" {
		b, _ := json.MarshalIndent(rows, "", "  ")
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runORTBench runs ort-bench.js on a model (threads 0: ORT's default
// intra-op thread count) and returns its report and the outputs of its
// last pass.
func runORTBench(ortDir, model, xFile string, shape graph.Shape, batches []int, repeats, threads int, dir string) (*ortResult, []float32, error) {
	outFile := filepath.Join(dir, "ort-out.f32")
	var bs, ds []string
	for _, b := range batches {
		bs = append(bs, strconv.Itoa(b))
	}
	for _, d := range shape {
		ds = append(ds, strconv.Itoa(d))
	}
	cmd := exec.Command("node", "ort-bench.js", ortDir, model, xFile, strings.Join(ds, ","), strings.Join(bs, ","), strconv.Itoa(repeats), outFile)
	cmd.Env = append(os.Environ(), "ORT_INTRA_OP_THREADS="+strconv.Itoa(threads))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("ort-bench.js on %s: %v: %s", model, err, strings.TrimSpace(stderr.String()))
	}
	var res ortResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, nil, fmt.Errorf("ort-bench.js on %s: report %q: %w", model, stdout.String(), err)
	}
	raw, err := os.ReadFile(outFile)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return &res, out, nil
}

// writeRaw writes v as raw little-endian float32.
func writeRaw(path string, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return os.WriteFile(path, b, 0o644)
}

// ortModuleDir finds the onnxruntime-node package folder as package ort
// does: $AEKIT_ORT_NODE, else node_modules/onnxruntime-node in the working
// directory or above.
func ortModuleDir() (string, error) {
	if d := os.Getenv(ort.EnvDir); d != "" {
		return filepath.Abs(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "node_modules", "onnxruntime-node")
		if _, err := os.Stat(filepath.Join(cand, "package.json")); err == nil {
			return cand, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("node_modules/onnxruntime-node not found above %s", wd)
		}
	}
}
