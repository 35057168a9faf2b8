"""Search latency per retrieval configuration over the dev queries (query embedding included); JSON.

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

from eval.runner import retrieval_configurations  # noqa: E402
from tutor.config import get_settings  # noqa: E402
from tutor.index import open_index  # noqa: E402
from tutor.retrieve import Retriever  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


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

    results = {}
    for config in retrieval_configurations():
        retriever = Retriever(index, config=config)
        retriever.search("warm-up: load the models", k=10)
        latencies = []
        for _ in range(args.repeat):
            for query in queries:
                start = time.perf_counter()
                retriever.search(query, k=10)
                latencies.append((time.perf_counter() - start) * 1000)
        results[config.name] = {
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(_percentile(latencies, 95), 1),
            "mean_ms": round(statistics.fmean(latencies), 1),
            "n": len(latencies),
        }
    print(json.dumps({
        "index_records": len(index.records),
        "index_chunks": len(index.chunks),
        "queries": len(queries),
        "configurations": results,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads": os.cpu_count(),
    }, indent=2))
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
