//go:build amd64 && !purego

#include "textflag.h"

// The binary cross-entropy terms of bceSum, four lanes at a time, with
// Go's math.Log (log_amd64.s) reproduced operation by operation so that
// every term has the bits the scalar loop gives it.

DATA logc<>+0(SB)/8, $0x000fffffffffffff // mant
DATA logc<>+8(SB)/8, $0x000fffffffffffff // mant
DATA logc<>+16(SB)/8, $0x000fffffffffffff // mant
DATA logc<>+24(SB)/8, $0x000fffffffffffff // mant
DATA logc<>+32(SB)/8, $0x3fe0000000000000 // half
DATA logc<>+40(SB)/8, $0x3fe0000000000000 // half
DATA logc<>+48(SB)/8, $0x3fe0000000000000 // half
DATA logc<>+56(SB)/8, $0x3fe0000000000000 // half
DATA logc<>+64(SB)/8, $0x00000000000007ff // m7ff
DATA logc<>+72(SB)/8, $0x00000000000007ff // m7ff
DATA logc<>+80(SB)/8, $0x00000000000007ff // m7ff
DATA logc<>+88(SB)/8, $0x00000000000007ff // m7ff
DATA logc<>+96(SB)/8, $0x4330000000000000 // two52
DATA logc<>+104(SB)/8, $0x4330000000000000 // two52
DATA logc<>+112(SB)/8, $0x4330000000000000 // two52
DATA logc<>+120(SB)/8, $0x4330000000000000 // two52
DATA logc<>+128(SB)/8, $0x408ff00000000000 // c1022
DATA logc<>+136(SB)/8, $0x408ff00000000000 // c1022
DATA logc<>+144(SB)/8, $0x408ff00000000000 // c1022
DATA logc<>+152(SB)/8, $0x408ff00000000000 // c1022
DATA logc<>+160(SB)/8, $0x3fe6a09e667f3bcd // hsqrt2
DATA logc<>+168(SB)/8, $0x3fe6a09e667f3bcd // hsqrt2
DATA logc<>+176(SB)/8, $0x3fe6a09e667f3bcd // hsqrt2
DATA logc<>+184(SB)/8, $0x3fe6a09e667f3bcd // hsqrt2
DATA logc<>+192(SB)/8, $0x3ff0000000000000 // one
DATA logc<>+200(SB)/8, $0x3ff0000000000000 // one
DATA logc<>+208(SB)/8, $0x3ff0000000000000 // one
DATA logc<>+216(SB)/8, $0x3ff0000000000000 // one
DATA logc<>+224(SB)/8, $0x4000000000000000 // two
DATA logc<>+232(SB)/8, $0x4000000000000000 // two
DATA logc<>+240(SB)/8, $0x4000000000000000 // two
DATA logc<>+248(SB)/8, $0x4000000000000000 // two
DATA logc<>+256(SB)/8, $0x3fe5555555555593 // l1
DATA logc<>+264(SB)/8, $0x3fe5555555555593 // l1
DATA logc<>+272(SB)/8, $0x3fe5555555555593 // l1
DATA logc<>+280(SB)/8, $0x3fe5555555555593 // l1
DATA logc<>+288(SB)/8, $0x3fd999999997fa04 // l2
DATA logc<>+296(SB)/8, $0x3fd999999997fa04 // l2
DATA logc<>+304(SB)/8, $0x3fd999999997fa04 // l2
DATA logc<>+312(SB)/8, $0x3fd999999997fa04 // l2
DATA logc<>+320(SB)/8, $0x3fd2492494229359 // l3
DATA logc<>+328(SB)/8, $0x3fd2492494229359 // l3
DATA logc<>+336(SB)/8, $0x3fd2492494229359 // l3
DATA logc<>+344(SB)/8, $0x3fd2492494229359 // l3
DATA logc<>+352(SB)/8, $0x3fcc71c51d8e78af // l4
DATA logc<>+360(SB)/8, $0x3fcc71c51d8e78af // l4
DATA logc<>+368(SB)/8, $0x3fcc71c51d8e78af // l4
DATA logc<>+376(SB)/8, $0x3fcc71c51d8e78af // l4
DATA logc<>+384(SB)/8, $0x3fc7466496cb03de // l5
DATA logc<>+392(SB)/8, $0x3fc7466496cb03de // l5
DATA logc<>+400(SB)/8, $0x3fc7466496cb03de // l5
DATA logc<>+408(SB)/8, $0x3fc7466496cb03de // l5
DATA logc<>+416(SB)/8, $0x3fc39a09d078c69f // l6
DATA logc<>+424(SB)/8, $0x3fc39a09d078c69f // l6
DATA logc<>+432(SB)/8, $0x3fc39a09d078c69f // l6
DATA logc<>+440(SB)/8, $0x3fc39a09d078c69f // l6
DATA logc<>+448(SB)/8, $0x3fc2f112df3e5244 // l7
DATA logc<>+456(SB)/8, $0x3fc2f112df3e5244 // l7
DATA logc<>+464(SB)/8, $0x3fc2f112df3e5244 // l7
DATA logc<>+472(SB)/8, $0x3fc2f112df3e5244 // l7
DATA logc<>+480(SB)/8, $0x3fe62e42fee00000 // ln2hi
DATA logc<>+488(SB)/8, $0x3fe62e42fee00000 // ln2hi
DATA logc<>+496(SB)/8, $0x3fe62e42fee00000 // ln2hi
DATA logc<>+504(SB)/8, $0x3fe62e42fee00000 // ln2hi
DATA logc<>+512(SB)/8, $0x3dea39ef35793c76 // ln2lo
DATA logc<>+520(SB)/8, $0x3dea39ef35793c76 // ln2lo
DATA logc<>+528(SB)/8, $0x3dea39ef35793c76 // ln2lo
DATA logc<>+536(SB)/8, $0x3dea39ef35793c76 // ln2lo
GLOBL logc<>(SB), RODATA|NOPTR, $544

