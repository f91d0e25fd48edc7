//go:build !amd64 || purego

package graph

// convAsm is false where no assembly micro-kernels exist; the pure-Go
// kernels of conv_kernels.go run instead.
var convAsm = false

func corr4x24(out *float32, ostride int, in *float32, offs *int, k int, w *float32, nblk int) {
	panic("graph: corr4x24 without assembly")
}

func corr2x48(out *float32, ostride int, in *float32, offs *int, k int, w *float32, nblk int) {
	panic("graph: corr2x48 without assembly")
}

func corr1x96(out *float32, in *float32, offs *int, k int, w *float32, nblk int) {
	panic("graph: corr1x96 without assembly")
}

func dot4x3(acc *float32, gp *float32, gstride int, in *float32, offs *int, nvec int) {
	panic("graph: dot4x3 without assembly")
}

func dot2x6(acc *float32, gp *float32, gstride int, in *float32, offs *int, nvec int) {
	panic("graph: dot2x6 without assembly")
}

func dot1x8(acc *float32, gp *float32, in *float32, offs *int, nvec int) {
	panic("graph: dot1x8 without assembly")
}

func rowsBias(dst *float32, dstride int, src *float32, sstride int, rows int, wd int, bias float32) {
	panic("graph: rowsBias without assembly")
}

func sum8(p *float32, n int, out *float32) {
	panic("graph: sum8 without assembly")
}
