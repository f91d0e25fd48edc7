//go:build amd64 && !purego

package graph

import "golang.org/x/sys/cpu"

// gemmAsm reports whether the AVX2 + FMA GEMM micro-kernel of
// op_matmul_amd64.s may run on this CPU.
var gemmAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sgemm24x4 multiplies a packed 24×kc panel of A by a packed kc×4 panel of
// B and writes the 24×4 product column by column: acc[24·j + i].
//
//go:noescape
func sgemm24x4(kc int, a, b, acc *float32)
