package cluster

import (
	"fmt"
	"math"
)

// Hungarian solves the linear assignment problem exactly: it returns, for
// each row of the rows×cols cost matrix, the column assigned to it, such
// that no column is used twice and the total cost is the least possible.
// When there are more rows than columns, rows−cols rows stay unassigned
// (-1). It runs the shortest-augmenting-path form of the Hungarian method
// with potentials (Kuhn–Munkres, Jonker–Volgenant), O(r²c) for r ≤ c.
// Integer costs (such as counts) are handled exactly.
func Hungarian(cost [][]float64) ([]int, error) {
	rows := len(cost)
	if rows == 0 {
		return nil, nil
	}
	cols := len(cost[0])
	for i, r := range cost {
		if len(r) != cols {
			return nil, fmt.Errorf("cluster.Hungarian: row %d has %d columns, row 0 has %d", i, len(r), cols)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("cluster.Hungarian: cost[%d][%d] is %v", i, j, v)
			}
		}
	}
	if cols == 0 {
		out := make([]int, rows)
		for i := range out {
			out[i] = -1
		}
		return out, nil
	}
	if rows <= cols {
		return assign(rows, cols, func(i, j int) float64 { return cost[i][j] }), nil
	}
	// More rows than columns: solve the transpose, then invert.
	colToRow := assign(cols, rows, func(i, j int) float64 { return cost[j][i] })
	out := make([]int, rows)
	for i := range out {
		out[i] = -1
	}
	for c, r := range colToRow {
		out[r] = c
	}
	return out, nil
}

// assign solves the n×m problem (n ≤ m) given by cost and returns the
// column of each row.
func assign(n, m int, cost func(i, j int) float64) []int {
	// 1-based arrays; p[j] is the row matched to column j (0: none),
	// u and v the row and column potentials.
	u := make([]float64, n+1)
	v := make([]float64, m+1)
	p := make([]int, m+1)
	way := make([]int, m+1)
	minv := make([]float64, m+1)
	used := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			delta := math.Inf(1)
			j1 := 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				cur := cost(i0-1, j-1) - u[i0] - v[j]
				if cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	out := make([]int, n)
	for j := 1; j <= m; j++ {
		if p[j] != 0 {
			out[p[j]-1] = j - 1
		}
	}
	return out
}
