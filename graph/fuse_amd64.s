//go:build amd64 && !purego

#include "textflag.h"

// AVX2 kernels of the fused convolution epilogues and prologues (see
// fuse_kernels.go). Go assembly takes operands reversed: VCMPPS $p, b, a, m
// is m = a <p> b, VBLENDVPS m, b, a, d is d = m ? b : a, VMAXPS b, a, d is
// Intel's MAXPS d, a, b, which returns b when either is NaN or both are zero.

// func rowsBiasRelu(dst *float32, dstride int, src *float32, sstride int, rows int, wd int, bias float32)
//
// dst[r·dstride + i] = max(src[r·sstride + i] + bias, 0) for r < rows,
// i < wd; wd ≥ 4. max is Go's: NaN stays NaN and −0 becomes +0 (adding +0
// after MAXPS, which keeps its second operand on a tie or a NaN). 16-byte
// vectors, the last one of a row overlapping the one before it, as in
// rowsBias.
TEXT ·rowsBiasRelu(SB), NOSPLIT, $0-52
	MOVQ         dst+0(FP), DI
	MOVQ         dstride+8(FP), R8
	SHLQ         $2, R8
	MOVQ         src+16(FP), SI
	MOVQ         sstride+24(FP), R9
	SHLQ         $2, R9
	MOVQ         rows+32(FP), CX
	MOVQ         wd+40(FP), DX
	VBROADCASTSS bias+48(FP), X15
	VXORPS       X14, X14, X14
	LEAQ         -16(DX*4), R10 // byte offset of the last vector
	LEAQ         -32(DX*4), R11 // pairs of vectors below this offset

rrrow:
	XORQ AX, AX

rrpair:
	CMPQ    AX, R11
	JG      rrone
	VADDPS  (SI)(AX*1), X15, X0
	VADDPS  16(SI)(AX*1), X15, X1
	VMAXPS  X0, X14, X0
	VMAXPS  X1, X14, X1
	VADDPS  X14, X0, X0
	VADDPS  X14, X1, X1
	VMOVUPS X0, (DI)(AX*1)
	VMOVUPS X1, 16(DI)(AX*1)
	ADDQ    $32, AX
	JMP     rrpair

rrone:
	CMPQ    AX, R10
	JGE     rrlast
	VADDPS  (SI)(AX*1), X15, X0
	VMAXPS  X0, X14, X0
	VADDPS  X14, X0, X0
	VMOVUPS X0, (DI)(AX*1)
	ADDQ    $16, AX
	JMP     rrone

rrlast:
	VADDPS  (SI)(R10*1), X15, X0
	VMAXPS  X0, X14, X0
	VADDPS  X14, X0, X0
	VMOVUPS X0, (DI)(R10*1)
	ADDQ    R8, DI
	ADDQ    R9, SI
	DECQ    CX
	JNZ     rrrow
	RET

// func pool2x2(dst *float32, arg *uint8, src *float32, sstride int, outw int, rows int, bias float32, relu int)
//
// MaxPool 2×2 with stride 2 over rows output rows of outw ≥ 4 columns,
// output row r reading input rows 2r and 2r+1 (sstride apart, at src +
// 2r·sstride), each value first given bias and, when relu ≠ 0, Go's
// max(·, 0), as rowsBias and rowsBiasRelu store them. Each window's taps
// are taken in row-major order and only a greater value (ordered compare:
// never a NaN) displaces the winner; arg gets the winner's tap, 0 to 3.
// Eight windows at a time (four when outw < 8); a last partial block is
// redone overlapping the one before it.
TEXT ·pool2x2(SB), NOSPLIT, $0-64
	MOVQ         dst+0(FP), DI
	MOVQ         arg+8(FP), BX
	MOVQ         src+16(FP), SI
	MOVQ         sstride+24(FP), R8
	SHLQ         $2, R8
	MOVQ         outw+32(FP), DX
	MOVQ         rows+40(FP), CX
	MOVQ         relu+56(FP), R12
	LEAQ         -4(DX), R9       // last full block start
	LEAQ         -8(DX), R13      // the same, 8 wide
	VBROADCASTSS bias+48(FP), Y15
	VXORPS       Y11, Y11, Y11
	VPCMPEQD     Y12, Y12, Y12
	VPSRLD       $31, Y12, Y12    // int32 1s
	VPADDD       Y12, Y12, Y13    // 2s
	VPADDD       Y12, Y13, Y14    // 3s

