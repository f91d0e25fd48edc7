#!/usr/bin/python3
"""Writes op_cases.json.gz (gzipped JSON): forward reference cases for the pooling, resize,
activation and normalisation operators of aekit's graph package.

Two sources:

* "node": the ONNX backend node tests shipped by Debian's libonnx-testdata
  (onnx 1.12) under /usr/share/libonnx-testdata/data/{node,pytorch-converted,
  pytorch-operator}, for the operators below. Each model is one operator node,
  possibly fed by Constant nodes; inputs and expected outputs are copied from
  test_data_set_0. Cases that cannot be expressed (dtypes other than float32,
  int64 and bool) or that are too large to keep here are listed under
  "skipped" with the reason.
* "numpy": cases the node tests do not cover (Keras 'same' pooling, 3-D and
  dilated pooling, every Resize coordinate mode with non-integer scales, old
  opsets, …), computed by the straightforward NumPy references below. The
  Resize reference is checked against onnx's own interpolate_nd where that
  supports the mode.

Tensors are stored as base64 of little-endian float32 or int64 (bool as
int64). Run with /usr/bin/python3 (python3-onnx, numpy):

    /usr/bin/python3 graph/testdata/make_op_cases.py
"""
import base64
import glob
import gzip
import itertools
import json
import math
import os

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case.node.resize import interpolate_nd, linear_coeffs, nearest_coeffs

ROOT = "/usr/share/libonnx-testdata/data"
OPS = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Resize", "Upsample",
       "LeakyRelu", "Tanh", "Elu", "Softmax", "Clip", "BatchNormalization", "Dropout",
       "Relu", "Sigmoid"}
MAX_ELEMENTS = 20000
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "op_cases.json.gz")


def enc(a):
    a = np.asarray(a)
    if a.dtype == np.float32:
        dt = "float32"
    elif a.dtype in (np.int64, np.bool_):
        dt, a = "int64", a.astype("<i8")
    else:
        raise TypeError(str(a.dtype))
    return {"dtype": dt, "shape": list(a.shape), "data": base64.b64encode(a.astype(a.dtype.newbyteorder("<")).tobytes()).decode()}


def attr_json(a):
    t = a.type
    if t == onnx.AttributeProto.FLOAT:
        return {"name": a.name, "kind": "float", "f": a.f}
    if t == onnx.AttributeProto.INT:
        return {"name": a.name, "kind": "int", "i": a.i}
    if t == onnx.AttributeProto.STRING:
        return {"name": a.name, "kind": "string", "s": a.s.decode()}
    if t == onnx.AttributeProto.FLOATS:
        return {"name": a.name, "kind": "floats", "floats": list(a.floats)}
    if t == onnx.AttributeProto.INTS:
        return {"name": a.name, "kind": "ints", "ints": list(a.ints)}
    raise TypeError(f"attribute {a.name} of type {t}")


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def node_cases(cases, skipped):
    dirs = sorted(glob.glob(ROOT + "/node/test_*") + glob.glob(ROOT + "/pytorch-converted/test_*")
                  + glob.glob(ROOT + "/pytorch-operator/test_*"))
    for d in dirs:
        name = os.path.basename(d)
        m = onnx.load(os.path.join(d, "model.onnx"))
        nodes = [n for n in m.graph.node if n.op_type != "Constant"]
        if len(nodes) != 1 or nodes[0].op_type not in OPS:
            continue
        n = nodes[0]
        opset = max([o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] or [1])
        consts = {}
        for c in m.graph.node:
            if c.op_type == "Constant":
                consts[c.output[0]] = numpy_helper.to_array(c.attribute[0].t)
        for init in m.graph.initializer:
            consts[init.name] = numpy_helper.to_array(init)
        feeds = [i.name for i in m.graph.input if i.name not in consts]
        try:
            data = [load_pb(p) for p in sorted(glob.glob(os.path.join(d, "test_data_set_0", "input_*.pb")))]
            want = [load_pb(p) for p in sorted(glob.glob(os.path.join(d, "test_data_set_0", "output_*.pb")))]
        except Exception as e:  # optional/sequence types
            skipped.append({"name": name, "reason": f"test data not a plain tensor: {e}"})
            continue
        values = dict(consts)
        values.update(zip(feeds, data))
        size = sum(v.size for v in values.values()) + sum(v.size for v in want)
        if size > MAX_ELEMENTS:
            skipped.append({"name": name, "reason": f"{size} elements, too large to store here; covered by a smaller numpy case"})
            continue
        bad = [str(v.dtype) for v in list(values.values()) + want if v.dtype not in (np.float32, np.int64, np.bool_)]
        if bad:
            skipped.append({"name": name, "reason": f"dtype {bad[0]}: aekit computes in float32"})
            continue
        inputs = []
        for i in n.input:
            if i == "":
                inputs.append({"name": ""})
            else:
                inputs.append(dict(name=i, **enc(values[i])))
        outputs = [dict(name=o, **enc(w)) for o, w in zip(n.output, want)]
        cases.append({"name": name, "source": os.path.basename(os.path.dirname(d)), "op": n.op_type,
                      "opset": opset, "attrs": [attr_json(a) for a in n.attribute],
                      "inputs": inputs, "outputs": outputs})


