package main

import (
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

func TestInputLayout(t *testing.T) {
	for _, c := range []struct {
		shape   graph.Shape
		meta    string
		layout  string
		c, h, w int
	}{
		{graph.Shape{-1, 1, 28, 28}, "", layoutNCHW, 1, 28, 28},
		{graph.Shape{1, 1, 28, 28}, "", layoutNCHW, 1, 28, 28},
		{graph.Shape{-1, 28, 28, 1}, "", layoutNHWC, 1, 28, 28},
		{graph.Shape{-1, 32, 32, 3}, "", layoutNHWC, 3, 32, 32},
		{graph.Shape{-1, 3, 3, 3}, "", layoutNCHW, 3, 3, 3},
		{graph.Shape{-1, 3, 3, 3}, "nhwc", layoutNHWC, 3, 3, 3},
		{graph.Shape{-1, 28, 28}, "", layoutHW, 1, 28, 28},
		{graph.Shape{-1, 784}, "", layoutFlat, 0, 0, 0},
	} {
		g := &graph.Graph{Inputs: []graph.ValueInfo{{Name: "x", Shape: c.shape}}, Meta: map[string]string{}}
		if c.meta != "" {
			g.Meta["aekit.export.layout"] = c.meta
		}
		m, err := inputOf(g)
		if err != nil {
			t.Fatalf("%v: %v", c.shape, err)
		}
		if m.Layout != c.layout || m.C != c.c || m.H != c.h || m.W != c.w {
			t.Errorf("%v (meta %q): %s %d×%d×%d, want %s %d×%d×%d", c.shape, c.meta, m.Layout, m.C, m.H, m.W, c.layout, c.c, c.h, c.w)
		}
	}
	if _, err := inputOf(&graph.Graph{Inputs: []graph.ValueInfo{{Name: "x", Shape: graph.Shape{-1, 2, 3, 4, 5}}}}); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("5-D input: %v", err)
	}
}

func TestFeedLayouts(t *testing.T) {
	// Two 3-channel 2×2 images, values 0..23 in NCHW order.
	x := graph.New(2, 3, 2, 2)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	nhwc := modelInput{Name: "x", Shape: graph.Shape{-1, 2, 2, 3}, Layout: layoutNHWC}
	got, err := nhwc.feed(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	// out[n,h,w,c] = 2·x[n,c,h,w], worked out by hand for image 0 and 1.
	want := []float32{0, 8, 16, 2, 10, 18, 4, 12, 20, 6, 14, 22, 24, 32, 40, 26, 34, 42, 28, 36, 44, 30, 38, 46}
	if !got.Shape.Equal(graph.Shape{2, 2, 2, 3}) {
		t.Fatalf("shape %v", got.Shape)
	}
	for i := range want {
		if got.Data[i] != want[i] {
			t.Fatalf("NHWC data %v, want %v", got.Data, want)
		}
	}
	if x.Data[1] != 1 {
		t.Fatal("feed changed its input")
	}
	flat, err := modelInput{Name: "x", Shape: graph.Shape{-1, 12}, Layout: layoutFlat}.feed(x, 1)
	if err != nil || !flat.Shape.Equal(graph.Shape{2, 12}) || &flat.Data[0] != &x.Data[0] {
		t.Errorf("flat: %v %v (want a [2,12] view of the data)", flat, err)
	}
	if _, err := (modelInput{Name: "x", Shape: graph.Shape{-1, 13}, Layout: layoutFlat}).feed(x, 1); err == nil {
		t.Error("flat input of the wrong size accepted")
	}
	if _, err := (modelInput{Name: "x", Shape: graph.Shape{-1, 2, 2}, Layout: layoutHW}).feed(x, 1); err == nil || !strings.Contains(err.Error(), "3 channels") {
		t.Errorf("3 channels into [N,H,W]: %v", err)
	}
	one := graph.New(1, 1, 2, 2)
	one.Data[3] = 0.5
	hw, err := modelInput{Name: "x", Shape: graph.Shape{-1, 2, 2}, Layout: layoutHW}.feed(one, 255)
	if err != nil || !hw.Shape.Equal(graph.Shape{1, 2, 2}) || hw.Data[3] != 127.5 || one.Data[3] != 0.5 {
		t.Errorf("[N,H,W] ×255: %v %v", hw, err)
	}
	if _, err := nhwc.feed(x, 0); err == nil {
		t.Error("scale 0 accepted")
	}
}