prow:
	XORQ AX, AX
	CMPQ DX, $8
	JGE  p8blk

pblk:
	CMPQ AX, R9
	JLE  pdo
	CMPQ AX, DX
	JGE  pnext
	MOVQ R9, AX

pdo:
	LEAQ   (SI)(AX*8), R10
	VADDPS (R10), X15, X0
	VADDPS 16(R10), X15, X1
	VADDPS (R10)(R8*1), X15, X2
	VADDPS 16(R10)(R8*1), X15, X3
	TESTQ  R12, R12
	JZ     pmax
	VMAXPS X0, X11, X0
	VMAXPS X1, X11, X1
	VMAXPS X2, X11, X2
	VMAXPS X3, X11, X3
	VADDPS X11, X0, X0
	VADDPS X11, X1, X1
	VADDPS X11, X2, X2
	VADDPS X11, X3, X3

pmax:
	VSHUFPS   $0x88, X1, X0, X4 // a: row 0, even columns
	VSHUFPS   $0xDD, X1, X0, X5 // b: row 0, odd columns
	VSHUFPS   $0x88, X3, X2, X6 // c
	VSHUFPS   $0xDD, X3, X2, X7 // d
	VXORPS    X8, X8, X8        // winner's tap
	VCMPPS    $0x1E, X4, X5, X9 // b > best (GT_OQ)
	VBLENDVPS X9, X5, X4, X4
	VBLENDVPS X9, X12, X8, X8
	VCMPPS    $0x1E, X4, X6, X9
	VBLENDVPS X9, X6, X4, X4
	VBLENDVPS X9, X13, X8, X8
	VCMPPS    $0x1E, X4, X7, X9
	VBLENDVPS X9, X7, X4, X4
	VBLENDVPS X9, X14, X8, X8
	VMOVUPS   X4, (DI)(AX*4)
	VPACKSSDW X8, X8, X8
	VPACKUSWB X8, X8, X8
	VMOVD     X8, R11
	MOVL      R11, (BX)(AX*1)
	ADDQ      $4, AX
	JMP       pblk

p8blk: // eight windows at a time, for rows of 8 or more
	CMPQ AX, R13
	JLE  p8do
	CMPQ AX, DX
	JGE  pnext
	MOVQ R13, AX

p8do:
	LEAQ   (SI)(AX*8), R10
	VADDPS (R10), Y15, Y0
	VADDPS 32(R10), Y15, Y1
	VADDPS (R10)(R8*1), Y15, Y2
	VADDPS 32(R10)(R8*1), Y15, Y3
	TESTQ  R12, R12
	JZ     p8max
	VMAXPS Y0, Y11, Y0
	VMAXPS Y1, Y11, Y1
	VMAXPS Y2, Y11, Y2
	VMAXPS Y3, Y11, Y3
	VADDPS Y11, Y0, Y0
	VADDPS Y11, Y1, Y1
	VADDPS Y11, Y2, Y2
	VADDPS Y11, Y3, Y3

