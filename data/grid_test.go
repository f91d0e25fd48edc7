package data

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

func TestImageGridGray(t *testing.T) {
	d, err := MNIST("test")
	if err != nil {
		t.Fatal(err)
	}
	// Originals above "reconstructions" (here the inverted images), 10 columns.
	var rows [2][]*graph.Tensor
	for i := 0; i < 10; i++ {
		rows[0] = append(rows[0], d.Image(i))
		inv := d.Image(i).Clone()
		for k, v := range inv.Data {
			inv.Data[k] = 1 - v
		}
		rows[1] = append(rows[1], inv)
	}
	img, err := ImageGrid(rows[:], GridOptions{Scale: 2, Gap: 2})
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("grid is a %T, want *image.Gray", img)
	}
	// Width: 2 + 10×(56+2) = 582; height: 2 + 2×(56+2) = 118.
	if b := g.Bounds(); b.Dx() != 582 || b.Dy() != 118 {
		t.Fatalf("grid is %v, want 582×118", b)
	}
	// Pixel (r, c) of image k in row 0 sits at (2 + k×58 + 2c, 2 + 2r), twice.
	for _, k := range []int{0, 3, 9} {
		for _, rc := range [][2]int{{14, 14}, {10, 20}, {0, 0}} {
			want := toByte(d.Image(k).Data[rc[0]*28+rc[1]])
			x, y := 2+k*58+2*rc[1], 2+2*rc[0]
			if g.GrayAt(x, y).Y != want || g.GrayAt(x+1, y+1).Y != want {
				t.Errorf("image %d pixel %v: %d, want %d", k, rc, g.GrayAt(x, y).Y, want)
			}
			if inv := g.GrayAt(x, y+58).Y; inv != 255-want {
				t.Errorf("row 1 image %d pixel %v: %d, want %d", k, rc, inv, 255-want)
			}
		}
	}
	if g.GrayAt(0, 0).Y != 255 || g.GrayAt(58, 30).Y != 255 {
		t.Error("gaps are not white")
	}
}

func TestImageGridColourRaggedLabels(t *testing.T) {
	red := graph.New(3, 2, 2)
	for i := 0; i < 4; i++ {
		red.Data[i] = 1
	}
	grey := graph.FromData([]float32{0, 0.5, 1, 2}, 1, 1, 2, 2) // [1, C, H, W], 2 clipped to 1
	rows := [][]*graph.Tensor{{red, grey, nil}, {grey}}
	img, err := ImageGrid(rows, GridOptions{Scale: 3, Gap: -1, RowLabels: []string{"cluster 0", "cluster 1"}})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := img.(*image.RGBA)
	if !ok {
		t.Fatalf("grid is a %T, want *image.RGBA", img)
	}
	labelW := 9 * 7 // "cluster 0" in the 7-pixel font
	if b := m.Bounds(); b.Dx() != labelW+3*6 || b.Dy() != 2*6 {
		t.Fatalf("grid is %v, want %d×12", b, labelW+18)
	}
	if c := m.RGBAAt(labelW, 0); c.R != 255 || c.G != 0 || c.B != 0 {
		t.Errorf("red image drawn as %v", c)
	}
	if c := m.RGBAAt(labelW+6+3, 0); c.R != 128 || c.G != 128 || c.B != 128 {
		t.Errorf("grey 0.5 drawn as %v", c)
	}
	if c := m.RGBAAt(labelW+6+5, 5); c.R != 255 {
		t.Errorf("value 2 not clipped to 255: %v", c)
	}
	if c := m.RGBAAt(labelW+12+1, 1); c.R != 255 || c.G != 255 {
		t.Errorf("nil cell not white: %v", c)
	}
	dark := 0
	for y := 0; y < 12; y++ {
		for x := 0; x < labelW; x++ {
			if m.RGBAAt(x, y).R < 128 {
				dark++
			}
		}
	}
	if dark < 20 {
		t.Errorf("row labels: only %d dark pixels", dark)
	}
}

func TestImageGridErrors(t *testing.T) {
	a, b := graph.New(1, 2, 2), graph.New(1, 3, 3)
	for _, c := range []struct {
		rows [][]*graph.Tensor
		opts GridOptions
		want string
	}{
		{[][]*graph.Tensor{{a, b}}, GridOptions{}, "row 0, column 1 is 3×3, others are 2×2"},
		{[][]*graph.Tensor{{graph.New(2, 2, 2)}}, GridOptions{}, "2 channels"},
		{[][]*graph.Tensor{{graph.New(5)}}, GridOptions{}, "not [C, H, W]"},
		{[][]*graph.Tensor{{nil}}, GridOptions{}, "no images"},
		{[][]*graph.Tensor{{a}}, GridOptions{RowLabels: []string{"a", "b"}}, "2 row labels for 1 rows"},
		{[][]*graph.Tensor{{a}}, GridOptions{Scale: 1 << 40}, "beyond 1024"},
		{[][]*graph.Tensor{{graph.New(1, 1<<16, 1<<16)}}, GridOptions{}, "refused"},
	} {
		if _, err := ImageGrid(c.rows, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	img, err := ImageGrid([][]*graph.Tensor{{graph.FromData([]float32{0, 1, 0.2, 0.4}, 1, 2, 2)}}, GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "grid.png")
	if err := WritePNG(p, img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := back.(*image.Gray); !ok || g.Bounds().Dx() != 6 || g.GrayAt(3, 2).Y != 255 || g.GrayAt(2, 3).Y != 51 {
		t.Errorf("read back %T %v", back, back.Bounds())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only grid.png", len(entries))
	}
	if err := WritePNG(filepath.Join(dir, "no", "such", "x.png"), img); err == nil || !strings.Contains(err.Error(), "x.png") {
		t.Errorf("unwritable path: %v", err)
	}
}
