//go:build amd64 && !purego

#include "textflag.h"

// sigmoid4 (see sigmoidSlice): Go's math.Exp (its FMA path, which math
// takes wherever convAsm holds) and sigmoid, four lanes at a time with the
// scalar code's operations in the scalar code's order, so that the bits
// are the same.

DATA sigc<>+0(SB)/8, $0x8000000000000000 // signbit
DATA sigc<>+8(SB)/8, $0x8000000000000000 // signbit
DATA sigc<>+16(SB)/8, $0x8000000000000000 // signbit
DATA sigc<>+24(SB)/8, $0x8000000000000000 // signbit
DATA sigc<>+32(SB)/8, $0xc085e00000000000 // lim
DATA sigc<>+40(SB)/8, $0xc085e00000000000 // lim
DATA sigc<>+48(SB)/8, $0xc085e00000000000 // lim
DATA sigc<>+56(SB)/8, $0xc085e00000000000 // lim
DATA sigc<>+64(SB)/8, $0x3ff71547652b82fe // log2e
DATA sigc<>+72(SB)/8, $0x3ff71547652b82fe // log2e
DATA sigc<>+80(SB)/8, $0x3ff71547652b82fe // log2e
DATA sigc<>+88(SB)/8, $0x3ff71547652b82fe // log2e
DATA sigc<>+96(SB)/8, $0x3fe62e42fefa3000 // ln2u
DATA sigc<>+104(SB)/8, $0x3fe62e42fefa3000 // ln2u
DATA sigc<>+112(SB)/8, $0x3fe62e42fefa3000 // ln2u
DATA sigc<>+120(SB)/8, $0x3fe62e42fefa3000 // ln2u
DATA sigc<>+128(SB)/8, $0x3d53de6af278ece6 // ln2l
DATA sigc<>+136(SB)/8, $0x3d53de6af278ece6 // ln2l
DATA sigc<>+144(SB)/8, $0x3d53de6af278ece6 // ln2l
DATA sigc<>+152(SB)/8, $0x3d53de6af278ece6 // ln2l
DATA sigc<>+160(SB)/8, $0x3fb0000000000000 // sixteenth
DATA sigc<>+168(SB)/8, $0x3fb0000000000000 // sixteenth
DATA sigc<>+176(SB)/8, $0x3fb0000000000000 // sixteenth
DATA sigc<>+184(SB)/8, $0x3fb0000000000000 // sixteenth
DATA sigc<>+192(SB)/8, $0x3efa01a01a01a01a // c64
DATA sigc<>+200(SB)/8, $0x3efa01a01a01a01a // c64
DATA sigc<>+208(SB)/8, $0x3efa01a01a01a01a // c64
DATA sigc<>+216(SB)/8, $0x3efa01a01a01a01a // c64
DATA sigc<>+224(SB)/8, $0x3f2a01a01a01a01a // c56
DATA sigc<>+232(SB)/8, $0x3f2a01a01a01a01a // c56
DATA sigc<>+240(SB)/8, $0x3f2a01a01a01a01a // c56
DATA sigc<>+248(SB)/8, $0x3f2a01a01a01a01a // c56
DATA sigc<>+256(SB)/8, $0x3f56c16c16c16c17 // c48
DATA sigc<>+264(SB)/8, $0x3f56c16c16c16c17 // c48
DATA sigc<>+272(SB)/8, $0x3f56c16c16c16c17 // c48
DATA sigc<>+280(SB)/8, $0x3f56c16c16c16c17 // c48
DATA sigc<>+288(SB)/8, $0x3f81111111111111 // c40
DATA sigc<>+296(SB)/8, $0x3f81111111111111 // c40
DATA sigc<>+304(SB)/8, $0x3f81111111111111 // c40
DATA sigc<>+312(SB)/8, $0x3f81111111111111 // c40
DATA sigc<>+320(SB)/8, $0x3fa5555555555555 // c32
DATA sigc<>+328(SB)/8, $0x3fa5555555555555 // c32
DATA sigc<>+336(SB)/8, $0x3fa5555555555555 // c32
DATA sigc<>+344(SB)/8, $0x3fa5555555555555 // c32
DATA sigc<>+352(SB)/8, $0x3fc5555555555555 // c24
DATA sigc<>+360(SB)/8, $0x3fc5555555555555 // c24
DATA sigc<>+368(SB)/8, $0x3fc5555555555555 // c24
DATA sigc<>+376(SB)/8, $0x3fc5555555555555 // c24
DATA sigc<>+384(SB)/8, $0x3fe0000000000000 // half
DATA sigc<>+392(SB)/8, $0x3fe0000000000000 // half
DATA sigc<>+400(SB)/8, $0x3fe0000000000000 // half
DATA sigc<>+408(SB)/8, $0x3fe0000000000000 // half
DATA sigc<>+416(SB)/8, $0x3ff0000000000000 // one
DATA sigc<>+424(SB)/8, $0x3ff0000000000000 // one
DATA sigc<>+432(SB)/8, $0x3ff0000000000000 // one
DATA sigc<>+440(SB)/8, $0x3ff0000000000000 // one
DATA sigc<>+448(SB)/8, $0x4000000000000000 // two
DATA sigc<>+456(SB)/8, $0x4000000000000000 // two
DATA sigc<>+464(SB)/8, $0x4000000000000000 // two
DATA sigc<>+472(SB)/8, $0x4000000000000000 // two
GLOBL sigc<>(SB), RODATA|NOPTR, $480
DATA sigbias<>+0(SB)/8, $0x000003ff000003ff
DATA sigbias<>+8(SB)/8, $0x000003ff000003ff
GLOBL sigbias<>(SB), RODATA|NOPTR, $16

