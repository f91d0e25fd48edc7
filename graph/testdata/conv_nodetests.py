#!/usr/bin/python3
"""Extracts the 2-D Conv and ConvTranspose cases of the ONNX backend node tests
(Debian package libonnx-testdata) into conv_nodetests.json for op_conv_test.go.

Run from graph/testdata: /usr/bin/python3 conv_nodetests.py
Each case: the node's attributes, its float inputs (shape, data) and the
expected output computed by the ONNX authors' reference.
"""
import glob
import json
import os

import onnx
from onnx import numpy_helper

ROOT = "/usr/share/libonnx-testdata/data"
DIRS = sorted(glob.glob(ROOT + "/node/test_*conv*") + glob.glob(ROOT + "/node/test_basic_conv*")
              + glob.glob(ROOT + "/pytorch-converted/test_Conv*2d*")
              + glob.glob(ROOT + "/pytorch-operator/test_operator_conv*"))


def attr_value(a):
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [int(x) for x in v]
    return int(v)


cases = []
seen = set()
for d in DIRS:
    if os.path.basename(d) in seen:
        continue
    seen.add(os.path.basename(d))
    m = onnx.load(os.path.join(d, "model.onnx"))
    nodes = [n for n in m.graph.node]
    if len(nodes) != 1 or nodes[0].op_type not in ("Conv", "ConvTranspose"):
        continue
    node = nodes[0]
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    feeds = [i.name for i in m.graph.input if i.name not in inits]
    ins = {}
    for k, name in enumerate(feeds):
        t = onnx.TensorProto()
        with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % k), "rb") as f:
            t.ParseFromString(f.read())
        ins[name] = numpy_helper.to_array(t)
    ins.update(inits)
    t = onnx.TensorProto()
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "rb") as f:
        t.ParseFromString(f.read())
    out = numpy_helper.to_array(t)
    inputs = []
    for name in node.input:
        if name == "":
            inputs.append(None)
            continue
        a = ins[name]
        if a.dtype.kind != "f":
            break
        inputs.append({"shape": list(a.shape), "data": [float(x) for x in a.astype("float32").ravel()]})
    else:
        if sum(len(i["data"]) for i in inputs if i) + out.size > 20000:
            continue  # test_operator_conv: 1.1M numbers, covered by the random tests
        cases.append({
            "name": os.path.basename(d),
            "op": node.op_type,
            "attrs": {a.name: attr_value(a) for a in node.attribute},
            "inputs": inputs,
            "output": {"shape": list(out.shape), "data": [float(x) for x in out.astype("float32").ravel()]},
        })

with open("conv_nodetests.json", "w") as f:
    json.dump(cases, f, separators=(",", ":"))
print(len(cases), "cases:", ", ".join(c["name"] for c in cases))
