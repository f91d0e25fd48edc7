#!/usr/bin/python3
"""Reference values for data/mnist_test.go, computed independently of the Go
reader with numpy from the embedded MNIST files (data/mnist/*.gz).

Run from the repository root:  /usr/bin/python3 data/testdata/mnist_ref.py
It prints the values that the Go tests hard-code, and checks that the float32
bytes of training images 0..31 equal the raw_data of the Keras-made golden
batch (../shared/golden/seed-adadelta/batch.pb) when that file is present.
"""
import gzip, hashlib, os
import numpy as np

def idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    magic = int.from_bytes(b[:4], "big")
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return magic, dims, np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)

for split in ("train", "t10k"):
    _, dims, x = idx(f"data/mnist/{split}-images-idx3-ubyte.gz")
    _, ldims, y = idx(f"data/mnist/{split}-labels-idx1-ubyte.gz")
    xf = x.astype("float32") / 255.0          # Keras: x.astype('float32')/255.
    print(split, dims, ldims, "labels[:10] =", list(y[:10]))
    print("  integer pixel sums of images 0..2:", [int(x[i].sum()) for i in range(3)])
    print("  sum of all float32 values (float64 accumulation): %.6f" % xf.astype(np.float64).sum())
    print("  label counts:", list(np.bincount(y, minlength=10)))
    h = hashlib.sha256(xf[:32].astype("<f4").tobytes()).hexdigest()
    print("  sha256 of float32 LE bytes of images 0..31:", h)
    if split == "train":
        gold = "../shared/golden/seed-adadelta/batch.pb"
        if os.path.exists(gold):
            raw = open(gold, "rb").read()
            # the raw_data field is the last 32*784*4 bytes of the TensorProto
            n = 32 * 784 * 4
            print("  golden batch.pb raw_data matches:", raw[-n:] == xf[:32].astype("<f4").tobytes())
