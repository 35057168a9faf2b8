"""Chat replies worth reading? Degenerate output, grounding and speed per backend. Prints one JSON object.

    .venv/bin/python bench/answers.py --index DIR [--backend local|none] [--limit N]
                                      [--repeat-penalty 1.0,1.1]

Questions: the English dev queries with gold records (../shared/eval/dev_queries.jsonl; the local
model answers English questions, a Ukrainian one gets the bank's text). Per setting: share of replies
the repetition guard had to stop (the model looped), share of final replies that still repeat a
sentence or say one 8-word run three times, share cut at the token limit, share citing a gold record,
share of sentences no source supports, words per reply, and time per reply (model load excluded).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tutor.llm as llm_module  # noqa: E402
from eval.gold import load_inventory, match_inventory  # noqa: E402
from tutor.answer import answer  # noqa: E402
from tutor.config import get_settings  # noqa: E402
from tutor.index import Index  # noqa: E402
from tutor.llm import get_llm  # noqa: E402
from tutor.repetition import words  # noqa: E402
from tutor.retrieve import Retriever  # noqa: E402
from tutor.rubric import split_sentences  # noqa: E402
from tutor.tuning import ANSWERING  # noqa: E402


def repeats(text: str, n: int = 8) -> bool:
    """A sentence said twice, or one n-word run said three times (the chat issue's measure)."""
    said = [tuple(words(s)) for s in split_sentences(text) if len(words(s)) >= 4]
    if len(said) != len(set(said)):
        return True
    ws = words(text)
    grams = Counter(tuple(ws[i : i + n]) for i in range(len(ws) - n + 1))
    return any(c >= 3 for c in grams.values())


def run(retriever, llm, queries, gold) -> dict:
    rows = []
    for q in queries:
        t0 = time.perf_counter()
        result = answer(q["query"], retriever=retriever, llm=llm)
        seconds = time.perf_counter() - t0
        cited = {c.record_id for c in result.citations}
        rows.append({
            "mode": result.mode, "stopped": result.stopped, "repeats": repeats(result.text),
            "gold_cited": bool(cited & gold[q["qid"]]), "sentences": len(result.sentences),
            "unsupported": len(result.unsupported), "words": len(words(result.text)), "seconds": seconds,
        })
    n = len(rows)
    sentences = sum(r["sentences"] for r in rows) or 1
    return {
        "n": n,
        "modes": dict(Counter(r["mode"] for r in rows)),
        "stopped_repeating": round(sum(r["stopped"] == "repetition" for r in rows) / n, 3),
        "cut_at_limit": round(sum(r["stopped"] == "length" for r in rows) / n, 3),
        "final_repeats": round(sum(r["repeats"] for r in rows) / n, 3),
        "gold_cited": round(sum(r["gold_cited"] for r in rows) / n, 3),
        "unsupported_sentences": round(sum(r["unsupported"] for r in rows) / sentences, 3),
        "words_median": statistics.median(r["words"] for r in rows),
        "seconds_p50": round(statistics.median(r["seconds"] for r in rows), 2),
        "seconds_max": round(max(r["seconds"] for r in rows), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=os.environ.get("TUTOR_INDEX", "index"))
    parser.add_argument("--backend", default="local", choices=("local", "none"))
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--repeat-penalty", default=str(ANSWERING.repeat_penalty))
    args = parser.parse_args()
    settings = get_settings(index=Path(args.index))
    index = Index(Path(args.index))
    retriever = Retriever(index)
    shared = Path(settings.shared) / "eval"
    queries = [json.loads(line) for line in open(shared / "dev_queries.jsonl", encoding="utf-8") if line.strip()]
    queries = [q for q in queries if q.get("lang") == "en" and q.get("gold")][: args.limit]
    mapping = match_inventory(load_inventory(shared / "inventory.jsonl"), index.records)
    gold = {q["qid"]: {mapping.get(g) for g in q["gold"]} - {None} for q in queries}
    llm = get_llm(args.backend, settings)
    if llm is not None:
        llm.load()
    report = {"backend": args.backend, "questions": len(queries), "threads": settings.threads, "settings": {}}
    for penalty in (float(p) for p in args.repeat_penalty.split(",")):
        llm_module.ANSWERING = dataclasses.replace(ANSWERING, repeat_penalty=penalty)
        report["settings"][f"repeat_penalty={penalty}"] = run(retriever, llm, queries, gold)
    report["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
