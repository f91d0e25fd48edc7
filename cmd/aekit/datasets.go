package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aekit/aekit/data"
)

// loadDataset resolves a data set name as the verbs take it: mnist-train,
// mnist-test, fashion-mnist-train, fashion-mnist-test (mnist and
// fashion-mnist alone mean the given default split), or a folder of images
// (read at the model's input size c×h×w). flag names the flag in errors.
func loadDataset(flag, spec, defSplit string, c, h, w int) (*data.Dataset, error) {
	name, split := spec, defSplit
	for _, s := range []string{"-train", "-test"} {
		if strings.HasSuffix(spec, s) {
			name, split = strings.TrimSuffix(spec, s), s[1:]
		}
	}
	var ds *data.Dataset
	var err error
	switch name {
	case "mnist":
		ds, err = data.MNIST(split)
	case "fashion-mnist":
		ds, err = data.FashionMNIST("", split)
	default:
		st, statErr := os.Stat(spec)
		if statErr != nil || !st.IsDir() {
			return nil, fmt.Errorf("--%s %q: not a data set name (mnist-train, mnist-test, fashion-mnist-train, fashion-mnist-test) nor a folder of images", flag, spec)
		}
		ds, err = data.LoadImages(spec, c, h, w, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s %q: %w", flag, spec, err)
	}
	if c > 0 && ds.X.Shape.Size() > 0 && (ds.X.Shape[1] != c || ds.X.Shape[2] != h || ds.X.Shape[3] != w) {
		return nil, fmt.Errorf("--%s %q: images are %v, the model takes %d×%d×%d", flag, spec, ds.X.Shape[1:], c, h, w)
	}
	return ds, nil
}