p8max: // per 128-bit lane, so the windows come out in the order 0 1 4 5 2 3 6 7
	VSHUFPS      $0x88, Y1, Y0, Y4
	VSHUFPS      $0xDD, Y1, Y0, Y5
	VSHUFPS      $0x88, Y3, Y2, Y6
	VSHUFPS      $0xDD, Y3, Y2, Y7
	VXORPS       Y8, Y8, Y8
	VCMPPS       $0x1E, Y4, Y5, Y9
	VBLENDVPS    Y9, Y5, Y4, Y4
	VBLENDVPS    Y9, Y12, Y8, Y8
	VCMPPS       $0x1E, Y4, Y6, Y9
	VBLENDVPS    Y9, Y6, Y4, Y4
	VBLENDVPS    Y9, Y13, Y8, Y8
	VCMPPS       $0x1E, Y4, Y7, Y9
	VBLENDVPS    Y9, Y7, Y4, Y4
	VBLENDVPS    Y9, Y14, Y8, Y8
	VPERMPD      $0xD8, Y4, Y4 // back to 0 … 7
	VPERMQ       $0xD8, Y8, Y8
	VMOVUPS      Y4, (DI)(AX*4)
	VEXTRACTI128 $1, Y8, X9
	VPACKSSDW    X9, X8, X8
	VPACKUSWB    X8, X8, X8
	VMOVQ        X8, R11
	MOVQ         R11, (BX)(AX*1)
	ADDQ         $8, AX
	JMP          p8blk

pnext:
	LEAQ (SI)(R8*2), SI
	LEAQ (DI)(DX*4), DI
	ADDQ DX, BX
	DECQ CX
	JNZ  prow
	VZEROUPPER
	RET

