"""The shape of a chat reply: a direct answer, then at most a few points; nothing unsupported, said
twice, or empty.

ReplyLayout sees a reply one complete, attributed sentence at a time (tutor.citations.CitingStream
hands them over as they stream) and decides whether each is shown and how it is laid out:

- a sentence no source supports is left out (`dropped`), and so is filler: a sentence of several
  words with too few content words to judge ("The source of this information is.");
- a sentence whose content words are mostly those of one already shown says it again, and so does
  one that says an 8-word run (ANSWERING.repeat_ngram) for the third time (`restated`);
- the direct answer is the reply's first sentence, or its first two when the first is short; a
  reply that opens with a list takes its first item as the answer. After it, a reply the model wrote
  as one paragraph gets one list item per sentence, and list items past max_points are left out
  (`extra_points`) with the rest of their line. A numbered list loses its numbers (items left out
  would leave gaps);
- a lead-in line ("The steps:") is shown only together with the next sentence that is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from tutor.citations import Sentence, content_words
from tutor.repetition import runs as ngram_runs
from tutor.tuning import ANSWERING, CITATIONS

# A sentence this long with too few content words to judge is filler; a shorter one ("Yes.") is kept.
FILLER_WORDS = 4

_POINT = re.compile(r"\s*(?:[-*•–]|\d{1,2}[.)])\s+")
_MARKER = re.compile(r"^(\s*)(?:[-*•–]\s*)?(?:\d{1,2}[.)]\s+)?")
_NUMBER = re.compile(r"^(\s*)(?:[-*•–]\s*)?\d{1,2}[.)]\s+")


def is_point(body: str) -> bool:
    """Whether a line of a reply is a list item ("- …", "* …", "1. …")."""
    return bool(_POINT.match(body.lstrip("\n")))


def restates(words: set[str], earlier: list[set[str]]) -> bool:
    """Whether a sentence's content words are mostly those of one sentence already shown."""
    return bool(words) and any(len(words & e) >= CITATIONS.restated * len(words) for e in earlier)


@dataclass
class ReplyLayout:
    max_points: int = ANSWERING.max_points
    lead_words: int = ANSWERING.lead_words
    dropped: list[Sentence] = field(default_factory=list)  # unsupported or filler, left out
    restated: list[Sentence] = field(default_factory=list)  # said again in other words, left out
    extra_points: list[Sentence] = field(default_factory=list)  # past max_points, left out
    points: int = 0
    _seen: int = 0  # sentences placed so far, shown or not
    _said: list[set[str]] = field(default_factory=list)  # content words of each sentence shown
    _runs: Counter = field(default_factory=Counter)  # n-word runs shown, how often
    _lead: list[int] = field(default_factory=list)  # word counts of the direct answer's sentences
    _listing: bool = False  # the direct answer is complete: what follows is the list
    _lead_in: str = ""  # a held "…:" line
    _line: str | None = None  # "skip" (the rest of a line left out) or the line start a dropped sentence left

    def place(self, sentence: Sentence, body: str) -> str | None:
        """The text to show for a complete sentence (body: its display text, with the whitespace
        before it), or None to leave it out."""
        starts_line = not self._seen or body.lstrip(" \t\r").startswith("\n")
        self._seen += 1
        if not starts_line and self._line == "skip":  # the rest of a line that was left out
            self.extra_points.append(sentence)
            return None
        if not starts_line and self._line:  # the line's first sentence was dropped: this one opens it
            body, starts_line = self._line + body.lstrip(), True
        self._line = None
        point = starts_line and is_point(body)
        if point and self.points >= self.max_points:
            self.extra_points.append(sentence)
            self._line = "skip"
            return None
        said = set(content_words(sentence.text))
        runs = ngram_runs(sentence.text)
        if not sentence.trivial and (restates(said, self._said) or any(
                self._runs[run] + n >= ANSWERING.repeat_loop for run, n in runs.items())):
            self.restated.append(sentence)
            self._line = "skip" if point else self._line
            return None
        if sentence.trivial and body.rstrip().endswith(":"):
            self._lead_in += body
            return None
        if sentence.trivial and len(body.split()) >= FILLER_WORDS or not sentence.supported:
            self.dropped.append(sentence)
            if starts_line:  # the line's next kept sentence starts the line in its place
                marker = _POINT.match(body.lstrip("\n"))
                self._line = body[: len(body) - len(body.lstrip())] + (marker.group(0).lstrip() if marker else "")
            return None
        if not sentence.trivial:
            body, point = self._shape(body, point)
            if body is None:
                self.extra_points.append(sentence)
                return None
        if self._lead_in:
            body, self._lead_in = self._lead_in + (body if body[:1].isspace() else " " + body), ""
        self.points += point
        self._said.append(said)
        self._runs.update(runs)
        return body

    def _shape(self, body: str, point: bool) -> tuple[str | None, bool]:
        if point and not self._lead and not self._listing and not self._lead_in:
            self._lead.append(len(body.split()))  # a reply that opens with a list
            self._listing = True
            return _MARKER.sub(r"\1", body, count=1), False
        if point:
            self._listing = True
            return _NUMBER.sub(r"\1- ", body, count=1), True
        if self._listing:
            if self.points >= self.max_points:
                return None, False
            return ("\n\n- " if not self.points else "\n- ") + body.strip(), True
        self._lead.append(len(body.split()))
        self._listing = len(self._lead) >= 2 or sum(self._lead) >= self.lead_words
        return body, False
