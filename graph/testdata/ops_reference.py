#!/usr/bin/python3
"""Reference cases for the matmul, element-wise and shape operator families
(op_matmul_test.go, op_elementwise_test.go, op_shape_test.go), written to
ops_reference.json.

Two sources:
  * the ONNX backend node tests of these operators (Debian package
    libonnx-testdata, onnx 1.12) whose tensors are float32 or int64 (int32
    tensors, used by test_edge_pad, test_reflect_pad and
    test_constantofshape_int_zeros, are stored as int64: aekit holds integer
    tensors as int64). Each case keeps its node test's name and opset.
  * extra cases computed here with numpy (names starting with np_): batched
    and broadcast MatMul, Gemm bias shapes, broadcast arithmetic, int64
    arithmetic, Cast, old-opset attribute forms, Pad modes, Tile, Expand.
    (The GEMM blocking on large shapes is checked in Go against a float64
    triple loop rather than stored here.)

Run from graph/testdata: /usr/bin/python3 ops_reference.py
"""
import json
import os

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = "/usr/share/libonnx-testdata/data/node"
OPS = {"Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Neg", "Abs", "Exp", "Log",
       "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Shape", "Gather", "Slice",
       "Concat", "Cast", "Constant", "ConstantOfShape", "Tile", "Expand", "Pad", "Identity"}
# Node tests left out, with the reason.
SKIP = {
    "test_tile": "40,444 elements: too large to store; test_tile_precomputed and np_tile_* cover Tile",
}
INT_TYPES = {onnx.TensorProto.INT64, onnx.TensorProto.INT32}


def tensor(a):
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return {"dtype": "int64", "shape": list(a.shape), "data": [int(x) for x in a.ravel()]}
    a = a.astype(np.float32)
    if not np.all(np.isfinite(a)):
        raise ValueError("non-finite value")
    # The shortest decimal that reads back as the same float32.
    return {"dtype": "float32", "shape": list(a.shape), "data": [float(str(x)) for x in a.ravel()]}


def attr(a):
    v = onnx.helper.get_attribute_value(a)
    if a.type == onnx.AttributeProto.INT:
        return {"name": a.name, "kind": "int", "i": int(v)}
    if a.type == onnx.AttributeProto.FLOAT:
        return {"name": a.name, "kind": "float", "f": float(v)}
    if a.type == onnx.AttributeProto.STRING:
        return {"name": a.name, "kind": "string", "s": v.decode()}
    if a.type == onnx.AttributeProto.INTS:
        return {"name": a.name, "kind": "ints", "ints": [int(x) for x in v]}
    if a.type == onnx.AttributeProto.FLOATS:
        return {"name": a.name, "kind": "floats", "floats": [float(x) for x in v]}
    if a.type == onnx.AttributeProto.TENSOR:
        return {"name": a.name, "kind": "tensor", "t": tensor(numpy_helper.to_array(v))}
    raise ValueError("attribute kind %d" % a.type)


def node_tests():
    cases = []
    for d in sorted(os.listdir(ROOT)):
        if d in SKIP:
            continue
        try:
            m = onnx.load(os.path.join(ROOT, d, "model.onnx"))
        except Exception:
            continue
        if len(m.graph.node) != 1 or m.graph.node[0].op_type not in OPS:
            continue
        n = m.graph.node[0]
        vals = list(m.graph.input) + list(m.graph.output)
        types = [v.type.tensor_type.elem_type for v in vals]
        if any(t != onnx.TensorProto.FLOAT and t not in INT_TYPES for t in types):
            continue  # float16, double, strings, uint8, sequences: not aekit dtypes
        opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")][0]
        ds = os.path.join(ROOT, d, "test_data_set_0")
        arrays = {}
        for f in os.listdir(ds):
            t = onnx.TensorProto()
            with open(os.path.join(ds, f), "rb") as fh:
                t.ParseFromString(fh.read())
            arrays[f] = numpy_helper.to_array(t)
        ins = [{"name": v.name, "tensor": tensor(arrays["input_%d.pb" % i])}
               for i, v in enumerate(m.graph.input)]
        outs = [{"name": v.name, "tensor": tensor(arrays["output_%d.pb" % i])}
                for i, v in enumerate(m.graph.output)]
        cases.append({"name": d, "op": n.op_type, "opset": opset, "attrs": [attr(a) for a in n.attribute],
                      "node_inputs": list(n.input), "inputs": ins, "outputs": outs})
    return cases


rng = np.random.default_rng(7)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def A(name, kind, v):
    key = {"int": "i", "float": "f", "string": "s", "ints": "ints", "floats": "floats", "tensor": "t"}[kind]
    return {"name": name, "kind": kind, key: v}


