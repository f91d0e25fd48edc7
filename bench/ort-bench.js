// ort-bench.js: times an ONNX model in ONNX Runtime (npm onnxruntime-node,
// CPU) over a data set read from a raw float32 file, for aekit's
// ONNX Runtime comparison (bench/compare_ort_test.go, bench/compare-ort.sh).
//
//   node ort-bench.js ORT_DIR MODEL.onnx X.f32 DIMS BATCHES REPEATS [OUT.f32]
//
//   ORT_DIR  the onnxruntime-node package folder (…/node_modules/onnxruntime-node)
//   X.f32    N samples, raw little-endian float32, row-major
//   DIMS     the sample shape with N first, comma-separated: 10000,1,28,28
//   BATCHES  batch sizes to time, comma-separated: 32,1000
//   REPEATS  timed passes over the N samples per batch size (the best counts)
//   OUT.f32  when given, the outputs of the last batch size's last pass,
//            concatenated in sample order, are written there (float32)
//
// One session with ONNX Runtime's defaults (all graph optimisations, its
// default intra-op thread count: one per physical core), unless the
// environment variable ORT_INTRA_OP_THREADS sets the intra-op thread count;
// created once and warmed up with one batch of each size. A pass feeds the samples in
// order, batch after batch (the last batch holds the remainder), with
// tensors that view the input buffer (no copies). It prints one JSON
// object: {"model", "n", "ort_version", "intra_op_threads" (0: ORT's
// default), "results": [{"batch", "best_s", "runs_s": [...]}]}.
'use strict';
const fs = require('fs');

async function main() {
  const [ortDir, model, xFile, dimsArg, batchesArg, repeatsArg, outFile] = process.argv.slice(2);
  if (!repeatsArg) throw new Error('usage: node ort-bench.js ORT_DIR MODEL.onnx X.f32 DIMS BATCHES REPEATS [OUT.f32]');
  const ort = require(ortDir);
  const dims = dimsArg.split(',').map(Number);
  const batches = batchesArg.split(',').map(Number);
  const repeats = Number(repeatsArg);
  const n = dims[0];
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  const buf = fs.readFileSync(xFile);
  if (buf.byteLength !== n * per * 4) {
    throw new Error(`${xFile}: ${buf.byteLength} bytes, want ${n}×${per} float32 = ${n * per * 4}`);
  }
  const x = new Float32Array(buf.buffer, buf.byteOffset, n * per);
  const threads = Number(process.env.ORT_INTRA_OP_THREADS || 0);
  const session = await ort.InferenceSession.create(model, threads > 0 ? { intraOpNumThreads: threads } : {});
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  const feed = (lo, hi) => ({ [input]: new ort.Tensor('float32', x.subarray(lo * per, hi * per), [hi - lo, ...dims.slice(1)]) });

  const results = [];
  let outs = null;
  for (const b of batches) {
    if (!(b >= 1)) throw new Error(`batch size ${b}`);
    await session.run(feed(0, Math.min(b, n))); // warm-up
    const runs = [];
    for (let r = 0; r < repeats; r++) {
      const keep = outFile && b === batches[batches.length - 1] && r === repeats - 1;
      if (keep) outs = [];
      const t0 = process.hrtime.bigint();
      for (let lo = 0; lo < n; lo += b) {
        const res = await session.run(feed(lo, Math.min(n, lo + b)));
        if (keep) outs.push(res[output].data);
      }
      runs.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    results.push({ batch: b, best_s: Math.min(...runs), runs_s: runs });
  }
  if (outFile && outs) {
    fs.writeFileSync(outFile, Buffer.concat(outs.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength))));
  }
  let version = '';
  try {
    version = require(`${ortDir}/package.json`).version;
  } catch (e) { /* version unknown */ }
  process.stdout.write(JSON.stringify({ model, n, ort_version: version, intra_op_threads: threads, results }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`ort-bench.js: ${e.message}\n`);
  process.exit(1);
});
