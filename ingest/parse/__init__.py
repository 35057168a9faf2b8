"""Document → records. Each strategy recognizes one shape of document; the best fit parses it.

Strategies live in small sibling modules and register in STRATEGIES. A strategy only has to find
questions, their answers and their headings; this module turns drafts into Records (ids, level
mapping, language, clean answer text, key points) the same way for every shape.
"""

from __future__ import annotations

import re

from ingest.clean import clean_lines
from ingest.document import Document
from ingest.parse.base import Draft, Strategy
from ingest.parse.key_points import derive_key_points
from ingest.parse.text import strip_markup
from tutor.store import Record, record_id
from tutor.text import detect_lang

STRATEGIES: list[Strategy] = []


def register(strategy_cls):
    STRATEGIES.append(strategy_cls())
    return strategy_cls


_LEVEL_WORDS = [
    ("junior", r"beginner|easy|junior|\bbasic\b|початк|джун"),
    ("middle", r"intermediate|medium|middle|мідл"),
    ("senior", r"expert|hard|senior|advanced|сеньйор|синьйор"),
]


def map_level(hint: str) -> str:
    hint = hint.casefold()
    for level, pattern in _LEVEL_WORDS:
        if re.search(pattern, hint):
            return level
    return "unknown"


_BOLD = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")
_STRAY_BOLD = re.compile(r"^(\s*(?:[-*•]\s+)?)\*\*(?=\S)|(?<=\S)\*\*\s*$")


def _unbold(line: str) -> str:
    """Markdown bold removed; `**` in code (`x ** 2`, `a**b`, `**kwargs`) kept."""
    line = _BOLD.sub(r"\1", line)
    return _STRAY_BOLD.sub(lambda m: m.group(1) or "", line)


def clean_answer(answer_lines: list[str]) -> str:
    lines, in_code = [], False
    for line in answer_lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
            lines.append(line.rstrip())
            continue
        lines.append(line.rstrip() if in_code else _unbold(line).rstrip())
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def finalize(drafts: list[Draft], source: str) -> list[Record]:
    records, seen = [], set()
    for d in drafts:
        question = strip_markup(d.question)
        if not question:
            continue
        rid = record_id(source, question)
        n = 1
        while rid in seen:  # the same question again in one file, with its own answer
            n += 1
            rid = record_id(source, f"{question}\n#{n}")
        seen.add(rid)
        answer = clean_answer(d.answer_lines)
        records.append(
            Record(
                id=rid,
                source=source,
                locator=d.locator,
                section=d.section,
                level=map_level(d.level_hint),
                lang=detect_lang(question + " " + answer[:400]),
                question=question,
                answer=answer,
                key_points=d.key_points or derive_key_points(d.answer_lines),
                tags=d.tags,
                companies=d.companies,
            )
        )
    return records


def best_strategy(lines) -> tuple[Strategy, float]:
    scored = [(s.fit(lines), i, s) for i, s in enumerate(STRATEGIES)]
    fit, _, strategy = max(scored, key=lambda t: (t[0], -t[1]))
    return strategy, fit


def parse_document(doc: Document) -> list[Record]:
    lines = clean_lines(doc.lines)
    strategy, _ = best_strategy(lines)
    return finalize(strategy.parse(lines), doc.name)


# Registration order breaks ties: specific shapes first, the generic fallback last.
from ingest.parse import titled_entries  # noqa: E402,F401,I001
from ingest.parse import labeled_lines  # noqa: E402,F401
from ingest.parse import numbered_sections  # noqa: E402,F401
from ingest.parse import q_numbered  # noqa: E402,F401
from ingest.parse import level_topic_numbered  # noqa: E402,F401
from ingest.parse import generic  # noqa: E402,F401
