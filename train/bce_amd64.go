//go:build amd64 && !purego

package train

import "golang.org/x/sys/cpu"

// bceAsm reports whether bceTerms (bce_amd64.s) may run on this CPU.
var bceAsm = cpu.X86.HasAVX2

//go:noescape
func bceTerms(p *float32, y *float32, out *float64, n int, lo float64, hi float64)

//go:noescape
func bceGrads(p *float32, y *float32, gp *float32, n int, lo float64, hi float64, scale float64)
