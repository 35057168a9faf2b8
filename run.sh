#!/usr/bin/env bash
# Set up (first time), build the index from the default bank (if there is none), start the tutor.
# Usage: ./run.sh [tutor arguments]   (default: a sample search)
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/tutor ] || bash scripts/setup.sh
[ -f "${TUTOR_INDEX:-index}/manifest.json" ] || .venv/bin/tutor ingest
if [ "$#" -eq 0 ]; then
  set -- search "What is overfitting and how do you prevent it?"
fi
exec .venv/bin/tutor "$@"
