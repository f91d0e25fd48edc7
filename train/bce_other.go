//go:build !amd64 || purego

package train

// bceAsm is false where bceTerms has no assembly: bceSum's loop runs.
var bceAsm = false

func bceTerms(p *float32, y *float32, out *float64, n int, lo float64, hi float64) {
	panic("train: bceTerms without assembly")
}

func bceGrads(p *float32, y *float32, gp *float32, n int, lo float64, hi float64, scale float64) {
	panic("train: bceGrads without assembly")
}
