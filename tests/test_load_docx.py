"""ingest/load/docx.py: Word banks (python-docx): headings give sections and levels, bold or
numbered paragraphs are questions, what follows them the answer."""

from __future__ import annotations

import docx
import pytest
from bank_records import BANKS, assert_records, parse_bank

from ingest.document import LoadError
from ingest.load import load
from ingest.parse import parse_document


def test_docx_bank():
    records = parse_bank("bank.docx")
    assert_records(records, [
        ("What is a train/test split?", "You keep part of the data aside", "junior", "en"),
        ("Explain what a loss function is.", "It turns the gap between predictions and targets", "junior", "en"),
        ("Describe how you would tune hyperparameters on a small budget.", "Start with random search", "middle", "en"),
        ("Why does feature scaling matter for k-means?", "K-means uses distances", "middle", "en"),
        ("Walk me through deploying a model behind an API.", "Package the model with its preprocessing", "senior",
         "en"),
        ("Поясніть, що таке дрейф даних.", "Розподіл вхідних даних у продакшні", "senior", "uk"),
    ])
    assert [r.section for r in records] == ["Junior", "Junior", "Middle", "Middle", "Senior", "Senior"]
    # bullets and the numbered steps after a lead-in stay in the answer (steps numbered within it),
    # so does a table; the intro paragraph before the first question belongs to no record
    assert records[0].answer == ("You keep part of the data aside to measure how the model does on examples it "
                                 "never saw.\n- A common split is 80/20.")
    assert records[2].answer == ("Start with random search over wide ranges, then narrow down. Steps:\n"
                                 "1. Pick the two or three parameters that matter most.\n"
                                 "2. Compare the runs on a fixed validation set.\n"
                                 "| Method | Cost |\n| Random search | Low |")
    assert not any("collected for practice" in r.answer for r in records)


def test_docx_without_question_paragraphs_goes_to_the_shape_parsers(tmp_path):
    d = docx.Document()
    d.add_paragraph("What is a tensor?")
    d.add_paragraph("A multi-dimensional array of numbers.")
    d.add_paragraph("What is a scalar?")
    d.add_paragraph("A single number.")
    p = tmp_path / "plain.docx"
    d.save(p)
    doc = load(p)
    assert not doc.entries and doc.texts[:2] == ["What is a tensor?", "A multi-dimensional array of numbers."]
    assert [(r.question, r.answer) for r in parse_document(doc)] == [
        ("What is a tensor?", "A multi-dimensional array of numbers."), ("What is a scalar?", "A single number.")]


def test_bold_lead_in_inside_an_answer_is_no_question(tmp_path):
    d = docx.Document()
    d.add_heading("Hard", 1)
    d.add_paragraph("Explain gradient clipping.", style="List Number")
    d.add_paragraph().add_run("Why it matters").bold = True  # a bold sub-heading: no task word, no '?'
    d.add_paragraph("It keeps one bad batch from blowing up the weights.")
    p = tmp_path / "lead.docx"
    d.save(p)
    (r,) = parse_document(load(p))
    assert (r.question, r.level) == ("Explain gradient clipping.", "senior")
    assert r.answer == "Why it matters\nIt keeps one bad batch from blowing up the weights."


@pytest.mark.parametrize("data,fragment", [
    (b"PK\x03\x04 not really a zip", "not a word document"),
    (b"plain text pretending", "not a word document"),
])
def test_bad_docx(tmp_path, data, fragment):
    p = tmp_path / "broken.docx"
    p.write_bytes(data)
    with pytest.raises(LoadError) as info:
        load(p)
    assert "broken.docx" in str(info.value) and fragment in info.value.reason.casefold()


def test_zip_that_is_no_word_document(tmp_path):
    import zipfile

    p = tmp_path / "archive.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(LoadError) as info:
        load(p)
    assert "archive.docx" in str(info.value) and "corrupt word document" in info.value.reason.casefold()


def test_fixture_is_what_the_generator_writes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_bank_docx", BANKS / "make_bank_docx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(tmp_path / "bank.docx")
    fresh = [(r.question, r.answer, r.level) for r in parse_document(load(tmp_path / "bank.docx"))]
    assert fresh == [(r.question, r.answer, r.level) for r in parse_bank("bank.docx")]
