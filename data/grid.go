package data

import (
	"bufio"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/aekit/aekit/graph"
)

// GridOptions tunes ImageGrid. The zero value gives scale 1, 2-pixel gaps
// and no row labels.
type GridOptions struct {
	// Scale enlarges each pixel to Scale×Scale pixels (nearest); 0 means 1.
	Scale int
	// Gap is the width in pixels of the white space between and around
	// images; negative means none, 0 means 2.
	Gap int
	// RowLabels, when set, are written at the left of each row (one per row,
	// e.g. "original", "decoded", "cluster 3").
	RowLabels []string
}

// ImageGrid lays images out in rows on a white background: rows[r][k] is the
// image in row r, column k. Each image is a tensor of shape [C, H, W], [1, C,
// H, W] or [H, W] with C 1 (grey) or 3 (RGB) and values in [0, 1] (clipped);
// all must share H and W. A nil image, or a row shorter than the longest,
// leaves its cells white. The result is an *image.Gray when every image is grey,
// else an *image.RGBA. Used for reconstructions (originals above
// reconstructions) and cluster samples (one row per cluster).
func ImageGrid(rows [][]*graph.Tensor, opts GridOptions) (image.Image, error) {
	scale, gap := opts.Scale, opts.Gap
	if scale <= 0 {
		scale = 1
	}
	if gap == 0 {
		gap = 2
	}
	gap = max(gap, 0)
	if scale > 1<<10 || gap > 1<<10 {
		return nil, fmt.Errorf("data: image grid: scale %d or gap %d beyond 1024", scale, gap)
	}
	if opts.RowLabels != nil && len(opts.RowLabels) != len(rows) {
		return nil, fmt.Errorf("data: image grid: %d row labels for %d rows", len(opts.RowLabels), len(rows))
	}
	h, w, cols, rgb := -1, -1, 0, false
	for r, row := range rows {
		cols = max(cols, len(row))
		for k, t := range row {
			if t == nil {
				continue
			}
			c, th, tw, err := chw(t)
			if err != nil {
				return nil, fmt.Errorf("data: image grid: image at row %d, column %d: %w", r, k, err)
			}
			if h < 0 {
				h, w = th, tw
			} else if th != h || tw != w {
				return nil, fmt.Errorf("data: image grid: image at row %d, column %d is %d×%d, others are %d×%d", r, k, th, tw, h, w)
			}
			rgb = rgb || c == 3
		}
	}
	if h < 0 {
		return nil, fmt.Errorf("data: image grid: no images")
	}
	labelW := 0
	if opts.RowLabels != nil {
		face := basicfont.Face7x13
		for _, l := range opts.RowLabels {
			labelW = max(labelW, font.MeasureString(face, l).Ceil())
		}
		labelW += gap
	}
	cellW, cellH := w*scale, h*scale
	W := labelW + gap + cols*(cellW+gap)
	H := gap + len(rows)*(cellH+gap)
	if _, err := checkedProduct([]int{W, H, 4}, DefaultLimits.MaxElements); err != nil {
		return nil, fmt.Errorf("data: image grid of %d×%d pixels refused: %w", W, H, err)
	}
	var dst draw.Image
	var gray *image.Gray
	var rgba *image.RGBA
	if rgb {
		rgba = image.NewRGBA(image.Rect(0, 0, W, H))
		for i := range rgba.Pix {
			rgba.Pix[i] = 255
		}
		dst = rgba
	} else {
		gray = image.NewGray(image.Rect(0, 0, W, H))
		for i := range gray.Pix {
			gray.Pix[i] = 255
		}
		dst = gray
	}
	for r, row := range rows {
		y0 := gap + r*(cellH+gap)
		for k, t := range row {
			if t == nil {
				continue
			}
			c, _, _, _ := chw(t)
			x0 := labelW + gap + k*(cellW+gap)
			plane := h * w
			for y := 0; y < cellH; y++ {
				for x := 0; x < cellW; x++ {
					i := (y/scale)*w + x/scale
					if rgba != nil {
						o := rgba.PixOffset(x0+x, y0+y)
						v := [3]uint8{}
						for ch := 0; ch < 3; ch++ {
							v[ch] = toByte(t.Data[min(ch, c-1)*plane+i])
						}
						copy(rgba.Pix[o:o+3], v[:])
					} else {
						gray.Pix[gray.PixOffset(x0+x, y0+y)] = toByte(t.Data[i])
					}
				}
			}
		}
		if opts.RowLabels != nil {
			d := font.Drawer{Dst: dst, Src: image.Black, Face: basicfont.Face7x13,
				Dot: fixed.P(gap, y0+cellH/2+5)}
			d.DrawString(opts.RowLabels[r])
		}
	}
	return dst, nil
}

// chw returns the channels, height and width of an image tensor.
func chw(t *graph.Tensor) (c, h, w int, err error) {
	s := t.Shape
	switch {
	case len(s) == 2:
		c, h, w = 1, s[0], s[1]
	case len(s) == 3:
		c, h, w = s[0], s[1], s[2]
	case len(s) == 4 && s[0] == 1:
		c, h, w = s[1], s[2], s[3]
	default:
		return 0, 0, 0, fmt.Errorf("shape %v is not [C, H, W]", s)
	}
	if c != 1 && c != 3 {
		return 0, 0, 0, fmt.Errorf("shape %v has %d channels, want 1 or 3", s, c)
	}
	if h <= 0 || w <= 0 || t.DType != graph.Float32 || len(t.Data) != c*h*w {
		return 0, 0, 0, fmt.Errorf("shape %v does not describe its %d float32 values", s, len(t.Data))
	}
	return c, h, w, nil
}

// toByte maps a value in [0, 1] to 0..255, rounding and clipping (NaN → 0).
func toByte(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(math.Round(float64(v) * 255))
}

// WritePNG writes img to path as a PNG, through a temporary file renamed
// into place.
func WritePNG(path string, img image.Image) error {
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// writeAtomic writes a file through a temporary file in the same folder,
// synced and renamed into place, so that path holds either its old content
// or the whole new one.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("data: writing %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return fmt.Errorf("data: writing %q: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("data: writing %q: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("data: writing %q: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("data: writing %q: %w", path, err)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("data: writing %q: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("data: writing %q: %w", path, err)
	}
	return nil
}
