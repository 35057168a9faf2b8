#!/usr/bin/env bash
# Set up (first time), build the index from the default bank (if there is none), start the tutor.
# Usage: ./run.sh                     start the web app (streamlit run app.py)
#        ./run.sh [tutor arguments]   run the `tutor` command, e.g. ./run.sh search "what is dropout"
set -euo pipefail
cd "$(dirname "$0")"
{ [ -x .venv/bin/streamlit ] && .venv/bin/tutor --help >/dev/null 2>&1; } || bash scripts/setup.sh
[ -f "${TUTOR_INDEX:-index}/manifest.json" ] || .venv/bin/tutor ingest
if [ "$#" -eq 0 ]; then
  exec .venv/bin/streamlit run app.py
fi
exec .venv/bin/tutor "$@"
