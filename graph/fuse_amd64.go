//go:build amd64 && !purego

package graph

//go:noescape
func rowsBiasRelu(dst *float32, dstride int, src *float32, sstride int, rows int, wd int, bias float32)

//go:noescape
func pool2x2(dst *float32, arg *uint8, src *float32, sstride int, outw int, rows int, bias float32, relu int)

//go:noescape
func unpool2x2(dst *float32, dstride int, gp *float32, out *float32, arg *uint8, outw int, rows int, relu int)

//go:noescape
func reluRows(d *float32, dstride int, gp *float32, y *float32, rows int, wd int)

//go:noescape
func reluMask(d *float32, gp *float32, y *float32, n int)

//go:noescape
func upRows2(dst *float32, dstride int, src *float32, sstride int, rows int, wd int)

//go:noescape
func sumRows2(dst *float32, src *float32, sstride int, rows int, outw int)