// LOG4(x, r) sets r to math.Log of each lane of x (positive normal or
// NaN), as archLog computes it: f1, e = frexp(x), f1 doubled and e
// lowered when f1 ≤ √2/2, then fdlibm's series, operation by operation.
// Clobbers Y8 to Y13.
#define LOG4(x, r) \
	VANDPD  logc<>+0(SB), x, Y8 \
	VORPD   logc<>+32(SB), Y8, Y8 \
	VPSRLQ  $52, x, Y9 \
	VPAND   logc<>+64(SB), Y9, Y9 \
	VPOR    logc<>+96(SB), Y9, Y9 \
	VSUBPD  logc<>+96(SB), Y9, Y9 \
	VSUBPD  logc<>+128(SB), Y9, Y9 \
	VCMPPD  $2, logc<>+160(SB), Y8, Y10 \
	VANDPD  logc<>+192(SB), Y10, Y10 \
	VSUBPD  Y10, Y9, Y9 \
	VADDPD  logc<>+192(SB), Y10, Y10 \
	VMULPD  Y10, Y8, Y8 \
	VSUBPD  logc<>+192(SB), Y8, Y8 \
	VADDPD  logc<>+224(SB), Y8, Y10 \
	VDIVPD  Y10, Y8, Y10 \
	VMULPD  Y10, Y10, Y11 \
	VMULPD  Y11, Y11, Y12 \
	VMULPD  logc<>+448(SB), Y12, Y13 \
	VADDPD  logc<>+384(SB), Y13, Y13 \
	VMULPD  Y12, Y13, Y13 \
	VADDPD  logc<>+320(SB), Y13, Y13 \
	VMULPD  Y12, Y13, Y13 \
	VADDPD  logc<>+256(SB), Y13, Y13 \
	VMULPD  Y13, Y11, Y11 \
	VMULPD  logc<>+416(SB), Y12, Y13 \
	VADDPD  logc<>+352(SB), Y13, Y13 \
	VMULPD  Y12, Y13, Y13 \
	VADDPD  logc<>+288(SB), Y13, Y13 \
	VMULPD  Y13, Y12, Y12 \
	VADDPD  Y12, Y11, Y11 \
	VMULPD  logc<>+32(SB), Y8, Y12 \
	VMULPD  Y8, Y12, Y12 \
	VADDPD  Y12, Y11, Y11 \
	VMULPD  Y11, Y10, Y10 \
	VMULPD  logc<>+512(SB), Y9, Y11 \
	VADDPD  Y11, Y10, Y10 \
	VSUBPD  Y10, Y12, Y12 \
	VSUBPD  Y8, Y12, Y12 \
	VMULPD  logc<>+480(SB), Y9, Y9 \
	VSUBPD  Y12, Y9, r \
	VSUBPD  x, x, Y13 \
	VADDPD  Y13, r, r