def case(name, op, inputs, output, attrs=(), opset=13, node_inputs=None):
    ins = [{"name": "in%d" % i, "tensor": tensor(x)} for i, x in enumerate(inputs)]
    if node_inputs is None:
        node_inputs = [i["name"] for i in ins]
    return {"name": name, "op": op, "opset": opset, "attrs": list(attrs), "node_inputs": node_inputs,
            "inputs": ins, "outputs": [{"name": "out", "tensor": tensor(output)}]}


def trunc_div(a, b):
    return np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))


def numpy_cases():
    c = []
    # MatMul: batched, broadcast batch, vectors.
    for name, sa, sb in [("np_matmul_batch_2d", (2, 3, 4), (4, 5)),
                         ("np_matmul_broadcast_batch", (2, 1, 3, 4), (3, 4, 2)),
                         ("np_matmul_broadcast_a", (1, 3, 4), (2, 4, 5)),
                         ("np_matmul_vec_mat", (4,), (4, 3)),
                         ("np_matmul_mat_vec", (2, 3, 4), (4,)),
                         ("np_matmul_vec_vec", (3,), (3,))]:
        a, b = f32(*sa), f32(*sb)
        c.append(case(name, "MatMul", [a, b], np.matmul(a.astype(np.float64), b)))
    # Gemm with every bias shape and both transposes.
    for name, ta, tb, sc in [("np_gemm_bias_column", 0, 0, (3, 1)), ("np_gemm_bias_row", 0, 0, (1, 4)),
                             ("np_gemm_trans_both_vector_bias", 1, 1, (4,))]:
        m, k, n = 3, 5, 4
        a = f32(k, m) if ta else f32(m, k)
        b = f32(n, k) if tb else f32(k, n)
        cc = f32(*sc)
        y = 0.5 * np.matmul(a.T if ta else a, b.T if tb else b) + 2.0 * cc
        c.append(case(name, "Gemm", [a, b, cc], y, [A("alpha", "float", 0.5), A("beta", "float", 2.0),
                                                   A("transA", "int", ta), A("transB", "int", tb)]))
    # Broadcast arithmetic.
    for op, f in [("Add", np.add), ("Sub", np.subtract), ("Mul", np.multiply), ("Div", np.divide)]:
        for sa, sb in [((2, 3, 4, 5), (3, 1, 1)), ((4, 5), (5,)), ((5,), (4, 5)), ((2, 1, 4), (3, 1)), ((), (2, 3))]:
            a, b = f32(*sa), f32(*sb)
            if op == "Div":
                b = np.where(np.abs(b) < 0.3, 1.5, b).astype(np.float32)
            tag = "x".join(map(str, sa)) + "_" + "x".join(map(str, sb))
            c.append(case("np_%s_bcast_%s" % (op.lower(), tag), op, [a, b], f(a, b)))
        ia = np.array([[-7, 7, 9, 100], [0, -3, 5, 6]], np.int64)
        ib = np.array([2, -2, 4, -7], np.int64)
        y = trunc_div(ia, ib) if op == "Div" else f(ia, ib)
        c.append(case("np_%s_int64" % op.lower(), op, [ia, ib], y.astype(np.int64)))
    # Cast.
    x = np.array([[-2.7, -0.5, 0.0, 0.5], [1.9, 3e9, -3.5, 7.0]], np.float32)
    c.append(case("np_cast_float_to_int64", "Cast", [x], np.trunc(x).astype(np.int64), [A("to", "int", 7)]))
    c.append(case("np_cast_float_to_int32", "Cast", [x], np.trunc(x).astype(np.int64).astype(np.int32),
                  [A("to", "int", 6)]))
    xi = np.array([-3, 0, 4, 1 << 40], np.int64)
    c.append(case("np_cast_int64_to_float", "Cast", [xi], xi.astype(np.float32), [A("to", "int", 1)]))
    # Constant forms.
    c.append(case("np_constant_value_ints", "Constant", [], np.array([1, -1, 3], np.int64),
                  [A("value_ints", "ints", [1, -1, 3])]))
    c.append(case("np_constant_value_float", "Constant", [], np.array(2.5, np.float32),
                  [A("value_float", "float", 2.5)]))
    c.append(case("np_constantofshape_default", "ConstantOfShape", [np.array([2, 3], np.int64)],
                  np.zeros((2, 3), np.float32)))
    c.append(case("np_constantofshape_int64", "ConstantOfShape", [np.array([4], np.int64)],
                  np.full((4,), -5, np.int64), [A("value", "tensor", tensor(np.array([-5], np.int64)))]))
    # Shape arithmetic of converter subgraphs: int64 Gather, Concat, Slice.
    sh = np.array([32, 16, 7, 7], np.int64)
    c.append(case("np_gather_int64_scalar_index", "Gather", [sh, np.array(0, np.int64)], sh[0]))
    c.append(case("np_gather_int64_negative", "Gather", [sh, np.array([-1, 1], np.int64)], sh[[-1, 1]]))
    c.append(case("np_concat_int64", "Concat", [sh[:1], np.array([-1], np.int64)], np.array([32, -1], np.int64),
                  [A("axis", "int", 0)]))
    c.append(case("np_slice_int64", "Slice", [sh, np.array([1]), np.array([3])], sh[1:3]))
    x = f32(3, 4, 5)
    c.append(case("np_gather_axis_2_float", "Gather", [x, np.array([[4, 0], [-2, 1]], np.int64)],
                  np.take(x, [[4, 0], [3, 1]], axis=2), [A("axis", "int", 2)]))
    # Slice: opset 1 attributes, negative steps with clamping.
    x = f32(4, 6, 5)
    c.append(case("np_slice_opset1_attrs", "Slice", [x], x[1:3, :, -3:], opset=1,
                  attrs=[A("starts", "ints", [1, -3]), A("ends", "ints", [3, 1000]), A("axes", "ints", [0, 2])]))
    for name, st, en, ax, sp, ref in [
            ("np_slice_neg_step_clamped", [100, -1], [-100, 0], [1, 2], [-2, -1], x[:, ::-2, :0:-1]),
            ("np_slice_reverse_all", [-1], [-(1 << 62)], [0], [-1], x[::-1]),
            ("np_slice_step3", [0, 1], [6, 5], [1, 2], [3, 2], x[:, 0:6:3, 1:5:2]),
            ("np_slice_empty", [3], [1], [0], [1], x[3:1])]:
        c.append(case(name, "Slice", [x, np.array(st), np.array(en), np.array(ax), np.array(sp)], ref))
    # Pad modes, old attribute form, negative pads.
    x = f32(2, 3, 4)
    for mode in ["constant", "reflect", "edge", "wrap"]:
        pads = [0, 2, 3, 1, 1, 4]
        np_pads = [(0, 1), (2, 1), (3, 4)]
        kw = {"constant_values": 0.75} if mode == "constant" else {}
        ref = np.pad(x, np_pads, mode=mode, **kw)
        ins = [x, np.array(pads, np.int64)] + ([np.array(0.75, np.float32)] if mode == "constant" else [])
        c.append(case("np_pad_%s" % mode, "Pad", ins, ref, [A("mode", "string", mode)],
                      opset=19 if mode == "wrap" else 13))
    c.append(case("np_pad_opset2_attrs", "Pad", [x], np.pad(x, [(1, 0), (0, 0), (2, 1)], constant_values=-1.0),
                  [A("pads", "ints", [1, 0, 2, 0, 0, 1]), A("value", "float", -1.0)], opset=2))
    c.append(case("np_pad_negative_crop", "Pad", [x, np.array([0, -1, 1, 0, 0, -2], np.int64)],
                  np.pad(x[:, 1:, :2], [(0, 0), (0, 0), (1, 0)])))
    c.append(case("np_pad_axes_opset18", "Pad", [x, np.array([1, 2], np.int64), np.array(0.0, np.float32),
                                                   np.array([-1], np.int64)],
                  np.pad(x, [(0, 0), (0, 0), (1, 2)], mode="edge"), [A("mode", "string", "edge")], opset=18))
    # Tile and Expand.
    x = f32(2, 3)
    c.append(case("np_tile_2x3_by_2x2", "Tile", [x, np.array([2, 2])], np.tile(x, (2, 2))))
    x = f32(1, 3, 1, 2)
    c.append(case("np_tile_upsample", "Tile", [x, np.array([1, 1, 2, 1])], np.tile(x, (1, 1, 2, 1))))
    x = f32(3, 1)
    c.append(case("np_expand_rank_up", "Expand", [x, np.array([2, 1, 6])], np.broadcast_to(x, (2, 3, 6))))
    # Old attribute forms of Squeeze/Unsqueeze/Reshape and Reshape rules.
    x = f32(1, 3, 1, 2)
    c.append(case("np_squeeze_opset11_attr", "Squeeze", [x], x.reshape(3, 1, 2), [A("axes", "ints", [0])], opset=11))
    c.append(case("np_squeeze_no_axes", "Squeeze", [x], x.reshape(3, 2)))
    c.append(case("np_reshape_opset5_zero_infer", "Reshape", [x, np.array([0, -1])], x.reshape(1, 6), opset=5))
    c.append(case("np_reshape_opset1_attr", "Reshape", [x], x.reshape(3, 2), [A("shape", "ints", [3, 2])], opset=1))
    x = f32(2, 3, 4, 5)
    c.append(case("np_transpose_nhwc", "Transpose", [x], np.transpose(x, (0, 2, 3, 1)), [A("perm", "ints", [0, 2, 3, 1])]))
    c.append(case("np_flatten_int64", "Flatten", [np.arange(24).reshape(2, 3, 4)],
                  np.arange(24).reshape(6, 4), [A("axis", "int", -1)]))
    return c


def main():
    cases = node_tests() + numpy_cases()
    with open("ops_reference.json", "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
