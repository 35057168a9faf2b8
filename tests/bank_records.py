"""Helpers for the fixture banks under tests/fixtures/banks/: load → clean → parse (no embeddings),
and the exact-records assertion every format and shape test makes."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.load import load
from ingest.parse import parse_document
from tutor.store import Record

BANKS = Path(__file__).resolve().parent / "fixtures" / "banks"

# A question/answer label left at the start of a text or of one of its lines ("Q:", "**A:**",
# "Question 3:", "Answer.", "Питання 1.", "Відповідь:"), or an answer label inside a question.
LEFT_LABEL = re.compile(
    r"(?im)^\s*(?:[-*]\s+)?(?:\*\*)?\s*(?:q|a|ans|question|answer|питання|запитання|відповідь)\s*(?:№\s*)?\d*\s*"
    r"(?:\*\*)?\s*[:.)]"
)
INLINE_ANSWER = re.compile(r"(?i)[?.]\s+(?:\*\*)?(?:a|answer|відповідь)\s*(?:\*\*)?\s*:")


def parse_bank(name: str) -> list[Record]:
    return parse_document(load(BANKS / name))


def labels_left(record: Record) -> list[str]:
    """The labels that survived into the record's question or answer text."""
    left = [m.group() for m in LEFT_LABEL.finditer(record.question)]
    left += [m.group() for m in INLINE_ANSWER.finditer(record.question)]
    left += [m.group() for m in LEFT_LABEL.finditer(record.answer)]
    return left


def assert_records(records: list[Record], expected: list[tuple[str, str, str, str]]) -> None:
    """Exactly these records, in order: (question, how the answer starts, level, language); every
    question found, nothing extra, no label left in any of them."""
    assert [r.question for r in records] == [q for q, _, _, _ in expected]
    for r, (question, answer_start, level, lang) in zip(records, expected, strict=True):
        assert r.answer.startswith(answer_start), (question, r.answer)
        assert bool(r.answer) == bool(answer_start), (question, r.answer)
        assert (r.level, r.lang) == (level, lang), question
        assert not labels_left(r), (question, labels_left(r))
