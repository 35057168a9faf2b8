"""bank/ as a starter bank worth practising on (issue 12, item 7): parsed the way ingest parses it
(discover → load → parse, no embeddings), it holds enough questions at every level, in English and
Ukrainian, each with an answer and key points, spread over several file formats."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from bank_records import labels_left

from ingest.load import load
from ingest.parse import parse_document
from ingest.pipeline import discover
from tutor.store import Record

BANK = Path(__file__).resolve().parents[1] / "bank"

# Questions the bank asks on purpose without an answer (a quiz line the learner answers alone).
UNANSWERED = {("practice_quiz.txt", "What is the Central Limit Theorem?")}


@pytest.fixture(scope="module")
def parsed() -> dict[str, list[Record]]:
    """file name → its records, for every file ingest would pick up in bank/."""
    files, missing = discover([BANK])
    assert files and not missing
    return {f.name: parse_document(load(f)) for f in files}


@pytest.fixture(scope="module")
def records(parsed) -> list[Record]:
    return [r for recs in parsed.values() for r in recs]


def test_every_file_yields_records(parsed):
    empty = [name for name, recs in parsed.items() if not recs]
    assert not empty


def test_enough_questions_in_both_languages(records):
    langs = Counter(r.lang for r in records)
    assert len(records) >= 150, len(records)
    assert langs["uk"] >= 50, langs
    assert langs["en"] >= 50, langs


def test_every_level_is_well_represented(records):
    levels = Counter(r.level for r in records)
    for level in ("junior", "middle", "senior"):
        assert levels[level] >= 20, levels


def test_every_record_has_an_answer_and_key_points(records):
    lacking = [(r.source, r.question) for r in records
               if (not r.answer.strip() or len(r.key_points) < 2) and (r.source, r.question) not in UNANSWERED]
    assert not lacking


def test_no_question_or_answer_label_is_left(records):
    left = [(r.source, r.question, labels_left(r)) for r in records if labels_left(r)]
    assert not left


def test_no_duplicate_questions(records):
    counts = Counter(" ".join(r.question.casefold().split()) for r in records)
    assert not [q for q, n in counts.items() if n > 1]


def test_several_file_formats(parsed):
    formats = {Path(name).suffix.lower() for name, recs in parsed.items() if recs}
    assert len(formats) >= 4, formats
