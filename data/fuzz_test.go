package data

import (
	"bytes"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets for every reader of untrusted files (issue 6). CI runs each
// for 30 s: go test ./data -run=^$ -fuzz=FuzzIDX -fuzztime=30s (and FuzzImages,
// FuzzNPY). Inputs that once failed live in testdata/fuzz/<target>/ and run
// as ordinary tests.

func FuzzIDX(f *testing.F) {
	// Real data: the first two MNIST test images and labels, as idx files,
	// plain and gzip-compressed.
	d, err := MNIST("test")
	if err != nil {
		f.Fatal(err)
	}
	pix := make([]byte, 2*784)
	for i, v := range d.X.Data[:2*784] {
		pix[i] = uint8(math.Round(float64(v) * 255))
	}
	for _, gz := range []bool{false, true} {
		f.Add(idxBytes(MagicImages, []uint32{2, 28, 28}, pix, gz))
		f.Add(idxBytes(MagicLabels, []uint32{2}, []byte{7, 2}, gz))
	}
	labelsGz, err := os.ReadFile(filepath.Join("mnist", "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(labelsGz)
	// Broken ones.
	f.Add([]byte{})
	f.Add(idxBytes(0x12345678, nil, nil, false))
	f.Add(idxBytes(MagicImages, []uint32{2, 28}, nil, false))
	f.Add(idxBytes(MagicImages, []uint32{2, 28, 28}, pix[:100], false))
	f.Add(idxBytes(MagicImages, []uint32{2, 28, 28}, pix[:100], true)[:60])
	f.Add(idxBytes(MagicImages, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil, false))
	f.Add(idxBytes(0x00000804, []uint32{1, 1, 2, 2}, []byte{1, 2, 3, 4}, false))
	f.Add(idxBytes(MagicLabels, []uint32{1}, []byte{1, 2}, false))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b), "fuzz")
		// The same through a reader of unknown size (the growing path).
		y, err2 := ReadIDX(struct{ *bytes.Reader }{bytes.NewReader(b)}, "fuzz")
		if (err == nil) != (err2 == nil) {
			t.Fatalf("known size: %v; unknown size: %v", err, err2)
		}
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if len(x.Data) != n || !bytes.Equal(x.Data, y.Data) {
			t.Fatalf("dims %v but %d bytes (%d the other way)", x.Dims, len(x.Data), len(y.Data))
		}
		if len(x.Dims) == 3 {
			ds, err := NewIDXDataset("fuzz", "fuzz", x, "", nil)
			if err == nil && len(ds.X.Data) != n {
				t.Fatalf("%d values for %d pixels", len(ds.X.Data), n)
			}
		}
	})
}

func FuzzImages(f *testing.F) {
	g, rgb := testGray(12, 10), testRGB(9, 9)
	for _, m := range []image.Image{g, rgb, solid(1, 1, 7)} {
		f.Add(pngBytes(f, m), false)
		f.Add(jpegBytes(f, m), true)
	}
	f.Add(hugePNG(f, 100000, 100000), false)
	f.Add(half(pngBytes(f, g)), true)
	f.Add(half(jpegBytes(f, rgb)), false)
	f.Add([]byte("\x89PNG\r\n\x1a\n"), false)
	f.Add([]byte("\xff\xd8\xff"), true)
	f.Fuzz(func(t *testing.T, b []byte, colour bool) {
		c := 1
		if colour {
			c = 3
		}
		dst := make([]float32, c*8*8)
		opts := &ImageOptions{MaxPixels: 1 << 16}
		if err := DecodeImage(bytes.NewReader(b), "fuzz.png", c, 8, 8, opts, dst); err != nil {
			return
		}
		for i, v := range dst {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("value %d is %v, outside [0, 1]", i, v)
			}
		}
	})
}

func FuzzNPY(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "npy", "*.npy"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-3])
	}
	f.Add([]byte{})
	f.Add([]byte(npyMagic + "\x02\x00\xff\xff\xff\xff"))
	f.Add(npyWith("{'descr': '<f4', 'fortran_order': True, 'shape': (100000, 100000, 100000), }\n", nil))
	f.Add(npyWith("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 2), }\n", []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	f.Add(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'descr': '<f4'}\n", []byte{0, 0, 0, 0}))
	f.Add(npyWith("{'descr\n", nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := DecodeNPY(bytes.NewReader(b), "fuzz.npy")
		if err != nil {
			return
		}
		if x.Shape.Size() != x.Len() {
			t.Fatalf("shape %v holds %d elements", x.Shape, x.Len())
		}
		var out bytes.Buffer
		if err := EncodeNPY(&out, x); err != nil {
			t.Fatal(err)
		}
		y, err := DecodeNPY(bytes.NewReader(out.Bytes()), "again.npy")
		if err != nil {
			t.Fatalf("written file does not read back: %v", err)
		}
		if !y.Shape.Equal(x.Shape) || y.DType != x.DType {
			t.Fatalf("round trip: %v %v, want %v %v", y.Shape, y.DType, x.Shape, x.DType)
		}
		for i := range x.Data {
			if math.Float32bits(x.Data[i]) != math.Float32bits(y.Data[i]) {
				t.Fatalf("element %d: %v, want %v", i, y.Data[i], x.Data[i])
			}
		}
		for i := range x.Ints {
			if x.Ints[i] != y.Ints[i] {
				t.Fatalf("element %d: %v, want %v", i, y.Ints[i], x.Ints[i])
			}
		}
	})
}
