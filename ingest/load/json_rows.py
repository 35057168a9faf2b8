"""JSON / JSON Lines banks: objects with a question key (fields.NAMES: question, q, front, prompt,
term, питання …) and maybe answer, level/difficulty, topic/section, tags and key points.

`.json`: a list of such objects, or an object holding them: every list of question objects in the
tree is read, and the keys on its way down that name no field and no container ("questions",
"items", "data" …) give the section ({"Junior": [...], "Senior": [...]}). `.jsonl`: one object a
line. An answer given as a list is one line per item (its points). Each object is located by the
line its question is on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ingest.document import Entry, Loaded, LoadError
from ingest.load.fields import QUESTION_NAMES, field_of, field_text, level_hint, split_tags

_CONTAINERS = re.compile(
    r"^(?:questions?|items?|data|cards?|notes?|records?|entries|rows|results|bank|deck|list|qa|faq|"
    r"flashcards?|питання|запитання|картки)$", re.I
)
_MAX_DEPTH = 8


def load_json(path: Path, text: str, lines: bool = False) -> Loaded:
    """The question objects of a .json file (lines: a .jsonl file, one object a line) as entries."""
    found: list[tuple[dict, list[str], str]] = []  # (object, the section keys above it, its level)
    if lines:
        for n, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise LoadError(path, f"invalid JSON on line {n}: {exc.msg} (column {exc.colno})") from exc
            _collect(value, [], found)
    else:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LoadError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        _collect(value, [], found)
    if not found:
        raise LoadError(path, f"no question objects: expected {'one object a line' if lines else 'a list of objects'} "
                              f"with a question key ({QUESTION_NAMES})")
    entries, pos = [], 0
    for obj, keys, level in found:
        entry, pos = _entry(obj, keys, level, text, pos)
        if entry is not None:
            entries.append(entry)
    if not entries:
        raise LoadError(path, "no question objects with a question in them")
    return Loaded(entries=entries)


def _fields(obj: dict) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in obj.items():
        f = field_of(key)
        if f is not None and f not in out:
            out[f] = value
    return out


def _collect(value, keys: list[str], found: list, level: str = "", depth: int = 0) -> None:
    """Every question object under `value`, with the section keys and the level set above it (an
    object holding the list may name its topic or level: {"topic": "NLP", "level": "hard", "cards": [...]})."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        fields = _fields(value)
        if "question" in fields:
            found.append((value, keys, level))
            return
        if isinstance(fields.get("section"), str) and fields["section"].strip():
            keys = [*keys, fields["section"].strip()]
        if isinstance(fields.get("level"), str) and fields["level"].strip():
            level = fields["level"].strip()
        for key, child in value.items():
            if isinstance(child, list | dict):
                named = field_of(key) is None and not _CONTAINERS.match(str(key).strip())
                _collect(child, [*keys, str(key)] if named else keys, found, level, depth + 1)
    elif isinstance(value, list):
        for child in value:
            _collect(child, keys, found, level, depth + 1)


def _text(value: object) -> str:
    if isinstance(value, list):
        return "\n".join(f"- {field_text(v)}" for v in value if field_text(v))
    if isinstance(value, dict):
        return field_text(next((v for v in value.values() if isinstance(v, str)), ""))
    return field_text(value)


def _entry(obj: dict, keys: list[str], level: str, text: str, pos: int) -> tuple[Entry | None, int]:
    f = _fields(obj)
    question = " ".join(_text(f["question"]).split())
    if not question:
        return None, pos
    line, pos = _line_of(f["question"], text, pos)
    section = _text(f.get("section", "")) or " / ".join(keys)
    points = f.get("key_points")
    return Entry(
        question=question,
        answer=_text(f.get("answer", "")),
        locator=str(line),
        section=" ".join(section.split()),
        level=level_hint(f.get("level", "")) or level,
        tags=split_tags(f.get("tags", [])),
        key_points=[field_text(p) for p in points if field_text(p)] if isinstance(points, list) else [],
    ), pos


def _line_of(question: object, text: str, pos: int) -> tuple[int, int]:
    """The line the question's JSON string is on (searched from `pos`, the previous question's place)."""
    for ascii_only in (False, True):
        at = text.find(json.dumps(question, ensure_ascii=ascii_only), pos)
        if at >= 0:
            return text.count("\n", 0, at) + 1, at + 1
    return text.count("\n", 0, pos) + 1, pos
