"""Stop a model that starts repeating itself, before the copy reaches the reader.

Small local models fall into loops: the same sentence again and again until the token limit. The
guard sits between a backend's token stream and the display, for every backend. Text passes through
as it arrives, except a sentence that so far is word for word a stretch of what was already said:
that is held back until it either says something new (then it is released) or ends as a copy (then
it is dropped and the caller stops the model). A sentence that runs on without an end and starts
looping inside itself ("and the model and the model …") is stopped and left out.
"""

from __future__ import annotations

import re
from collections import Counter

from tutor.citations import OPEN_CITE_TAIL, split_sentence, strip_citations
from tutor.tuning import ANSWERING

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Casefolded words without citation markers: what two copies of a sentence have in common."""
    tail = OPEN_CITE_TAIL.search(text)  # a marker still being written ("… predictions [1")
    return _WORD.findall(strip_citations(text[: tail.start()] if tail else text).casefold())


def runs(text: str, n: int = ANSWERING.repeat_ngram) -> Counter:
    """How often each n-word run occurs in the text."""
    ws = words(text)
    return Counter(tuple(ws[i : i + n]) for i in range(len(ws) - n + 1))


def _contains(haystack: list[str], needle: list[str], open_end: bool = False) -> bool:
    """Whether needle runs word for word through haystack; open_end: its last word may still grow."""
    if not needle or len(needle) > len(haystack):
        return False
    return f" {' '.join(needle)}{'' if open_end else ' '}" in f" {' '.join(haystack)} "


class RepetitionGuard:
    """feed(piece) → the text that may be shown now; `stopped` once a copy was found (stop the model);
    finish() → what is still held and is not a copy; `dropped` lists the copies left out."""

    def __init__(self, ngram: int = ANSWERING.repeat_ngram):
        self.ngram = ngram
        self.said: list[str] = []  # words of every completed sentence passed on, in order
        self.current = ""  # the current (unfinished) sentence
        self.released = 0  # characters of it already passed on
        self.stopped = False
        self.dropped: list[str] = []

    def _repeats_so_far(self, text: str) -> bool:
        current = words(text)
        tail = OPEN_CITE_TAIL.search(text)
        open_end = not tail and bool(re.search(r"\w$", text))
        return bool(current) and _contains(self.said, current, open_end=open_end)

    def feed(self, piece: str) -> str:
        if self.stopped:
            return ""
        self.current += piece
        out = ""
        while (split := split_sentence(self.current)) is not None:
            sentence, rest = split
            if self._is_copy(sentence):
                self._stop(sentence)
                return out
            out += sentence[self.released:]
            self.said += words(sentence)
            self.current, self.released = rest, max(0, self.released - len(sentence))
        if self._runaway():
            return out
        if not self._repeats_so_far(self.current):
            out += self.current[self.released:]
            self.released = len(self.current)
        return out

    def finish(self) -> str:
        """The end of the stream: the held rest, unless it is a copy."""
        if self.stopped or not self.current.strip():
            return ""
        if self._is_copy(self.current):
            self._stop(self.current)
            return ""
        out = self.current[self.released:]
        self.said += words(self.current)
        self.current, self.released = "", 0
        return out

    def _is_copy(self, sentence: str) -> bool:
        # Short ones ("Yes.", "For example:") may well come twice; a copy of a real sentence may not.
        current = words(sentence)
        return len(current) >= ANSWERING.repeat_min_words and _contains(self.said, current)

    def _stop(self, copy: str) -> None:
        self.dropped.append(copy.strip())
        self.stopped = True
        self.current, self.released = "", 0

    def _runaway(self) -> bool:
        """A sentence that says one n-gram of its own a third time is looping (twice is a parallel
        construction: "bagging is an ensemble technique that …, while boosting is an ensemble
        technique that …"): stop it."""
        if any(n >= ANSWERING.repeat_loop for n in runs(self.current, self.ngram).values()):
            self.dropped.append(self.current[self.released:].strip())
            self.stopped = True
            return True
        return False
