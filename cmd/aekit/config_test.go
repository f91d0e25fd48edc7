package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

func TestLoadModelConfigSeed(t *testing.T) {
	mc, err := loadModelConfig("../../examples/mnist/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if mc.Name != "seed" || len(mc.Input) != 3 || len(mc.Layers) != 14 || mc.Seed != 1 {
		t.Fatalf("decoded %+v", mc)
	}
	g, err := mc.Build()
	if err != nil {
		t.Fatal(err)
	}
	if tr, _ := g.ParamCount(); tr != 937 {
		t.Fatalf("seed params %d, want 937", tr)
	}
	if g.Layers[6].Name != "max_pooling2d_2" {
		t.Fatalf("layer 6 is %q", g.Layers[6].Name)
	}
}

func TestLoadModelConfigDCEC(t *testing.T) {
	mc, err := loadModelConfig("../../examples/dcec/dcec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := mc.Build()
	if err != nil {
		t.Fatal(err)
	}
	// kernel_size: 5 (one number) is 5×5.
	if s := g.Params["conv2d_1.kernel"].Shape; !s.Equal(graph.Shape{32, 1, 5, 5}) {
		t.Fatalf("conv2d_1.kernel %v", s)
	}
	if tr, _ := g.ParamCount(); tr != 275979 {
		t.Fatalf("DCEC params %d", tr)
	}
}

func TestLoadModelConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct{ path, want string }{
		{write("key.yaml", "model:\n  input: [4]\n  layers:\n    - {type: Dense, unitz: 3}\n"), "unitz"},
		{write("top.yaml", "model:\n  input: [4]\n  layerz: []\n"), "layerz"},
		{write("none.yaml", "train:\n  epochs: 3\n"), "no model: section"},
		{write("bad.yaml", "model: [\n"), "bad.yaml"},
		{filepath.Join(dir, "missing.yaml"), "missing.yaml"},
	} {
		if _, err := loadModelConfig(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.path, err, c.want)
		}
	}
	// A wrong type is caught by Build, naming the layer's index.
	mc, err := loadModelConfig(write("type.yaml", "model:\n  input: [4]\n  layers:\n    - {type: Dense, units: 3}\n    - {type: Dense3D}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mc.Build(); err == nil || !strings.Contains(err.Error(), `layer 1: unknown type "Dense3D"`) {
		t.Fatalf("unknown type: %v", err)
	}
}
