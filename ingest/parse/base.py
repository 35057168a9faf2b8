"""What a parsing strategy is: it scores how well it recognizes a document and turns it into drafts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ingest.document import Line


@dataclass
class Draft:
    """One interview question as a strategy found it, before it becomes a Record."""

    question: str
    answer_lines: list[str]
    locator: str
    section: str = ""
    level_hint: str = ""  # the source's own word for the level ("Beginner", "Medium", "Junior")
    key_points: list[str] = field(default_factory=list)  # empty: derived from the answer later
    tags: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    exact: bool = False  # plain text as the file states it (an entry): no markdown to strip


class Strategy(Protocol):
    name: str

    def fit(self, lines: list[Line]) -> float:
        """0..1: how much of the document this strategy recognizes. The best fit parses it."""
        ...

    def parse(self, lines: list[Line]) -> list[Draft]: ...
