package data

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/aekit/aekit/graph"
)

// npyMagic opens every .npy file.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header dictionary of a .npy file.
const maxNPYHeader = 1 << 20

// ReadNPY reads a NumPy .npy file with DecodeNPY.
func ReadNPY(path string) (*graph.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: npy file: %w", err)
	}
	defer f.Close()
	return DecodeNPY(f, path)
}

// DecodeNPY reads one array in NumPy's .npy format (versions 1.0, 2.0 and
// 3.0) from r; name is used in errors. Floating-point arrays (f4, f8, either
// byte order) become Float32 tensors, integer and boolean arrays (i1–i8,
// u1–u4, b1) Int64 tensors; C and Fortran order are both read, into the
// row-major layout of graph.Tensor. The shape's element count is checked
// against DefaultLimits.MaxElements before anything is allocated, and the data
// must be as long as the shape declares.
func DecodeNPY(r io.Reader, name string) (*graph.Tensor, error) {
	avail := knownSize(r)
	br := bufio.NewReader(r)
	var pre [12]byte
	if n, err := io.ReadFull(br, pre[:8]); err != nil {
		return nil, fmt.Errorf("data: npy file %q: truncated: expected an 8-byte preamble, got %d bytes", name, n)
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("data: npy file %q: wrong magic %q, want %q", name, pre[:6], npyMagic)
	}
	major, minor := pre[6], pre[7]
	var hlen, lenBytes int
	switch major {
	case 1:
		lenBytes = 2
	case 2, 3:
		lenBytes = 4
	default:
		return nil, fmt.Errorf("data: npy file %q: unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", name, major, minor)
	}
	if n, err := io.ReadFull(br, pre[8:8+lenBytes]); err != nil {
		return nil, fmt.Errorf("data: npy file %q: truncated: expected a %d-byte header length, got %d bytes", name, lenBytes, n)
	}
	if lenBytes == 2 {
		hlen = int(binary.LittleEndian.Uint16(pre[8:]))
	} else {
		hlen = int(binary.LittleEndian.Uint32(pre[8:]))
	}
	if hlen > maxNPYHeader {
		return nil, fmt.Errorf("data: npy file %q: header of %d bytes exceeds the limit of %d", name, hlen, maxNPYHeader)
	}
	hdr, got, _ := readN(br, hlen, -1)
	if got < hlen {
		return nil, fmt.Errorf("data: npy file %q: truncated header: expected %d bytes, got %d", name, hlen, got)
	}
	h, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, fmt.Errorf("data: npy file %q: bad header %q: %w", name, truncate(string(hdr), 200), err)
	}
	dt, err := parseDescr(h.descr)
	if err != nil {
		return nil, fmt.Errorf("data: npy file %q: %w", name, err)
	}
	count, err := checkedProduct(h.shape, DefaultLimits.MaxElements)
	if err != nil {
		return nil, fmt.Errorf("data: npy file %q: refused: %w", name, err)
	}
	size := count * dt.size
	if avail >= 0 {
		avail -= 8 + lenBytes + hlen
	}
	raw, got, err := readN(br, size, avail)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("data: npy file %q: after %d of %d bytes of data: %w", name, got, size, err)
	}
	if got < size {
		return nil, fmt.Errorf("data: npy file %q: truncated: shape %s of %s declares %d bytes of data, got %d", name, dimString(h.shape), h.descr, size, got)
	}
	t := &graph.Tensor{Shape: graph.Shape(h.shape).Clone()}
	if dt.float {
		t.Data = make([]float32, count)
	} else {
		t.DType = graph.Int64
		t.Ints = make([]int64, count)
	}
	// Fortran order: the file's first index varies fastest. Walk the file's
	// elements keeping the multi-index and its row-major offset j.
	fortran := h.fortran && len(h.shape) > 1
	nd := len(h.shape)
	cStride := make([]int, nd)
	for i, s := nd-1, 1; i >= 0; i-- {
		cStride[i] = s
		s *= h.shape[i]
	}
	idx := make([]int, nd)
	j := 0
	for k := 0; k < count; k++ {
		b := raw[k*dt.size : (k+1)*dt.size]
		dst := k
		if fortran {
			dst = j
		}
		if dt.float {
			t.Data[dst] = dt.getFloat(b)
		} else {
			t.Ints[dst] = dt.getInt(b)
		}
		if fortran {
			for i := 0; i < nd; i++ {
				idx[i]++
				j += cStride[i]
				if idx[i] < h.shape[i] {
					break
				}
				j -= idx[i] * cStride[i]
				idx[i] = 0
			}
		}
	}
	return t, nil
}

// npyDType describes one element type of a .npy file.
type npyDType struct {
	size   int
	float  bool
	signed bool
	big    bool
}

func (d npyDType) bits(b []byte) uint64 {
	var v uint64
	if d.big {
		for _, x := range b {
			v = v<<8 | uint64(x)
		}
	} else {
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
	}
	return v
}

func (d npyDType) getFloat(b []byte) float32 {
	if d.size == 4 {
		return math.Float32frombits(uint32(d.bits(b)))
	}
	return float32(math.Float64frombits(d.bits(b)))
}

func (d npyDType) getInt(b []byte) int64 {
	v := d.bits(b)
	if d.signed && d.size < 8 {
		shift := 64 - 8*uint(d.size)
		return int64(v<<shift) >> shift
	}
	return int64(v)
}

