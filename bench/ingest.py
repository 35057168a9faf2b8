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


def timed_process(command: list[str], env: dict) -> tuple[float, float, dict]:
    """Wall seconds and peak RSS (MB) of one process, and the JSON object it printed last."""
    start = time.perf_counter()
    # Output to files, not pipes: os.wait4 (for the child's peak RSS) must reap it, so nothing reads
    # pipes meanwhile.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{' '.join(command)} failed: {err.read().decode(errors='replace')[-2000:]}")
        text = out.read().decode()
    return seconds, usage.ru_maxrss / 1024, json.loads(text[text.index("{"):])


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
    peaks: dict[str, float] = {}
    summaries = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):
            env = {**os.environ, "TUTOR_CACHE": f"{tmp}/cache-{round_}", "TUTOR_INDEX": f"{tmp}/index-{round_}"}
            tutorial = [sys.executable, str(Path(__file__).resolve()), *paths,
                        "--tutorial-child", f"{tmp}/tutorial-{round_}"]
            # The tutorial keeps no vector cache: every run of it is cold.
            for name, command in (("tutor_cold", tutor), ("tutor_warm", tutor), ("tutorial_cold", tutorial)):
                seconds, peak, summaries[name] = timed_process(command, env)
                runs[name].append(seconds)
                peaks[name] = max(peaks.get(name, 0.0), peak)
    medians = {name: round(statistics.median(values), 2) for name, values in runs.items()}
    cold = summaries["tutor_cold"]
    print(json.dumps({
        "paths": paths,
        "records": cold.get("records"),
        "chunks": cold.get("chunks"),
        "tutorial_chunks": summaries["tutorial_cold"]["chunks"],
        "embedders": list(cold.get("embedded", {})),
        "warm_embedded": summaries["tutor_warm"].get("embedded"),
        "cold_stages_seconds": cold.get("stages"),  # the last round's, measured inside the process
        "warm_stages_seconds": summaries["tutor_warm"].get("stages"),
        "seconds": runs,
        "median_seconds": medians,
        "cold_vs_tutorial": round(medians["tutor_cold"] / medians["tutorial_cold"], 2),
        "records_per_second_cold": round((cold.get("records") or 0) / medians["tutor_cold"], 2),
        "peak_rss_mb": {name: round(mb, 1) for name, mb in peaks.items()},
        "threads": get_settings().threads or os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
