"""Questions and answers marked by labels: `Q:` / `A:`, `Question 3:` / `Answer:`, `Питання 1.` /
`Відповідь:` (bold or not, numbered or not).

    ## Junior                               <- heading: the section (and the level)
    **Q:** What is overfitting?            <- a question label starts a question
    **A:** The model learns the noise …    <- an answer label starts its answer; the lines
    It then fails on new data.                below it belong to the answer too
    Question 2:                            <- a label alone: the question is on the next line
    Explain dropout.
    Answer: …

The shape is a document whose questions mostly have a labelled answer; an answer runs until the
next question label or heading. Lines between a question and its answer label continue the
question. (The labels themselves are removed from every record when drafts become records.)
"""

from __future__ import annotations

from ingest.document import Line
from ingest.parse import register
from ingest.parse.base import Draft
from ingest.parse.questions import answer_label, has_question_label, is_question_label_only
from ingest.parse.text import markdown_heading, strip_blank_edges


def _section(path: list[tuple[int, str]]) -> str:
    """The heading path, without the document's title (a lone `#` heading above deeper ones)."""
    if len(path) > 1 and path[0][0] == 1:
        path = path[1:]
    return " / ".join(t for _, t in path)


def _level(text: str) -> int:
    return len(text) - len(text.lstrip("#"))


@register
class QALabels:
    name = "qa_labels"

    def _scan(self, lines: list[Line]) -> tuple[list[Draft], int, int, int]:
        """Drafts; how many of them have a labelled answer; covered and non-empty line counts."""
        drafts: list[Draft] = []
        path: list[tuple[int, str]] = []
        current: Draft | None = None
        answering = pending = False  # in the answer; a label alone waits for its question
        labelled = covered = nonblank = 0
        for line in lines:
            text = line.text.strip()
            if not text:
                if current is not None and answering:
                    current.answer_lines.append("")
                continue
            nonblank += 1
            heading = markdown_heading(text)
            if is_question_label_only(text):
                pending, current = True, None
                covered += 1
            elif pending or has_question_label(text):
                current = Draft(question=text, answer_lines=[], locator=line.locator, section=_section(path),
                                level_hint=_section(path))
                drafts.append(current)
                pending = answering = False
                covered += 1
            elif heading is not None:
                if heading:
                    while path and path[-1][0] >= _level(text):
                        path.pop()
                    path.append((_level(text), heading))
                current, answering = None, False
                covered += 1
            elif current is not None:
                if answer_label(text) and not answering:
                    answering = True
                    labelled += 1
                    current.answer_lines.append(text)
                elif answering or current.question.rstrip(" *").endswith(("?", ".", "!", ")")):
                    answering = True
                    current.answer_lines.append(text)
                else:
                    current.question = f"{current.question} {text}"  # the question runs on
                covered += 1
        for d in drafts:
            d.answer_lines = strip_blank_edges(d.answer_lines)
        return drafts, labelled, covered, nonblank

    def fit(self, lines: list[Line]) -> float:
        drafts, labelled, covered, nonblank = self._scan(lines)
        if len(drafts) < 2 or labelled < 0.5 * len(drafts) or not nonblank:
            return 0.0
        return round(covered / nonblank, 3)

    def parse(self, lines: list[Line]) -> list[Draft]:
        return self._scan(lines)[0]
