"""Numbered questions under section headings, numbering restarting in each section.

    Beginner Level                                    <- section heading: the line before a "1." question
    1. What is the difference between AI, ML and DL?  <- question (column 0 / least indented)
      • Artificial Intelligence (AI) is ...            <- answer: bullets, prose, tables, code
      • How it works:
        1. The dataset is randomly split ...          <- numbered steps inside the answer
    2. Explain the bias-variance tradeoff.
    Intermediate Level
    1. ...

Questions are told from numbered steps by indentation where the document has it, and always by the
numbering: a question carries the previous question's number + 1 (or 1 right after a heading) and
reads like a question; a step continues its own 1, 2, 3 … run. A question wrapped onto the next
line(s), as in PDF text, is joined back. Mermaid diagrams (fenced or flattened onto one line) are
dropped from answers; other fenced code is kept and never holds a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.document import Line
from ingest.parse import register
from ingest.parse.base import Draft
from ingest.parse.key_points import derive_key_points
from ingest.parse.labeled_lines import is_label_line
from ingest.parse.questions import looks_like_question
from ingest.parse.text import markdown_heading, strip_blank_edges, strip_markup

NUMBERED = re.compile(r"^(?P<indent>\s*)(?:#{1,6}\s+)?(?:\*\*)?(?P<n>\d{1,3})[.)]\s+(?:\*\*)?(?P<rest>\S.*)$")
_BULLET = re.compile(r"^\s*[-*+•▪◦●]\s")  # bullets only: a numbered line here is a question or a step
_FENCE = re.compile(r"^\s*(```|~~~)\s*(?P<lang>[\w+-]*)")
_MERMAID_FLAT = re.compile(
    r"^\s*mermaid\s+(?:graph|flowchart|sequenceDiagram|classDiagram|stateDiagram|erDiagram|gantt|pie|journey"
    r"|mindmap|timeline)\b"
)
_DIAGRAM_BITS = re.compile(r"-->|--\||==>|-\.->|\]\s*$|^\S*[\])}]$")


@dataclass
class _Item:
    raw: str
    text: str
    indent: int
    locator: str
    fenced: bool = False  # inside a code fence (or the fence line itself)
    drop: bool = False  # diagram text: not part of any answer


def _items(lines: list[Line]) -> list[_Item]:
    items = [_Item(ln.text.rstrip(), ln.text.strip(), len(ln.text) - len(ln.text.lstrip()), ln.locator)
             for ln in lines]
    fence = None  # (marker, is_mermaid) while inside a fence
    diagram_tail = 0  # lines after a flattened diagram that may be its wrapped remainder
    for it in items:
        m = _FENCE.match(it.raw)
        if fence is None and m:
            fence = (m.group(1), m.group("lang").casefold() == "mermaid")
            it.fenced, it.drop = True, fence[1]
            continue
        if fence is not None:
            it.fenced, it.drop = True, fence[1]
            if it.text.startswith(fence[0]):
                fence = None
            continue
        if _MERMAID_FLAT.match(it.text):
            it.drop, diagram_tail = True, 3
        elif diagram_tail and it.text:
            diagram_tail -= 1
            if _DIAGRAM_BITS.search(it.text) and not re.search(r"[a-z]{3,}[.,;:]\s+[A-Za-z]", it.text):
                it.drop = True
            else:
                diagram_tail = 0
    return items


def _heading_text(text: str) -> str | None:
    """The heading if the line could be one: a markdown heading or a short line that is not a sentence."""
    title = None if NUMBERED.match(text) else markdown_heading(text)
    if title is not None:
        return title or None
    if _BULLET.match(text):
        return None
    text = strip_markup(text)
    if (not text or len(text) > 90 or text[-1] in ".:?!;," or NUMBERED.match(text)
            or not text[0].isupper() or len(text.split()) > 12 or is_label_line(text)):
        return None
    return text


class _Doc:
    """One pass over the items: which lines are questions, steps, headings; the drafts."""

    def __init__(self, lines: list[Line]):
        self.items = _items(lines)
        self.nums = {}  # item index -> (number, text after the number)
        for i, it in enumerate(self.items):
            m = None if (it.fenced or it.drop) else NUMBERED.match(it.raw)
            if m:
                self.nums[i] = (int(m.group("n")), m.group("rest").strip())
        self.q_indent = min((self.items[i].indent for i in self.nums), default=0)

    def _next_content(self, i: int) -> int | None:
        for j in range(i + 1, len(self.items)):
            if self.items[j].text and not self.items[j].drop:
                return j
        return None

    def question_at(self, i: int) -> tuple[str, list[int]]:
        """The question text starting at numbered item i, joined with its wrapped continuation lines."""
        text = self.nums[i][1]
        used = []
        j = i + 1
        while len(used) < 2 and j < len(self.items):
            nxt = self.items[j]
            if (not nxt.text or nxt.drop or nxt.fenced or j in self.nums or _BULLET.match(nxt.raw)
                    or markdown_heading(nxt.raw) is not None):
                break
            cur = strip_markup(text)
            unfinished = cur[-1] not in ".?!)"
            parenthetical = nxt.text.startswith("(") and nxt.text.endswith(")") and len(nxt.text) <= 80
            second_question = (nxt.text.endswith("?") and len(nxt.text) <= 120 and looks_like_question(nxt.text)
                               and not is_label_line(nxt.text))
            if unfinished and is_label_line(nxt.text) and not nxt.text.endswith("?"):
                break
            if not (unfinished or parenthetical or second_question):
                break
            text = f"{text} {nxt.text}"
            used.append(j)
            j += 1
        return strip_markup(text), used

    def is_heading(self, i: int) -> str | None:
        it = self.items[i]
        if it.fenced or it.drop or i in self.nums or it.indent > self.q_indent:
            return None
        heading = _heading_text(it.text)
        if heading is None:
            return None
        j = self._next_content(i)
        if j is None or j not in self.nums or self.nums[j][0] != 1 or self.items[j].indent > self.q_indent:
            return None
        return heading if looks_like_question(self.question_at(j)[0]) else None

    def scan(self) -> tuple[list[Draft], int, int, int]:
        """Drafts; covered and non-empty line counts; numbered lines left unexplained."""
        drafts: list[Draft] = []
        section, current = "", None
        q_expected, step_expected = 1, None
        covered = nonblank = stray = 0
        skip: set[int] = set()
        for i, it in enumerate(self.items):
            if it.text:
                nonblank += 1
            if i in skip:
                covered += 1
                continue
            heading = None if not it.text else self.is_heading(i)
            if heading is not None:
                section, current, q_expected, step_expected = heading, None, 1, None
                covered += 1
                continue
            if i in self.nums and it.indent <= self.q_indent:
                n, rest = self.nums[i]
                question, used = self.question_at(i)
                q_cand = n == q_expected or (n == q_expected + 1 and question.endswith("?"))
                step_cand = (step_expected is not None and n == step_expected) or (
                    n == 1 and current is not None and q_expected != 1)
                if q_cand and step_cand:
                    is_q = question.endswith("?") or (not is_label_line(rest) and looks_like_question(question))
                else:
                    is_q = q_cand and looks_like_question(question)
                if is_q:
                    current = Draft(question=question, answer_lines=[], locator=it.locator,
                                    section=section, level_hint=section)
                    drafts.append(current)
                    q_expected, step_expected = n + 1, None
                    skip.update(used)
                    covered += 1
                    continue
                if step_cand:
                    step_expected = n + 1
                if current is not None and (not step_cand or question.endswith("?")):
                    stray += 1  # out of sequence, or a question-like line the numbering calls a step
            if current is not None and not it.drop:
                current.answer_lines.append(it.raw)
                covered += bool(it.text)
        for d in drafts:
            self._tidy(d)
        return drafts, covered, nonblank, stray

    @staticmethod
    def _tidy(d: Draft) -> None:
        lines = strip_blank_edges(d.answer_lines)
        indents = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
        base = min(indents, default=0)
        d.answer_lines = [x[base:] if x.strip() else "" for x in lines]
        # Key points: the answer's top-level bullets (descending a level while they are only lead-ins
        # such as "How it works:"); without bullets, its `Label: text` lines.
        bullets = [x for x in d.answer_lines if _BULLET.match(x)]
        if len(bullets) < 2:  # a lone "* item" is usually an inline list that a PDF line break split
            bullets = []
        chosen: list[str] = []
        for depth in sorted({len(x) - len(x.lstrip()) for x in bullets}):
            chosen += [x for x in bullets if len(x) - len(x.lstrip()) == depth]
            if sum(not x.rstrip().endswith(":") for x in chosen) >= 2:
                break
        if not chosen:
            chosen = _label_points(d.answer_lines)
        d.key_points = derive_key_points(chosen) or derive_key_points(d.answer_lines)


def _label_points(lines: list[str]) -> list[str]:
    """`Label: text` lines, each joined with the lines it was wrapped onto (PDF text)."""
    points: list[str] = []
    open_point = False
    for x in lines:
        text = x.strip()
        if text and is_label_line(text):
            points.append(text)
            open_point = text[-1] not in ".!?:)"
        elif open_point and text and not (_BULLET.match(x) or NUMBERED.match(x)) and len(points[-1]) < 400:
            points[-1] = f"{points[-1]} {text}"
            open_point = text[-1] not in ".!?:)"
        else:
            open_point = False
    return points


def _ends_with_heading(answer_lines: list[str]) -> bool:
    content = [x for x in answer_lines if x.strip()]
    return len(content) >= 2 and not content[-1][:1].isspace() and _heading_text(content[-1].strip()) is not None


@register
class NumberedSections:
    name = "numbered_sections"

    def fit(self, lines: list[Line]) -> float:
        drafts, covered, nonblank, stray = _Doc(lines).scan()
        if len(drafts) < 3 or not nonblank:
            return 0.0
        # a heading-like line that ends an answer is a heading this shape cannot place (a level
        # line above a topic, a topic whose numbering runs on): unexplained, like a stray number
        stray += sum(_ends_with_heading(d.answer_lines) for d in drafts)
        sequence = len(drafts) / (len(drafts) + stray)
        return round(covered / nonblank * sequence, 3)

    def parse(self, lines: list[Line]) -> list[Draft]:
        return _Doc(lines).scan()[0]
