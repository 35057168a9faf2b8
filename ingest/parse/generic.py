"""Fallback: a line that ends in '?' starts a question; so does a line that stands out (a markdown
heading, a wholly bold line, a numbered item, a `Q:` label) and reads as a question or task
("## Explain dropout", "**Поясніть, що таке L2.**", "1. Walk me through …"). The lines below are
its answer, up to the next question or a heading that is not part of it (a heading deeper than a
heading question is). A line that is only a level ("Easy", "**Senior level**", "Складні питання")
is a heading too."""

from __future__ import annotations

import re

from ingest.document import Line
from ingest.levels import level_phrase, level_tag
from ingest.parse import register
from ingest.parse.base import Draft
from ingest.parse.questions import (
    answer_label,
    has_question_label,
    is_question_label_only,
    looks_like_question,
)
from ingest.parse.text import strip_markup

_HEADING = re.compile(r"^#{1,6}\s+(.*)")
_NUMBER = re.compile(r"^(?:Q?\d+[.)]\s*)")
_WHOLLY_BOLD = re.compile(r"^(?:[-*•]\s+)?\*\*[^*].*\*\*$|^__[^_].*__$")


def _is_question(line: Line, text: str, heading: re.Match | None, body: str) -> bool:
    if len(body) >= 400 or answer_label(text):
        return False
    if level_tag(body)[0].endswith("?") or has_question_label(text):  # "What is X? (Senior)" too
        return True
    stands_out = heading is not None or bool(_WHOLLY_BOLD.match(text)) or (
        line.text[:1] not in " \t" and bool(_NUMBER.match(body)))
    return stands_out and looks_like_question(_NUMBER.sub("", body), strict=True)


@register
class Generic:
    name = "generic"

    def fit(self, lines: list[Line]) -> float:
        return 0.05  # always applicable, never preferred over a strategy that recognizes the shape

    def parse(self, lines: list[Line]) -> list[Draft]:
        drafts: list[Draft] = []
        section = ""
        open_answer = False  # lines still belong to the last question's answer
        q_depth = 7  # the question's heading level (7: not a heading): a deeper heading is part of its answer
        pending = False  # a question label stood alone: the next line is the question
        in_code = False  # inside a fenced block: no level heading there
        for line in lines:
            text = line.text.strip()
            if text.startswith(("```", "~~~")):
                in_code = not in_code
            if not text:
                if drafts and open_answer:
                    drafts[-1].answer_lines.append("")
                continue
            if is_question_label_only(text):
                pending = True  # "Question 3:" alone: the question follows
                continue
            heading = _HEADING.match(text)
            body = strip_markup(heading.group(1) if heading else text)
            depth = len(text) - len(text.lstrip("#")) if heading else 7
            if pending or _is_question(line, text, heading, body):
                drafts.append(Draft(question=_NUMBER.sub("", body), answer_lines=[],
                                    locator=line.locator, section=section, level_hint=section))
                open_answer, q_depth, pending = True, depth, False
            elif heading and not (open_answer and depth > q_depth):
                section, open_answer = body, False  # a new heading ends the answer above it
            elif (not heading and not in_code and line.text[:1] not in " \t" and body[-1:] not in ".!"
                  and level_phrase(body) and not (open_answer and drafts and not drafts[-1].answer_lines)):
                section, open_answer = body, False  # "Easy", "**Senior level**": a level heading on its own line
            elif drafts and open_answer:
                drafts[-1].answer_lines.append(text)
        return drafts
