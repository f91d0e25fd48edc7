#!/usr/bin/env bash
# seed-sweep.sh [SEED ...]: trains the seed model 3 epochs with `aekit train`
# for each seed (default 1..40, about 12 s each on 2 cores) and writes one
# JSON line per run to $SWEEP_OUT/results.jsonl, in the shape of
# keras-reference/train.js's lines, so that keras-reference/compare.py can
# set aekit's epoch-3 distribution beside the Keras reference's (issue 2).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SWEEP_OUT:-/tmp/aekit-seed-sweep}
mkdir -p "$out"
go build -o "$out/aekit" ./cmd/aekit
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=($(seq 1 40))
: >"$out/results.jsonl"
for s in "${seeds[@]}"; do
	"$out/aekit" train --seed "$s" --cluster=false --quiet --out "$out/run-$s"
	/usr/bin/python3 - "$s" "$out/run-$s/history.json" >>"$out/results.jsonl" <<'PY'
import json, sys
h = json.load(open(sys.argv[2]))
eps = [{'epoch': i + 1, 'loss': l, 'val_loss': v, 'secs': sum(h['seconds'][:i + 1])}
       for i, (l, v) in enumerate(zip(h['loss'], h['val_loss']))]
print(json.dumps({'seed': int(sys.argv[1]), 'engine': 'aekit', 'epochs': eps}))
PY
	tail -n1 "$out/results.jsonl"
done
/usr/bin/python3 bench/keras-reference/summarize.py "$out/results.jsonl"
