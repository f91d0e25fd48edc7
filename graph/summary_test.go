package graph

import (
	"os"
	"strings"
	"testing"
)

// seedSummary is Keras 2's summary of the seed model, made by
// testdata/keras_summary_ref.py (Keras's print_row, reimplemented). Each
// line ends in "|" here so that its trailing spaces show.
const seedSummary = `
_________________________________________________________________|
Layer (type)                 Output Shape              Param #   |
=================================================================|
input_1 (InputLayer)         (None, 28, 28, 1)         0         |
_________________________________________________________________|
conv2d_1 (Conv2D)            (None, 28, 28, 16)        160       |
_________________________________________________________________|
activation_1 (Activation)    (None, 28, 28, 16)        0         |
_________________________________________________________________|
max_pooling2d_1 (MaxPooling2 (None, 14, 14, 16)        0         |
_________________________________________________________________|
conv2d_2 (Conv2D)            (None, 14, 14, 2)         290       |
_________________________________________________________________|
activation_2 (Activation)    (None, 14, 14, 2)         0         |
_________________________________________________________________|
max_pooling2d_2 (MaxPooling2 (None, 7, 7, 2)           0         |
_________________________________________________________________|
conv2d_3 (Conv2D)            (None, 7, 7, 2)           38        |
_________________________________________________________________|
activation_3 (Activation)    (None, 7, 7, 2)           0         |
_________________________________________________________________|
up_sampling2d_1 (UpSampling2 (None, 14, 14, 2)         0         |
_________________________________________________________________|
conv2d_4 (Conv2D)            (None, 14, 14, 16)        304       |
_________________________________________________________________|
activation_4 (Activation)    (None, 14, 14, 16)        0         |
_________________________________________________________________|
up_sampling2d_2 (UpSampling2 (None, 28, 28, 16)        0         |
_________________________________________________________________|
conv2d_5 (Conv2D)            (None, 28, 28, 1)         145       |
_________________________________________________________________|
activation_5 (Activation)    (None, 28, 28, 1)         0         |
=================================================================|
Total params: 937|
Trainable params: 937|
Non-trainable params: 0|
_________________________________________________________________|
`

func unbar(s string) string { return strings.ReplaceAll(strings.TrimPrefix(s, "\n"), "|\n", "\n") }

func TestSummarySeedMatchesKeras(t *testing.T) {
	g := buildSeed(t, 1)
	if got, want := Summary(g), unbar(seedSummary); got != want {
		t.Fatalf("summary\n%s\nwant\n%s", got, want)
	}
}

func TestSummaryDCECMatchesKeras(t *testing.T) {
	ref, err := os.ReadFile("testdata/keras_summary_ref.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := unbar("\n" + strings.SplitN(string(ref), "\n\n", 2)[1])
	g := buildDCEC(t)
	if got := Summary(g); got != want {
		t.Fatalf("summary\n%s\nwant\n%s", got, want)
	}
}

func TestSummaryRowAndThousands(t *testing.T) {
	var sb strings.Builder
	// Keras cuts a field at its column's end and keeps one space before
	// the next field.
	summaryRow(&sb, "max_pooling2d_1 (MaxPooling2D)", "(None, 14, 14, 16)", "0")
	if got, want := sb.String(), "max_pooling2d_1 (MaxPooling2 (None, 14, 14, 16)        0         \n"; got != want {
		t.Fatalf("row %q, want %q", got, want)
	}
	for n, want := range map[int]string{0: "0", 937: "937", 1000: "1,000", 275979: "275,979", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestSummaryBatchNormNonTrainable(t *testing.T) {
	g, err := Sequential("bn", 1, Input{Shape: []int{4, 4, 3}}, BatchNormalization{}, Flatten{}, Dropout{Rate: 0.5}, Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	s := Summary(g)
	// Keras: 4·3 BN weights, half of them moving statistics; Dense 48·2+2.
	for _, want := range []string{
		"batch_normalization_1 (Batch (None, 4, 4, 3)           12        \n",
		"dropout_1 (Dropout)          (None, 48)                0         \n",
		"Total params: 110\nTrainable params: 104\nNon-trainable params: 6\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestSummaryWithoutLayers(t *testing.T) {
	g := buildSeed(t, 1)
	g.Layers = nil // as an imported graph
	s := Summary(g)
	for _, want := range []string{
		"conv2d_1/Conv (Conv)         (None, 28, 28, 16)        160       \n",
		"conv2d_5/Conv (Conv)         (None, 28, 28, 1)         145       \n",
		"Total params: 937\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Relu") || strings.Count(s, "(Conv)") != 5 {
		t.Errorf("rows for nodes without parameters:\n%s", s)
	}
}
