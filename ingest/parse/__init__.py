"""Document → records. Each strategy recognizes one shape of document; the best fit parses it.

Strategies live in small sibling modules and register in STRATEGIES. A strategy only has to find
questions, their answers and their headings; this module turns drafts into Records (ids, level
mapping, language, clean answer text, key points, labels such as `Q:`/`Answer:` removed) the same
way for every shape. What a file's structure pairs itself (a Document's entries: CSV rows, JSON
objects, Anki notes, HTML <details>/<dl>, Word question paragraphs) becomes drafts as it stands;
the strategies read only the lines besides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.clean import clean_lines, clean_text
from ingest.document import Document, Entry, Line
from ingest.levels import level_label, level_phrase, level_tag, map_level
from ingest.parse.base import Draft, Strategy
from ingest.parse.key_points import derive_key_points
from ingest.parse.questions import (
    answer_label,
    is_question_label_only,
    split_inline_answer,
    strip_answer_label,
    strip_question_label,
)
from ingest.parse.text import strip_markup
from tutor.store import Record, record_id
from tutor.text import detect_lang

STRATEGIES: list[Strategy] = []


def register(strategy_cls):
    STRATEGIES.append(strategy_cls())
    return strategy_cls


_BOLD = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")
_STRAY_BOLD = re.compile(r"^(\s*(?:[-*•]\s+)?)\*\*(?=\S)|(?<=\S)\*\*\s*$")


def _unbold(line: str) -> str:
    """Markdown bold removed; `**` in code (`x ** 2`, `a**b`, `**kwargs`) kept."""
    line = _BOLD.sub(r"\1", line)
    return _STRAY_BOLD.sub(lambda m: m.group(1) or "", line)


def clean_answer(answer_lines: list[str], exact: bool = False) -> str:
    lines, in_code = [], False
    for line in answer_lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
            lines.append(line.rstrip())
            continue
        lines.append(line.rstrip() if in_code or exact else _unbold(line).rstrip())
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def _question_text(d: Draft) -> tuple[str, str | None]:
    """The question without markup and labels, and an answer that follows it on its line ("Q? A: …")."""
    question = strip_question_label(d.question)
    question = " ".join(question.split()) if d.exact else strip_markup(question)
    return split_inline_answer(strip_question_label(question).strip())


def _unlabelled(answer_lines: list[str]) -> list[str]:
    """The answer without its `A:` / `Answer:` / `Відповідь:` label (on its first line; a word label
    on any line); a line holding only a label (an answer's, or the next question's) goes."""
    out, in_code, first = [], False, True
    for line in answer_lines:
        if line.lstrip().startswith("```"):
            in_code, first = not in_code, False
        elif not in_code and is_question_label_only(line):
            continue
        elif not in_code and line.strip():
            m = answer_label(line, words_only=not first)
            first = False
            if m is not None:
                line = line[m.end():]
                if not line.strip():
                    continue
        out.append(line)
    return out


def finalize(drafts: list[Draft], source: str) -> list[Record]:
    records, seen = [], set()
    for d in drafts:
        question, inline = _question_text(d)
        question, tagged = level_tag(question)
        if not question:
            continue
        rid = record_id(source, question)
        n = 1
        while rid in seen:  # the same question again in one file, with its own answer
            n += 1
            rid = record_id(source, f"{question}\n#{n}")
        seen.add(rid)
        answer_lines = _unlabelled(([inline] if inline else []) + d.answer_lines)
        answer = clean_answer(answer_lines, d.exact)
        key_points = [strip_answer_label(p) for p in d.key_points]
        records.append(
            Record(
                id=rid,
                source=source,
                locator=d.locator,
                section=d.section,
                level=tagged or map_level(d.level_hint),
                lang=detect_lang(question + " " + answer[:400]),
                question=question,
                answer=answer,
                key_points=[p for p in key_points if p.strip()] or derive_key_points(answer_lines),
                tags=d.tags,
                companies=d.companies,
            )
        )
    return records


def entry_draft(entry: Entry) -> Draft:
    """An entry as a draft: its text repaired, taken as it stands (exact)."""
    section = " ".join(clean_text(entry.section).split())
    return Draft(
        question=clean_text(entry.question),
        answer_lines=clean_text(entry.answer).split("\n") if entry.answer.strip() else [],
        locator=entry.locator,
        section=section,
        level_hint=entry.level or section,
        key_points=[clean_text(p) for p in entry.key_points],
        tags=[clean_text(t) for t in entry.tags],
        exact=True,
    )


def best_strategy(lines) -> tuple[Strategy, float]:
    scored = [(s.fit(lines), i, s) for i, s in enumerate(STRATEGIES)]
    fit, _, strategy = max(scored, key=lambda t: (t[0], -t[1]))
    return strategy, fit


def _line_order(draft: Draft) -> int:
    return int(draft.locator) if draft.locator.isdigit() else 0


_FENCE = re.compile(r"^\s*(?:```|~~~)")
_MD_HEADING = re.compile(r"^\s*(#{1,6})\s+(\S.*)$")


@dataclass
class _Levels:
    """The level marks of a document's lines: `Level: …` labels (taken out of the lines) and
    markdown headings (kept), by the index of the kept line they stand before / on."""

    lines: list[Line] = field(default_factory=list)  # the lines without their level labels
    # kept index → [(level, the kept non-blank line right above the label or None, depth of the
    # heading the label stands under: 0 for none)]
    labels: dict[int, list[tuple[str, int | None, int]]] = field(default_factory=dict)
    headings: dict[int, tuple[int, str | None]] = field(default_factory=dict)  # kept index → (depth, level)

    def any(self) -> bool:
        return bool(self.labels) or any(level for _, level in self.headings.values())


def _level_marks(lines: list[Line]) -> _Levels:
    out = _Levels()
    in_code, depth, above = False, 0, None
    for line in lines:
        heading = None
        if _FENCE.match(line.text):
            in_code = not in_code
        elif not in_code:
            heading = _MD_HEADING.match(line.text)
            level = None if heading else level_label(line.text)
            if level:
                out.labels.setdefault(len(out.lines), []).append((level, above, depth))
                continue
        if heading:
            depth = len(heading.group(1))
            out.headings[len(out.lines)] = (depth, level_phrase(heading.group(2).strip(" #")))
        if line.text.strip():
            above = len(out.lines)
        out.lines.append(line)
    return out


def _apply_levels(drafts: list[Draft], marks: _Levels, questions: list[int]) -> None:
    """Each draft's level hint from the marks around its question line (index `questions[k]`).

    A label right under a question is that question's level. A label elsewhere, or a markdown heading
    that is a level ("## Easy", "### Складні питання"), is the level of the questions below it, up to
    the next heading of the same or a higher rank than the one it stands under (a heading: than
    itself; a question written as a heading ends nothing). A label outranks the heading the shape
    parser filed the question under; a level heading only fills in where that one names no level."""
    asked = set(questions)
    own: dict[int, str] = {}
    current: list[tuple[str, bool]] = []  # per kept line: (level in force, set by a label)
    level, depth, by_label = "", 0, False
    for i in range(len(marks.lines)):
        for lvl, above, under in marks.labels.get(i, []):
            if above in asked:
                own[above] = lvl
            else:
                level, depth, by_label = lvl, under, True
        if i in marks.headings and i not in asked:
            d, lvl = marks.headings[i]
            if lvl:
                level, depth, by_label = lvl, d, False
            elif d <= depth:
                level, depth, by_label = "", 0, False
        current.append((level, by_label))
    for d, q in zip(drafts, questions, strict=True):
        lvl, by_label = current[q] if 0 <= q < len(current) else ("", False)
        if q in own:
            d.level_hint = own[q]
        elif lvl and (by_label or map_level(d.level_hint) == "unknown"):
            d.level_hint = lvl


def _parse_lines(lines: list[Line]) -> tuple[list[Draft], str]:
    """The drafts the best-fitting strategy finds in the lines, and its name; levels applied."""
    marks = _level_marks(lines)
    if not marks.any():
        strategy, _ = best_strategy(lines)
        return strategy.parse(lines), strategy.name
    # The strategy reads the lines without their labels, each located by its index, so that every
    # draft's question line is known (a PDF page locator names many lines); locators restored after.
    indexed = [Line(line.text, str(i)) for i, line in enumerate(marks.lines)]
    strategy, _ = best_strategy(indexed)
    drafts = strategy.parse(indexed)
    questions = [int(d.locator) if d.locator.isdigit() else -1 for d in drafts]
    for d, q in zip(drafts, questions, strict=True):
        if 0 <= q < len(marks.lines):
            d.locator = marks.lines[q].locator
    _apply_levels(drafts, marks, questions)
    return drafts, strategy.name


def parse_with_shape(doc: Document) -> tuple[list[Record], str]:
    """The document's records, and the shape that read it: the strategy that parsed its lines
    ("qa_labels", "generic", …), "entries" where its structure paired them (CSV rows, JSON objects,
    Anki notes, HTML <details>), or both ("generic + entries")."""
    drafts = [entry_draft(e) for e in doc.entries]
    shapes = ["entries"] if drafts else []
    lines = clean_lines(doc.lines)
    if any(line.text.strip() for line in lines):
        parsed, name = _parse_lines(lines)
        if parsed or not drafts:
            shapes.insert(0, name)
        drafts = sorted(parsed + drafts, key=_line_order) if drafts else parsed
    return finalize(drafts, doc.name), " + ".join(shapes) or "none"


def parse_document(doc: Document) -> list[Record]:
    return parse_with_shape(doc)[0]


# Registration order breaks ties: specific shapes first, the generic fallback last.
from ingest.parse import titled_entries  # noqa: E402,F401,I001
from ingest.parse import qa_labels  # noqa: E402,F401
from ingest.parse import labeled_lines  # noqa: E402,F401
from ingest.parse import numbered_sections  # noqa: E402,F401
from ingest.parse import q_numbered  # noqa: E402,F401
from ingest.parse import level_topic_numbered  # noqa: E402,F401
from ingest.parse import generic  # noqa: E402,F401
