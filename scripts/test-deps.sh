#!/usr/bin/env bash
# Installs what the tests need beyond Go: the ONNX checker and backend node
# tests, scikit-learn (reference values), Fashion-MNIST, and ONNX Runtime for
# Node.js (the reference executor). Idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
/usr/bin/python3 -c 'import onnx' 2>/dev/null || need+=(python3-onnx)
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)
[ -d /usr/share/libonnx-testdata ] || need+=(libonnx-testdata)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
command -v protoc >/dev/null || need+=(protobuf-compiler)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing Debian packages: ${need[*]}"
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi

# ONNX Runtime: the CPU library ships inside the npm package; the variable
# stops its install script from trying to download a GPU build.
if [ ! -d node_modules/onnxruntime-node ]; then
	echo "installing onnxruntime-node"
	ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --no-audit --no-fund onnxruntime-node@1.30.0 >/dev/null
fi
