"""Bare question lines, each followed by `Label: text` answer lines (quiz and flash-card exports).

    What is feature engineering?
    Definition: Process of creating, transforming, and selecting features ...
    Techniques: Creating new features (interactions, polynomials), ...
    What is the purpose of the .groupby() method?        <- no answer: runs into the next question
    Design a distributed training strategy ... Include parallelism strategies.

A line is a question when it reads like one (a `Q:` label, a '?', or an interrogative/imperative
opening such as "Explain", "Design", "How", "Поясніть"); an `A:` line or a `Label: text` line
belongs to the question above it and is one key point. Anything else (score widgets, buttons,
report titles) is not part of the shape and is skipped.
"""

from __future__ import annotations

import re

from ingest.document import Line
from ingest.levels import level_tag
from ingest.parse import register
from ingest.parse.base import Draft
from ingest.parse.questions import answer_label, has_question_label, looks_like_question
from ingest.parse.text import strip_markup

# `Label: text` — a short label (a few words, no question mark) then the point itself.
LABEL = re.compile(r"^\**(?P<label>[^\s:?][^:?]{0,58}?)\**\s*:\s+(?P<text>\S.*)$")


def is_label_line(text: str) -> bool:
    """`Label: text` with a label of at most seven words and a point of at least two words."""
    m = LABEL.match(text)
    return (bool(m) and len(m.group("label").split()) <= 7
            and len(re.findall(r"[^\W\d_]{2,}", m.group("text"))) >= 2)


def _classify(text: str) -> str:
    """'q' (question), 'label' (answer point) or '' (not part of the shape)."""
    if not text:
        return ""
    if has_question_label(text) or (level_tag(text.rstrip())[0].endswith("?") and looks_like_question(text)):
        return "q"
    if is_label_line(text) or answer_label(text):
        return "label"
    if text[-1] in ".?)" and looks_like_question(text):
        return "q"
    return ""


@register
class LabeledLines:
    name = "labeled_lines"

    def _scan(self, lines: list[Line]) -> tuple[list[Draft], int, int]:
        """Drafts, plus how many non-empty lines the shape explains and how many there are."""
        drafts: list[Draft] = []
        explained = nonblank = 0
        current: Draft | None = None  # the question whose answer lines may follow
        for line in lines:
            raw = line.text
            text = raw.strip()
            if not text:
                continue
            nonblank += 1
            kind = _classify(text) if raw == raw.lstrip() else ""  # the shape has bare lines only
            if kind == "q":
                current = Draft(question=strip_markup(text), answer_lines=[], locator=line.locator)
                drafts.append(current)
                explained += 1
            elif kind == "label" and current is not None:
                current.answer_lines.append(text)
                current.key_points.append(strip_markup(text))
                explained += 1
            else:
                current = None  # UI text or prose: ends the answer; the next label has no question
        return drafts, explained, nonblank

    def fit(self, lines: list[Line]) -> float:
        drafts, explained, nonblank = self._scan(lines)
        answered = sum(bool(d.answer_lines) for d in drafts)
        if not nonblank or answered < 2:
            return 0.0
        # Mostly unanswered "questions" means the document is prose, not this shape.
        return round(explained / nonblank * min(1.0, 2 * answered / len(drafts)), 3)

    def parse(self, lines: list[Line]) -> list[Draft]:
        return self._scan(lines)[0]
