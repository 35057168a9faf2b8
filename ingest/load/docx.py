"""Word documents (.docx, python-docx): headings give sections and levels; a paragraph set wholly in
bold, or numbered in Word's top list level, is a question when it reads as one (a '?', a task word
such as "Explain"/"Поясніть", or a `Q:` label); the paragraphs, bullets, numbered steps and tables
after it are its answer, up to the next question or heading. A heading that reads as a question is
a question too.

A numbered paragraph right after an answer's lead-in ("Steps:") or after another step is a step
of the answer. A document without any such question paragraph is rendered markdown-style (`#`
headings, `**bold**`, `1.` and `-` items) for the shape parsers. Paragraphs are located by their
1-based position in the body.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ingest.document import Entry, Line, Loaded, LoadError
from ingest.parse.questions import has_question_label, looks_like_question

_HEADING_STYLE = re.compile(r"^(?:heading|заголовок)\s*(\d)$", re.I)
_ORDERED = {"decimal", "decimalZero", "upperRoman", "lowerRoman", "upperLetter", "lowerLetter",
            "ordinal", "cardinalText", "ordinalText", "decimalEnclosedParen", "decimalEnclosedCircle"}


@dataclass
class _Para:
    text: str
    locator: str
    heading: int = 0  # 1..9 for a heading (0 for the title), -1 for none
    bold: bool = False
    list_id: str = ""  # the Word list it is an item of ("" for none)
    level: int = 0  # the list level (0: top)
    ordered: bool = False
    number: int = 0  # its number in its list, where ordered
    table: list[str] = field(default_factory=list)  # a table's rows as `| a | b |` lines


def load_docx(path: Path, data: bytes) -> Loaded:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoadError(path, "not a Word document (.docx is a zip archive; this file is not one)")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises KeyError, ValueError, lxml errors …
        raise LoadError(path, f"corrupt Word document ({type(exc).__name__}: {exc})") from exc
    paras = list(_paragraphs(document))
    if not any(p.text or p.table for p in paras):
        raise LoadError(path, "Word document has no text")
    entries = _entries(paras)
    return Loaded(entries=entries) if entries else Loaded(lines=_render(paras))


def _paragraphs(document):
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    formats = _NumberFormats(document)
    counters: dict[tuple[str, int], int] = {}
    for n, child in enumerate(document.element.body.iterchildren(), 1):
        if child.tag == qn("w:tbl"):
            rows = []
            for row in Table(child, document).rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                if any(cells):
                    rows.append("| " + " | ".join(cells) + " |")
            yield _Para("", str(n), heading=-1, table=rows)
        elif child.tag == qn("w:p"):
            p = Paragraph(child, document)
            para = _Para(p.text.strip(), str(n), heading=_heading(p), bold=_bold(p))
            num_id, level = _numbering(p)
            if num_id and num_id != "0":
                para.list_id, para.level, para.ordered = num_id, level, formats.ordered(num_id, level)
                for key in [k for k in counters if k[0] == num_id and k[1] > level]:
                    del counters[key]  # a deeper level starts again under each item
                counters[num_id, level] = counters.get((num_id, level), 0) + 1
                para.number = counters[num_id, level]
            yield para


def _heading(p) -> int:
    name = (p.style.name if p.style is not None else "") or ""
    if name.casefold() == "title":
        return 0
    m = _HEADING_STYLE.match(name.strip())
    return int(m.group(1)) if m else -1


def _bold(p) -> bool:
    runs = [r for r in p.runs if r.text.strip()]
    style_bold = bool(p.style is not None and p.style.font.bold)
    return bool(runs) and all(
        r.bold is True or (r.bold is None and (style_bold or bool(r.style is not None and r.style.font.bold)))
        for r in runs
    )


def _numbering(p) -> tuple[str, int]:
    """(list id, list level) of a list item, from the paragraph or its style (and the styles it is based on)."""
    pPr = p._p.pPr
    num_pr = pPr.numPr if pPr is not None else None
    style = p.style
    while num_pr is None and style is not None:
        spPr = style.element.pPr
        num_pr = spPr.numPr if spPr is not None else None
        style = style.base_style
    if num_pr is None or num_pr.numId is None:
        return "", 0
    level = num_pr.ilvl.val if num_pr.ilvl is not None else 0
    return str(num_pr.numId.val), int(level)


class _NumberFormats:
    """Whether a list level is numbered (1. a) i.) or bulleted, from the numbering definitions."""

    def __init__(self, document):
        try:
            self.root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            self.root = None

    def ordered(self, num_id: str, level: int) -> bool:
        if self.root is None:
            return False
        abstract = self.root.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
        if not abstract:
            return False
        fmt = self.root.xpath(f'./w:abstractNum[@w:abstractNumId="{abstract[0]}"]/w:lvl[@w:ilvl="{level}"]'
                              "/w:numFmt/@w:val")
        return bool(fmt) and fmt[0] in _ORDERED


def _answer_line(p: _Para, number: int | None = None) -> list[str]:
    """The paragraph as answer text: a list item with its bullet or number (`number`: the step's
    number within its answer)."""
    if p.table:
        return p.table
    indent = "  " * p.level
    if p.list_id:
        return [f"{indent}{number or p.number}. {p.text}" if p.ordered else f"{indent}- {p.text}"]
    return [p.text]


def _is_question(p: _Para, prev: _Para | None, prev_step: bool) -> bool:
    if not p.text or p.table:
        return False
    if has_question_label(p.text):
        return True
    if p.heading >= 0:
        return looks_like_question(p.text, strict=True)
    numbered = bool(p.list_id) and p.ordered and p.level == 0
    if numbered and not p.bold:
        after_lead_in = prev is not None and prev.text.endswith(":")
        if prev_step or after_lead_in:
            return False  # a step of the answer
    return (p.bold or numbered) and looks_like_question(p.text, strict=True)


def _section(path: list[tuple[int, str]]) -> str:
    """The heading path, without the document's title (a Title, or a lone level-1 heading above deeper ones)."""
    if path and (path[0][0] == 0 or (path[0][0] == 1 and len(path) > 1)):
        path = path[1:]
    return " / ".join(t for _, t in path)


