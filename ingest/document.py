"""The shape every loader produces and every parser consumes: text lines with their locators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Line:
    text: str
    locator: str  # "12" (line number) or "p3" (PDF page)


@dataclass
class Document:
    name: str  # basename of the source file
    kind: str  # txt | md | html | pdf
    lines: list[Line] = field(default_factory=list)

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
