"""numbered_sections: numbered questions under (level) headings, steps inside answers (seed 001, its PDF)."""

from __future__ import annotations

from conftest import FIXTURES, seed_path

from eval.gold import match_inventory
from ingest.clean import clean_lines
from ingest.document import Document, numbered_lines
from ingest.load import load
from ingest.parse import best_strategy, parse_document

_CHROME = ("Skip to content", "⬡ Hub", "378ut5", "mermaid", "-->", "AI/ML Interview Questions and Answers")


def _check_001(records, inventory, source):
    inv = [dict(i, source=source) for i in inventory if i["source"].startswith("001_")]
    m = match_inventory(inv, records)
    found = [i for i in inv if m[i["id"]]]
    assert len(found) >= 0.99 * len(inv)
    assert len(records) == len(inv)  # steps, chrome and diagrams never become questions
    by_id = {r.id: r for r in records}
    for item in found:
        r = by_id[m[item["id"]]]
        assert (r.level, r.section) == (item["level"], item["section"]), item["id"]
        assert bool(r.answer) == item["has_answer"], item["id"]
    for r in records:
        for chrome in _CHROME:
            assert chrome not in r.question and chrome not in r.answer, (r.question[:40], chrome)
    return {i["id"]: by_id[m[i["id"]]] for i in found}


def test_seed_001_matches_inventory(inventory):
    doc = load(seed_path("001"))
    strategy, _ = best_strategy(clean_lines(doc.lines))
    assert strategy.name == "numbered_sections"
    found = _check_001(parse_document(doc), inventory, doc.name)
    # the flattened confusion-matrix table stays in its answer; steps stay inside theirs
    assert "True Positive (TP) False Negative (FN)" in found["001-13"].answer
    assert "1. The dataset is randomly split" in found["001-17"].answer
    assert found["001-17"].answer.startswith("• Cross-validation is a resampling technique")
    assert any(p.startswith("True Positive (TP):") for p in found["001-13"].key_points)


def test_pdf_fixture(inventory):
    doc = load(FIXTURES / "ai_ml_interview_questions.pdf")
    strategy, _ = best_strategy(clean_lines(doc.lines))
    assert strategy.name == "numbered_sections"
    found = _check_001(parse_document(doc), inventory, doc.name)
    assert found["001-2"].question.endswith("Provide an example for each.")
    assert found["001-53"].answer  # "8. Deploy the model: …" is a step of 001-52, not question 8


def test_synthetic_wrapped_pdf_like_text():
    """No indentation, wrapped question lines, steps numbered like the next question would be."""
    text = "\n".join([
        "Interview Prep Notes",
        "Basic Questions",
        "1. What is a decision tree and how does it choose",
        "where to split?",
        "A tree splits the data on the feature that best separates the classes.",
        "How it works:",
        "1. Compute the impurity of every candidate split.",
        "2. Pick the split with the largest impurity decrease.",
        "3. Recurse until a stopping rule holds.",
        "2. Explain bagging.",
        "Bagging trains models on bootstrap samples and averages them.",
        "mermaid graph LR A[Data] --> B[Bootstrap] B --> C[Models]",
        "3. You have a dataset with 1% positives.",
        "Which metric would you report?",
        "Precision and recall, or PR-AUC; accuracy is misleading here.",
        "Hard Questions",
        "1. How would you debug a model whose loss",
        "is NaN? (e.g., after a few epochs)",
        "Lower the learning rate, clip gradients, check the inputs for NaN/inf.",
    ])
    lines = numbered_lines(text.splitlines())
    strategy, _ = best_strategy(lines)
    assert strategy.name == "numbered_sections"
    records = parse_document(Document("notes.pdf", "pdf", lines))
    assert [(r.question, r.section, r.level) for r in records] == [
        ("What is a decision tree and how does it choose where to split?", "Basic Questions", "junior"),
        ("Explain bagging.", "Basic Questions", "junior"),
        ("You have a dataset with 1% positives. Which metric would you report?", "Basic Questions", "junior"),
        ("How would you debug a model whose loss is NaN? (e.g., after a few epochs)", "Hard Questions", "senior"),
    ]
    assert "3. Recurse until a stopping rule holds." in records[0].answer
    assert "mermaid" not in records[1].answer and "Bootstrap" not in records[1].answer
    assert records[2].answer.startswith("Precision and recall")
