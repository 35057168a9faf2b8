"""Ingest benchmark: cold (empty embedding cache) and warm (nothing changed) runs; prints JSON.

usage: python bench/ingest.py [PATH ...]   (default: the seed bank, $TUTOR_SEEDS or ../shared/seeds)
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.pipeline import ingest  # noqa: E402
from tutor.config import get_settings  # noqa: E402


def main(argv: list[str]) -> None:
    paths = [Path(p) for p in argv] or [get_settings().seed_bank]
    with tempfile.TemporaryDirectory() as tmp:
        settings = get_settings(cache=Path(tmp) / "cache")
        index = Path(tmp) / "index"
        cold = ingest(paths, index, settings=settings)
        warm = ingest(paths, index, settings=settings)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "paths": [str(p) for p in paths],
        "files": cold.files,
        "records": cold.records,
        "chunks": cold.chunks,
        "embedders": list(cold.embedded),
        "cold_seconds": cold.seconds,
        "warm_seconds": warm.seconds,
        "warm_embedded": warm.embedded,
        "records_per_second_cold": round(cold.records / cold.seconds, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "threads": settings.threads,
    }, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
