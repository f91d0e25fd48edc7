// Keras-2-equivalent reference training of the aekit seed MNIST conv autoencoder in TensorFlow.js 4.22:
// an independent check of the 3-epoch loss distribution (issue 2). run.sh drives it; it reads MNIST from
// data/mnist, the golden files from ../shared/golden/seed-adadelta (or $AEKIT_GOLDEN), and writes into
// $REF_OUT (default: the current folder).
// Usage:
//   node train.js golden  [--backend wasm|cpu] [--conv custom|native]
//   node train.js bench   [--backend wasm|cpu] [--conv custom|native] [--steps 100]
//   node train.js seed N  [--backend ...] [--epochs 3]        (own init from mulberry32(N))
//   node train.js goldinit [--shuffle-seed S] [--epochs 3]     (init.onnx weights, 3 epochs)
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const tf = require('@tensorflow/tfjs');

const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : def;
}
const MODE = args[0];
const BACKEND = opt('backend', 'wasm');
const CONV = opt('conv', 'custom');
const EPOCHS = parseInt(opt('epochs', '3'), 10);
const BATCH = 32;
const MNIST = path.join(__dirname, '..', '..', 'data', 'mnist');
const GOLDEN = process.env.AEKIT_GOLDEN || path.join(__dirname, '..', '..', '..', 'shared', 'golden', 'seed-adadelta');
const OUT = process.env.REF_OUT || '.';

// ---------------- RNG ----------------
function mulberry32(a) {
  a = a >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------- data ----------------
function readIdx(path) {
  const buf = zlib.gunzipSync(fs.readFileSync(path));
  const magic = buf.readUInt32BE(0);
  const ndim = magic & 0xff;
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  return { dims, data: buf.subarray(4 + 4 * ndim) };
}
function loadImages(path) {
  const { dims, data } = readIdx(path);
  const n = dims[0], sz = dims[1] * dims[2];
  const out = new Float32Array(n * sz);
  for (let i = 0; i < n * sz; i++) out[i] = Math.fround(data[i] / 255); // float32(pixel)/255
  return { n, sz, x: out };
}

// ---------------- model ----------------
const LAYERS = [[1, 16], [16, 2], [2, 2], [2, 16], [16, 1]];

// conv2d 3x3 stride 1 'same' with a custom gradient that needs only ops the wasm backend has
// (wasm 4.22 lacks a Conv2DBackpropFilter kernel). dW[ky,kx,ci,co] = sum_{n,y,x} xpad[n,y+ky,x+kx,ci]*dy[n,y,x,co].
const convCustom = tf.customGrad((x, w, save) => {
  save([x, w]);
  return {
    value: tf.conv2d(x, w, 1, 'same'),
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved;
      const [n, h, wd, ci] = xs.shape;
      const co = ws.shape[3];
      // dx = correlation of dy with the spatially flipped, in/out-swapped kernel
      const wr = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]);
      const dx = tf.conv2d(dy, wr, 1, 'same');
      // dW via a conv with batch as channel: out[ci,i,j,co] = sum_{y,x,n} xpad[n,y+i,x+j,ci]*dy[n,y,x,co]
      const xt = tf.transpose(xs, [3, 1, 2, 0]);            // [ci,H,W,N]
      const ft = tf.transpose(dy, [1, 2, 0, 3]);            // [H,W,N,co]
      const dwt = tf.conv2d(xt, ft, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]); // [ci,3,3,co]
      const dw = tf.transpose(dwt, [1, 2, 0, 3]);
      return [dx, dw];
    },
  };
});
function conv(x, w) { return CONV === 'custom' ? convCustom(x, w) : tf.conv2d(x, w, 1, 'same'); }
// UpSampling2D(2), nearest: out[n,2i+a,2j+b,c] = x[n,i,j,c]; done as a broadcast multiply so the gradient is a plain
// sum over each 2x2 block (same values as resizeNearestNeighbor + its grad, faster on wasm).
const UP = process.env.UP || 'bcast';
let ONES = null;
function up2(x) {
  if (UP === 'resize') return tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2], false, false);
  const [n, h, w, c] = x.shape;
  if (!ONES) ONES = tf.keep(tf.ones([1, 1, 2, 1, 2, 1]));
  return tf.reshape(tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), ONES), [n, 2 * h, 2 * w, c]);
}

