"""Text repair and boilerplate removal, by general rules that hold for any web export."""

from __future__ import annotations

import re

import ftfy

from ingest.document import Line


def fix_text(text: str) -> str:
    """Repair mojibake where it can be repaired."""
    return ftfy.fix_text(text)


def clean_lines(lines: list[Line]) -> list[Line]:
    out = []
    for line in lines:
        text = fix_text(line.text).rstrip()
        out.append(Line(re.sub(r"[\u200b\ufeff]", "", text), line.locator))
    return out
