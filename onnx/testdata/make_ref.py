#!/usr/bin/python3
"""Writes ref.json: an independent reading (Python onnx + numpy) of the models
and tensors that onnx/decode_test.go decodes, to check the Go decoder against.

For each initializer: element type, dims, and the SHA-256 of its values as
little-endian float32 (float types) or int64 (integer types) bytes; for each
model: IR version, opsets, inputs (initializers excluded) and outputs with -1
for symbolic dims, node count. Run from onnx/testdata: /usr/bin/python3 make_ref.py
"""
import hashlib, json
import numpy as np
import onnx
from onnx import numpy_helper

MODELS = {
    "seed-init.onnx": "seed-init.onnx",
    "seed-after10.onnx": "seed-after10.onnx",
    "mnist7.onnx": "mnist7.onnx",
    "keras_mnist.onnx": "../../../shared/models/keras2onnx-1.6.0_keras_mnist_cnn/keras_mnist.onnx",
    "lenet.onnx": "../../../shared/models/tf2onnx-1.16.1_keras3_lenet/model.onnx",
}
TENSORS = {
    "batch.pb": "../../../shared/golden/seed-adadelta/batch.pb",
    "mnist7-input_0.pb": "mnist7-input_0.pb",
    "mnist7-output_0.pb": "mnist7-output_0.pb",
}

def digest(arr):
    if arr.dtype.kind == "f":
        a = arr.astype("<f4")
    else:
        a = arr.astype("<i8")
    return hashlib.sha256(a.tobytes()).hexdigest()

def shape(vi):
    if not vi.type.tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else -1 for d in vi.type.tensor_type.shape.dim]

ref = {"models": {}, "tensors": {}}
for key, path in MODELS.items():
    m = onnx.load(path)
    inits = {t.name for t in m.graph.initializer}
    ref["models"][key] = {
        "ir_version": m.ir_version,
        "opsets": {o.domain: o.version for o in m.opset_import},
        "nodes": len(m.graph.node),
        "inputs": [[i.name, shape(i)] for i in m.graph.input if i.name not in inits],
        "outputs": [[o.name, shape(o)] for o in m.graph.output],
        "initializers": {t.name: {"dims": list(t.dims), "sha256": digest(numpy_helper.to_array(t))}
                         for t in m.graph.initializer},
    }
for key, path in TENSORS.items():
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    a = numpy_helper.to_array(t)
    ref["tensors"][key] = {"name": t.name, "dims": list(t.dims), "sha256": digest(a),
                           "min": float(a.min()), "max": float(a.max())}
with open("ref.json", "w") as f:
    json.dump(ref, f, indent=1, sort_keys=True)