// parseDescr decodes a dtype string such as "<f4".
func parseDescr(s string) (npyDType, error) {
	bad := fmt.Errorf("unsupported dtype %q (want a float f4/f8, an integer i1–i8/u1–u4 or bool b1)", s)
	if len(s) != 3 {
		return npyDType{}, bad
	}
	size := int(s[2] - '0')
	d := npyDType{size: size, big: s[0] == '>'}
	switch s[0] {
	case '<', '>', '=':
	case '|':
		if size != 1 {
			return npyDType{}, bad
		}
	default:
		return npyDType{}, bad
	}
	switch {
	case s[1] == 'f' && (size == 4 || size == 8):
		d.float = true
	case s[1] == 'i' && (size == 1 || size == 2 || size == 4 || size == 8):
		d.signed = true
	case s[1] == 'u' && (size == 1 || size == 2 || size == 4):
	case s[1] == 'b' && size == 1:
	default:
		return npyDType{}, bad
	}
	return d, nil
}

// npyHeader is the content of a .npy header dictionary.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPYHeader parses the Python dictionary literal of a .npy header:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseNPYHeader(s string) (npyHeader, error) {
	var h npyHeader
	p := &pyLex{s: s}
	if !p.eat('{') {
		return h, errors.New("no opening {")
	}
	seen := map[string]bool{}
	for !p.eat('}') {
		key, ok := p.str()
		if !ok {
			return h, fmt.Errorf("expected a quoted key at offset %d", p.i)
		}
		if !p.eat(':') {
			return h, fmt.Errorf("expected : after key %q", key)
		}
		switch key {
		case "descr":
			if h.descr, ok = p.str(); !ok {
				return h, errors.New("descr is not a string (structured dtypes are not supported)")
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
			default:
				return h, errors.New("fortran_order is neither True nor False")
			}
		case "shape":
			if h.shape, ok = p.tuple(); !ok {
				return h, errors.New("shape is not a tuple of integers")
			}
		default:
			return h, fmt.Errorf("unknown key %q", key)
		}
		if seen[key] {
			return h, fmt.Errorf("key %q given twice", key)
		}
		seen[key] = true
		if !p.eat(',') {
			if !p.eat('}') {
				return h, fmt.Errorf("expected , or } at offset %d", p.i)
			}
			break
		}
	}
	p.skip()
	if p.i != len(p.s) {
		return h, fmt.Errorf("text after the dictionary at offset %d", p.i)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("missing key %q", k)
		}
	}
	return h, nil
}

// pyLex scans the few Python literals a .npy header holds.
type pyLex struct {
	s string
	i int
}

func (p *pyLex) skip() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyLex) eat(c byte) bool {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyLex) word(w string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *pyLex) str() (string, bool) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

func (p *pyLex) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	dims := []int{}
	for !p.eat(')') {
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i || j-p.i > 18 {
			return nil, false
		}
		v, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, false
		}
		p.i = j
		dims = append(dims, v)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, false
			}
			break
		}
	}
	return dims, true
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// EncodeNPY writes t to w in NumPy's .npy format (version 1.0, or 2.0 for a
// very long header): Float32 tensors as '<f4', Int64 ones as '<i8', C order.
func EncodeNPY(w io.Writer, t *graph.Tensor) error {
	count := t.Shape.Size()
	if count < 0 || count != t.Len() {
		return fmt.Errorf("data: npy: tensor of shape %v holds %d elements", t.Shape, t.Len())
	}
	descr, esize := "<f4", 4
	if t.DType == graph.Int64 {
		descr, esize = "<i8", 8
	}
	var shape strings.Builder
	shape.WriteByte('(')
	for i, d := range t.Shape {
		if i > 0 {
			shape.WriteString(", ")
		}
		shape.WriteString(strconv.Itoa(d))
	}
	if len(t.Shape) == 1 {
		shape.WriteByte(',')
	}
	shape.WriteByte(')')
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape.String())
	pre := []byte(npyMagic + "\x01\x00\x00\x00")
	if len(dict)+64 > math.MaxUint16 {
		pre = []byte(npyMagic + "\x02\x00\x00\x00\x00\x00")
	}
	total := len(pre) + len(dict) + 1
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	if len(pre) == 10 {
		binary.LittleEndian.PutUint16(pre[8:], uint16(hlen))
	} else {
		binary.LittleEndian.PutUint32(pre[8:], uint32(hlen))
	}
	bw := bufio.NewWriter(w)
	bw.Write(pre)
	bw.WriteString(dict)
	bw.WriteString(strings.Repeat(" ", pad) + "\n")
	var b [8]byte
	for k := 0; k < count; k++ {
		if t.DType == graph.Int64 {
			binary.LittleEndian.PutUint64(b[:], uint64(t.Ints[k]))
		} else {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(t.Data[k]))
		}
		bw.Write(b[:esize])
	}
	return bw.Flush()
}

// WriteNPY writes t to path in NumPy's .npy format with EncodeNPY, through
// a temporary file renamed into place, so that path never holds half a file.
func WriteNPY(path string, t *graph.Tensor) error {
	return writeAtomic(path, func(w io.Writer) error { return EncodeNPY(w, t) })
}