function forward(p, x) {
  let h = tf.relu(tf.add(conv(x, p[0]), p[1]));
  h = tf.maxPool(h, 2, 2, 'same');
  h = tf.relu(tf.add(conv(h, p[2]), p[3]));
  h = tf.maxPool(h, 2, 2, 'same');
  h = tf.relu(tf.add(conv(h, p[4]), p[5]));
  h = up2(h);
  h = tf.relu(tf.add(conv(h, p[6]), p[7]));
  h = up2(h);
  return tf.sigmoid(tf.add(conv(h, p[8]), p[9]));
}
// Keras 2 binary_crossentropy: clip then mean of -(y log p + (1-y) log(1-p)).
// Two-level mean (per image, then over the batch) to limit float32 summation error.
function bce(out, y) {
  const p = tf.clipByValue(out, 1e-7, 1 - 1e-7);
  const e = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
  return tf.mean(tf.mean(e, [1, 2, 3]));
}

function initOwn(seed) {
  const rnd = mulberry32(seed);
  const p = [];
  for (const [ci, co] of LAYERS) {
    const l = Math.sqrt(6 / (9 * ci + 9 * co));
    const k = new Float32Array(9 * ci * co); // HWIO order
    for (let i = 0; i < k.length; i++) k[i] = (2 * rnd() - 1) * l;
    p.push(tf.variable(tf.tensor4d(k, [3, 3, ci, co])));
    p.push(tf.variable(tf.zeros([co])));
  }
  return p;
}
function initGolden(g) {
  const p = [];
  LAYERS.forEach(([ci, co], li) => {
    const w = g[`conv2d_${li + 1}.kernel`].data; // OIHW
    const k = new Float32Array(9 * ci * co);
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++)
        k[((ky * 3 + kx) * ci + i) * co + o] = w[((o * ci + i) * 3 + ky) * 3 + kx];
    p.push(tf.variable(tf.tensor4d(k, [3, 3, ci, co])));
    p.push(tf.variable(tf.tensor1d(Float32Array.from(g[`conv2d_${li + 1}.bias`].data))));
  });
  return p;
}

// Keras 2 Adadelta, lr 1, rho .95, eps 1e-7, using the UPDATED a in the denominator.
const RHO = 0.95, EPS = 1e-7, LR = 1.0;
function makeOpt(p) {
  return { a: p.map(v => tf.variable(tf.zerosLike(v))), d: p.map(v => tf.variable(tf.zerosLike(v))) };
}
function trainStep(p, st, x) {
  // returns the loss of the forward pass that produced this gradient (as a JS number)
  const lossT = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => bce(forward(p, x), x), p);
    p.forEach((v, i) => {
      const g = grads[v.name];
      const a = tf.add(tf.mul(RHO, st.a[i]), tf.mul(1 - RHO, tf.square(g)));
      const u = tf.div(tf.mul(g, tf.sqrt(tf.add(st.d[i], EPS))), tf.sqrt(tf.add(a, EPS)));
      v.assign(tf.sub(v, tf.mul(LR, u)));
      st.a[i].assign(a);
      st.d[i].assign(tf.add(tf.mul(RHO, st.d[i]), tf.mul(1 - RHO, tf.square(u))));
    });
    return value;
  });
  const l = lossT.dataSync()[0];
  lossT.dispose();
  return l;
}
function evalLoss(p, data, chunk = 500) {
  let s = 0;
  for (let i = 0; i < data.n; i += chunk) {
    const m = Math.min(chunk, data.n - i);
    const v = tf.tidy(() => {
      const x = tf.tensor4d(data.x.subarray(i * 784, (i + m) * 784), [m, 28, 28, 1]);
      return bce(forward(p, x), x);
    });
    s += v.dataSync()[0] * m;
    v.dispose();
  }
  return s / data.n;
}

function train(p, shuffleSeed, tag) {
  const tr = loadImages(path.join(MNIST, 'train-images-idx3-ubyte.gz'));
  const te = loadImages(path.join(MNIST, 't10k-images-idx3-ubyte.gz'));
  const st = makeOpt(p);
  const rnd = mulberry32(shuffleSeed);
  const idx = new Int32Array(tr.n);
  const buf = new Float32Array(BATCH * 784);
  const steps = Math.floor(tr.n / BATCH); // 1875
  const res = [];
  const t0 = Date.now();
  for (let ep = 1; ep <= EPOCHS; ep++) {
    for (let i = 0; i < tr.n; i++) idx[i] = i;
    for (let i = tr.n - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); const t = idx[i]; idx[i] = idx[j]; idx[j] = t; }
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      for (let b = 0; b < BATCH; b++) buf.set(tr.x.subarray(idx[s * BATCH + b] * 784, idx[s * BATCH + b] * 784 + 784), b * 784);
      const x = tf.tensor4d(buf, [BATCH, 28, 28, 1]);
      sum += trainStep(p, st, x);
      x.dispose();
    }
    const loss = sum / steps;
    const val = evalLoss(p, te);
    res.push({ epoch: ep, loss, val_loss: val, secs: (Date.now() - t0) / 1000 });
    console.log(JSON.stringify({ tag, epoch: ep, loss, val_loss: val, secs: (Date.now() - t0) / 1000, tensors: tf.memory().numTensors }));
  }
  return res;
}

