"""The rubric of a record (the points an answer should cover) and the sentence splitter grading uses.

Points come in the reference's own words: the record's key points, or, when it has fewer than two,
the sentences of its reference answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.claims import looks_like_code
from tutor.lexical import stems
from tutor.store import Record
from tutor.tuning import GRADING

# Rubric size and the lead sentences that join signal-only key points: tutor/tuning.py says why.
MAX_POINTS = GRADING.max_points
LEAD_POINTS = GRADING.lead_points
LEAD_COVERED = GRADING.lead_covered
DERIVED_REDUNDANT = GRADING.derived_redundant

BULLET = re.compile(r"^\s*(?:[-•*·–—▪●◦]+|\(?\d{1,2}[.)]|\(?[a-zа-я][.)])\s+", re.IGNORECASE)
# A sentence starts with a capital or a digit, or with a lower-case term such as "t-SNE" or "k-means".
_SENT_SPLIT = re.compile(r"(?<=[.!?;])\s+(?=[\"'«(\[]?[A-ZА-ЯІЇЄҐ0-9]|[a-z]-[A-Za-z])")
_MIN_UNIT = 24  # characters: shorter fragments ("Types:") are glued to the next sentence


def split_sentences(text: str, max_chars: int = 320) -> list[str]:
    """Sentences and bullet items of a text, bullets stripped; long ones cut at clause breaks."""
    out: list[str] = []
    pending = ""
    for raw in (text or "").splitlines():
        line = BULLET.sub("", raw).strip()
        if not line:
            continue
        for piece in _SENT_SPLIT.split(line):
            piece = piece.strip()
            if not piece:
                continue
            if pending:
                piece = f"{pending} {piece}"
                pending = ""
            if len(piece) < _MIN_UNIT and not re.search(r"[.!?]$", piece):
                pending = piece
                continue
            out.extend(_cut(piece, max_chars))
    if pending:
        if out and len(pending) < _MIN_UNIT:
            out[-1] = f"{out[-1]} {pending}"
        else:
            out.append(pending)
    return out


_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^[\s|:\-]+$")


@dataclass(frozen=True)
class TableFact:
    """One cell of a Markdown table with the names of its column and row."""

    column: str
    row: str
    cell: str

    @property
    def text(self) -> str:
        return f"{self.column} {self.row}: {self.cell}."


def split_tables(text: str) -> tuple[str, list[TableFact]]:
    """The text without its Markdown tables, and each table cell as a sentence that names its row and
    column ("BERT Architecture: Encoder-only."). A table row read as a sentence ("| Architecture |
    Encoder-only | Decoder-only |") has lost which column says what, and a wrong answer often swaps
    exactly the columns of a comparison."""
    kept: list[str] = []
    facts: list[TableFact] = []
    header: list[str] | None = None
    for line in (text or "").splitlines():
        if not _TABLE_ROW.match(line):
            header = None
            kept.append(line)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if _TABLE_RULE.match(line):
            continue
        if header is None:
            header = cells
            continue
        label = cells[0]
        for name, cell in zip(header[1:], cells[1:], strict=False):
            if cell and name and not _TABLE_RULE.match(cell):
                facts.append(TableFact(name, label, cell))
    return "\n".join(kept), facts


def _cut(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    parts, current = [], ""
    for clause in re.split(r"(?<=[,;:])\s+", sentence):
        if current and len(current) + len(clause) + 1 > max_chars:
            parts.append(current)
            current = clause
        else:
            current = f"{current} {clause}".strip()
    if current:
        parts.append(current)
    return parts


def _prose(text: str) -> str:
    """The text without its tables (a table row is no sentence), or the text when it is all table."""
    prose = split_tables(text)[0]
    return prose if prose.strip() else text


def rubric(record: Record, max_points: int = MAX_POINTS) -> list[str]:
    """The points an answer should cover, in the reference's own words."""
    points: list[str] = []
    seen: set[str] = set()
    for kp in record.key_points:
        kp = BULLET.sub("", kp).strip()
        key = kp.casefold()
        if len(kp) >= 3 and key not in seen:
            seen.add(key)
            points.append(kp)
    if len(points) < 2:
        # Few or no key points: the answer's sentences are the rubric (skipping ones already there).
        # ingest/parse/key_points.py derived the record's key_points where the bank's shape allowed;
        # this is the grader's fallback for records it could not, not a second deriver of the bank.
        have = stems(" ".join(points))
        for sentence in split_sentences(_prose(record.answer)):
            s = stems(sentence)
            if len(s) < 3 or (s and len(s & have) / len(s) > DERIVED_REDUNDANT):
                continue
            points.append(sentence)
            have |= s
        return points[:max_points]
    points = points[:max_points]
    have = stems(" ".join(points))
    leads = 0
    for sentence in split_sentences(_prose(record.answer))[:3]:
        s = stems(sentence)
        if leads >= LEAD_POINTS or len(s) < 4 or looks_like_code(sentence):
            continue
        if len(s & have) / len(s) <= LEAD_COVERED:
            points.append(sentence)
            have |= s
            leads += 1
    return points