# ---------------------------------------------------------------- pooling

def pool_ref(x, kind, kernel, strides=None, pads=None, dil=None, auto_pad="NOTSET", ceil=0, count_include_pad=0):
    """Pooling by explicit windows. Padded positions never enter a max;
    the average divides by the valid taps, or with count_include_pad by the
    taps inside the padded extent."""
    r = x.ndim - 2
    strides = strides or [1] * r
    dil = dil or [1] * r
    pads = list(pads or [0] * (2 * r))
    outs = []
    for j in range(r):
        n, k, s, d = x.shape[2 + j], kernel[j], strides[j], dil[j]
        ext = (k - 1) * d + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            out = -(-n // s)
            total = max(0, (out - 1) * s + ext - n)
            small = total // 2
            pads[j], pads[r + j] = (small, total - small) if auto_pad == "SAME_UPPER" else (total - small, small)
        elif auto_pad == "VALID":
            pads[j] = pads[r + j] = 0
            out = (n - ext) // s + 1
        else:
            num = n + pads[j] + pads[r + j] - ext
            out = num // s + 1
            if ceil:
                out = math.ceil(num / s) + 1
                if (out - 1) * s >= n + pads[j]:
                    out -= 1
        outs.append(out)
    y = np.zeros(list(x.shape[:2]) + outs, dtype=np.float64)
    for o in itertools.product(*[range(v) for v in outs]):
        taps, inside = [], 1
        for t in itertools.product(*[range(v) for v in kernel]):
            pos = [o[j] * strides[j] - pads[j] + t[j] * dil[j] for j in range(r)]
            if all(0 <= pos[j] < x.shape[2 + j] for j in range(r)):
                taps.append(tuple(pos))
        cnt = 1
        for j in range(r):
            st = o[j] * strides[j] - pads[j]
            cnt *= sum(1 for t in range(kernel[j]) if st + t * dil[j] < x.shape[2 + j] + pads[r + j])
        vals = np.stack([x[(slice(None), slice(None)) + p].astype(np.float64) for p in taps], axis=-1)
        if kind == "max":
            y[(slice(None), slice(None)) + o] = vals.max(axis=-1)
        else:
            y[(slice(None), slice(None)) + o] = vals.sum(axis=-1) / (cnt if count_include_pad else len(taps))
    return y.astype(np.float32)


def attrs(**kw):
    out = []
    for k, v in kw.items():
        if isinstance(v, str):
            out.append({"name": k, "kind": "string", "s": v})
        elif isinstance(v, float):
            out.append({"name": k, "kind": "float", "f": v})
        elif isinstance(v, int):
            out.append({"name": k, "kind": "int", "i": v})
        elif all(isinstance(e, int) for e in v):
            out.append({"name": k, "kind": "ints", "ints": list(v)})
        else:
            out.append({"name": k, "kind": "floats", "floats": [float(e) for e in v]})
    return out


def case(name, op, opset, at, inputs, outputs):
    ins = [{"name": ""} if v is None else dict(name=n, **enc(v)) for n, v in inputs]
    return {"name": name, "source": "numpy", "op": op, "opset": opset, "attrs": at, "inputs": ins,
            "outputs": [dict(name=n, **enc(v)) for n, v in outputs]}


def distinct(rng, *shape):
    """Values without ties, so every max is unique."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) / 10.0 - 3).astype(np.float32)


def pool_cases(rng):
    c = []

    def add(name, op, x, opset=12, **kw):
        kind = "max" if op == "MaxPool" else "avg"
        ref = {k: v for k, v in kw.items()}
        y = pool_ref(x, kind, ref.pop("kernel_shape"), ref.pop("strides", None), ref.pop("pads", None),
                     ref.pop("dilations", None), ref.pop("auto_pad", "NOTSET"), ref.pop("ceil_mode", 0),
                     ref.pop("count_include_pad", 0))
        c.append(case(name, op, opset, attrs(**kw), [("x", x)], [("y", y)]))

    x7 = distinct(rng, 2, 3, 7, 7)
    add("aekit_maxpool_keras_same_7x7", "MaxPool", x7, kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER")
    add("aekit_maxpool_keras_same_7x7_pads", "MaxPool", x7, kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1])
    add("aekit_maxpool_seed_28x28", "MaxPool", distinct(rng, 1, 2, 28, 28), kernel_shape=[2, 2], strides=[2, 2])
    add("aekit_maxpool_2d_dilations_pads_ceil", "MaxPool", distinct(rng, 1, 2, 9, 8), kernel_shape=[3, 2],
        strides=[2, 3], dilations=[2, 1], pads=[1, 0, 2, 1], ceil_mode=1)
    add("aekit_maxpool_1d_stride_padding_dilation", "MaxPool", distinct(rng, 2, 3, 11), kernel_shape=[3],
        strides=[2], dilations=[2], pads=[2, 1])
    add("aekit_maxpool_3d_pads", "MaxPool", distinct(rng, 1, 2, 5, 6, 4), kernel_shape=[2, 3, 2], strides=[2, 2, 1],
        pads=[0, 1, 1, 1, 0, 0])
    add("aekit_maxpool_same_lower_stride2", "MaxPool", distinct(rng, 1, 2, 6, 7), kernel_shape=[3, 3],
        strides=[2, 2], auto_pad="SAME_LOWER")
    add("aekit_maxpool_valid", "MaxPool", distinct(rng, 1, 1, 6, 7), kernel_shape=[3, 2], strides=[2, 2],
        auto_pad="VALID")
    add("aekit_averagepool_3d_pads", "AveragePool", rng.standard_normal((1, 2, 5, 6, 7)).astype(np.float32),
        opset=11, kernel_shape=[2, 3, 2], strides=[2, 2, 3], pads=[1, 0, 1, 0, 1, 1])
    add("aekit_averagepool_ceil_count_include_pad", "AveragePool",
        rng.standard_normal((1, 2, 6, 7)).astype(np.float32), opset=11, kernel_shape=[3, 3], strides=[2, 2],
        pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
    add("aekit_averagepool_same_lower_stride2", "AveragePool", rng.standard_normal((1, 2, 7, 6)).astype(np.float32),
        opset=11, kernel_shape=[3, 2], strides=[2, 2], auto_pad="SAME_LOWER")
    add("aekit_averagepool_keras_same_7x7", "AveragePool", rng.standard_normal((2, 3, 7, 7)).astype(np.float32),
        opset=11, kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1])
    add("aekit_averagepool_19_dilations", "AveragePool", rng.standard_normal((1, 1, 8, 9)).astype(np.float32),
        opset=19, kernel_shape=[2, 2], dilations=[2, 3], pads=[1, 1, 0, 1], count_include_pad=1)
    for op, f in (("GlobalAveragePool", np.mean), ("GlobalMaxPool", np.max)):
        for shape in ((2, 3, 7), (1, 2, 3, 4, 5)):
            x = rng.standard_normal(shape).astype(np.float32)
            y = f(x, axis=tuple(range(2, x.ndim)), keepdims=True).astype(np.float32)
            c.append(case(f"aekit_{op.lower()}_{len(shape) - 2}d", op, 13, [], [("x", x)], [("y", y)]))
    return c


# ---------------------------------------------------------------- resize

def coord(mode, x, scale, n, out, out_f):
    if mode == "asymmetric":
        return x / scale
    if mode == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if out_f > 1 else 0.0
    if mode == "tf_half_pixel_for_nn":
        return (x + 0.5) / scale
    if mode == "align_corners":
        return 0.0 if out_f == 1 else x * (n - 1) / (out_f - 1)
    if mode == "half_pixel_symmetric":
        adj = out / out_f
        return n / 2 * (1 - adj) + (x + 0.5) / scale - 0.5
    assert mode == "half_pixel"
    return (x + 0.5) / scale - 0.5


def axis_matrix(n, out, scale, out_f, mode, cmode, nmode):
    """The out×n interpolation matrix of one axis."""
    m = np.zeros((out, n))
    for o in range(out):
        c = coord(cmode, o, scale, n, out, out_f)
        f = math.floor(c)
        if mode == "linear":
            ratio = c - f
            for idx, w in ((f, 1 - ratio), (f + 1, ratio)):
                m[o, min(max(idx, 0), n - 1)] += w
            continue
        if c == f:
            r = f
        elif nmode == "round_prefer_floor":
            r = f + 1 if c - f > 0.5 else f
        elif nmode == "round_prefer_ceil":
            r = f + 1 if c - f >= 0.5 else f
        elif nmode == "floor":
            r = f
        elif nmode == "ceil":
            r = f + 1
        else:  # Upsample, Resize-10: truncate, ceil when downscaling (ONNX Runtime)
            r = math.ceil(c) if scale < 1 else math.trunc(c)
        m[o, min(max(r, 0), n - 1)] = 1
    return m


def resize_ref(x, mode, cmode="half_pixel", nmode="round_prefer_floor", scales=None, sizes=None):
    y = x.astype(np.float64)
    for ax, n in enumerate(x.shape):
        if sizes is not None:
            out, scale, out_f = sizes[ax], sizes[ax] / n, float(sizes[ax])
        else:
            scale = float(np.float32(scales[ax]))
            out_f = n * scale
            out = int(math.floor(out_f))
        if out == n and scale == 1:
            continue
        m = axis_matrix(n, out, scale, out_f, mode, cmode, nmode)
        y = np.moveaxis(np.tensordot(m, np.moveaxis(y, ax, 0), axes=1), 0, ax)
    return y.astype(np.float32)


def check_against_onnx(rng):
    """The reference above agrees with onnx's interpolate_nd where that
    supports the mode."""
    x = rng.standard_normal((1, 1, 4, 5)).astype(np.float32)
    for cmode in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"):
        for sc in ([1, 1, 1.7, 2.3], [1, 1, 0.6, 0.8], [1, 1, 2, 3]):
            sc = np.array(sc, dtype=np.float32)
            for nmode in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
                want = interpolate_nd(x, lambda r: nearest_coeffs(r, mode=nmode), scale_factors=sc,
                                      coordinate_transformation_mode=cmode)
                got = resize_ref(x, "nearest", cmode, nmode, scales=sc)
                assert np.allclose(want, got, atol=1e-6), (cmode, sc, nmode)
            want = interpolate_nd(x, linear_coeffs, scale_factors=sc, coordinate_transformation_mode=cmode)
            assert np.allclose(want, resize_ref(x, "linear", cmode, scales=sc), atol=1e-5), (cmode, sc)


def resize_cases(rng):
    c = []

    def add(name, x, opset=13, mode="nearest", cmode=None, nmode=None, scales=None, sizes=None, **extra):
        at = {"mode": mode}
        if cmode:
            at["coordinate_transformation_mode"] = cmode
        if nmode:
            at["nearest_mode"] = nmode
        at.update(extra)
        ref_c = cmode or ("half_pixel" if opset >= 11 else "asymmetric")
        ref_n = nmode or ("round_prefer_floor" if opset >= 11 else "simple")
        y = resize_ref(x, mode, ref_c, ref_n, scales=scales, sizes=sizes)
        sc = None if scales is None else np.array(scales, dtype=np.float32)
        sz = None if sizes is None else np.array(sizes, dtype=np.int64)
        if opset >= 11:
            ins = [("X", x), ("roi", None), ("scales", sc if sc is not None else np.zeros(0, np.float32))]
            if sz is not None:
                ins.append(("sizes", sz))
        else:
            ins = [("X", x), ("scales", sc)]
        c.append(case(name, "Resize", opset, attrs(**at), ins, [("Y", y)]))

    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    add("aekit_resize_nearest_asymmetric_floor_2x", x, cmode="asymmetric", nmode="floor", scales=[1, 1, 2, 2])
    add("aekit_resize_nearest_tf_half_pixel_for_nn_floor_2x", x, cmode="tf_half_pixel_for_nn", nmode="floor",
        scales=[1, 1, 2, 2])
    add("aekit_resize_nearest_half_pixel_2x3", x, scales=[1, 1, 2, 3])
    add("aekit_resize_nearest_half_pixel_nonint", x, scales=[1, 1, 1.7, 2.3])
    add("aekit_resize_nearest_align_corners_round_prefer_ceil_down", x, cmode="align_corners",
        nmode="round_prefer_ceil", scales=[1, 1, 0.6, 0.8])
    add("aekit_resize_nearest_pytorch_half_pixel_ceil_sizes", x, cmode="pytorch_half_pixel", nmode="ceil",
        sizes=[2, 3, 5, 9])
    add("aekit_resize_nearest_tf_half_pixel_for_nn_sizes_down", x, cmode="tf_half_pixel_for_nn",
        sizes=[2, 3, 3, 2])
    add("aekit_resize_nearest_asymmetric_round_prefer_ceil_nonint", x, cmode="asymmetric",
        nmode="round_prefer_ceil", scales=[1, 1, 2.5, 1.5])
    add("aekit_resize_linear_half_pixel_nonint", x, mode="linear", scales=[1, 1, 1.6, 2.5])
    add("aekit_resize_linear_asymmetric_2x", x, mode="linear", cmode="asymmetric", scales=[1, 1, 2, 2])
    add("aekit_resize_linear_pytorch_half_pixel_sizes", x, mode="linear", cmode="pytorch_half_pixel",
        sizes=[2, 3, 1, 7])
    add("aekit_resize_linear_align_corners_sizes", x, mode="linear", cmode="align_corners", sizes=[2, 3, 5, 9])
    add("aekit_resize_linear_half_pixel_down", x, mode="linear", scales=[1, 1, 0.6, 0.7])
    add("aekit_resize_linear_1d", rng.standard_normal((2, 3, 5)).astype(np.float32), mode="linear",
        scales=[1, 1, 1.5])
    add("aekit_resize_linear_3d", rng.standard_normal((1, 2, 3, 4, 3)).astype(np.float32), mode="linear",
        cmode="align_corners", sizes=[1, 2, 4, 6, 5])
    add("aekit_resize_nearest_3d", rng.standard_normal((1, 1, 2, 3, 4)).astype(np.float32),
        sizes=[1, 1, 3, 5, 8])
    add("aekit_resize10_nearest_down", x, opset=10, scales=[1, 1, 0.6, 0.5])
    add("aekit_resize10_nearest_up", x, opset=10, scales=[1, 1, 2, 1.5])
    add("aekit_resize19_linear_half_pixel_symmetric", x, opset=19, mode="linear", cmode="half_pixel_symmetric",
        scales=[1, 1, 1.7, 2.2])
    # Resize-18: axes, keep_aspect_ratio_policy.
    y = resize_ref(x, "nearest", scales=[1, 1, 2, 3])
    c.append(case("aekit_resize18_axes_scales", "Resize", 18, attrs(mode="nearest", axes=[2, 3]),
                  [("X", x), ("", None), ("scales", np.array([2, 3], np.float32))], [("Y", y)]))
    x46 = rng.standard_normal((1, 2, 4, 6)).astype(np.float32)
    s = min(7 / 4, 7 / 6)
    sizes = [1, 2, int(np.round(s * 4)), int(np.round(s * 6))]
    y = resize_ref(x46, "linear", sizes=sizes)
    c.append(case("aekit_resize18_not_larger", "Resize", 18,
                  attrs(mode="linear", axes=[2, 3], keep_aspect_ratio_policy="not_larger"),
                  [("X", x46), ("", None), ("", None), ("sizes", np.array([7, 7], np.int64))], [("Y", y)]))
    # Upsample-7 (scales attribute) and Upsample-9 (scales input).
    y = resize_ref(x, "nearest", "asymmetric", "simple", scales=[1, 1, 2, 3])
    c.append(case("aekit_upsample7_nearest", "Upsample", 7, attrs(mode="nearest", scales=[1.0, 1.0, 2.0, 3.0]),
                  [("X", x)], [("Y", y)]))
    y = resize_ref(x, "linear", "asymmetric", scales=[1, 1, 2, 2])
    c.append(case("aekit_upsample9_linear", "Upsample", 9, attrs(mode="linear"),
                  [("X", x), ("scales", np.array([1, 1, 2, 2], np.float32))], [("Y", y)]))
    return c


# ---------------------------------------------------------------- others

def softmax_ref(x, axis, coerce):
    if coerce:
        shp = x.shape
        x = x.reshape(int(np.prod(shp[:axis])), -1)
        axis = 1
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    y = e / e.sum(axis=axis, keepdims=True)
    return y.reshape(shp if coerce else y.shape).astype(np.float32)


def other_cases(rng):
    c = []
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    c.append(case("aekit_softmax11_default_axis", "Softmax", 11, [], [("x", x)], [("y", softmax_ref(x, 1, True))]))
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    c.append(case("aekit_softmax11_axis_2", "Softmax", 11, attrs(axis=2), [("x", x)],
                  [("y", softmax_ref(x, 2, True))]))
    c.append(case("aekit_softmax13_axis_1", "Softmax", 13, attrs(axis=1), [("x", x)],
                  [("y", softmax_ref(x, 1, False))]))
    # BatchNormalization in training mode with Keras's momentum and epsilon.
    x = rng.standard_normal((4, 3, 5, 5)).astype(np.float32) * 2 + 1
    s = rng.standard_normal(3).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    mean = rng.standard_normal(3).astype(np.float32)
    var = rng.random(3).astype(np.float32) + 0.5
    mom, eps = 0.99, 1e-3
    bm, bv = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    y = s.reshape(1, 3, 1, 1) * (x - bm.reshape(1, 3, 1, 1)) / np.sqrt(bv.reshape(1, 3, 1, 1) + eps) + b.reshape(1, 3, 1, 1)
    c.append(case("aekit_batchnorm_keras_training_mode", "BatchNormalization", 15,
                  attrs(epsilon=eps, momentum=mom, training_mode=1),
                  [("x", x), ("s", s), ("bias", b), ("mean", mean), ("var", var)],
                  [("y", y.astype(np.float32)), ("output_mean", (mean * mom + bm * (1 - mom)).astype(np.float32)),
                   ("output_var", (var * mom + bv * (1 - mom)).astype(np.float32))]))
    x2 = rng.standard_normal((8, 5)).astype(np.float32)
    s, b, mean = (rng.standard_normal(5).astype(np.float32) for _ in range(3))
    var = rng.random(5).astype(np.float32) + 0.5
    y = s * (x2 - mean) / np.sqrt(var + 1e-5) + b
    c.append(case("aekit_batchnorm_2d_inference", "BatchNormalization", 9, [],
                  [("x", x2), ("s", s), ("bias", b), ("mean", mean), ("var", var)], [("y", y.astype(np.float32))]))
    x = rng.standard_normal((3, 4)).astype(np.float32)
    c.append(case("aekit_clip11_min_only", "Clip", 11, [], [("x", x), ("min", np.array(-0.3, np.float32))],
                  [("y", np.maximum(x, np.float32(-0.3)))]))
    c.append(case("aekit_clip6_attrs", "Clip", 6, attrs(min=-0.5, max=0.25), [("x", x)],
                  [("y", np.clip(x, -0.5, 0.25))]))
    c.append(case("aekit_dropout7_inference", "Dropout", 7, attrs(ratio=0.3), [("x", x)], [("y", x)]))
    return c


def main():
    rng = np.random.default_rng(20240601)
    check_against_onnx(rng)
    cases, skipped = [], []
    node_cases(cases, skipped)
    cases += pool_cases(rng) + resize_cases(rng) + other_cases(rng)
    doc = {"generator": "graph/testdata/make_op_cases.py", "onnx": onnx.__version__,
           "cases": cases, "skipped": skipped}
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:
        f.write(json.dumps(doc, separators=(",", ":")).encode() + b"\n")
    print(f"{len(cases)} cases, {len(skipped)} skipped, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
