package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"
)

func pngBytes(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testGray is a w×h grey image with pixel (x, y) = (x*31 + y*17) mod 256.
func testGray(w, h int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetGray(x, y, color.Gray{uint8((x*31 + y*17) % 256)})
		}
	}
	return m
}

// testRGB is a w×h opaque colour image.
func testRGB(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetRGBA(x, y, color.RGBA{uint8(x * 9), uint8(y * 7), uint8((x + y) * 5), 255})
		}
	}
	return m
}

func decode(t *testing.T, b []byte, c, h, w int, opts *ImageOptions) []float32 {
	t.Helper()
	dst := make([]float32, c*h*w)
	if err := DecodeImage(bytes.NewReader(b), "test.png", c, h, w, opts, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestDecodeImageChannels(t *testing.T) {
	g, rgb := testGray(28, 28), testRGB(28, 28)
	// Grey → 1 channel: exactly pixel/255, as the MNIST reader gives.
	got := decode(t, pngBytes(t, g), 1, 28, 28, nil)
	for i, p := range g.Pix {
		if got[i] != float32(p)/255 {
			t.Fatalf("grey pixel %d: %v, want %v", i, got[i], float32(p)/255)
		}
	}
	// Grey → 3 channels: the value repeated.
	got = decode(t, pngBytes(t, g), 3, 28, 28, nil)
	for i, p := range g.Pix {
		for c := 0; c < 3; c++ {
			if got[c*784+i] != float32(p)/255 {
				t.Fatalf("grey pixel %d channel %d: %v", i, c, got[c*784+i])
			}
		}
	}
	// Colour → 3 channels: planes R, G, B.
	got = decode(t, pngBytes(t, rgb), 3, 28, 28, nil)
	for i := 0; i < 784; i++ {
		for c := 0; c < 3; c++ {
			if want := float32(rgb.Pix[4*i+c]) / 255; got[c*784+i] != want {
				t.Fatalf("colour pixel %d channel %d: %v, want %v", i, c, got[c*784+i], want)
			}
		}
	}
	// Colour → 1 channel: the standard library's luma (color.GrayModel).
	got = decode(t, pngBytes(t, rgb), 1, 28, 28, nil)
	for i := 0; i < 784; i++ {
		p := rgb.Pix[4*i : 4*i+4]
		y := color.GrayModel.Convert(color.RGBA{p[0], p[1], p[2], 255}).(color.Gray).Y
		if got[i] != float32(y)/255 {
			t.Fatalf("colour pixel %d as grey: %v, want %v", i, got[i], float32(y)/255)
		}
	}
	// 16-bit grey PNG.
	g16 := image.NewGray16(image.Rect(0, 0, 4, 4))
	g16.SetGray16(1, 0, color.Gray16{0xffff})
	got = decode(t, pngBytes(t, g16), 1, 4, 4, nil)
	if got[1] != 1 || got[0] != 0 {
		t.Errorf("16-bit grey: %v", got[:2])
	}
	// JPEG (lossy): within 3/255 of the grey image.
	got = decode(t, jpegBytes(t, g), 1, 28, 28, nil)
	for i, p := range g.Pix {
		if math.Abs(float64(got[i])-float64(p)/255) > 3.0/255 {
			t.Fatalf("jpeg pixel %d: %v, want %v", i, got[i], float32(p)/255)
		}
	}
}

func TestDecodeImageResize(t *testing.T) {
	// A constant image stays constant whatever the interpolator.
	m := image.NewGray(image.Rect(0, 0, 50, 40))
	for i := range m.Pix {
		m.Pix[i] = 200
	}
	for _, in := range []xdraw.Interpolator{nil, xdraw.ApproxBiLinear, xdraw.NearestNeighbor} {
		got := decode(t, pngBytes(t, m), 1, 28, 28, &ImageOptions{Interp: in})
		for i, v := range got {
			if math.Abs(float64(v)-200.0/255) > 1.0/255 {
				t.Fatalf("interp %v: pixel %d is %v, want 200/255", in, i, v)
			}
		}
	}
	// Left half black, right half white, halved: the edge stays in the middle.
	m = image.NewGray(image.Rect(0, 0, 56, 56))
	for y := 0; y < 56; y++ {
		for x := 28; x < 56; x++ {
			m.Pix[y*56+x] = 255
		}
	}
	got := decode(t, pngBytes(t, m), 1, 28, 28, nil)
	for y := 0; y < 28; y++ {
		if got[y*28+5] > 0.01 || got[y*28+22] < 0.99 {
			t.Fatalf("row %d: %v … %v", y, got[y*28+5], got[y*28+22])
		}
	}
}

// hugePNG is a valid 1×1 PNG whose header is patched to declare w×h.
func hugePNG(t testing.TB, w, h uint32) []byte {
	b := pngBytes(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// IHDR data starts at 16: width, height; its CRC follows the 13 bytes.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func gifBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, testGray(4, 4), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func half(b []byte) []byte { return b[:len(b)/2] }

func TestDecodeImageErrors(t *testing.T) {
	dst := make([]float32, 28*28)
	cases := []struct {
		name string
		in   []byte
		opts *ImageOptions
		want string
	}{
		{"huge.png", hugePNG(t, 100000, 100000), nil, "100000×100000 exceeds the limit of 67108864 pixels"},
		{"wide.png", hugePNG(t, 1<<30, 2), nil, "exceeds the limit"},
		{"small limit.png", pngBytes(t, testGray(64, 64)), &ImageOptions{MaxPixels: 1000}, "64×64 exceeds the limit of 1000 pixels"},
		{"big file.png", pngBytes(t, testGray(64, 64)), &ImageOptions{MaxFileBytes: 100}, "larger than the limit of 100 bytes"},
		{"text.png", []byte("hello, not a picture"), nil, "not a PNG or JPEG image"},
		{"anim.gif", gifBytes(t), nil, "gif images are not supported"},
		{"cut.png", half(pngBytes(t, testGray(28, 28))), nil, "corrupt png image"},
		{"cut.jpg", half(jpegBytes(t, testGray(28, 28))), nil, "corrupt jpeg image"},
	}
	for _, c := range cases {
		err := DecodeImage(bytes.NewReader(c.in), c.name, 1, 28, 28, c.opts, dst)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", c.name, err, c.want)
		}
	}
	if err := DecodeImage(bytes.NewReader(pngBytes(t, testGray(2, 2))), "x.png", 2, 28, 28, nil, make([]float32, 2*784)); err == nil {
		t.Error("2 channels accepted")
	}
	if err := DecodeImage(bytes.NewReader(pngBytes(t, testGray(2, 2))), "x.png", 1, 28, 28, nil, make([]float32, 10)); err == nil {
		t.Error("short destination accepted")
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// solid is a w×h grey image of one value.
func solid(w, h int, v uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	return m
}

func TestLoadImagesClasses(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "dog", "c.PNG"), pngBytes(t, solid(8, 8, 30)))
	writeFile(t, filepath.Join(dir, "cat", "sub", "b.jpg"), jpegBytes(t, solid(16, 12, 20)))
	writeFile(t, filepath.Join(dir, "cat", "a.png"), pngBytes(t, solid(8, 8, 10)))
	writeFile(t, filepath.Join(dir, "cat", "notes.txt"), []byte("skipped"))
	writeFile(t, filepath.Join(dir, "cat", ".hidden.png"), []byte("skipped too"))
	writeFile(t, filepath.Join(dir, ".git", "x.png"), []byte("skipped folder"))
	writeFile(t, filepath.Join(dir, "README"), []byte("not an image, skipped"))
	d, err := LoadImages(dir, 1, 8, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.X.Shape.Equal([]int{3, 1, 8, 8}) {
		t.Fatalf("shape %v", d.X.Shape)
	}
	if strings.Join(d.Classes, ",") != "cat,dog" || len(d.Labels) != 3 || d.Labels[0] != 0 || d.Labels[1] != 0 || d.Labels[2] != 1 {
		t.Errorf("classes %v labels %v", d.Classes, d.Labels)
	}
	// Order: cat/a.png, cat/sub/b.jpg, dog/c.PNG.
	for i, want := range []float64{10, 20, 30} {
		if v := float64(d.Image(i).Data[27]) * 255; math.Abs(v-want) > 2 {
			t.Errorf("image %d: value %v, want %v", i, v, want)
		}
	}
	// Three channels from the same files.
	d3, err := LoadImages(dir, 3, 4, 4, &ImageOptions{Interp: xdraw.ApproxBiLinear})
	if err != nil || !d3.X.Shape.Equal([]int{3, 3, 4, 4}) {
		t.Fatalf("3 channels: %v %v", err, d3)
	}
}

func TestLoadImagesFlat(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"b.png", "a.png", "c.jpeg"} {
		writeFile(t, filepath.Join(dir, name), pngBytes(t, solid(5, 5, uint8(100+i))))
	}
	d, err := LoadImages(dir, 1, 5, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Labels != nil || d.Classes != nil || d.Len() != 3 {
		t.Errorf("labels %v classes %v n %d", d.Labels, d.Classes, d.Len())
	}
	// a.png (101), b.png (100), c.jpeg (a PNG under a .jpeg name: 102).
	for i, want := range []float32{101, 100, 102} {
		if d.Image(i).Data[0] != want/255 {
			t.Errorf("image %d: %v, want %v/255", i, d.Image(i).Data[0], want)
		}
	}
}

func TestLoadImagesErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ok.png"), pngBytes(t, solid(5, 5, 1)))
	writeFile(t, filepath.Join(dir, "zz-bad.png"), []byte("\x89PNG\r\n\x1a\nbroken"))
	_, err := LoadImages(dir, 1, 5, 5, nil)
	if err == nil || !strings.Contains(err.Error(), "zz-bad.png") {
		t.Errorf("corrupt file: %v", err)
	}
	mixed := t.TempDir()
	writeFile(t, filepath.Join(mixed, "loose.png"), pngBytes(t, solid(5, 5, 1)))
	writeFile(t, filepath.Join(mixed, "class", "a.png"), pngBytes(t, solid(5, 5, 1)))
	if _, err := LoadImages(mixed, 1, 5, 5, nil); err == nil || !strings.Contains(err.Error(), "loose.png") {
		t.Errorf("mixed layout: %v", err)
	}
	empty := t.TempDir()
	writeFile(t, filepath.Join(empty, "notes.txt"), []byte("x"))
	if _, err := LoadImages(empty, 1, 5, 5, nil); err == nil || !strings.Contains(err.Error(), "no .png") {
		t.Errorf("empty: %v", err)
	}
	if _, err := LoadImages(filepath.Join(empty, "missing"), 1, 5, 5, nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := LoadImages(dir, 4, 5, 5, nil); err == nil || !strings.Contains(err.Error(), "1 or 3 channels") {
		t.Errorf("4 channels: %v", err)
	}
}