async function main() {
  if (BACKEND === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
  }
  await tf.setBackend(BACKEND);
  await tf.ready();
  console.error('backend', tf.getBackend(), 'conv', CONV);
  // ReLU gradient sanity check: step(0) must be 0
  const st0 = tf.step(tf.tensor1d([-1, 0, 1])).dataSync();
  const rg = tf.grad(x => tf.sum(tf.relu(x)))(tf.tensor1d([-1, 0, 1])).dataSync();
  console.error('step([-1,0,1])=', Array.from(st0), 'relu grad=', Array.from(rg));

  if (MODE === 'golden') {
    const g = JSON.parse(fs.readFileSync(path.join(OUT, 'golden.json')));
    const ref = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'steps.json')));
    const p = initGolden(g);
    const st = makeOpt(p);
    const b = g.__batch.data; // NCHW with C=1 -> same memory order as NHWC
    const x = tf.tensor4d(Float32Array.from(b), [32, 28, 28, 1]);
    let maxd = 0;
    for (let k = 0; k < 10; k++) {
      const l = trainStep(p, st, x);
      const d = Math.abs(l - ref.loss_before_step[k]);
      maxd = Math.max(maxd, d);
      console.log(`step ${k + 1} loss ${l.toFixed(10)} ref ${ref.loss_before_step[k].toFixed(10)} diff ${d.toExponential(2)}`);
    }
    const lf = tf.tidy(() => bce(forward(p, x), x)).dataSync()[0];
    const df = Math.abs(lf - ref.loss_after_step10);
    console.log(`after10 loss ${lf.toFixed(10)} ref ${ref.loss_after_step10.toFixed(10)} diff ${df.toExponential(2)}`);
    console.log(`MAXDIFF ${Math.max(maxd, df).toExponential(3)}`);
    // weights vs after10.onnx (dumped separately if present)
    if (fs.existsSync(path.join(OUT, 'after10.json'))) {
      const a = JSON.parse(fs.readFileSync(path.join(OUT, 'after10.json')));
      const pa = initGolden(a);
      let mw = 0, mr = 0;
      p.forEach((v, i) => {
        const x1 = v.dataSync(), x2 = pa[i].dataSync();
        for (let j = 0; j < x1.length; j++) { const d = Math.abs(x1[j] - x2[j]); mw = Math.max(mw, d); mr = Math.max(mr, d / (1e-6 + Math.abs(x2[j]))); }
      });
      console.log(`WEIGHTS after10 max abs diff ${mw.toExponential(3)} max rel ${mr.toExponential(3)}`);
    }
  } else if (MODE === 'bench') {
    const n = parseInt(opt('steps', '100'), 10);
    const tr = loadImages(path.join(MNIST, 'train-images-idx3-ubyte.gz'));
    const p = initOwn(1);
    const st = makeOpt(p);
    const x = tf.tensor4d(tr.x.subarray(0, 32 * 784), [32, 28, 28, 1]);
    trainStep(p, st, x);
    const t0 = Date.now();
    for (let i = 0; i < n; i++) trainStep(p, st, x);
    const dt = (Date.now() - t0) / 1000;
    console.log(`BENCH ${BACKEND}/${CONV}: ${n} steps ${dt.toFixed(2)} s, ${(1000 * dt / n).toFixed(2)} ms/step, est ${(dt / n * 5625 / 60).toFixed(1)} min per 3-epoch run`);
  } else if (MODE === 'seed') {
    const seed = parseInt(args[1], 10);
    const p = initOwn(seed);
    const r = train(p, seed + 1000003, 'seed' + seed);
    fs.appendFileSync(path.join(OUT, 'results.jsonl'), JSON.stringify({ seed, backend: BACKEND, conv: CONV, epochs: r }) + '\n');
  } else if (MODE === 'goldinit') {
    const s = parseInt(opt('shuffle-seed', '1'), 10);
    const g = JSON.parse(fs.readFileSync(path.join(OUT, 'golden.json')));
    const p = initGolden(g);
    const r = train(p, s + 1000003, 'goldinit-shuffle' + s);
    fs.appendFileSync(path.join(OUT, 'results.jsonl'), JSON.stringify({ seed: 'goldinit', shuffleSeed: s, backend: BACKEND, conv: CONV, epochs: r }) + '\n');
  }
}
main().catch(e => { console.error(e); process.exit(1); });
