//go:build !amd64 || purego

package graph

func sigmoid4(dst *float32, src *float32, n int) (unsafe int) {
	panic("graph: sigmoid4 without assembly")
}
