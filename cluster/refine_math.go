package cluster

import "math"

// softAssign writes into q (rows i < n, k values each) the Student's t
// soft assignment of code z_i to the centres mu: q_ij = w_ij / Σ_j' w_ij',
// w_ij = 1/(1 + ‖z_i − μ_j‖²); and into w the w_ij when w is not nil.
func softAssign(q, w []float64, z, mu []float32, n, d, k int) {
	for i := 0; i < n; i++ {
		zi := z[i*d : (i+1)*d]
		qi := q[i*k : (i+1)*k]
		var s float64
		for j := range qi {
			var dist float64
			for t, v := range mu[j*d : (j+1)*d] {
				e := float64(zi[t]) - float64(v)
				dist += e * e
			}
			qi[j] = 1 / (1 + dist)
			s += qi[j]
		}
		if w != nil {
			copy(w[i*k:(i+1)*k], qi)
		}
		for j := range qi {
			qi[j] /= s
		}
	}
}

// target fills p (n×k) with DEC's target distribution for the codes z
// (n×d) and centres mu (k×d), p_ij ∝ q_ij² / Σ_i q_ij, and labels with
// each code's most likely cluster under q.
func target(p []float64, z, mu []float32, n, d, k int, labels []int) {
	softAssign(p, nil, z, mu, n, d, k)
	f := make([]float64, k)
	for i := 0; i < n; i++ {
		qi := p[i*k : (i+1)*k]
		best := 0
		for j, v := range qi {
			f[j] += v
			if v > qi[best] {
				best = j
			}
		}
		labels[i] = best
	}
	for i := 0; i < n; i++ {
		pi := p[i*k : (i+1)*k]
		var s float64
		for j, v := range pi {
			pi[j] = v * v / f[j]
			s += pi[j]
		}
		for j := range pi {
			pi[j] /= s
		}
	}
}

// klGrad returns the clustering loss gamma·mean_i KL(p_i ‖ q_i) of b codes
// z (b×d) against the targets p (b×k), and overwrites dz (b×d) and dmu (k×d)
// with its gradients (each row of p sums to 1, as target makes it):
//
//	∂/∂z_i = gamma/b · 2 Σ_j w_ij (p_ij − q_ij)(z_i − μ_j)
//	∂/∂μ_j = −gamma/b · 2 Σ_i w_ij (p_ij − q_ij)(z_i − μ_j)
func klGrad(z, mu []float32, p []float64, b, d, k int, gamma float64, dz, dmu []float32) float64 {
	q := make([]float64, b*k)
	w := make([]float64, b*k)
	softAssign(q, w, z, mu, b, d, k)
	acc := make([]float64, k*d)
	zi64 := make([]float64, d)
	var loss float64
	scale := 2 * gamma / float64(b)
	for i := 0; i < b; i++ {
		zi := z[i*d : (i+1)*d]
		for t := range zi64 {
			zi64[t] = 0
		}
		for j := 0; j < k; j++ {
			pij, qij := p[i*k+j], q[i*k+j]
			if pij > 0 {
				loss += pij * math.Log(pij/qij)
			}
			c := scale * w[i*k+j] * (pij - qij)
			for t, v := range mu[j*d : (j+1)*d] {
				e := c * (float64(zi[t]) - float64(v))
				zi64[t] += e
				acc[j*d+t] -= e
			}
		}
		for t, v := range zi64 {
			dz[i*d+t] = float32(v)
		}
	}
	for i, v := range acc {
		dmu[i] = float32(v)
	}
	return gamma * loss / float64(b)
}
