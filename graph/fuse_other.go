//go:build !amd64 || purego

package graph

func rowsBiasRelu(dst *float32, dstride int, src *float32, sstride int, rows int, wd int, bias float32) {
	panic("graph: rowsBiasRelu without assembly")
}

func pool2x2(dst *float32, arg *uint8, src *float32, sstride int, outw int, rows int, bias float32, relu int) {
	panic("graph: pool2x2 without assembly")
}

func unpool2x2(dst *float32, dstride int, gp *float32, out *float32, arg *uint8, outw int, rows int, relu int) {
	panic("graph: unpool2x2 without assembly")
}

func reluRows(d *float32, dstride int, gp *float32, y *float32, rows int, wd int) {
	panic("graph: reluRows without assembly")
}

func reluMask(d *float32, gp *float32, y *float32, n int) {
	panic("graph: reluMask without assembly")
}

func upRows2(dst *float32, dstride int, src *float32, sstride int, rows int, wd int) {
	panic("graph: upRows2 without assembly")
}

func sumRows2(dst *float32, src *float32, sstride int, rows int, outw int) {
	panic("graph: sumRows2 without assembly")
}
