"""The titled-entries strategy: "<Title> - <Companies> Interview Question" + "Difficulty: … | Tags: …"."""

from __future__ import annotations

import pytest
from conftest import SEEDS, seed_path

from eval.gold import match_inventory
from ingest.clean import clean_lines
from ingest.document import Document, Line, numbered_lines
from ingest.load import load
from ingest.parse import best_strategy, finalize, parse_document
from ingest.parse.titled_entries import TitledEntries

SYNTHETIC = """\
Data Science Question Bank
A short collection of practice questions.
Core Questions
Practice these before the onsite.
What is Label Smoothing? - Acme, Globex Interview Question
Difficulty: \U0001f7e2 Easy | Tags: Regularization, Classification | Asked by: Acme, Initech
View Answer
Label smoothing replaces one-hot targets with a mix of the target and a uniform distribution.
| Epsilon | Effect |
|---|---|
| 0.1 | mild |
import torch.nn as nn
loss = nn.CrossEntropyLoss(label_smoothing=0.1)
Interviewer's Insight
What they're really testing: calibration intuition.
Strong answer signals:
- Mentions overconfident predictions
- "Reduces the gap between logits"
Feature Hashing - Hooli Interview Question
Difficulty: \U0001f534 Hard | Tags: Feature Engineering | Asked by: Hooli, Acme
Question: How does the hashing trick encode high-cardinality categorical features?
View Answer
Each category is hashed into one of a fixed number of buckets; collisions are tolerated.
Questions asked in Acme interview
- What is Label Smoothing?
- Feature Hashing
Note: The practice links are curated from public sources.
"""


def _lines(text: str) -> list[Line]:
    return numbered_lines(text.splitlines())


@pytest.fixture(scope="module")
def seed_records():
    return parse_document(load(seed_path("002")))


@pytest.fixture(scope="module")
def seed_drafts():
    return TitledEntries().parse(clean_lines(load(seed_path("002")).lines))


@pytest.fixture(scope="module")
def inventory_002(inventory):
    return [i for i in inventory if i["source"] == seed_path("002").name]


def test_wins_on_002_only():
    for seed in sorted(SEEDS.iterdir()):
        lines = clean_lines(load(seed).lines)
        fit = TitledEntries().fit(lines)
        if seed.name.startswith("002"):
            assert fit >= 0.9
            assert best_strategy(lines)[0].name == "titled_entries"
        else:
            assert fit == 0.0, seed.name


def test_finds_the_inventory_questions_with_levels_and_sections(seed_records, inventory_002):
    assert len(inventory_002) == 95
    m = match_inventory(inventory_002, seed_records)
    found = [i for i in inventory_002 if m[i["id"]]]
    assert len(found) >= 0.99 * len(inventory_002)
    by_id = {r.id: r for r in seed_records}
    for item in found:
        record = by_id[m[item["id"]]]
        assert record.level == item["level"], item["id"]
        assert record.section == item["section"], item["id"]
        assert bool(record.answer) == item["has_answer"], item["id"]


def test_question_line_wins_over_title(seed_records):
    questions = {r.question for r in seed_records}
    assert any(q.startswith("What is Explainable AI (XAI) and why is it important?") for q in questions)
    assert "Explainable AI (XAI)" not in questions


def test_listings_index_table_and_trailer_are_no_answer(seed_records):
    for r in seed_records:
        for text in (r.question, r.answer, *r.key_points):
            assert "Questions asked in" not in text
            assert "| 13 | k-Nearest" not in text
            assert "The practice links" not in text
            assert "View Answer" not in text
            assert "Strong answer signals" not in text
        assert len(r.answer) < 20000


def test_strong_answer_signals_become_key_points(seed_drafts, seed_records):
    assert all(d.key_points for d in seed_drafts)
    first = seed_records[0]
    assert first.question.startswith("What is the Bias-Variance Tradeoff")
    assert first.key_points[0] == "Can draw the classic U-shaped curve from memory"
    assert not any(p.startswith(("-", '"')) for r in seed_records for p in r.key_points)
    assert "Can draw the classic U-shaped curve" not in first.answer


def test_tags_and_companies(seed_records):
    first = seed_records[0]
    assert first.tags == ["Model Evaluation", "Generalization", "Fundamentals"]
    assert first.companies[:4] == ["Google", "Amazon", "Meta", "Microsoft"]
    assert all(r.tags and r.companies for r in seed_records)


def test_code_and_tables_kept_as_lines(seed_records):
    first = seed_records[0].answer.splitlines()
    assert "| Model Complexity | Bias | Variance | Result |" in first
    assert "from sklearn.model_selection import cross_val_score" in first


def test_repeated_title_keeps_both_entries(seed_records):
    online = [r for r in seed_records if r.question.startswith("What is Online Learning?")]
    assert len(online) == 2
    assert len({r.id for r in online}) == 2


def test_synthetic_document():
    lines = _lines(SYNTHETIC)
    strategy = TitledEntries()
    assert strategy.fit(lines) > 0.5
    assert strategy.fit(_lines("What is a tensor?\nA multi-dimensional array.\n")) == 0.0
    records = finalize(strategy.parse(lines), "bank.txt")
    assert [r.question for r in records] == [
        "What is Label Smoothing?",
        "How does the hashing trick encode high-cardinality categorical features?",
    ]
    smoothing, hashing = records
    assert (smoothing.level, hashing.level) == ("junior", "senior")
    assert smoothing.section == hashing.section == "Core Questions"
    assert smoothing.tags == ["Regularization", "Classification"]
    assert smoothing.companies == ["Acme", "Initech", "Globex"]
    assert hashing.companies == ["Hooli", "Acme"]
    assert smoothing.key_points == ["Mentions overconfident predictions", "Reduces the gap between logits"]
    assert smoothing.answer.startswith("Label smoothing replaces")
    assert "| 0.1 | mild |" in smoothing.answer.splitlines()
    assert "loss = nn.CrossEntropyLoss(label_smoothing=0.1)" in smoothing.answer
    assert "testing" not in smoothing.answer
    assert hashing.answer == "Each category is hashed into one of a fixed number of buckets; collisions are tolerated."
    assert hashing.key_points  # derived from the answer when the entry has no rubric


def test_synthetic_after_cleaning_removed_ui_lines():
    """The cleaner may drop "View Answer", the emoji and the Insight header: the parse must not change."""
    text = "\n".join(
        line for line in SYNTHETIC.splitlines() if line not in ("View Answer", "Interviewer's Insight")
    ).replace("\U0001f7e2 ", "").replace("\U0001f534 ", "")
    records = finalize(TitledEntries().parse(_lines(text)), "bank.txt")
    assert [r.level for r in records] == ["junior", "senior"]
    assert records[0].key_points == ["Mentions overconfident predictions", "Reduces the gap between logits"]
    assert "testing" not in records[0].answer


def test_document_kind_does_not_matter():
    doc = Document("bank.md", "md", _lines(SYNTHETIC))
    assert len(parse_document(doc)) == 2
