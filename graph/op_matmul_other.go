//go:build !amd64 || purego

package graph

// gemmAsm is false where no assembly micro-kernel exists; the pure-Go one
// of op_matmul.go runs instead.
var gemmAsm = false

func sgemm24x4(kc int, a, b, acc *float32) {
	panic("graph: sgemm24x4 without assembly")
}