// func sigmoid4(dst *float32, src *float32, n int) (unsafe int)
//
// dst[i] = sigmoid(src[i]) for i < n (a multiple of 4), as the scalar
// sigmoid computes it: with e = exp(−|x|) in float64, 1/(1+e) for x ≥ 0
// and e/(1+e) otherwise, rounded to float32. A group of four holding an
// |x| > 700 or a NaN, where exp would need its special cases, is not
// stored: unsafe is then nonzero and the caller computes those groups.
TEXT ·sigmoid4(SB), NOSPLIT, $0-32
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   n+16(FP), CX
	XORQ   AX, AX
	XORQ   R9, R9
	VXORPD Y8, Y8, Y8

sgloop:
	CMPQ         AX, CX
	JGE          sgdone
	VCVTPS2PD    (SI)(AX*4), Y0
	VORPD        sigc<>+0(SB), Y0, Y1      // a = −|x|
	VCMPPD       $0x1D, sigc<>+32(SB), Y1, Y2 // a ≥ −700 (GE_OQ: not NaN)
	VMOVMSKPD    Y2, R8
	XORQ         $15, R8
	ORQ          R8, R9
	VMULPD       sigc<>+64(SB), Y1, Y3     // a·log2(e)
	VCVTPD2DQY   Y3, X4                    // k, rounded to nearest
	VCVTDQ2PD    X4, Y3
	VMOVAPD      Y1, Y5
	VFNMADD231PD sigc<>+96(SB), Y3, Y5     // a − k·ln2u
	VFNMADD231PD sigc<>+128(SB), Y3, Y5    // − k·ln2l
	VMULPD       sigc<>+160(SB), Y5, Y5    // /16
	VMOVUPD      sigc<>+192(SB), Y6        // Taylor series
	VFMADD213PD  sigc<>+224(SB), Y5, Y6
	VFMADD213PD  sigc<>+256(SB), Y5, Y6
	VFMADD213PD  sigc<>+288(SB), Y5, Y6
	VFMADD213PD  sigc<>+320(SB), Y5, Y6
	VFMADD213PD  sigc<>+352(SB), Y5, Y6
	VFMADD213PD  sigc<>+384(SB), Y5, Y6
	VFMADD213PD  sigc<>+416(SB), Y5, Y6
	VMULPD       Y6, Y5, Y5
	VADDPD       sigc<>+448(SB), Y5, Y6    // squared four times: (2+r)·r …
	VMULPD       Y6, Y5, Y5
	VADDPD       sigc<>+448(SB), Y5, Y6
	VMULPD       Y6, Y5, Y5
	VADDPD       sigc<>+448(SB), Y5, Y6
	VMULPD       Y6, Y5, Y5
	VADDPD       sigc<>+448(SB), Y5, Y6
	VFMADD213PD  sigc<>+416(SB), Y6, Y5    // … + 1
	VPADDD       sigbias<>(SB), X4, X4     // 2^k
	VPMOVSXDQ    X4, Y4
	VPSLLQ       $52, Y4, Y4
	VMULPD       Y4, Y5, Y5                // e = exp(a)
	VADDPD       sigc<>+416(SB), Y5, Y7    // 1 + e
	VCMPPD       $0x1D, Y8, Y0, Y9         // x ≥ 0
	VMOVUPD      sigc<>+416(SB), Y10
	VBLENDVPD    Y9, Y10, Y5, Y11          // 1 or e
	VDIVPD       Y7, Y11, Y11
	VCVTPD2PSY   Y11, X11
	TESTQ        R8, R8
	JNZ          sgnext
	VMOVUPS      X11, (DI)(AX*4)

sgnext:
	ADDQ         $4, AX
	JMP          sgloop

sgdone:
	MOVQ R9, unsafe+24(FP)
	VZEROUPPER
	RET
