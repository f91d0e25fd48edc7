package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Reference values from testdata/mnist_ref.py (numpy on the same .gz files),
// output kept in testdata/mnist_ref.txt.
var mnistRef = []struct {
	split       string
	n           int
	first       []int
	counts      []int
	pixelSums   []int // integer pixel sums of images 0..2
	floatSum    float64
	sha32Images string // SHA-256 of the float32 LE bytes of images 0..31
}{
	{"train", 60000, []int{5, 0, 4, 1, 9, 2, 1, 3, 1, 4},
		[]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
		[]int{27525, 31095, 19443}, 6146268.857009,
		"975e7cdd81ff0ed9d6f3874e037d64d736d5e381614009d44535f6a6102bed43"},
	{"test", 10000, []int{7, 2, 1, 0, 4, 1, 4, 9, 5, 9},
		[]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
		[]int{18454, 28850, 9871}, 1038914.518637,
		"c693a84c319ea99da030cee369b6e36571181a704fdd6392364daebd023cc618"},
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestMNIST(t *testing.T) {
	for _, ref := range mnistRef {
		d, err := MNIST(ref.split)
		if err != nil {
			t.Fatal(err)
		}
		if want := "mnist-" + ref.split; d.Name != want {
			t.Errorf("name %q, want %q", d.Name, want)
		}
		if got := d.X.Shape; len(got) != 4 || got[0] != ref.n || got[1] != 1 || got[2] != 28 || got[3] != 28 {
			t.Fatalf("%s: shape %v, want %d×1×28×28", ref.split, got, ref.n)
		}
		if d.Len() != ref.n || len(d.Labels) != ref.n || len(d.X.Data) != ref.n*784 {
			t.Fatalf("%s: %d images, %d labels, %d values", ref.split, d.Len(), len(d.Labels), len(d.X.Data))
		}
		for i, l := range ref.first {
			if d.Labels[i] != l {
				t.Errorf("%s: label %d is %d, want %d", ref.split, i, d.Labels[i], l)
			}
		}
		counts := make([]int, 10)
		for _, l := range d.Labels {
			counts[l]++
		}
		for k := range counts {
			if counts[k] != ref.counts[k] {
				t.Errorf("%s: %d images of digit %d, want %d", ref.split, counts[k], k, ref.counts[k])
			}
		}
		if len(d.Classes) != 10 || d.Classes[3] != "3" {
			t.Errorf("%s: classes %v", ref.split, d.Classes)
		}
		for i, want := range ref.pixelSums {
			sum := 0
			for _, v := range d.Image(i).Data {
				p := math.Round(float64(v) * 255)
				if float32(p)/255 != v { // exactly float32(pixel)/255
					t.Fatalf("%s image %d: value %v is not float32(pixel)/255", ref.split, i, v)
				}
				sum += int(p)
			}
			if sum != want {
				t.Errorf("%s image %d: pixel sum %d, want %d", ref.split, i, sum, want)
			}
		}
		total := 0.0
		for _, v := range d.X.Data {
			total += float64(v)
		}
		if math.Abs(total-ref.floatSum) > 1e-3 {
			t.Errorf("%s: sum of values %.6f, want %.6f (±1e-3)", ref.split, total, ref.floatSum)
		}
		h := sha256.Sum256(float32Bytes(d.X.Data[:32*784]))
		if got := hex.EncodeToString(h[:]); got != ref.sha32Images {
			t.Errorf("%s: SHA-256 of images 0..31 %s, want %s", ref.split, got, ref.sha32Images)
		}
		again, _ := MNIST(ref.split)
		if again != d {
			t.Errorf("%s: second call decoded again instead of using the cache", ref.split)
		}
	}
	if _, err := MNIST("validation"); err == nil {
		t.Error("split \"validation\" accepted")
	}
}

// TestMNISTGoldenBatch compares training images 0..31 with the Keras-made
// golden batch (a TensorProto whose raw_data field holds the float32 values).
func TestMNISTGoldenBatch(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "golden", "seed-adadelta", "batch.pb")
	pb, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not present (it lies beside the repository); TestMNIST checks the same bytes by hash", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	raw := protoBytesField(t, pb, 9) // TensorProto.raw_data
	d, err := MNIST("train")
	if err != nil {
		t.Fatal(err)
	}
	want := float32Bytes(d.X.Data[:32*784])
	if len(raw) != len(want) {
		t.Fatalf("raw_data has %d bytes, want %d", len(raw), len(want))
	}
	for i := range raw {
		if raw[i] != want[i] {
			t.Fatalf("byte %d (image %d) differs from the golden batch", i, i/(4*784))
		}
	}
}

// protoBytesField returns the first length-delimited field num of a
// protobuf message, read with the wire format by hand.
func protoBytesField(t *testing.T, b []byte, num uint64) []byte {
	t.Helper()
	varint := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			t.Fatal("bad varint in protobuf")
		}
		b = b[n:]
		return v
	}
	for len(b) > 0 {
		key := varint()
		switch key & 7 {
		case 0:
			varint()
		case 1:
			b = b[8:]
		case 5:
			b = b[4:]
		case 2:
			l := varint()
			if key>>3 == num {
				return b[:l]
			}
			b = b[l:]
		default:
			t.Fatalf("wire type %d in protobuf", key&7)
		}
	}
	t.Fatalf("field %d not found", num)
	return nil
}

func TestDatasetSliceImage(t *testing.T) {
	d, err := MNIST("test")
	if err != nil {
		t.Fatal(err)
	}
	s := d.Slice(5, 10)
	if s.Len() != 5 || s.Labels[0] != 1 || s.Labels[4] != 9 || &s.X.Data[0] != &d.X.Data[5*784] {
		t.Errorf("Slice(5, 10): %d images, labels %v", s.Len(), s.Labels)
	}
	img := s.Image(0)
	if !img.Shape.Equal([]int{1, 28, 28}) || &img.Data[0] != &d.X.Data[5*784] {
		t.Errorf("Image(0): shape %v", img.Shape)
	}
	defer func() {
		if recover() == nil {
			t.Error("Image out of range did not panic")
		}
	}()
	s.Image(5)
}

// BenchmarkMNISTTrainDecode decodes the 60,000 embedded training images
// (gunzip, idx, float32 conversion) without the cache.
func BenchmarkMNISTTrainDecode(b *testing.B) {
	for b.Loop() {
		if _, err := loadEmbedded("train", "mnist-train"); err != nil {
			b.Fatal(err)
		}
	}
}
