//go:build amd64 && !purego

package graph

//go:noescape
func sigmoid4(dst *float32, src *float32, n int) (unsafe int)
