"""Blog posts with "Q1. …", "Q2. …" (or "Question 1:", "Питання 1.") questions, each answered by
the paragraphs below it.

    Some Challenging Machine Learning Interview Questions     <- section (plain or `## ` heading)
    Q1. Imagine you are working on ... How would you approach troubleshooting this issue?
    There is no one correct answer to this question, ...       <- answer paragraphs, list items
    Q2. ...
    Tips & Tricks to Nail a Machine Learning Interview         <- a heading ends the last answer
    Conclusion

The whole `Qn.` line is the question (scenario questions run long). An answer runs until the next
`Qn.` line or the next heading: a markdown heading, or a short title-case line with no closing
punctuation. What follows the last answer (tips, conclusion, author bio, cookie banners) is not
part of any record. A cookie/consent notice also ends an answer, in case no heading precedes it.
"""

from __future__ import annotations

import re

from ingest.document import Line
from ingest.parse import register
from ingest.parse.base import Draft
from ingest.parse.questions import QUESTION_WORDS
from ingest.parse.text import markdown_heading, strip_blank_edges, strip_markup

QLINE = re.compile(
    rf"^\s*(?:#{{1,6}}\s*)?(?:[-*•]\s+)?(?:\*\*)?\s*(?:{QUESTION_WORDS})\s*(?P<n>\d{{1,3}})\s*[.:)\-–—]\s*(?:\*\*)?\s*"
    r"(?P<q>\S.*)$",
    re.IGNORECASE,
)
_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to vs with & - –".split())
_CONSENT = re.compile(
    r"\b(we|this (?:site|website)) uses? cookies\b|\bcookie (?:policy|declaration|settings|consent)\b"
    r"|\baccept (?:all )?cookies\b",
    re.IGNORECASE,
)


def title_heading(text: str) -> str | None:
    """The heading text if `text` is a markdown heading or a short title-case line, else None."""
    title = markdown_heading(text)
    if title is not None:
        return title or None
    text = strip_markup(text)
    if re.match(r"^\s*[-*+•]\s", text) or not text or len(text) > 90 or text[-1] in ".?!:;,":
        return None
    words = re.findall(r"[^\W\d_][\w'’-]*|&", text)
    if not words or not words[0][0].isupper() or len(words) > 14:
        return None
    content = [w for w in words if w.casefold() not in _SMALL_WORDS]
    if not content:
        return None
    capitalized = sum(w[0].isupper() for w in content)
    return text if capitalized >= 0.75 * len(content) else None


@register
class QNumbered:
    name = "q_numbered"

    def _scan(self, lines: list[Line]) -> tuple[list[Draft], int, int]:
        """Drafts, plus how many non-empty lines they cover and how many there are."""
        drafts: list[Draft] = []
        section = ""
        current: Draft | None = None
        expected = None  # the next Q number, once the sequence has started
        covered = nonblank = 0
        for line in lines:
            text = line.text.strip()
            if not text:
                if current is not None and current.answer_lines:
                    current.answer_lines.append("")
                continue
            nonblank += 1
            m = QLINE.match(text)
            n = int(m.group("n")) if m else None
            if m and (expected is None or n in (expected, expected + 1) or n == 1):
                question = strip_markup(m.group("q")).strip("# ").strip()
                current = Draft(question=question, answer_lines=[], locator=line.locator,
                                section=section, level_hint=section)
                drafts.append(current)
                expected = n + 1
                covered += 1
                continue
            heading = title_heading(text)
            if heading is not None and not m:
                current = None
                section = heading
                continue
            if _CONSENT.search(text):
                current = None
                continue
            if current is not None:
                current.answer_lines.append(text)
                covered += 1
        for d in drafts:
            d.answer_lines = strip_blank_edges(d.answer_lines)
        return drafts, covered, nonblank

    def fit(self, lines: list[Line]) -> float:
        drafts, covered, nonblank = self._scan(lines)
        if len(drafts) < 2 or not nonblank:
            return 0.0
        answered = sum(bool(d.answer_lines) for d in drafts) / len(drafts)
        return round(covered / nonblank * answered, 3)

    def parse(self, lines: list[Line]) -> list[Draft]:
        return self._scan(lines)[0]
