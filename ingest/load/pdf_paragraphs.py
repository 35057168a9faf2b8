"""Re-join the lines a PDF renderer wrapped inside one paragraph (also across page breaks).

A line break is a wrap when the next line's first word would not have fitted on the line, judged
from glyph widths and the document's own full line width; a hard break (a finished sentence, then
a bullet, a number, a heading or a `Label:`) stays a break.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from ingest.document import Line


@dataclass
class PdfLine:
    """One text line of a PDF page with what its position and font say about it."""

    text: str
    page: int  # 1-based
    x: float
    y: float
    size: float
    font: str
    gap: float = 0.0  # vertical distance to the previous line on the same page (0: first on page)

    @property
    def bold(self) -> bool:
        return bool(re.search(r"bold|black|heavy|semibold", self.font, re.I))

    @property
    def mono(self) -> bool:
        return bool(re.search(r"mono|courier|code|consol", self.font, re.I))


# glyph widths (1/1000 em) of a common sans serif (Helvetica metrics) for ASCII; other scripts get an
# average. Only relative widths matter: the full line width is measured on the document itself.
_ASCII_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778,
    722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278,
    278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]

_ITEM_START = re.compile(
    r"^(?:[-*+•▪◦●▼►✓✔]\s|\d{1,3}[.)]\s|[a-zA-Z][.)]\s|#{1,6}\s|\|"  # bullets, numbers, headings, tables
    r"|```|>\s|Q\d+[.:]"
    r"|[A-ZА-ЯІЇЄҐ][\w/&()'’ .,-]{0,40}:(?:\s|$))"  # "Label: text"
)
_LABEL_ONLY = re.compile(r"^[^:\s]+(?:\s[^:\s]+)?:$")
# a line that ends like this may end its paragraph (closing quotes/brackets/bold after the stop too)
_LINE_END = re.compile(r"[.!?:;…)»\"”*]$")
_HYPHEN_SPLIT = re.compile(r"(?<=[a-zа-яіїєґ])-$")


def _width(text: str) -> float:
    w = 0
    for ch in text:
        o = ord(ch)
        if 32 <= o < 127:
            w += _ASCII_WIDTHS[o - 32]
        elif ch.isupper():
            w += 720
        elif ch.isalpha():
            w += 560
        else:
            w += 600
    return w / 1000


@dataclass
class _Measures:
    """What the whole document says about its layout."""

    pitch: float  # the usual distance between two lines of one paragraph
    full: dict[float, float] = field(default_factory=dict)  # font size → right edge of a full line
    vocabulary: set[str] = field(default_factory=set)  # words seen whole: tells a split word from a compound


def _measure(plines: list[PdfLine]) -> _Measures:
    gaps = [pl.gap for pl in plines if 0 < pl.gap < 3 * max(pl.size, 1)]
    measures = _Measures(pitch=statistics.median(gaps) if gaps else 0.0)
    widths_by_size: dict[float, list[float]] = {}
    for pl in plines:
        if not pl.mono:
            widths_by_size.setdefault(round(pl.size), []).append(pl.x + _width(pl.text) * pl.size)
    for size, widths in widths_by_size.items():
        widths.sort()
        measures.full[size] = widths[int(0.98 * (len(widths) - 1))]
    measures.vocabulary = {w.casefold() for pl in plines for w in re.findall(r"\w{3,}", pl.text)}
    return measures


def _wrapped(prev: PdfLine, pl: PdfLine, full: dict[float, float]) -> bool:
    """Did the renderer break `prev` only because `pl`'s first word no longer fitted?"""
    right = prev.x + _width(prev.text) * prev.size
    limit = full.get(round(prev.size), right)
    span = max(limit - prev.x, 1.0)
    first_word = pl.text.split(" ", 1)[0]
    slack = (limit - right) - _width(" " + first_word) * pl.size  # > 0: the word would have fitted
    ends_sentence = bool(_LINE_END.search(prev.text))
    starts_item = bool(_ITEM_START.match(pl.text))
    if starts_item and _LABEL_ONLY.match(pl.text) and not ends_sentence:
        starts_item = False  # "Coding / Interview:": the tail of a sentence, not a new label
    if prev.text.count("(") > prev.text.count(")"):  # an open parenthesis continues on the next line
        ends_sentence = starts_item = False
    if prev.bold and pl.bold and not ends_sentence:  # a wrapped heading or bold question
        return slack < 0.25 * span
    if slack > 0.035 * span:  # clearly had room: a real line break
        return False
    # (nearly) full: wrapped, unless the next line starts a new item after a finished sentence
    # (a hard break that happens to fall where the line is full anyway)
    return not (starts_item and (ends_sentence or slack > -0.015 * span))


def _may_join(prev: PdfLine, pl: PdfLine) -> bool:
    """Same style and column, neither code: the two lines could be one wrapped paragraph."""
    same_style = prev.bold == pl.bold and abs(prev.size - pl.size) < 0.6 \
        and abs(prev.x - pl.x) < 0.5 * max(pl.size, 1)
    return same_style and not pl.mono and not prev.mono and not pl.text.startswith("```")


def _append_wrapped(text: str, prev: PdfLine, pl: PdfLine, vocabulary: set[str]) -> str:
    """The paragraph `text` (ending in `prev`) continued by the wrapped line `pl`."""
    if _HYPHEN_SPLIT.search(text) and pl.text[:1].islower():
        head = re.search(r"(\w+)-$", text).group(1)
        tail = re.match(r"\w+", pl.text)
        if tail and (head + tail.group()).casefold() in vocabulary:
            return text[:-1] + pl.text  # a word the renderer split with a hyphen
        return text + pl.text  # a real compound ("real-time") that wrapped at its hyphen
    if " " not in prev.text.strip() and len(prev.text) > 30:
        return text + pl.text  # one overlong token (a URL) broken by the renderer
    return text + " " + pl.text


def _finish(out: list[Line], text: str, page: int) -> None:
    if text:
        out.append(Line(text, f"p{page}"))


def join_wrapped(plines: list[PdfLine]) -> list[Line]:
    """One Line per paragraph (located by the page it starts on); a blank Line between paragraphs
    that the layout sets apart (a larger gap, a change between bold and regular)."""
    if not plines:
        return []
    measures = _measure(plines)
    pitch = measures.pitch
    out: list[Line] = []
    text, page = plines[0].text, plines[0].page
    fence = text.startswith("```")
    for prev, pl in zip(plines, plines[1:], strict=False):
        new_para = bool(pitch) and pl.page == prev.page and pl.gap > 1.25 * pitch
        if not new_para and not fence and _may_join(prev, pl) and _wrapped(prev, pl, measures.full):
            text = _append_wrapped(text, prev, pl, measures.vocabulary)
            continue
        _finish(out, text, page)
        if pl.text.startswith("```"):
            fence = not fence
        if new_para or (pl.page == prev.page and pitch and pl.gap > 1.1 * pitch) or prev.bold != pl.bold:
            out.append(Line("", f"p{pl.page}"))
        text, page = pl.text, pl.page
    _finish(out, text, page)
    return out
