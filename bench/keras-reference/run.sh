#!/usr/bin/env bash
# run.sh [SEED ...]: the Keras-2 reference of the seed's training (issue 2) in
# TensorFlow.js 4.22 (wasm backend, float32). It first checks itself against
# the golden 10 steps (../shared/golden/seed-adadelta: the losses must agree
# within 1e-5), then trains 3 epochs for each seed (default 1..10, about
# 3 minutes each on 2 cores) and prints the epoch-3 distribution. Needs node,
# npm (it installs @tensorflow/tfjs and -backend-wasm 4.22.0 into $REF_OUT) and
# /usr/bin/python3 with python3-onnx.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export REF_OUT=${REF_OUT:-/tmp/aekit-keras-reference}
export AEKIT_GOLDEN=${AEKIT_GOLDEN:-$here/../../../shared/golden/seed-adadelta}
mkdir -p "$REF_OUT"
[ -d "$REF_OUT/node_modules/@tensorflow/tfjs-backend-wasm" ] ||
	npm install --prefix "$REF_OUT" --no-save @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 >/dev/null
export NODE_PATH=$REF_OUT/node_modules
/usr/bin/python3 "$here/dump_golden.py" "$AEKIT_GOLDEN" "$REF_OUT"
node "$here/train.js" golden | tee "$REF_OUT/golden.txt"
awk '/^MAXDIFF/ { if ($2 + 0 > 1e-5) { print "golden check failed"; exit 1 } }' "$REF_OUT/golden.txt"
rm -f "$REF_OUT/results.jsonl"
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5 6 7 8 9 10)
for s in "${seeds[@]}"; do
	node "$here/train.js" seed "$s"
done
/usr/bin/python3 "$here/summarize.py" "$REF_OUT/results.jsonl"
