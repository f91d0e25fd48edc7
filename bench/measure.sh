#!/usr/bin/env bash
# measure.sh: remakes the figures of BENCHMARKS.md on this machine. Each
# timing is repeated and the best run kept, because the machine may be
# shared; the raw outputs go to DIR (default /tmp/aekit-measure).
#
#   bench/measure.sh [DIR]
#
# Steps: `aekit bench --json` (3 runs), `aekit bench --full` (a whole native
# epoch), go test -bench of the seed epoch with a CPU profile, the peak RSS of
# `aekit train --epochs 1` (with and without its clustering step), and
# bench/compare-ort.sh (ONNX Runtime), and the DCEC figures (strided
# convolutions).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/aekit-measure}
mkdir -p "$dir"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$dir/aekit" ./cmd/aekit

echo "== aekit bench --json (3 runs)"
for i in 1 2 3; do
	"$dir/aekit" bench --json | tee "$dir/bench-$i.json"
done

echo "== aekit bench --full --gorgonia-steps 0 (one whole native epoch)"
"$dir/aekit" bench --full --gorgonia-steps 0 | tee "$dir/bench-full.txt"

echo "== go test -bench (seed epoch) with a CPU profile of 1,875 training steps"
go test ./train/ -run '^$' -bench 'BenchmarkSeedEpoch$' -benchtime 3x -count 1 | grep -E '^Benchmark' | tee "$dir/gobench.txt"
go test ./train/ -run '^$' -bench 'BenchmarkTrainStep$' -benchtime 1875x -count 1 \
	-cpuprofile "$dir/cpu.prof" -o "$dir/train.test" | grep -E '^Benchmark' | tee -a "$dir/gobench.txt"
go tool pprof -top -nodecount=20 "$dir/train.test" "$dir/cpu.prof" 2>/dev/null | tee "$dir/pprof-top.txt" | sed -n '1,30p'

echo "== peak RSS of aekit train --epochs 1, with and without its clustering step"
for c in true false; do
	echo "--cluster=$c"
	(cd "$dir" && /usr/bin/time -v ./aekit train --epochs 1 --cluster=$c --out "$dir/train-out" --quiet) 2>&1 |
		grep -E 'Maximum resident|Elapsed'
done | tee "$dir/train-rss.txt"

echo "== ONNX Runtime comparison"
bench/compare-ort.sh "$dir/compare-ort.json" | tee "$dir/compare-ort.txt"

echo "== DCEC: the strided Conv and ConvTranspose kernels, and a training step of the whole model"
go test ./graph/ -run '^$' -bench 'BenchmarkConvStrided' -benchtime 20x -count 1 | grep -E '^Benchmark' | tee "$dir/gobench-strided.txt"
"$dir/aekit" bench --config examples/dcec/dcec.yaml --batch-size 64 --steps 60 --gorgonia-steps 0 --repeats 1 | tee "$dir/bench-dcec.txt"
