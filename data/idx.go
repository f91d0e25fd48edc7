package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/aekit/aekit/graph"
)

// The magic numbers of the idx files this package reads: unsigned bytes
// (type 0x08) with 1 dimension (labels) or 3 dimensions (images).
const (
	MagicLabels = 0x00000801 // 2049
	MagicImages = 0x00000803 // 2051
)

// IDX is the content of one idx file of unsigned bytes: its dimensions,
// outermost first, and its data in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// ReadIDX reads an idx file of unsigned bytes (type 0x08, 1 to 4
// dimensions, so labels and images) from r, gzip-compressed or plain (told
// apart by gzip's magic bytes). name is used in errors. The declared size is
// checked against DefaultLimits.MaxElements before anything is allocated, the
// data must be exactly as long as the header declares, and a gzip stream must
// pass its checksum.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	avail := knownSize(r)
	br := bufio.NewReader(r)
	src := io.Reader(br)
	head, _ := br.Peek(2)
	gz := len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b
	if gz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: idx file %q: bad gzip header: %w", name, err)
		}
		defer zr.Close()
		src = zr
		if avail >= 0 {
			avail *= maxDeflateRatio
		}
	}
	var hdr [4]byte
	if n, err := io.ReadFull(src, hdr[:]); err != nil {
		return nil, fmt.Errorf("data: idx file %q: truncated header: expected 4 bytes of magic number, got %d", name, n)
	}
	magic := binary.BigEndian.Uint32(hdr[:])
	ndim := int(hdr[3])
	if hdr[0] != 0 || hdr[1] != 0 || hdr[2] != 0x08 || ndim < 1 || ndim > 4 {
		return nil, fmt.Errorf("data: idx file %q: wrong magic number 0x%08x (%d): want an idx file of unsigned bytes, %d for labels or %d for images", name, magic, magic, MagicLabels, MagicImages)
	}
	dimBytes := make([]byte, 4*ndim)
	if n, err := io.ReadFull(src, dimBytes); err != nil {
		return nil, fmt.Errorf("data: idx file %q: truncated header: expected %d bytes of dimensions, got %d", name, len(dimBytes), n)
	}
	dims := make([]int, ndim)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(dimBytes[4*i:]))
	}
	size, err := checkedProduct(dims, DefaultLimits.MaxElements)
	if err != nil {
		return nil, fmt.Errorf("data: idx file %q: refused: %w", name, err)
	}
	data, got, err := readN(src, size, avail)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data: idx file %q: corrupt data after %d of %d bytes: %w", name, got, size, err)
	}
	if got < size {
		return nil, fmt.Errorf("data: idx file %q: truncated: dimensions %s declare %d bytes of data, got %d", name, dimString(dims), size, got)
	}
	// Read on to the end: the data must stop where the header says, and a
	// gzip stream verifies its checksum only at its end.
	var extra [1]byte
	n, err := io.ReadFull(src, extra[:])
	if n > 0 {
		return nil, fmt.Errorf("data: idx file %q: more data after the %d bytes that dimensions %s declare", name, size, dimString(dims))
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("data: idx file %q: corrupt data at its end: %w", name, err)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// maxDeflateRatio bounds how many bytes one compressed byte of a deflate
// stream can give (1032:1 for long runs; rounded up).
const maxDeflateRatio = 1040

// knownSize returns how many bytes r still holds when r can tell (readers
// over memory, regular files), else -1.
func knownSize(r io.Reader) int {
	switch v := r.(type) {
	case interface{ Len() int }:
		return v.Len()
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil || st.Size()-off > math.MaxInt32 {
			return -1
		}
		return int(st.Size() - off)
	}
	return -1
}

// readN reads exactly n bytes. When the input can hold them (avail, the
// most it can give, or -1 when unknown) the buffer is allocated at once;
// otherwise it grows only as data arrives, so that a short input declaring a
// huge size does not allocate it. It returns the bytes read, their count and
// the read error that stopped it, if any.
func readN(r io.Reader, n, avail int) ([]byte, int, error) {
	const first = 1 << 22
	start := min(n, first)
	if avail >= n {
		start = n
	}
	buf := make([]byte, 0, start)
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if err == io.EOF && len(buf) == n {
				break
			}
			return buf, len(buf), err
		}
	}
	return buf, len(buf), nil
}

// dimString formats dims as 60000×28×28.
func dimString(dims []int) string {
	s := ""
	for i, d := range dims {
		if i > 0 {
			s += "×"
		}
		s += strconv.Itoa(d)
	}
	return s
}

// ReadIDXFile reads the idx file at path (gzip or plain) with ReadIDX.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: idx file: %w", err)
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// LoadIDX reads an images file (magic 2051, [N, H, W]) and a labels file
// (magic 2049, [N]), each gzip-compressed or plain, and returns them as a
// Dataset of N single-channel images (pixel/255) with labels. labelsPath may
// be empty, for images without labels.
func LoadIDX(imagesPath, labelsPath string) (*Dataset, error) {
	img, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	var lbl *IDX
	if labelsPath != "" {
		if lbl, err = ReadIDXFile(labelsPath); err != nil {
			return nil, err
		}
	}
	return NewIDXDataset(imagesPath, imagesPath, img, labelsPath, lbl)
}

// NewIDXDataset builds a Dataset named name from an images idx [N, H, W]
// read from imagesName and an optional labels idx [N] read from labelsName
// (nil for none). Pixels become float32(pixel)/255, exactly as Keras's
// x.astype('float32')/255. Classes are the label values as decimal strings,
// "0" up to the largest label.
func NewIDXDataset(name, imagesName string, images *IDX, labelsName string, labels *IDX) (*Dataset, error) {
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("data: idx file %q: images need 3 dimensions [N, H, W] (magic %d), got %d: %s", imagesName, MagicImages, len(images.Dims), dimString(images.Dims))
	}
	n, h, w := images.Dims[0], images.Dims[1], images.Dims[2]
	if n > 0 && (h == 0 || w == 0) {
		return nil, fmt.Errorf("data: idx file %q: images of size %d×%d", imagesName, h, w)
	}
	d := &Dataset{Name: name, X: &graph.Tensor{Shape: graph.Shape{n, 1, h, w}, Data: bytesToUnit(images.Data)}}
	if labels == nil {
		return d, nil
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("data: idx file %q: labels need 1 dimension [N] (magic %d), got %d: %s", labelsName, MagicLabels, len(labels.Dims), dimString(labels.Dims))
	}
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("data: idx files %q and %q: counts do not match: %d images, %d labels", imagesName, labelsName, n, labels.Dims[0])
	}
	d.Labels = make([]int, n)
	top := -1
	for i, v := range labels.Data {
		d.Labels[i] = int(v)
		top = max(top, int(v))
	}
	d.Classes = make([]string, top+1)
	for i := range d.Classes {
		d.Classes[i] = strconv.Itoa(i)
	}
	return d, nil
}

// unitLUT maps a byte to float32(byte)/255.
var unitLUT = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// bytesToUnit converts pixels to float32(pixel)/255, in parallel.
func bytesToUnit(p []byte) []float32 {
	out := make([]float32, len(p))
	const chunk = 1 << 16
	graph.Parallel((len(p)+chunk-1)/chunk, func(lo, hi int) {
		a, b := lo*chunk, min(hi*chunk, len(p))
		src, dst := p[a:b], out[a:b]
		for i, v := range src {
			dst[i] = unitLUT[v]
		}
	})
	return out
}
