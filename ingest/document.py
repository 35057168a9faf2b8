"""The shape every loader produces and every parser consumes: text lines with their locators, and
the question/answer pairs a file's own structure states (entries)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Line:
    text: str
    locator: str  # "12" (line number) or "p3" (PDF page)


@dataclass
class Entry:
    """A question paired with its answer by the file's structure (a CSV row, a JSON object, an Anki
    note, an HTML <details> or <dt>/<dd>, a Word question paragraph): taken as it stands, no line
    heuristics. Texts are plain text (HTML already rendered); the answer keeps its line breaks."""

    question: str
    answer: str
    locator: str
    section: str = ""
    level: str = ""  # the source's own word for the level ("hard", "Junior"); empty: the section's
    tags: list[str] = field(default_factory=list)
    key_points: list[str] = field(default_factory=list)  # empty: derived from the answer


@dataclass
class Loaded:
    """What a loader read from a file: the lines the shape parsers read, and the entries its
    structure pairs (a part of the file that an entry holds is not among the lines)."""

    lines: list[Line] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Document:
    name: str  # basename of the source file
    kind: str  # txt | md | html | pdf | csv | tsv | json | jsonl | anki | docx
    lines: list[Line] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    encoding: str = ""  # how the text was decoded ("utf-8", "windows-1251"); "" for binary formats

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


def numbered_lines(texts: Iterable[str]) -> list[Line]:
    """Lines located by their 1-based line number (a text file's lines, rendered HTML)."""
    return [Line(t, str(i)) for i, t in enumerate(texts, 1)]


class LoadError(Exception):
    """A file that cannot be turned into text: the message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")
