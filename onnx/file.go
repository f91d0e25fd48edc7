package onnx

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aekit/aekit/graph"
	"github.com/aekit/aekit/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// ReadFile reads an ONNX model file with DefaultLimits.
func ReadFile(path string) (*graph.Graph, error) { return DefaultLimits.ReadFile(path) }

// ReadFile reads an ONNX model file within the limits; errors name the file.
func (l Limits) ReadFile(path string) (*graph.Graph, error) {
	data, err := l.readFile(path)
	if err != nil {
		return nil, err
	}
	m, err := l.decodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("onnx file %q: %w", path, err)
	}
	return m.Graph, nil
}

// readFile reads a whole file, refusing one larger than MaxFileBytes before
// reading it.
func (l Limits) readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("onnx file %q: is a directory", path)
	}
	if st.Size() > l.MaxFileBytes {
		return nil, fmt.Errorf("onnx file %q: %d bytes, more than the limit of %d", path, st.Size(), l.MaxFileBytes)
	}
	// Read at most MaxFileBytes+1 so a file that grows meanwhile is caught.
	data, err := io.ReadAll(io.LimitReader(f, l.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("onnx file %q: %w", path, err)
	}
	if int64(len(data)) > l.MaxFileBytes {
		return nil, fmt.Errorf("onnx file %q: more than the limit of %d bytes", path, l.MaxFileBytes)
	}
	return data, nil
}

// WriteFile encodes g and writes it to path atomically: the bytes go to a
// temporary file in the same folder, which is synced and then renamed over
// path, so that a crash leaves either the old file or the new one.
func WriteFile(path string, g *graph.Graph) error {
	data, err := Encode(g)
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}

// writeAtomic writes data to path through a synced temporary file and a
// rename, then syncs the folder (best effort) so the rename is durable.
func writeAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("onnx: write %q: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("onnx: write %q: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("onnx: write %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("onnx: write %q: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// DecodeTensor reads a TensorProto (the input_0.pb files of ONNX backend
// tests) with DefaultLimits. FLOAT, DOUBLE, FLOAT16 and BFLOAT16 become
// float32 tensors; INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, UINT64
// and BOOL (as 0/1) become int64 tensors. Other element types and external
// data are errors.
func DecodeTensor(data []byte) (*graph.Tensor, error) {
	_, t, err := DefaultLimits.DecodeNamedTensor(data)
	return t, err
}

// DecodeNamedTensor is DecodeTensor that also returns the tensor's name.
func DecodeNamedTensor(data []byte) (string, *graph.Tensor, error) {
	return DefaultLimits.DecodeNamedTensor(data)
}

// DecodeTensor reads a TensorProto within the limits.
func (l Limits) DecodeTensor(data []byte) (*graph.Tensor, error) {
	_, t, err := l.DecodeNamedTensor(data)
	return t, err
}

// DecodeNamedTensor reads a TensorProto within the limits and returns its
// name and value.
func (l Limits) DecodeNamedTensor(data []byte) (string, *graph.Tensor, error) {
	name, t, err := l.decodeTensorBytes(data)
	if err != nil {
		return "", nil, fmt.Errorf("onnx: %w", err)
	}
	return name, t, nil
}

func (l Limits) decodeTensorBytes(data []byte) (string, *graph.Tensor, error) {
	if len(data) == 0 {
		return "", nil, fmt.Errorf("empty input: no tensor")
	}
	var tp onnxpb.TensorProto
	if err := l.unmarshal(data, &tp); err != nil {
		return "", nil, err
	}
	t, err := l.decodeTensor(&tp)
	if err != nil {
		return "", nil, fmt.Errorf("tensor %q: %w", tp.GetName(), err)
	}
	return tp.GetName(), t, nil
}

// EncodeTensor writes t as an unnamed TensorProto (raw_data, little-endian).
func EncodeTensor(t *graph.Tensor) ([]byte, error) { return EncodeNamedTensor("", t) }

// EncodeNamedTensor writes t as a TensorProto called name.
func EncodeNamedTensor(name string, t *graph.Tensor) ([]byte, error) {
	tp, err := encodeTensor(name, t)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(tp)
	if err != nil {
		return nil, fmt.Errorf("onnx: tensor %q: %w", name, err)
	}
	return data, nil
}

// ReadTensorFile reads a TensorProto file with DefaultLimits.
func ReadTensorFile(path string) (*graph.Tensor, error) {
	return DefaultLimits.ReadTensorFile(path)
}

// ReadTensorFile reads a TensorProto file within the limits; errors name
// the file.
func (l Limits) ReadTensorFile(path string) (*graph.Tensor, error) {
	data, err := l.readFile(path)
	if err != nil {
		return nil, err
	}
	_, t, err := l.decodeTensorBytes(data)
	if err != nil {
		return nil, fmt.Errorf("onnx file %q: %w", path, err)
	}
	return t, nil
}

// WriteTensorFile writes t as an unnamed TensorProto file, atomically like
// WriteFile.
func WriteTensorFile(path string, t *graph.Tensor) error {
	data, err := EncodeTensor(t)
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}
