"""Text helpers every parser shares: markup stripping, sentence splitting, blank edges, headings, list items."""

from __future__ import annotations

import functools
import re

_MD_HEADING = re.compile(r"^\s*#{1,6}\s+(?P<h>\S.*)$")
# a list item: a bullet or "1." / "1)", then some text
LIST_ITEM = re.compile(r"^\s*(?:[-*+•▪◦●]|\d+[.)])\s+(?P<text>.*\S)")


def strip_markup(text: str) -> str:
    """Drop markdown emphasis and list bullets, collapse whitespace."""
    text = re.sub(r"^\s*(?:[-*+•▪◦●]|▼)\s+", "", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w\\])\*(?=\S)|(?<=\S)\*(?![\w])", "", text)
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def _boundary(ends: str, closers: str, before_capital: bool) -> re.Pattern[str]:
    closing = f"[{re.escape(closers)}]*" if closers else ""
    capital = "(?=[A-ZА-ЯІЇЄҐ])" if before_capital else ""
    return re.compile(f"(?<=[{re.escape(ends)}]){closing}(?P<gap>\\s+){capital}")


def split_sentences(text: str, ends: str = ".!?", closers: str = "", before_capital: bool = False) -> list[str]:
    """`text` cut into sentences at the white space after a character of `ends`.

    The pieces are exactly what lies between the cuts (as `re.split` gives them: nothing stripped,
    an empty text is one empty piece). closers: quotes or brackets that may follow the stop and stay
    with its sentence (`He said "stop."`). before_capital: cut only where a capital letter follows,
    for text whose line breaks were joined with spaces ("e.g. the", "approx. 3" stay whole).
    """
    pieces, start = [], 0
    for m in _boundary(ends, closers, before_capital).finditer(text):
        pieces.append(text[start:m.start("gap")])
        start = m.end()
    pieces.append(text[start:])
    return pieces


def strip_blank_edges(lines: list[str]) -> list[str]:
    """The lines without the blank ones at the start and at the end."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def markdown_heading(text: str) -> str | None:
    """The title of a markdown heading line ('' if markup is all it holds); None for any other line."""
    m = _MD_HEADING.match(text)
    return strip_markup(m.group("h")).strip("# ").strip() if m else None
