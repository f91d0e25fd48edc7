//go:build amd64 && !purego

package graph

import "golang.org/x/sys/cpu"

// convAsm reports whether the AVX2 + FMA micro-kernels of
// conv_kernels_amd64.s may run on this CPU.
var convAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func corr4x24(out *float32, ostride int, in *float32, offs *int, k int, w *float32, nblk int)

//go:noescape
func corr2x48(out *float32, ostride int, in *float32, offs *int, k int, w *float32, nblk int)

//go:noescape
func corr1x96(out *float32, in *float32, offs *int, k int, w *float32, nblk int)

//go:noescape
func dot4x3(acc *float32, gp *float32, gstride int, in *float32, offs *int, nvec int)

//go:noescape
func dot2x6(acc *float32, gp *float32, gstride int, in *float32, offs *int, nvec int)

//go:noescape
func dot1x8(acc *float32, gp *float32, in *float32, offs *int, nvec int)

//go:noescape
func rowsBias(dst *float32, dstride int, src *float32, sstride int, rows int, wd int, bias float32)

//go:noescape
func sum8(p *float32, n int, out *float32)
