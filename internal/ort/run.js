// run.js: runs ONNX models in ONNX Runtime (onnxruntime-node) for aekit's
// tests. It is driven by internal/ort (ort.go), which pipes this script to
// `node -` and passes two arguments:
//
//   argv[2]  the onnxruntime-node package folder (…/node_modules/onnxruntime-node)
//   argv[3]  a request file (JSON):
//            {"jobs": [{"model": "m.onnx", "out": "dir",
//                       "inputs": [{"name": "x", "dtype": "float32", "dims": [1, 2], "file": "x.bin"}]}]}
//
// Tensors travel as raw little-endian files (float32 or int64) with their
// dims in the JSON. For each job the script writes <out>/output_<i>.bin and
// <out>/result.json: {"outputs": [{"name", "dtype", "dims", "file"}]}, in
// the session's output order. float64 outputs are narrowed to float32;
// int32, uint8 and bool outputs are widened to int64. Any failure prints
// one line to stderr and exits with status 1.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const ort = require(process.argv[2]);
  const req = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  for (const job of req.jobs) {
    let session;
    try {
      session = await ort.InferenceSession.create(job.model, {
        graphOptimizationLevel: 'disabled', // run the model as written
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
      });
    } catch (e) {
      throw new Error(`model ${JSON.stringify(job.model)}: ${e.message}`);
    }
    const feeds = {};
    for (const inp of job.inputs) {
      const buf = fs.readFileSync(inp.file);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      let data;
      if (inp.dtype === 'float32') data = new Float32Array(ab);
      else if (inp.dtype === 'int64') data = new BigInt64Array(ab);
      else throw new Error(`input ${inp.name}: dtype ${inp.dtype} not supported`);
      feeds[inp.name] = new ort.Tensor(inp.dtype, data, inp.dims);
    }
    let results;
    try {
      results = await session.run(feeds);
    } catch (e) {
      throw new Error(`model ${JSON.stringify(job.model)}: run: ${e.message}`);
    }
    const outputs = [];
    session.outputNames.forEach((name, i) => {
      const t = results[name];
      let dtype, bytes;
      switch (t.type) {
        case 'float32':
          dtype = 'float32'; bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
          break;
        case 'float64': {
          dtype = 'float32'; const f = Float32Array.from(t.data);
          bytes = Buffer.from(f.buffer);
          break;
        }
        case 'int64':
          dtype = 'int64'; bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
          break;
        case 'int32': case 'uint8': case 'int8': case 'bool': {
          dtype = 'int64'; const v = new BigInt64Array(t.data.length);
          for (let k = 0; k < t.data.length; k++) v[k] = BigInt(Number(t.data[k]));
          bytes = Buffer.from(v.buffer);
          break;
        }
        default:
          throw new Error(`model ${JSON.stringify(job.model)}: output ${name}: type ${t.type} not supported`);
      }
      const file = path.join(job.out, `output_${i}.bin`);
      fs.writeFileSync(file, bytes);
      outputs.push({ name, dtype, dims: t.dims.map(Number), file });
    });
    fs.writeFileSync(path.join(job.out, 'result.json'), JSON.stringify({ outputs }));
    if (session.release) await session.release();
  }
}

main().catch((e) => {
  process.stderr.write(`run.js: ${e.message}\n`);
  process.exit(1);
});
