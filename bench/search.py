"""Search latency per retrieval configuration and of the tutorial pipeline (eval/baseline.py) over the
dev queries, query embedding included, in one process; JSON with each p50 as a multiple of the tutorial's.

usage: python bench/search.py [--index DIR] [--queries FILE] [--repeat N]
Without --index, the seeds in ../shared/seeds are ingested into a temporary index first.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.load import percentile  # noqa: E402
from eval.baseline import TutorialRAG  # noqa: E402
from eval.runner import retrieval_configurations  # noqa: E402
from tutor.config import get_settings  # noqa: E402
from tutor.index import open_index  # noqa: E402
from tutor.retrieve import Retriever  # noqa: E402

TUTORIAL = "baseline-tutorial"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index")
    parser.add_argument("--queries", default=str(get_settings().shared / "eval" / "dev_queries.jsonl"))
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    queries = [json.loads(line)["query"] for line in open(args.queries, encoding="utf-8") if line.strip()]

    tmp = None
    index_dir = args.index
    if not index_dir:
        from ingest.pipeline import ingest

        tmp = tempfile.TemporaryDirectory()
        index_dir = Path(tmp.name) / "index"
        ingest([get_settings().seed_bank], index_dir)
    index = open_index(Path(index_dir))

    # Every configuration and the tutorial pipeline answer each query in turn, so a busy neighbour on
    # the cores slows them alike and the ratios hold.
    searches = {config.name: Retriever(index, config=config).search for config in retrieval_configurations()}
    tutorial = TutorialRAG(index)
    tutorial.prepare()
    searches[TUTORIAL] = tutorial
    for search in searches.values():
        search("warm-up: load the models", 10)
    latencies: dict[str, list[float]] = {name: [] for name in searches}
    for _ in range(args.repeat):
        for query in queries:
            for name, search in searches.items():
                start = time.perf_counter()
                search(query, 10)
                latencies[name].append((time.perf_counter() - start) * 1000)
    results = {
        name: {
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "mean_ms": round(statistics.fmean(values), 1),
            "n": len(values),
        }
        for name, values in latencies.items()
    }
    tutorial_p50 = statistics.median(latencies[TUTORIAL])
    print(json.dumps({
        "index_records": len(index.records),
        "index_chunks": len(index.chunks),
        "queries": len(queries),
        "configurations": results,
        "p50_vs_tutorial": {name: round(statistics.median(values) / tutorial_p50, 2)
                            for name, values in latencies.items() if name != TUTORIAL},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": os.cpu_count(),
    }, indent=2))
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