// func unpool2x2(dst *float32, dstride int, gp *float32, out *float32, arg *uint8, outw int, rows int, relu int)
//
// The adjoint of pool2x2 (with its Relu when relu ≠ 0): for output row r,
// the windows on dst rows 2r and 2r+1 (dstride apart, at dst + 2r·dstride)
// get gp + 0 at the winning tap (0 when relu and the pooled out ≤ 0 or
// NaN) and +0 at the others. Eight windows at a time (four when outw < 8).
TEXT ·unpool2x2(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ dstride+8(FP), R8
	SHLQ $2, R8
	MOVQ gp+16(FP), SI
	MOVQ out+24(FP), R12
	MOVQ arg+32(FP), BX
	MOVQ outw+40(FP), DX
	MOVQ rows+48(FP), CX
	MOVQ relu+56(FP), R13
	LEAQ -4(DX), R9
	LEAQ -8(DX), R14
	VXORPS   Y15, Y15, Y15
	VPCMPEQD Y11, Y11, Y11    // all ones: the Relu mask when relu = 0
	VPCMPEQD Y12, Y12, Y12
	VPSRLD   $31, Y12, Y12    // 1s
	VPADDD   Y12, Y12, Y13    // 2s
	VPADDD   Y12, Y13, Y14    // 3s

urow:
	XORQ AX, AX
	CMPQ DX, $8
	JGE  u8blk

ublk:
	CMPQ AX, R9
	JLE  udo
	CMPQ AX, DX
	JGE  unext
	MOVQ R9, AX

udo:
	VADDPS  (SI)(AX*4), X15, X0 // g + 0
	VMOVAPS X11, X1
	TESTQ   R13, R13
	JZ      umask
	VMOVUPS (R12)(AX*4), X2
	VCMPPS  $0x1E, X15, X2, X1  // out > 0

umask:
	VANDPS    X1, X0, X0
	MOVL      (BX)(AX*1), R11
	VMOVD     R11, X2
	VPMOVZXBD X2, X2            // taps as int32
	VPCMPEQD  X15, X2, X3       // tap 0
	VPCMPEQD  X12, X2, X4
	VPCMPEQD  X13, X2, X5
	VPCMPEQD  X14, X2, X6
	VANDPS    X0, X3, X3
	VANDPS    X0, X4, X4
	VANDPS    X0, X5, X5
	VANDPS    X0, X6, X6
	LEAQ      (DI)(AX*8), R10
	VUNPCKLPS X4, X3, X7
	VUNPCKHPS X4, X3, X8
	VMOVUPS   X7, (R10)
	VMOVUPS   X8, 16(R10)
	VUNPCKLPS X6, X5, X7
	VUNPCKHPS X6, X5, X8
	VMOVUPS   X7, (R10)(R8*1)
	VMOVUPS   X8, 16(R10)(R8*1)
	ADDQ      $4, AX
	JMP       ublk

u8blk: // eight windows at a time, for rows of 8 or more
	CMPQ AX, R14
	JLE  u8do
	CMPQ AX, DX
	JGE  unext
	MOVQ R14, AX

u8do:
	VADDPS  (SI)(AX*4), Y15, Y0
	VMOVAPS Y11, Y1
	TESTQ   R13, R13
	JZ      u8mask
	VMOVUPS (R12)(AX*4), Y2
	VCMPPS  $0x1E, Y15, Y2, Y1

u8mask:
	VANDPS     Y1, Y0, Y0
	VPMOVZXBD  (BX)(AX*1), Y2
	VPCMPEQD   Y15, Y2, Y3
	VPCMPEQD   Y12, Y2, Y4
	VPCMPEQD   Y13, Y2, Y5
	VPCMPEQD   Y14, Y2, Y6
	VANDPS     Y0, Y3, Y3
	VANDPS     Y0, Y4, Y4
	VANDPS     Y0, Y5, Y5
	VANDPS     Y0, Y6, Y6
	LEAQ       (DI)(AX*8), R10
	VUNPCKLPS  Y4, Y3, Y7     // per lane: taps 0 and 1 interleaved
	VUNPCKHPS  Y4, Y3, Y8
	VPERM2F128 $0x20, Y8, Y7, Y9
	VPERM2F128 $0x31, Y8, Y7, Y10
	VMOVUPS    Y9, (R10)
	VMOVUPS    Y10, 32(R10)
	VUNPCKLPS  Y6, Y5, Y7
	VUNPCKHPS  Y6, Y5, Y8
	VPERM2F128 $0x20, Y8, Y7, Y9
	VPERM2F128 $0x31, Y8, Y7, Y10
	VMOVUPS    Y9, (R10)(R8*1)
	VMOVUPS    Y10, 32(R10)(R8*1)
	ADDQ       $8, AX
	JMP        u8blk

unext:
	LEAQ (DI)(R8*2), DI
	LEAQ (SI)(DX*4), SI
	LEAQ (R12)(DX*4), R12
	ADDQ DX, BX
	DECQ CX
	JNZ  urow
	VZEROUPPER
	RET

// func reluRows(d *float32, dstride int, gp *float32, y *float32, rows int, wd int)
//
// d[r·dstride + i] = gp[r·wd + i] where y[r·wd + i] > 0, else +0, for
// r < rows and i < wd (≥ 4): Relu's gradient into strided rows. A last
// partial vector of a row overlaps the one before it.
TEXT ·reluRows(SB), NOSPLIT, $0-48
	MOVQ   d+0(FP), DI
	MOVQ   dstride+8(FP), R8
	SHLQ   $2, R8
	MOVQ   gp+16(FP), SI
	MOVQ   y+24(FP), R12
	MOVQ   rows+32(FP), CX
	MOVQ   wd+40(FP), DX
	LEAQ   -4(DX), R9
	VXORPS X15, X15, X15

rrw:
	XORQ AX, AX

rrb:
	CMPQ AX, R9
	JLE  rrd
	CMPQ AX, DX
	JGE  rrn
	MOVQ R9, AX

rrd:
	VCMPPS  $0x11, (R12)(AX*4), X15, X0 // 0 < y (LT_OQ)
	VANDPS  (SI)(AX*4), X0, X0
	VMOVUPS X0, (DI)(AX*4)
	ADDQ    $4, AX
	JMP     rrb

rrn:
	ADDQ R8, DI
	LEAQ (SI)(DX*4), SI
	LEAQ (R12)(DX*4), R12
	DECQ CX
	JNZ  rrw
	RET

// func reluMask(d *float32, gp *float32, y *float32, n int)
//
// d[i] = g[i] where y[i] > 0, else +0, for i < n (a multiple of 8).
TEXT ·reluMask(SB), NOSPLIT, $0-32
	MOVQ   d+0(FP), DI
	MOVQ   gp+8(FP), SI
	MOVQ   y+16(FP), R8
	MOVQ   n+24(FP), CX
	SHLQ   $2, CX
	XORQ   AX, AX
	VXORPS Y15, Y15, Y15

rmloop:
	CMPQ    AX, CX
	JGE     rmdone
	VCMPPS  $0x11, (R8)(AX*1), Y15, Y0 // 0 < y (LT_OQ)
	VANDPS  (SI)(AX*1), Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	JMP     rmloop

rmdone:
	VZEROUPPER
	RET

// func upRows2(dst *float32, dstride int, src *float32, sstride int, rows int, wd int)
//
// Nearest 2× upsampling: source row r (wd ≥ 4 values at src + r·sstride)
// goes to dst rows 2r and 2r+1 (at dst + 2r·dstride and one dstride on),
// every value twice. A last partial vector overlaps the one before it.
TEXT ·upRows2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ dstride+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ sstride+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), CX
	MOVQ wd+40(FP), DX
	LEAQ -4(DX), R10

