"""Fallback: any line that ends in '?' (or a markdown heading that does) starts a question."""

from __future__ import annotations

import re

from ingest.document import Line
from ingest.parse import register
from ingest.parse.base import Draft
from ingest.parse.text import strip_markup

_HEADING = re.compile(r"^#{1,6}\s+(.*)")


@register
class Generic:
    name = "generic"

    def fit(self, lines: list[Line]) -> float:
        return 0.05  # always applicable, never preferred over a strategy that recognizes the shape

    def parse(self, lines: list[Line]) -> list[Draft]:
        drafts: list[Draft] = []
        section = ""
        for line in lines:
            text = line.text.strip()
            if not text:
                if drafts:
                    drafts[-1].answer_lines.append("")
                continue
            heading = _HEADING.match(text)
            body = strip_markup(heading.group(1) if heading else text)
            if body.endswith("?") and len(body) < 400:
                drafts.append(Draft(question=re.sub(r"^(?:Q?\d+[.)]\s*)", "", body), answer_lines=[],
                                    locator=line.locator, section=section, level_hint=section))
            elif heading:
                section = body
            elif drafts:
                drafts[-1].answer_lines.append(text)
        return drafts
