#!/usr/bin/python3
"""Makes the .npy files in data/testdata/npy/ that data/npy_test.go reads, with
numpy (the independent reference for the Go .npy reader).
Run from the repository root:  /usr/bin/python3 data/testdata/make_npy.py

Every array's values are arange(n) * 0.5 - 3 (cast to its dtype) so the Go test
can recompute them; fortran-order files hold the same logical array as C order.
"""
import os
import numpy as np

out = "data/testdata/npy"
os.makedirs(out, exist_ok=True)

def arr(shape, dtype):
    n = int(np.prod(shape)) if shape else 1
    return (np.arange(n, dtype=np.float64) * 0.5 - 3).reshape(shape).astype(dtype)

cases = {
    "f4_2x3x4": arr((2, 3, 4), "<f4"),
    "f4_big_endian_2x3": arr((2, 3), ">f4"),
    "f8_5": arr((5,), "<f8"),
    "f4_fortran_2x3x4": np.asfortranarray(arr((2, 3, 4), "<f4")),
    "f4_scalar": arr((), "<f4"),
    "f4_empty_0x3": arr((0, 3), "<f4"),
    "i8_6": arr((6,), "<i8"),
    "i4_2x2": arr((2, 2), "<i4"),
    "u1_4": np.array([0, 1, 128, 255], dtype="u1"),
    "b1_3": np.array([True, False, True]),
}
for name, a in cases.items():
    np.save(os.path.join(out, name + ".npy"), a)
# A version 2.0 header (numpy writes one when asked).
with open(os.path.join(out, "f4_v2_3.npy"), "wb") as f:
    np.lib.format.write_array(f, arr((3,), "<f4"), version=(2, 0))
for name in sorted(os.listdir(out)):
    print(name, os.path.getsize(os.path.join(out, name)))
