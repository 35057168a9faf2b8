"""labeled_lines: bare question lines followed by `Label: text` answer lines (seed 000)."""

from __future__ import annotations

from conftest import seed_path

from eval.gold import match_inventory
from ingest.clean import clean_lines
from ingest.document import Document, numbered_lines
from ingest.load import load
from ingest.parse import best_strategy, parse_document


def _doc(text: str, name: str = "quiz.txt") -> Document:
    return Document(name, "txt", numbered_lines(text.splitlines()))


def test_seed_000_matches_inventory(inventory):
    doc = load(seed_path("000"))
    strategy, _ = best_strategy(clean_lines(doc.lines))
    assert strategy.name == "labeled_lines"
    records = parse_document(doc)
    inv = [i for i in inventory if i["source"] == doc.name]
    m = match_inventory(inv, records)
    found = [i for i in inv if m[i["id"]]]
    assert len(found) >= 0.99 * len(inv)
    assert len(records) == len(inv)  # nothing extra: the quiz UI is not a question
    by_id = {r.id: r for r in records}
    for item in found:
        r = by_id[m[item["id"]]]
        assert r.level == item["level"] == "unknown"
        assert r.section == ""
        assert bool(r.answer) == item["has_answer"], item["id"]


def test_seed_000_has_no_quiz_ui():
    records = parse_document(load(seed_path("000")))
    for r in records:
        for ui in ("Total Score", "Stiahnuť", "Reset All", "Generate Report", "checking answers"):
            assert ui not in r.question and ui not in r.answer
    # every `Label: text` line is a key point of its question
    rl = next(r for r in records if r.question.startswith("What are decorators"))
    assert len(rl.key_points) == 5
    assert rl.key_points[0].startswith("Definition:")


def test_synthetic_flashcards():
    text = "\n".join([
        "What is gradient descent?",
        "Idea: Move parameters against the gradient of the loss, step by step",
        "Learning rate: Controls the step size; too large diverges, too small crawls",
        "Why do we normalize inputs?",
        "Explain dropout. When would you avoid it?",
        "Mechanism: Randomly zeroes activations during training to reduce co-adaptation",
        "At inference: All units are kept and activations are scaled accordingly",
        "Describe a time you debugged a model in production.",
        "Situation: Accuracy dropped after a data pipeline change",
        "Score: 0 / 4",
        "Restart quiz",
    ])
    lines = numbered_lines(text.splitlines())
    strategy, fit = best_strategy(lines)
    assert strategy.name == "labeled_lines" and fit > 0.5
    records = parse_document(_doc(text))
    assert [r.question for r in records] == [
        "What is gradient descent?",
        "Why do we normalize inputs?",
        "Explain dropout. When would you avoid it?",
        "Describe a time you debugged a model in production.",
    ]
    assert records[1].answer == ""
    assert records[0].key_points[1].startswith("Learning rate:")
    assert "Score" not in records[3].answer and "Restart" not in records[3].answer