urrow:
	XORQ AX, AX

urblk:
	CMPQ AX, R10
	JLE  urdo
	CMPQ AX, DX
	JGE  urnext
	MOVQ R10, AX

urdo:
	VMOVUPS   (SI)(AX*4), X0
	VUNPCKLPS X0, X0, X1
	VUNPCKHPS X0, X0, X2
	LEAQ      (DI)(AX*8), R11
	VMOVUPS   X1, (R11)
	VMOVUPS   X2, 16(R11)
	VMOVUPS   X1, (R11)(R8*1)
	VMOVUPS   X2, 16(R11)(R8*1)
	ADDQ      $4, AX
	JMP       urblk

urnext:
	LEAQ (DI)(R8*2), DI
	ADDQ R9, SI
	DECQ CX
	JNZ  urrow
	RET

// func sumRows2(dst *float32, src *float32, sstride int, rows int, outw int)
//
// The adjoint of upRows2's doubling: dst[r·outw + j] = (0 + (a + b)) +
// (c + d) with a, b at src row 2r, columns 2j and 2j+1, and c, d the same
// on row 2r+1 (rows sstride apart), outw ≥ 4: the sums, in the order, of
// resizeKernel.blockBackward.
TEXT ·sumRows2(SB), NOSPLIT, $0-40
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   sstride+16(FP), R8
	SHLQ   $2, R8
	MOVQ   rows+24(FP), CX
	MOVQ   outw+32(FP), DX
	LEAQ   -4(DX), R10
	VXORPS X15, X15, X15

srrow:
	XORQ AX, AX

srblk:
	CMPQ AX, R10
	JLE  srdo
	CMPQ AX, DX
	JGE  srnext
	MOVQ R10, AX

srdo:
	LEAQ    (SI)(AX*8), R11
	VMOVUPS (R11), X0
	VMOVUPS 16(R11), X1
	VMOVUPS (R11)(R8*1), X2
	VMOVUPS 16(R11)(R8*1), X3
	VHADDPS X1, X0, X0
	VHADDPS X3, X2, X2
	VADDPS  X15, X0, X0
	VADDPS  X2, X0, X0
	VMOVUPS X0, (DI)(AX*4)
	ADDQ    $4, AX
	JMP     srblk

srnext:
	LEAQ (SI)(R8*2), SI
	LEAQ (DI)(DX*4), DI
	DECQ CX
	JNZ  srrow
	RET