def _entries(paras: list[_Para]) -> list[Entry]:
    entries: list[Entry] = []
    path: list[tuple[int, str]] = []
    answer: list[str] | None = None
    prev: _Para | None = None
    prev_step = False  # the previous paragraph was a numbered step of an answer
    steps = 0  # the number of the last step in the current run of steps

    def close():
        if answer is not None and entries:
            entries[-1].answer = "\n".join(answer).strip("\n")

    for p in paras:
        if not p.text and not p.table:
            if answer:
                answer.append("")
            continue
        if _is_question(p, prev, prev_step):
            close()
            entries.append(Entry(question=p.text, answer="", locator=p.locator, section=_section(path)))
            answer, prev_step = [], False
        elif p.heading >= 0:
            close()
            answer = None
            while path and path[-1][0] >= p.heading:
                path.pop()
            path.append((p.heading, p.text))
            prev_step = False
        else:
            step = answer is not None and bool(p.list_id) and p.ordered and p.level == 0
            steps = steps + 1 if step and prev_step else 1
            if answer is not None:
                answer.extend(_answer_line(p, steps if step else None))
            prev_step = step
        prev = p
    close()
    return entries


def _render(paras: list[_Para]) -> list[Line]:
    lines: list[Line] = []
    for p in paras:
        if p.table:
            lines.extend(Line(row, p.locator) for row in p.table)
        elif p.heading >= 0 and p.text:
            lines.append(Line("#" * max(p.heading, 1) + " " + p.text, p.locator))
        elif p.bold and p.text and not p.list_id:
            lines.append(Line(f"**{p.text}**", p.locator))
        else:
            lines.extend(Line(t, p.locator) for t in _answer_line(p))
    return lines
