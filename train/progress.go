package train

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// ProgressStyle selects how Fit reports progress on Config.Progress.
type ProgressStyle int

const (
	// ProgressAuto shows a bar when Config.Progress is a terminal and
	// plain lines otherwise.
	ProgressAuto ProgressStyle = iota
	// ProgressBar always shows a bar (batch count, loss, ETA), followed
	// by the epoch's line when the epoch ends.
	ProgressBar
	// ProgressLines prints one line per epoch, as Keras's verbose=2:
	// "Epoch 1/3 - 12s - loss: 0.1378 - val_loss: 0.1055".
	ProgressLines
)

// reporter receives Fit's progress. A nil *reporter reports nothing.
type reporter struct {
	w       io.Writer
	bar     bool
	cur     *progressbar.ProgressBar
	epoch   int
	epochs  int
	last    time.Time
	loss    float64
	samples int
}

func newReporter(w io.Writer, style ProgressStyle) *reporter {
	if w == nil {
		return nil
	}
	bar := style == ProgressBar
	if style == ProgressAuto {
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			bar = true
		}
	}
	return &reporter{w: w, bar: bar}
}

func (r *reporter) epochStart(epoch, epochs, batches int) {
	if r == nil {
		return
	}
	r.epoch, r.epochs, r.loss, r.samples = epoch, epochs, 0, 0
	if !r.bar {
		return
	}
	r.cur = progressbar.NewOptions(batches,
		progressbar.OptionSetWriter(r.w),
		progressbar.OptionSetDescription(fmt.Sprintf("Epoch %d/%d - loss: ......", epoch+1, epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	r.cur.RenderBlank()
	r.last = time.Time{} // the first batch's loss shows at once
}

// batch records a finished batch of n samples with mean loss l.
func (r *reporter) batch(n int, l float64) {
	if r == nil || r.cur == nil {
		return
	}
	r.loss += l * float64(n)
	r.samples += n
	if now := time.Now(); now.Sub(r.last) >= 200*time.Millisecond {
		r.last = now
		r.cur.Describe(fmt.Sprintf("Epoch %d/%d - loss: %.4f", r.epoch+1, r.epochs, r.loss/float64(r.samples)))
	}
	r.cur.Add(1)
}

func (r *reporter) epochEnd(seconds, loss, valLoss float64, hasVal bool) {
	if r == nil {
		return
	}
	if r.cur != nil {
		r.cur.Finish()
		r.cur = nil
	}
	line := fmt.Sprintf("Epoch %d/%d - %.0fs - loss: %.4f", r.epoch+1, r.epochs, seconds, loss)
	if hasVal {
		line += fmt.Sprintf(" - val_loss: %.4f", valLoss)
	}
	fmt.Fprintln(r.w, line)
}

// abort clears a bar left by an epoch that ended in an error.
func (r *reporter) abort() {
	if r != nil && r.cur != nil {
		r.cur.Exit()
		fmt.Fprintln(r.w)
		r.cur = nil
	}
}

// printf writes a free-form line (resume notices).
func (r *reporter) printf(format string, args ...any) {
	if r != nil {
		fmt.Fprintf(r.w, format+"\n", args...)
	}
}
