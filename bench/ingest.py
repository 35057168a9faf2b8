"""Ingest benchmark, the tutor beside the tutorial pipeline (eval/baseline.py) in the same run; JSON.

usage: python bench/ingest.py [--repeat N] [PATH ...]   (default: the seed bank, $TUTOR_SEEDS or ../shared/seeds)

Each round runs, as new processes (imports and model loads included, as a user waits for them):
the tutor's cold ingest (an empty embedding cache), its warm ingest (the same command again: nothing
changed) and the tutorial's ingest (raw text, split, MiniLM, FAISS). Rounds alternate the three, so a
busy neighbour on the cores slows them alike; the medians and their ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tutor.config import get_settings  # noqa: E402


def _timed(command: list[str], env: dict) -> tuple[float, dict]:
    """Wall seconds of one process, and the JSON it printed last."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout[done.stdout.index("{"):])


def _tutorial_child(paths: list[str], out: str) -> None:
    from eval.baseline import tutorial_ingest

    print(json.dumps(tutorial_ingest([Path(p) for p in paths], Path(out))))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tutorial-child", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    paths = args.paths or [str(get_settings().seed_bank)]
    if args.tutorial_child:
        return _tutorial_child(paths, args.tutorial_child)

    tutor = [sys.executable, "-m", "tutor.cli", "ingest", *paths, "--rebuild", "--json", "--quiet"]
    runs: dict[str, list[float]] = {"tutor_cold": [], "tutor_warm": [], "tutorial_cold": []}
    summaries = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):
            env = {**os.environ, "TUTOR_CACHE": f"{tmp}/cache-{round_}", "TUTOR_INDEX": f"{tmp}/index-{round_}"}
            seconds, summaries["tutor_cold"] = _timed(tutor, env)
            runs["tutor_cold"].append(seconds)
            seconds, summaries["tutor_warm"] = _timed(tutor, env)
            runs["tutor_warm"].append(seconds)
            # The tutorial keeps no vector cache: every run of it is cold.
            seconds, summaries["tutorial"] = _timed(
                [sys.executable, str(Path(__file__).resolve()), *paths, "--tutorial-child", f"{tmp}/tutorial-{round_}"],
                env)
            runs["tutorial_cold"].append(seconds)
    medians = {name: round(statistics.median(values), 2) for name, values in runs.items()}
    cold = summaries["tutor_cold"]
    print(json.dumps({
        "paths": paths,
        "records": cold.get("records"),
        "chunks": cold.get("chunks"),
        "tutorial_chunks": summaries["tutorial"]["chunks"],
        "embedders": list(cold.get("embedded", {})),
        "warm_embedded": summaries["tutor_warm"].get("embedded"),
        "cold_stages_seconds": cold.get("stages"),  # the last round's, measured inside the process
        "warm_stages_seconds": summaries["tutor_warm"].get("stages"),
        "seconds": runs,
        "median_seconds": medians,
        "cold_vs_tutorial": round(medians["tutor_cold"] / medians["tutorial_cold"], 2),
        "records_per_second_cold": round((cold.get("records") or 0) / medians["tutor_cold"], 2),
        "threads": get_settings().threads or os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
