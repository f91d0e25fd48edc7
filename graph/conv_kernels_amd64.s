//go:build amd64 && !purego

#include "textflag.h"

// AVX2 + FMA micro-kernels of the flat convolution (see conv_kernels.go).
// Go assembly takes FMA operands reversed: VFMADD231PS a, b, c is c += a·b.

// func corr4x24(out *float32, ostride int, in *float32, offs *int, k int, w *float32, nblk int)
//
// out[j·ostride + p] = Σ_t w[4t+j] · in[p + offs[t]], j < 4, p < 24·nblk.
TEXT ·corr4x24(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ ostride+8(FP), R9
	SHLQ $2, R9
	MOVQ in+16(FP), SI
	MOVQ offs+24(FP), BX
	MOVQ k+32(FP), CX
	MOVQ w+40(FP), DX
	MOVQ nblk+48(FP), R8
	LEAQ (R9)(R9*2), R14

c4blk:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ BX, R10
	MOVQ DX, R12
	MOVQ CX, R11

c4tap:
	MOVQ (R10), R13
	LEAQ (SI)(R13*4), R13
	VMOVUPS (R13), Y12
	VMOVUPS 32(R13), Y13
	VMOVUPS 64(R13), Y14
	VBROADCASTSS (R12), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VBROADCASTSS 4(R12), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VBROADCASTSS 8(R12), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VBROADCASTSS 12(R12), Y15
	VFMADD231PS Y12, Y15, Y9
	VFMADD231PS Y13, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	ADDQ $8, R10
	ADDQ $16, R12
	DECQ R11
	JNZ  c4tap

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, (DI)(R9*1)
	VMOVUPS Y4, 32(DI)(R9*1)
	VMOVUPS Y5, 64(DI)(R9*1)
	VMOVUPS Y6, (DI)(R9*2)
	VMOVUPS Y7, 32(DI)(R9*2)
	VMOVUPS Y8, 64(DI)(R9*2)
	VMOVUPS Y9, (DI)(R14*1)
	VMOVUPS Y10, 32(DI)(R14*1)
	VMOVUPS Y11, 64(DI)(R14*1)
	ADDQ    $96, DI
	ADDQ    $96, SI
	DECQ    R8
	JNZ     c4blk
	VZEROUPPER
	RET

// func corr2x48(out *float32, ostride int, in *float32, offs *int, k int, w *float32, nblk int)
//
// out[j·ostride + p] = Σ_t w[2t+j] · in[p + offs[t]], j < 2, p < 48·nblk.
TEXT ·corr2x48(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ ostride+8(FP), R9
	SHLQ $2, R9
	MOVQ in+16(FP), SI
	MOVQ offs+24(FP), BX
	MOVQ k+32(FP), CX
	MOVQ w+40(FP), DX
	MOVQ nblk+48(FP), R8

c2blk:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ BX, R10
	MOVQ DX, R12
	MOVQ CX, R11

c2tap:
	MOVQ         (R10), R13
	LEAQ         (SI)(R13*4), R13
	VBROADCASTSS (R12), Y12
	VBROADCASTSS 4(R12), Y13
	VMOVUPS      (R13), Y14
	VMOVUPS      32(R13), Y15
	VFMADD231PS  Y14, Y12, Y0
	VFMADD231PS  Y14, Y13, Y6
	VFMADD231PS  Y15, Y12, Y1
	VFMADD231PS  Y15, Y13, Y7
	VMOVUPS      64(R13), Y14
	VMOVUPS      96(R13), Y15
	VFMADD231PS  Y14, Y12, Y2
	VFMADD231PS  Y14, Y13, Y8
	VFMADD231PS  Y15, Y12, Y3
	VFMADD231PS  Y15, Y13, Y9
	VMOVUPS      128(R13), Y14
	VMOVUPS      160(R13), Y15
	VFMADD231PS  Y14, Y12, Y4
	VFMADD231PS  Y14, Y13, Y10
	VFMADD231PS  Y15, Y12, Y5
	VFMADD231PS  Y15, Y13, Y11
	ADDQ         $8, R10
	ADDQ         $8, R12
	DECQ         R11
	JNZ          c2tap

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, (DI)(R9*1)
	VMOVUPS Y7, 32(DI)(R9*1)
	VMOVUPS Y8, 64(DI)(R9*1)
	VMOVUPS Y9, 96(DI)(R9*1)
	VMOVUPS Y10, 128(DI)(R9*1)
	VMOVUPS Y11, 160(DI)(R9*1)
	ADDQ    $192, DI
	ADDQ    $192, SI
	DECQ    R8
	JNZ     c2blk
	VZEROUPPER
	RET

// func corr1x96(out *float32, in *float32, offs *int, k int, w *float32, nblk int)
//
// out[p] = Σ_t w[t] · in[p + offs[t]], p < 96·nblk.
TEXT ·corr1x96(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ k+24(FP), CX
	MOVQ w+32(FP), DX
	MOVQ nblk+40(FP), R8

c1blk:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ   BX, R10
	MOVQ   DX, R12
	MOVQ   CX, R11

c1tap:
	MOVQ         (R10), R13
	LEAQ         (SI)(R13*4), R13
	VBROADCASTSS (R12), Y12
	VFMADD231PS  (R13), Y12, Y0
	VFMADD231PS  32(R13), Y12, Y1
	VFMADD231PS  64(R13), Y12, Y2
	VFMADD231PS  96(R13), Y12, Y3
	VFMADD231PS  128(R13), Y12, Y4
	VFMADD231PS  160(R13), Y12, Y5
	VFMADD231PS  192(R13), Y12, Y6
	VFMADD231PS  224(R13), Y12, Y7
	VFMADD231PS  256(R13), Y12, Y8
	VFMADD231PS  288(R13), Y12, Y9
	VFMADD231PS  320(R13), Y12, Y10
	VFMADD231PS  352(R13), Y12, Y11
	ADDQ         $8, R10
	ADDQ         $4, R12
	DECQ         R11
	JNZ          c1tap

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VMOVUPS Y9, 288(DI)
	VMOVUPS Y10, 320(DI)
	VMOVUPS Y11, 352(DI)
	ADDQ    $384, DI
	ADDQ    $384, SI
	DECQ    R8
	JNZ     c1blk
	VZEROUPPER
	RET

// func dot4x3(acc *float32, gp *float32, gstride int, in *float32, offs *int, nvec int)
//
// acc[3j+t] = Σ_i g[j·gstride + i] · in[offs[t] + i], i < 8·nvec, j < 4, t < 3:
// 12 dot products, each summed in 8 lanes and the lanes added at the end.
TEXT ·dot4x3(SB), NOSPLIT, $0-48
	MOVQ gp+8(FP), DI
	MOVQ gstride+16(FP), R9
	SHLQ $2, R9
	MOVQ in+24(FP), SI
	MOVQ offs+32(FP), BX
	MOVQ nvec+40(FP), CX
	MOVQ (BX), R10
	LEAQ (SI)(R10*4), R10
	MOVQ 8(BX), R11
	LEAQ (SI)(R11*4), R11
	MOVQ 16(BX), R12
	LEAQ (SI)(R12*4), R12
	LEAQ (DI)(R9*1), R13
	LEAQ (DI)(R9*2), R14
	LEAQ (R14)(R9*1), DX
	XORQ AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

d4loop:
	VMOVUPS     (R10)(AX*1), Y12
	VMOVUPS     (R11)(AX*1), Y13
	VMOVUPS     (R12)(AX*1), Y14
	VMOVUPS     (DI)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VMOVUPS     (R13)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VMOVUPS     (R14)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VMOVUPS     (DX)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y9
	VFMADD231PS Y13, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	ADDQ        $32, AX
	DECQ        CX
	JNZ         d4loop

	MOVQ acc+0(FP), DI
	VHADDPS      Y1, Y0, Y12
	VHADDPS      Y3, Y2, Y13
	VHADDPS      Y13, Y12, Y14
	VEXTRACTF128 $1, Y14, X15
	VADDPS       X15, X14, X14
	VMOVUPS      X14, 0(DI)
	VHADDPS      Y5, Y4, Y12
	VHADDPS      Y7, Y6, Y13
	VHADDPS      Y13, Y12, Y14
	VEXTRACTF128 $1, Y14, X15
	VADDPS       X15, X14, X14
	VMOVUPS      X14, 16(DI)
	VHADDPS      Y9, Y8, Y12
	VHADDPS      Y11, Y10, Y13
	VHADDPS      Y13, Y12, Y14
	VEXTRACTF128 $1, Y14, X15
	VADDPS       X15, X14, X14
	VMOVUPS      X14, 32(DI)
	VZEROUPPER
	RET

// func dot2x6(acc *float32, gp *float32, gstride int, in *float32, offs *int, nvec int)
//
// As dot4x3 for 2 rows of g and 6 taps: acc[6j+t].
TEXT ·dot2x6(SB), NOSPLIT, $0-48
	MOVQ gp+8(FP), DI
	MOVQ gstride+16(FP), R9
	SHLQ $2, R9
	MOVQ in+24(FP), SI
	MOVQ offs+32(FP), BX
	MOVQ nvec+40(FP), CX
	MOVQ (BX), R8
	LEAQ (SI)(R8*4), R8
	MOVQ 8(BX), R10
	LEAQ (SI)(R10*4), R10
	MOVQ 16(BX), R11
	LEAQ (SI)(R11*4), R11
	MOVQ 24(BX), R12
	LEAQ (SI)(R12*4), R12
	MOVQ 32(BX), R13
	LEAQ (SI)(R13*4), R13
	MOVQ 40(BX), R14
	LEAQ (SI)(R14*4), R14
	LEAQ (DI)(R9*1), DX
	XORQ AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

d2loop:
	VMOVUPS     (DI)(AX*1), Y12
	VMOVUPS     (DX)(AX*1), Y13
	VMOVUPS     (R8)(AX*1), Y14
	VMOVUPS     (R10)(AX*1), Y15
	VFMADD231PS Y14, Y12, Y0
	VFMADD231PS Y14, Y13, Y6
	VFMADD231PS Y15, Y12, Y1
	VFMADD231PS Y15, Y13, Y7
	VMOVUPS     (R11)(AX*1), Y14
	VMOVUPS     (R12)(AX*1), Y15
	VFMADD231PS Y14, Y12, Y2
	VFMADD231PS Y14, Y13, Y8
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y9
	VMOVUPS     (R13)(AX*1), Y14
	VMOVUPS     (R14)(AX*1), Y15
	VFMADD231PS Y14, Y12, Y4
	VFMADD231PS Y14, Y13, Y10
	VFMADD231PS Y15, Y12, Y5
	VFMADD231PS Y15, Y13, Y11
	ADDQ        $32, AX
	DECQ        CX
	JNZ         d2loop

	MOVQ acc+0(FP), DI
	VHADDPS      Y1, Y0, Y12
	VHADDPS      Y3, Y2, Y13
	VHADDPS      Y13, Y12, Y14
	VEXTRACTF128 $1, Y14, X15
	VADDPS       X15, X14, X14
	VMOVUPS      X14, 0(DI)
	VHADDPS      Y5, Y4, Y12
	VHADDPS      Y7, Y6, Y13
	VHADDPS      Y13, Y12, Y14
	VEXTRACTF128 $1, Y14, X15
	VADDPS       X15, X14, X14
	VMOVUPS      X14, 16(DI)
	VHADDPS      Y9, Y8, Y12
	VHADDPS      Y11, Y10, Y13
	VHADDPS      Y13, Y12, Y14
	VEXTRACTF128 $1, Y14, X15
	VADDPS       X15, X14, X14
	VMOVUPS      X14, 32(DI)
	VZEROUPPER
	RET

// func dot1x8(acc *float32, gp *float32, in *float32, offs *int, nvec int)
//
// As dot4x3 for 1 row of g and 8 taps: acc[t].
TEXT ·dot1x8(SB), NOSPLIT, $0-40
	MOVQ gp+8(FP), DI
	MOVQ in+16(FP), SI
	MOVQ offs+24(FP), BX
	MOVQ nvec+32(FP), CX
	MOVQ (BX), R8
	LEAQ (SI)(R8*4), R8
	MOVQ 8(BX), R10
	LEAQ (SI)(R10*4), R10
	MOVQ 16(BX), R11
	LEAQ (SI)(R11*4), R11
	MOVQ 24(BX), R12
	LEAQ (SI)(R12*4), R12
	MOVQ 32(BX), R13
	LEAQ (SI)(R13*4), R13
	MOVQ 40(BX), R14
	LEAQ (SI)(R14*4), R14
	MOVQ 48(BX), DX
	LEAQ (SI)(DX*4), DX
	MOVQ 56(BX), R9
	LEAQ (SI)(R9*4), SI
	XORQ AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

d1loop:
	VMOVUPS     (DI)(AX*1), Y8
	VFMADD231PS (R8)(AX*1), Y8, Y0
	VFMADD231PS (R10)(AX*1), Y8, Y1
	VFMADD231PS (R11)(AX*1), Y8, Y2
	VFMADD231PS (R12)(AX*1), Y8, Y3
	VFMADD231PS (R13)(AX*1), Y8, Y4
	VFMADD231PS (R14)(AX*1), Y8, Y5
	VFMADD231PS (DX)(AX*1), Y8, Y6
	VFMADD231PS (SI)(AX*1), Y8, Y7
	ADDQ        $32, AX
	DECQ        CX
	JNZ         d1loop

	MOVQ acc+0(FP), DI
	VHADDPS      Y1, Y0, Y12
	VHADDPS      Y3, Y2, Y13
	VHADDPS      Y13, Y12, Y14
	VEXTRACTF128 $1, Y14, X15
	VADDPS       X15, X14, X14
	VMOVUPS      X14, 0(DI)
	VHADDPS      Y5, Y4, Y12
	VHADDPS      Y7, Y6, Y13
	VHADDPS      Y13, Y12, Y14
	VEXTRACTF128 $1, Y14, X15
	VADDPS       X15, X14, X14
	VMOVUPS      X14, 16(DI)
	VZEROUPPER
	RET

// func rowsBias(dst *float32, dstride int, src *float32, sstride int, rows int, wd int, bias float32)
//
// dst[r·dstride + i] = src[r·sstride + i] + bias for r < rows, i < wd; wd ≥ 4.
// 16-byte vectors (tensor rows are often only 16-byte aligned, and wider
// stores would straddle cache lines); the last one of a row overlaps the
// one before it.
TEXT ·rowsBias(SB), NOSPLIT, $0-52
	MOVQ         dst+0(FP), DI
	MOVQ         dstride+8(FP), R8
	SHLQ         $2, R8
	MOVQ         src+16(FP), SI
	MOVQ         sstride+24(FP), R9
	SHLQ         $2, R9
	MOVQ         rows+32(FP), CX
	MOVQ         wd+40(FP), DX
	VBROADCASTSS bias+48(FP), X15
	LEAQ         -16(DX*4), R10 // byte offset of the last vector
	LEAQ         -32(DX*4), R11 // pairs of vectors below this offset

rbrow:
	XORQ AX, AX

rbpair:
	CMPQ    AX, R11
	JG      rbone
	VADDPS  (SI)(AX*1), X15, X0
	VADDPS  16(SI)(AX*1), X15, X1
	VMOVUPS X0, (DI)(AX*1)
	VMOVUPS X1, 16(DI)(AX*1)
	ADDQ    $32, AX
	JMP     rbpair

rbone:
	CMPQ    AX, R10
	JGE     rblast
	VADDPS  (SI)(AX*1), X15, X0
	VMOVUPS X0, (DI)(AX*1)
	ADDQ    $16, AX
	JMP     rbone

rblast:
	VADDPS  (SI)(R10*1), X15, X0
	VMOVUPS X0, (DI)(R10*1)
	ADDQ    R8, DI
	ADDQ    R9, SI
	DECQ    CX
	JNZ     rbrow
	VZEROUPPER
	RET

// func sum8(p *float32, n int, out *float32)
//
// out[l] = Σ_v p[8v + l] for v < n/8 (n a multiple of 8), with four
// interleaved accumulators added at the end.
TEXT ·sum8(SB), NOSPLIT, $0-24
	MOVQ   p+0(FP), SI
	MOVQ   n+8(FP), CX
	SHLQ   $2, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   AX, AX
	LEAQ   -96(CX), DX

s8quad:
	CMPQ   AX, DX
	JGE    s8one
	VADDPS (SI)(AX*1), Y0, Y0
	VADDPS 32(SI)(AX*1), Y1, Y1
	VADDPS 64(SI)(AX*1), Y2, Y2
	VADDPS 96(SI)(AX*1), Y3, Y3
	ADDQ   $128, AX
	JMP    s8quad

s8one:
	CMPQ   AX, CX
	JGE    s8done
	VADDPS (SI)(AX*1), Y0, Y0
	ADDQ   $32, AX
	JMP    s8one

s8done:
	VADDPS  Y1, Y0, Y0
	VADDPS  Y3, Y2, Y2
	VADDPS  Y2, Y0, Y0
	MOVQ    out+16(FP), DI
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET
