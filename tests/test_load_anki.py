"""ingest/load/anki.py: Anki's "Notes in Plain Text" export, told by its `#separator:` header."""

from __future__ import annotations

import pytest
from bank_records import BANKS, assert_records

from ingest.document import LoadError
from ingest.load import load
from ingest.parse import parse_document


def test_anki_export_notes():
    doc = load(BANKS / "anki_notes.txt")
    assert doc.kind == "anki" and not doc.lines
    records = parse_document(doc)
    assert_records(records, [
        ("What is a learning rate?", "The step size of each parameter update.\nToo large diverges;", "junior", "en"),
        ("Explain early stopping.", "Stop training when the validation loss stops improving.\nIt keeps", "junior",
         "en"),
        ("Compare batch normalization and layer normalization.",
         "- Batch norm normalizes over the batch dimension.\n- Layer norm", "senior", "en"),
        ("What does the k in k-NN control; how do you pick it?",
         "The number of neighbours that vote. Pick it by cross-validation;\nsmall k overfits", "middle", "en"),
        ("Поясніть, що таке перехресна ентропія.",
         "Функція втрат, що порівнює передбачений розподіл імовірностей зі справжнім.", "unknown", "uk"),
        ("[…] gradient descent updates the weights after every mini-batch.",
         "Stochastic gradient descent updates the weights after every mini-batch.\n\nIt is cheaper", "junior", "en"),
    ])
    # HTML is gone from every field; the deck is the section; the tags column gives the tags
    for r in records:
        assert "<" not in r.question + r.answer and "&nbsp;" not in r.answer
    assert [r.section for r in records] == ["ML / Junior", "ML / Junior", "ML / Senior", "ML / Middle",
                                            "ML / Українська", "ML / Junior"]
    assert records[2].tags == ["normalization", "level::senior"]
    assert [r.locator for r in records] == ["6", "7", "8", "9", "10", "11"]


def test_anki_comma_separator_without_html_and_named_columns(tmp_path):
    p = tmp_path / "deck.txt"
    p.write_text("#separator:Comma\n#html:false\n#columns:Back,Front\n"
                 '"Bagging averages models, each trained on a bootstrap sample.",What is bagging?\n'
                 "A <b> tag stays as text,What does html:false mean?\n", encoding="utf-8")
    records = parse_document(load(p))
    assert [(r.question, r.answer) for r in records] == [
        ("What is bagging?", "Bagging averages models, each trained on a bootstrap sample."),
        ("What does html:false mean?", "A <b> tag stays as text"),
    ]


def test_a_text_file_without_the_header_is_no_anki_export(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("# separator: not a header\nWhat is a tensor?\tAn array.\n", encoding="utf-8")
    assert load(p).kind == "txt"


def test_anki_export_without_notes(tmp_path):
    p = tmp_path / "empty_deck.txt"
    p.write_text("#separator:tab\n#html:true\n\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(p)
    assert "empty_deck.txt" in str(info.value) and "without notes" in info.value.reason


def test_older_anki_export_without_header_lines():
    """Anki before 2.1.55 wrote no `#` header: every line is front<TAB>back<TAB>tags, HTML inside."""
    doc = load(BANKS / "anki_legacy.txt")
    assert doc.kind == "anki"
    records = parse_document(doc)
    assert_records(records, [
        ("What is dropout?", "Randomly zeroes units during training.\nReduces co-adaptation.", "unknown", "en"),
        ("Що таке перенавчання?", "Модель запам'ятовує шум навчальних даних.", "junior", "uk"),
        ("What does an encoder do?", "Maps the input to a hidden representation.", "unknown", "en"),
        ("Name two optimizers.", "SGD with momentum and Adam.", "senior", "en"),
    ])
    assert records[0].tags == ["nn", "regularization"]
    assert [r.locator for r in records] == ["1", "2", "3", "4"]


def test_tab_indented_plain_text_is_not_an_anki_export(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("What is a tensor?\n\tA multi-dimensional array.\nWhat is a batch?\n\tA group of examples.\n"
                 "Key\tvalue table row\n", encoding="utf-8")
    assert load(p).kind == "txt"
