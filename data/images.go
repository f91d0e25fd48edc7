package data

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // JPEG decoder for DecodeImage
	_ "image/png"  // PNG decoder for DecodeImage
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	xdraw "golang.org/x/image/draw"

	"github.com/aekit/aekit/graph"
)

// ImageOptions tunes LoadImages and DecodeImage. The zero value is ready to use.
type ImageOptions struct {
	// Interp resizes images whose size differs from the model's input;
	// nil means xdraw.CatmullRom (golang.org/x/image/draw). xdraw.ApproxBiLinear
	// is faster.
	Interp xdraw.Interpolator
	// MaxPixels refuses an image whose declared width×height is larger,
	// before it is decoded; 0 means DefaultLimits.MaxImagePixels.
	MaxPixels int
	// MaxFileBytes refuses a larger file; 0 means DefaultLimits.MaxFileBytes.
	MaxFileBytes int64
}

func (o *ImageOptions) maxPixels() int {
	if o == nil || o.MaxPixels <= 0 {
		return DefaultLimits.MaxImagePixels
	}
	return o.MaxPixels
}

func (o *ImageOptions) maxFileBytes() int64 {
	if o == nil || o.MaxFileBytes <= 0 {
		return DefaultLimits.MaxFileBytes
	}
	return o.MaxFileBytes
}

func (o *ImageOptions) interp() xdraw.Interpolator {
	if o == nil || o.Interp == nil {
		return xdraw.CatmullRom
	}
	return o.Interp
}

// isImageFile reports whether name has an extension LoadImages reads.
func isImageFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// DecodeImage decodes one PNG or JPEG image from r (name is used in errors)
// into dst, which holds c×h×w float32 values (c is 1 or 3), laid out
// [C, H, W] with values in [0, 1]. The declared size is read first and an
// image larger than opts' MaxPixels is refused before it is decoded. An image
// of another size is resized to h×w with opts' interpolator. Colour becomes
// grey with the ITU-R 601 luma weights (as Go's color.GrayModel and PIL's
// convert("L")), grey becomes colour by repeating it; transparency is
// composited over black. A grey image already h×w gives exactly pixel/255.
func DecodeImage(r io.Reader, name string, c, h, w int, opts *ImageOptions, dst []float32) error {
	if c != 1 && c != 3 || h <= 0 || w <= 0 {
		return fmt.Errorf("data: image %q: model input %d×%d×%d: want 1 or 3 channels and a positive size", name, c, h, w)
	}
	if len(dst) != c*h*w {
		return fmt.Errorf("data: image %q: destination holds %d values, want %d×%d×%d", name, len(dst), c, h, w)
	}
	limit := opts.maxFileBytes()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return fmt.Errorf("data: image %q: %w", name, err)
	}
	if int64(len(b)) > limit {
		return fmt.Errorf("data: image %q: file larger than the limit of %d bytes", name, limit)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("data: image %q: not a PNG or JPEG image: %w", name, err)
	}
	if format != "png" && format != "jpeg" {
		return fmt.Errorf("data: image %q: %s images are not supported (want PNG or JPEG)", name, format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("data: image %q: empty %s image %d×%d", name, format, cfg.Width, cfg.Height)
	}
	if maxPix := opts.maxPixels(); cfg.Width > maxPix/cfg.Height {
		return fmt.Errorf("data: image %q: %s image %d×%d exceeds the limit of %d pixels", name, format, cfg.Width, cfg.Height, maxPix)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("data: image %q: corrupt %s image: %w", name, format, err)
	}
	src := img.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	if src.Dx() == w && src.Dy() == h {
		draw.Draw(rgba, rgba.Bounds(), img, src.Min, draw.Src)
	} else {
		opts.interp().Scale(rgba, rgba.Bounds(), img, src, xdraw.Src, nil)
	}
	toPlanes(rgba, c, dst)
	return nil
}

// toPlanes writes an RGBA image as [C, H, W] values in [0, 1].
func toPlanes(m *image.RGBA, c int, dst []float32) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	plane := w * h
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+4*w]
		for x := 0; x < w; x++ {
			p := row[4*x : 4*x+4 : 4*x+4]
			i := y*w + x
			if c == 1 {
				// color.GrayModel's luma, 8-bit values scaled to 16 bits.
				r, g, b := uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101
				dst[i] = unitLUT[(19595*r+38470*g+7471*b+1<<15)>>24]
				continue
			}
			dst[i] = unitLUT[p[0]]
			dst[plane+i] = unitLUT[p[1]]
			dst[2*plane+i] = unitLUT[p[2]]
		}
	}
}

// LoadImages reads the PNG and JPEG images (.png, .jpg, .jpeg, any case) in
// dir into a Dataset of c×h×w images (c is 1 or 3), decoded with DecodeImage.
// When dir has subfolders, each is a class: the sorted folder names are
// Classes, an image's label is its folder's index, and images may lie at any
// depth inside their class folder; images directly in dir are then an error.
// Without subfolders the labels are nil. Files with other extensions and
// names starting with "." are skipped; an image file that fails to decode is
// an error naming it. The order is deterministic: classes sorted, then paths
// sorted. Images are decoded in parallel.
func LoadImages(dir string, c, h, w int, opts *ImageOptions) (*Dataset, error) {
	if c != 1 && c != 3 || h <= 0 || w <= 0 {
		return nil, fmt.Errorf("data: folder %q: model input %d×%d×%d: want 1 or 3 channels and a positive size", dir, c, h, w)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: folder %q: %w", dir, err)
	}
	var classes, loose []string // sorted, as os.ReadDir sorts
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.IsDir() {
			classes = append(classes, e.Name())
		} else if isImageFile(e.Name()) {
			loose = append(loose, filepath.Join(dir, e.Name()))
		}
	}
	var paths []string
	var labels []int
	if len(classes) == 0 {
		paths = loose
	} else {
		if len(loose) > 0 {
			return nil, fmt.Errorf("data: folder %q: image %q lies beside class subfolders (%s); move it into a class folder", dir, loose[0], strings.Join(classes, ", "))
		}
		for label, cl := range classes {
			found, err := listImages(filepath.Join(dir, cl))
			if err != nil {
				return nil, err
			}
			paths = append(paths, found...)
			for range found {
				labels = append(labels, label)
			}
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("data: folder %q: no .png, .jpg or .jpeg images", dir)
	}
	n := len(paths)
	per := c * h * w
	if _, err := checkedProduct([]int{n, c, h, w}, DefaultLimits.MaxElements); err != nil {
		return nil, fmt.Errorf("data: folder %q: %d images of %d×%d×%d refused: %w", dir, n, c, h, w, err)
	}
	x := graph.New(n, c, h, w)
	errs := make([]error, n)
	graph.Parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			errs[i] = decodeImageFile(paths[i], c, h, w, opts, x.Data[i*per:(i+1)*per])
			if errs[i] != nil {
				return
			}
		}
	})
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	d := &Dataset{Name: filepath.Base(filepath.Clean(dir)), X: x}
	if len(classes) > 0 {
		d.Labels, d.Classes = labels, classes
	}
	return d, nil
}

// decodeImageFile opens path and decodes it with DecodeImage.
func decodeImageFile(path string, c, h, w int, opts *ImageOptions, dst []float32) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data: image: %w", err)
	}
	defer f.Close()
	return DecodeImage(f, path, c, h, w, opts, dst)
}

// listImages returns the image files under dir, at any depth, sorted, with
// names starting with "." skipped.
func listImages(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("data: folder %q: %w", dir, err)
		}
		if p != dir && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.IsDir() && isImageFile(e.Name()) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
