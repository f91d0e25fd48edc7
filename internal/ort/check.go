package ort

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Python is the interpreter whose onnx package checks models (Debian's
// python3-onnx).
const Python = "/usr/bin/python3"

// checkPy checks each model named on the command line with the ONNX
// checker (full_check) and strict shape inference. The checker refuses
// models whose IR version is newer than its own (python3-onnx 1.12 knows IR
// ≤ 8 and operator schemas up to opset 17); such a model is checked as a
// copy with the IR version lowered to the checker's, and a NOTE line says
// so. Operators of newer opsets are then checked against the newest schema
// the package knows.
const checkPy = `
import sys, onnx
from onnx import checker, shape_inference
bad = 0
for p in sys.argv[1:]:
    try:
        m = onnx.load(p)
        if m.ir_version > onnx.IR_VERSION:
            print("NOTE %s: IR version %d checked as %d (onnx %s)" % (p, m.ir_version, onnx.IR_VERSION, onnx.__version__))
            m.ir_version = onnx.IR_VERSION
        checker.check_model(m, full_check=True)
        shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    except Exception as e:
        bad += 1
        print("FAIL %s: %s" % (p, str(e).replace("\n", " ")))
sys.exit(1 if bad else 0)
`

var (
	checkOnce sync.Once
	checkErr  error
)

// CheckerAvailable reports whether the python3 onnx package can check
// models: nil, or an error saying what is missing.
func CheckerAvailable() error {
	checkOnce.Do(func() {
		var stderr bytes.Buffer
		cmd := exec.Command(Python, "-c", "import onnx, onnx.checker, onnx.shape_inference")
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			checkErr = fmt.Errorf("ONNX checker: %s cannot import onnx (%v): %s; install the Debian package python3-onnx (scripts/test-deps.sh)",
				Python, err, lastLine(stderr.String()))
		}
	})
	return checkErr
}

// RequireChecker is Require for the ONNX checker.
func RequireChecker(t testing.TB) {
	t.Helper()
	if err := CheckerAvailable(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %v", err)
		}
		t.Skipf("skipped: %v", err)
	}
}

// Check runs onnx.checker.check_model(full_check=True) and
// onnx.shape_inference.infer_shapes(strict_mode=True) on each model file,
// in one python3 process. It returns the checker's notes (a model with an
// IR version newer than the checker's is checked with it lowered, and a
// note says so) and an error listing every file that failed and why.
func Check(paths ...string) (notes []string, err error) {
	if err := CheckerAvailable(); err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(Python, append([]string{"-c", checkPy}, paths...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var fails []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "NOTE "):
			notes = append(notes, strings.TrimPrefix(line, "NOTE "))
		case strings.HasPrefix(line, "FAIL "):
			fails = append(fails, strings.TrimPrefix(line, "FAIL "))
		}
	}
	if len(fails) > 0 {
		return notes, fmt.Errorf("ONNX checker: %d of %d models fail:\n%s", len(fails), len(paths), strings.Join(fails, "\n"))
	}
	if runErr != nil {
		return notes, fmt.Errorf("ONNX checker: %v: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	return notes, nil
}

// SharedModels returns the folder shared/models (the converter files that
// shared/models/ORIGINS.md describes), found in the working directory or a
// folder above it: a clone has shared/ beside the repository or inside it.
// When it is not found the test fails if the environment variable CI is
// set, and is skipped with the folders searched otherwise.
func SharedModels(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var tried []string
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "shared", "models")
		if _, err := os.Stat(filepath.Join(cand, "ORIGINS.md")); err == nil {
			return cand
		}
		tried = append(tried, cand)
		if filepath.Dir(d) == d {
			break
		}
	}
	msg := fmt.Sprintf("shared/models/ORIGINS.md not found (looked in %s)", strings.Join(tried, ", "))
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s", msg)
	}
	t.Skip("skipped: " + msg)
	return ""
}
