"""q_numbered: blog posts with "Q1. …" scenario questions (seed 003 and its HTML rendering)."""

from __future__ import annotations

from conftest import FIXTURES, seed_path

from eval.gold import match_inventory
from ingest.clean import clean_lines
from ingest.document import Document, numbered_lines
from ingest.load import load
from ingest.parse import best_strategy, parse_document

_JUNK = ("csrftoken", "_ga", "MUID", "cookie", "Cookie", "Tips & Tricks", "Conclusion", "Swapnil",
         "Be yourself", "Hello there")


def _check_003(records, inventory, source):
    inv = [dict(i, source=source) for i in inventory if i["source"].startswith("003_")]
    m = match_inventory(inv, records)
    found = [i for i in inv if m[i["id"]]]
    assert len(found) >= 0.99 * len(inv)
    assert len(records) == len(inv)
    by_id = {r.id: r for r in records}
    for item in found:
        r = by_id[m[item["id"]]]
        assert r.level == item["level"] == "unknown"
        assert r.section == item["section"]
        assert r.answer.startswith(item["answer_start"][:60])
    for r in records:
        for junk in _JUNK:
            assert junk not in r.answer, (r.question[:40], junk)


def test_seed_003_matches_inventory(inventory):
    doc = load(seed_path("003"))
    strategy, _ = best_strategy(clean_lines(doc.lines))
    assert strategy.name == "q_numbered"
    _check_003(parse_document(doc), inventory, doc.name)


def test_html_fixture(inventory):
    path = FIXTURES / "ml_interview_blog.html"
    doc = load(path)
    assert any(line.text.startswith("## ") for line in doc.lines)  # headings rendered markdown-style
    _check_003(parse_document(doc), inventory, doc.name)


def test_synthetic_markdown_post():
    text = "\n".join([
        "# Ten questions from my interviews",
        "Intro paragraph about the author and the company.",
        "## Advanced Questions",
        "### **Q1.** You trained a model that is 99% accurate on a fraud dataset. Is it any good?",
        "Probably not: with 1% fraud a constant prediction reaches 99%.",
        "- Look at precision and recall instead.",
        "### Q2: How would you detect data drift in production?",
        "Compare feature distributions over time, e.g. with PSI or KS tests.",
        "## Final Thoughts",
        "Good luck with your interviews!",
        "We use cookies to improve your experience. Accept all cookies?",
    ])
    lines = numbered_lines(text.splitlines())
    strategy, _ = best_strategy(lines)
    assert strategy.name == "q_numbered"
    records = parse_document(Document("post.md", "md", lines))
    assert [r.question for r in records] == [
        "You trained a model that is 99% accurate on a fraud dataset. Is it any good?",
        "How would you detect data drift in production?",
    ]
    assert records[0].section == "Advanced Questions" and records[0].level == "senior"
    assert "precision and recall" in records[0].answer
    assert records[1].answer.startswith("Compare feature distributions")
    assert "luck" not in records[1].answer and "cookies" not in records[1].answer
