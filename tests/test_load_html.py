"""ingest/load/html.py: what the markup pairs itself — <details>/<summary> and <dl>/<dt>/<dd> — are
entries; a wholly bold paragraph is rendered `**bold**`."""

from __future__ import annotations

from bank_records import BANKS, assert_records, parse_bank

from ingest.load import load
from ingest.parse import parse_document


def test_details_summary_pairs():
    records = parse_bank("details.html")
    assert_records(records, [
        ("What is a feature?", "A measurable property of an example", "junior", "en"),
        ("Explain what one-hot encoding does.",
         "It turns a categorical value into a vector with a single 1.\n- One column per category\n- No false order",
         "junior", "en"),
        # a "Show answer" toggle answers the question heading above it
        ("How would you detect concept drift in production?", "Track the distribution of inputs", "senior", "en"),
        ("Поясніть, що таке калібрування моделі.", "Узгодження передбачених імовірностей", "senior", "uk"),
    ])
    assert [r.section for r in records] == ["Junior", "Junior", "Senior", "Senior"]
    assert not any("Show answer" in r.answer or "Click a question" in r.answer for r in records)


def test_dl_pairs():
    records = parse_bank("dl.html")
    assert_records(records, [
        ("What is a label?", "The target value the model learns to predict.", "junior", "en"),
        ("Define precision.", "The share of positive predictions that are correct.\nIt ignores the positives",
         "junior", "en"),
        ("Що таке ранжування?", "Упорядкування об'єктів за релевантністю", "middle", "uk"),  # inside a <div>
        ("Explain what a kernel does in an SVM.", "It computes similarities", "middle", "en"),
    ])
    # the paragraph after the last list belongs to no answer
    assert not any("Last updated" in r.answer for r in records)


def test_paired_lines_are_not_read_again_by_the_shape_parsers():
    doc = load(BANKS / "details.html")
    assert len(doc.entries) == 4
    assert "What is a feature?" not in doc.texts and "## Junior" in doc.texts
    # blanked, not removed: every line keeps its rendered line number
    assert [line.locator for line in doc.lines] == [str(i) for i in range(1, len(doc.lines) + 1)]


def test_pairs_and_other_questions_on_one_page(tmp_path):
    p = tmp_path / "mixed.html"
    p.write_text("<h2>Basics</h2><p>What is a model?</p><p>A function fitted to data.</p>"
                 "<details><summary>What is a loss?</summary><p>A number to minimise.</p></details>"
                 "<p>What is a metric?</p><p>A number to report.</p>", encoding="utf-8")
    records = parse_document(load(p))
    assert [(r.question, r.answer) for r in records] == [
        ("What is a model?", "A function fitted to data."), ("What is a loss?", "A number to minimise."),
        ("What is a metric?", "A number to report.")]


def test_details_that_pair_nothing_are_rendered_as_text(tmp_path):
    p = tmp_path / "toc.html"
    p.write_text("<details><summary>Show answer</summary><p>Nothing asked above.</p></details>"
                 "<h3>What is a gradient?</h3><p>The vector of partial derivatives.</p>", encoding="utf-8")
    doc = load(p)
    assert not doc.entries and "Nothing asked above." in doc.texts
    assert [(r.question, r.answer) for r in parse_document(doc)] == [
        ("What is a gradient?", "The vector of partial derivatives.")]


def test_wholly_bold_paragraph_is_marked(tmp_path):
    p = tmp_path / "bold.html"
    p.write_text("<p><strong>Explain <em>dropout</em>.</strong></p><p>Partly <b>bold</b> text.</p>", encoding="utf-8")
    assert load(p).texts == ["**Explain dropout.**", "Partly bold text."]
