// Package data provides aekit's data sets and the file formats they come in:
// MNIST (embedded, so that everything works offline with no flags),
// Fashion-MNIST and other files in the idx format, folders of PNG/JPEG
// images, NumPy .npy arrays, and pictures of images laid out in a grid
// (reconstructions, cluster samples) written as PNG.
//
// Every data set is a [Dataset]: images as one float32 tensor of shape
// [N, C, H, W] with values in [0, 1], and integer labels when they are known.
//
// Error policy: files are untrusted input. A bad file (wrong magic number,
// truncated data, counts that do not match, an image that does not decode)
// gives an error that names the file and the numbers at fault, never a panic.
// Sizes declared by a file are checked against [DefaultLimits] before memory
// is allocated for them, and buffers grow only as data actually arrives, so a
// few bytes claiming a huge array cost nothing. Panics are kept for
// programmer errors, such as asking [Dataset.Image] for an index out of range.
package data