// func bceTerms(p *float32, y *float32, out *float64, n int, lo float64, hi float64)
//
// out[i] = t·log(q) + (1−t)·log(1−q) with q = p[i] clipped to [lo, hi]
// (NaN kept) and t = y[i], in float64, for i < n (a multiple of 4). A
// group of four targets all 0 (or all 1) takes only the log its term
// needs: the other product is ±0 and leaves the sum's bits as they are.
TEXT ·bceTerms(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         out+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD lo+32(FP), Y14
	VBROADCASTSD hi+40(FP), Y15
	XORQ         AX, AX

btloop:
	CMPQ      AX, CX
	JGE       btdone
	VCVTPS2PD (SI)(AX*4), Y0
	VMAXPD    Y0, Y14, Y0 // lo > q ? lo : q (q when NaN)
	VMINPD    Y0, Y15, Y0 // hi < q ? hi : q
	VMOVUPD   logc<>+192(SB), Y1
	VSUBPD    Y0, Y1, Y1  // 1 − q
	VCVTPS2PD (DI)(AX*4), Y4
	VXORPD    Y5, Y5, Y5
	VCMPPD    $0, Y5, Y4, Y5 // t = 0
	VMOVMSKPD Y5, R8
	CMPQ      R8, $15
	JEQ       btzero
	VCMPPD    $0, logc<>+192(SB), Y4, Y5 // t = 1
	VMOVMSKPD Y5, R8
	CMPQ      R8, $15
	JEQ       btone
	LOG4(Y0, Y2)
	LOG4(Y1, Y3)
	VMULPD    Y4, Y2, Y2  // t·log(q)
	VMOVUPD   logc<>+192(SB), Y5
	VSUBPD    Y4, Y5, Y5
	VMULPD    Y5, Y3, Y3  // (1−t)·log(1−q)
	VADDPD    Y3, Y2, Y2
	VMOVUPD   Y2, (DX)(AX*8)
	ADDQ      $4, AX
	JMP       btloop

btzero: // all four t = 0: the term is 0·log(q) + log(1−q) = log(1−q), log(1−q) < 0
	LOG4(Y1, Y3)
	VMOVUPD Y3, (DX)(AX*8)
	ADDQ    $4, AX
	JMP     btloop

btone: // all four t = 1: log(q) + 0·log(1−q) = log(q), log(q) < 0
	LOG4(Y0, Y2)
	VMOVUPD Y2, (DX)(AX*8)
	ADDQ    $4, AX
	JMP     btloop

btdone:
	VZEROUPPER
	RET

// func bceGrads(p *float32, y *float32, gp *float32, n int, lo float64, hi float64, scale float64)
//
// gp[i] = float32((q − t)/(q·(1−q))·scale) with q = p[i] and t = y[i] in
// float64, or +0 where q < lo or q > hi (the clip is active), for i < n (a
// multiple of 4): bceGrad's loop, four at a time, same operations.
TEXT ·bceGrads(SB), NOSPLIT, $0-56
	MOVQ         p+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         gp+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD lo+32(FP), Y14
	VBROADCASTSD hi+40(FP), Y15
	VBROADCASTSD scale+48(FP), Y13
	VMOVUPD      logc<>+192(SB), Y12 // 1
	XORQ         AX, AX

bgloop:
	CMPQ       AX, CX
	JGE        bgdone
	VCVTPS2PD  (SI)(AX*4), Y0        // q
	VCVTPS2PD  (DI)(AX*4), Y1        // t
	VCMPPD     $0x11, Y14, Y0, Y2    // q < lo (LT_OQ)
	VCMPPD     $0x1E, Y15, Y0, Y3    // q > hi (GT_OQ)
	VORPD      Y3, Y2, Y2
	VSUBPD     Y1, Y0, Y1            // q − t
	VSUBPD     Y0, Y12, Y4           // 1 − q
	VMULPD     Y4, Y0, Y4            // q·(1−q)
	VDIVPD     Y4, Y1, Y1
	VMULPD     Y13, Y1, Y1
	VANDNPD    Y1, Y2, Y1            // 0 where clipped
	VCVTPD2PSY Y1, X1
	VMOVUPS    X1, (DX)(AX*4)
	ADDQ       $4, AX
	JMP        bgloop

bgdone:
	VZEROUPPER
	RET
