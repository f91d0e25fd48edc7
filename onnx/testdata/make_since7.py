#!/usr/bin/python3
"""Writes since7.json for onnx/nodetest_test.go: for every operator of the
ONNX backend node tests whose model imports a default-domain opset below 7,
the since_version of the operator's schema at that opset and at opset 7. Where
they are equal, the operator means the same at opset 7, and the runner runs
the test at opset 7 (aekit reads opsets 7-21). Run: /usr/bin/python3 make_since7.py
"""
import glob, json
import onnx
from onnx import defs

out = {}
for p in sorted(glob.glob("/usr/share/libonnx-testdata/data/node/*/model.onnx")):
    m = onnx.load(p)
    v = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
    if not v or v[0] >= 7:
        continue
    for n in m.graph.node:
        e = out.setdefault(n.op_type, {})
        for opset in (v[0], 7):
            e[str(opset)] = defs.get_schema(n.op_type, opset).since_version
with open("since7.json", "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
