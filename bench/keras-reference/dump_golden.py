"""dump_golden.py GOLDEN_DIR OUT_DIR: the golden init.onnx weights and batch.pb
as OUT_DIR/golden.json, after10.onnx as OUT_DIR/after10.json, for train.js."""
import json
import sys

import numpy as np
import onnx
import onnx.numpy_helper as nh

src, dst = sys.argv[1], sys.argv[2]


def weights(path):
    m = onnx.load(path)
    return {t.name: {'shape': list(nh.to_array(t).shape), 'data': nh.to_array(t).astype(np.float64).ravel().tolist()}
            for t in m.graph.initializer}


out = weights(src + '/init.onnx')
tp = onnx.TensorProto()
tp.ParseFromString(open(src + '/batch.pb', 'rb').read())
b = nh.to_array(tp)
out['__batch'] = {'shape': list(b.shape), 'data': b.astype(np.float64).ravel().tolist()}
json.dump(out, open(dst + '/golden.json', 'w'))
json.dump(weights(src + '/after10.onnx'), open(dst + '/after10.json', 'w'))
