"""Candidate-answer sets for the grader (eval/grading/*.jsonl): load them and map them to records.

A line: {"inventory_id", "lang", "kind", "answer", "note"}; kind is one of KINDS. Inventory ids are
mapped to records by source file and question text (eval.gold), as the retrieval query files are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eval.gold import load_inventory, match_inventory
from tutor.store import Record

KINDS = ("good", "other_lang", "partial", "wrong", "bluff")
GRADING_DIR = Path(__file__).resolve().parent / "grading"
DEV_SETS = ("dev_en.jsonl", "dev_uk.jsonl")
HOLDOUT_SET = "holdout.jsonl"


@dataclass
class AnswerSet:
    record: Record
    answers: dict[str, str]  # kind → answer text
    notes: dict[str, str]


def load_answer_sets(paths: list[Path], inventory_path: Path, records: list[Record]) -> list[AnswerSet]:
    """One AnswerSet per question with all five kinds; questions that map to no record are an error."""
    by_inv: dict[str, dict] = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                obj = json.loads(line)
                if obj.get("kind") not in KINDS:
                    raise ValueError(f"{path}:{n}: unknown kind {obj.get('kind')!r}")
                entry = by_inv.setdefault(obj["inventory_id"], {"answers": {}, "notes": {}})
                entry["answers"][obj["kind"]] = obj["answer"]
                entry["notes"][obj["kind"]] = obj.get("note", "")
    inventory = [item for item in load_inventory(inventory_path) if item["id"] in by_inv]
    mapping = match_inventory(inventory, records)
    by_id = {r.id: r for r in records}
    sets = []
    for inv_id, entry in by_inv.items():
        rid = mapping.get(inv_id)
        if rid is None:
            raise ValueError(f"inventory id {inv_id} matches no record in the index")
        missing = set(KINDS) - set(entry["answers"])
        if missing:
            raise ValueError(f"inventory id {inv_id}: missing kinds {sorted(missing)}")
        sets.append(AnswerSet(by_id[rid], entry["answers"], entry["notes"]))
    return sets


def separation(scores: list[dict[str, int]]) -> dict:
    """Shares of questions where the grader orders the kinds as a fair interviewer would."""
    n = len(scores)
    if not n:
        return {}

    def share(pred) -> float:
        return round(sum(1 for s in scores if pred(s)) / n, 3)

    return {
        "n": n,
        "mean": {k: round(sum(s[k] for s in scores) / n, 1) for k in KINDS},
        "good_gt_wrong": share(lambda s: s["good"] > s["wrong"]),
        "good_gt_bluff": share(lambda s: s["good"] > s["bluff"]),
        "other_lang_gt_wrong": share(lambda s: s["other_lang"] > s["wrong"]),
        "other_lang_within_10": share(lambda s: abs(s["other_lang"] - s["good"]) <= 10),
        "ordered": share(lambda s: s["good"] >= s["partial"] >= max(s["wrong"], s["bluff"])),
    }
