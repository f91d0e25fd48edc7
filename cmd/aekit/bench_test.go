package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	code, out, errs := runCLI(t, "bench", "--json", "--steps", "5", "--gorgonia-steps", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r map[string]float64
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not one JSON object of numbers: %v\n%s", err, out)
	}
	for _, k := range []string{"native_epoch_s", "gorgonia_epoch_s", "speedup_vs_gorgonia", "encode_10k_s", "kmeans_s", "peak_rss_mb"} {
		if v, ok := r[k]; !ok || !(v > 0) {
			t.Errorf("%s = %v (present %v), want positive", k, v, ok)
		}
	}
	if r["native_steps"] != 5 || r["gorgonia_steps"] != 2 || r["epoch_images"] != 60000 || r["encoded_images"] != 10000 || r["code_dim"] != 98 {
		t.Errorf("counts: %v", r)
	}
}

func TestBenchFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--steps", "0"}, "--steps 0"},
		{[]string{"bench", "--repeats", "-1"}, "--repeats -1"},
		{[]string{"bench", "--encode-batch", "-3"}, "--encode-batch -3"},
		{[]string{"bench", "--steps", "2000"}, "need 64000 training images, have 60000"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
}
