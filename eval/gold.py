"""Map the inventory's gold ids (`001-17`) to records, by source file and fuzzy question text."""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from pathlib import Path

from tutor.store import Record, normalize_question


def load_inventory(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _key(text: str) -> str:
    return re.sub(r"[^\w]+", " ", normalize_question(text)).strip()


def similarity(a: str, b: str) -> float:
    a, b = _key(a), _key(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 25 and long_.startswith(short):
        return 0.95
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def match_inventory(inventory: list[dict], records: list[Record], threshold: float = 0.85) -> dict[str, str | None]:
    """inventory id → record id (or None), each record used at most once, best pairs first."""
    by_source: dict[str, list[Record]] = {}
    for r in records:
        by_source.setdefault(r.source, []).append(r)
    pairs = []
    for i, item in enumerate(inventory):
        for j, r in enumerate(by_source.get(item["source"], [])):
            s = similarity(item["question"], r.question)
            if s >= threshold:
                pairs.append((-s, i, j, item["id"], r.id))
    # Best similarity first; ties (the same question twice in a file) pair up in document order.
    pairs.sort()
    result: dict[str, str | None] = {item["id"]: None for item in inventory}
    used = set()
    for _, _, _, inv_id, rid in pairs:
        if result[inv_id] is None and rid not in used:
            result[inv_id] = rid
            used.add(rid)
    return result
