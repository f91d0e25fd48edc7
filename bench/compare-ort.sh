#!/usr/bin/env bash
# compare-ort.sh: the seed's encoder and full model, exported to ONNX, over
# the 10,000 MNIST test images through ONNX Runtime (npm onnxruntime-node,
# CPU, one process: a session with its default threads, and one with a
# single thread; bench/ort-bench.js) and through aekit (cluster.Encode on
# the exported file, on every core and on one), at batch sizes 32, 256 and
# 1000: the times and their ratios. It runs bench.TestCompareORT, which
# also checks that both executors give the same outputs.
#
#   bench/compare-ort.sh [OUT.json]
#
# AEKIT_COMPARE_ORT_REPEATS sets the timed passes per round (default 5; the
# best of two interleaved rounds is reported). OUT.json receives the table.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${AEKIT_ORT_NODE:-}" ] && [ ! -d node_modules/onnxruntime-node ]; then
	echo "installing onnxruntime-node@1.30.0 (CPU build) into node_modules"
	ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --no-audit --no-fund onnxruntime-node@1.30.0 >/dev/null
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3), node $(node --version)"
out=()
if [ $# -gt 0 ]; then
	out=(env "AEKIT_COMPARE_ORT_OUT=$(realpath -m "$1")")
fi
"${out[@]}" env AEKIT_COMPARE_ORT=1 go test ./bench -run '^TestCompareORT$' -count=1 -v -timeout 20m |
	grep -v -E '^(=== RUN|PASS$|ok )' | sed 's/^ *compare_ort_test.go:[0-9]*: //'
