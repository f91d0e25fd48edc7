package data

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aekit/aekit/graph"
)

// TestReadNPYNumpy reads the files testdata/make_npy.py wrote with numpy:
// every value is arange(n)*0.5 - 3 cast to the file's dtype.
func TestReadNPYNumpy(t *testing.T) {
	cases := []struct {
		file  string
		shape []int
		dtype graph.DType
	}{
		{"f4_2x3x4", []int{2, 3, 4}, graph.Float32},
		{"f4_big_endian_2x3", []int{2, 3}, graph.Float32},
		{"f8_5", []int{5}, graph.Float32},
		{"f4_fortran_2x3x4", []int{2, 3, 4}, graph.Float32},
		{"f4_scalar", []int{}, graph.Float32},
		{"f4_empty_0x3", []int{0, 3}, graph.Float32},
		{"f4_v2_3", []int{3}, graph.Float32},
		{"i8_6", []int{6}, graph.Int64},
		{"i4_2x2", []int{2, 2}, graph.Int64},
	}
	for _, c := range cases {
		x, err := ReadNPY(filepath.Join("testdata", "npy", c.file+".npy"))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if !x.Shape.Equal(c.shape) || x.DType != c.dtype {
			t.Errorf("%s: shape %v dtype %v, want %v %v", c.file, x.Shape, x.DType, c.shape, c.dtype)
			continue
		}
		for i, v := range x.Floats() {
			want := float64(i)*0.5 - 3
			if c.dtype == graph.Int64 {
				want = float64(int64(want)) // numpy casts toward zero
			}
			if v != want {
				t.Errorf("%s: element %d is %v, want %v", c.file, i, v, want)
				break
			}
		}
	}
	u, err := ReadNPY(filepath.Join("testdata", "npy", "u1_4.npy"))
	if err != nil || u.DType != graph.Int64 || u.Ints[2] != 128 || u.Ints[3] != 255 {
		t.Errorf("u1: %v %v", err, u)
	}
	b, err := ReadNPY(filepath.Join("testdata", "npy", "b1_3.npy"))
	if err != nil || b.Ints[0] != 1 || b.Ints[1] != 0 || b.Ints[2] != 1 {
		t.Errorf("b1: %v %v", err, b)
	}
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	tensors := []*graph.Tensor{
		graph.FromData([]float32{1.5, -2, 3e-38, 0, 7, 8}, 2, 1, 3),
		graph.FromData([]float32{0.25}),
		graph.FromData(make([]float32, 0), 0, 4),
		graph.FromInts([]int64{-1, 1 << 40, 3}, 3),
	}
	for i, x := range tensors {
		p := filepath.Join(dir, "x.npy")
		if err := WriteNPY(p, x); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(p)
		hlen := int(binary.LittleEndian.Uint16(raw[8:]))
		if (10+hlen)%64 != 0 || raw[9+hlen] != '\n' {
			t.Errorf("tensor %d: header of %d bytes is not padded to 64 with a final newline", i, hlen)
		}
		y, err := ReadNPY(p)
		if err != nil {
			t.Fatal(err)
		}
		if !y.Shape.Equal(x.Shape) || y.DType != x.DType || len(y.Data) != len(x.Data) || len(y.Ints) != len(x.Ints) {
			t.Fatalf("tensor %d: got %v %v, want %v %v", i, y.Shape, y.DType, x.Shape, x.DType)
		}
		for k := range x.Data {
			if x.Data[k] != y.Data[k] {
				t.Errorf("tensor %d element %d: %v, want %v", i, k, y.Data[k], x.Data[k])
			}
		}
		for k := range x.Ints {
			if x.Ints[k] != y.Ints[k] {
				t.Errorf("tensor %d element %d: %v, want %v", i, k, y.Ints[k], x.Ints[k])
			}
		}
	}
	// The header numpy would write for a [2, 1, 3] float32 array.
	var b bytes.Buffer
	EncodeNPY(&b, tensors[0])
	if !strings.Contains(b.String(), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 3), }") {
		t.Errorf("header %q", b.String()[:64])
	}
	b.Reset()
	EncodeNPY(&b, tensors[3])
	if !strings.Contains(b.String(), "'shape': (3,), }") || !strings.Contains(b.String(), "'<i8'") {
		t.Errorf("header %q", b.String()[:64])
	}
	if err := WriteNPY(filepath.Join(dir, "missing", "x.npy"), tensors[0]); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("unwritable folder: %v", err)
	}
	bad := &graph.Tensor{Shape: graph.Shape{2, 2}, Data: []float32{1}}
	if err := WriteNPY(filepath.Join(dir, "bad.npy"), bad); err == nil {
		t.Error("inconsistent tensor written")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries after a failed write, want 1 (no temporary files)", len(entries))
	}
}

// npyWith builds a .npy file (version 1.0) with the given header text and data.
func npyWith(header string, data []byte) []byte {
	b := []byte(npyMagic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	return append(append(b, header...), data...)
}

func TestDecodeNPYErrors(t *testing.T) {
	good, _ := os.ReadFile(filepath.Join("testdata", "npy", "f4_2x3x4.npy"))
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated: expected an 8-byte preamble"},
		{"magic", []byte("PK\x03\x04 zip file..."), "wrong magic"},
		{"version", []byte(npyMagic + "\x09\x00\x10\x00"), "unsupported format version 9.0"},
		{"short header", good[:40], "truncated header: expected 118 bytes, got 30"},
		{"truncated", good[:len(good)-5], "truncated: shape 2×3×4 of <f4 declares 96 bytes of data, got 91"},
		{"huge", npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }\n", nil), "exceed the limit"},
		{"negative", npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }\n", nil), "bad header"},
		{"overflow", npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999999999999,), }\n", nil), "bad header"},
		{"object", npyWith("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n", nil), "unsupported dtype"},
		{"complex", npyWith("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }\n", nil), "unsupported dtype"},
		{"structured", npyWith("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", nil), "structured dtypes"},
		{"no shape", npyWith("{'descr': '<f4', 'fortran_order': False, }\n", nil), `missing key "shape"`},
		{"twice", npyWith("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (), }\n", nil), "given twice"},
		{"order", npyWith("{'descr': '<f4', 'fortran_order': 0, 'shape': (), }\n", nil), "fortran_order"},
		{"junk", npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (), } x\n", nil), "text after the dictionary"},
		{"unclosed", npyWith("{'descr': '<f4", nil), "bad header"},
	}
	for _, c := range cases {
		_, err := DecodeNPY(bytes.NewReader(c.in), c.name)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"`+c.name+`"`) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", c.name, err, c.want)
		}
	}
}
