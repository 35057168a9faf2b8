"""ingest/parse/qa_labels.py: `Q:`/`A:`, `Question 3:`/`Answer:`, `Питання 1.`/`Відповідь:` banks."""

from __future__ import annotations

from bank_records import BANKS, assert_records, parse_bank

from ingest.clean import clean_lines
from ingest.load import load
from ingest.parse import best_strategy


def test_labelled_markdown():
    assert best_strategy(clean_lines(load(BANKS / "labels.md").lines))[0].name == "qa_labels"
    records = parse_bank("labels.md")
    assert_records(records, [
        ("What is a baseline model?", "The simplest model worth comparing against", "junior", "en"),
        ("Explain why we split data before scaling it.", "Fitting the scaler on all rows lets test statistics leak",
         "junior", "en"),
        ("What does regularization strength control?", "How much the penalty on large weights counts", "middle",
         "en"),
        # "Q: … ? A: …" on one line: the answer is cut off the question
        ("What is a learning-rate warm-up?", "Starting with a small learning rate", "middle", "en"),
        # "Question 5:" and "Answer:" alone on their lines
        ("Describe how you would compare two models fairly.", "Use the same splits and the same metric", "middle",
         "en"),
    ])
    # an answer runs on below its labelled line, up to the next question
    assert records[1].answer == ("Fitting the scaler on all rows lets test statistics leak into training.\n"
                                 "The scaler must learn its mean and spread from the training rows only.")
    assert [r.section for r in records] == ["Junior", "Junior", "Middle", "Middle", "Middle"]


def test_labelled_ukrainian_text():
    assert best_strategy(clean_lines(load(BANKS / "labels_uk.txt").lines))[0].name == "qa_labels"
    records = parse_bank("labels_uk.txt")
    assert_records(records, [
        ("Що таке зсув моделі?", "Систематична помилка через надто прості припущення", "unknown", "uk"),
        ("Поясніть, що таке дисперсія моделі.", "Чутливість моделі до випадкових змін", "unknown", "uk"),
        ("Опишіть, навіщо потрібна крос-валідація.", "Вона дає надійнішу оцінку якості", "unknown", "uk"),
        ("Назвіть дві причини повільного навчання.", "Замала швидкість навчання", "unknown", "uk"),
    ])
    assert records[1].answer.endswith("\nВисока дисперсія означає перенавчання.")
    assert not any("Питання для співбесіди" in r.answer for r in records)


def test_not_this_shape_without_answer_labels():
    from ingest.document import numbered_lines
    from ingest.parse.qa_labels import QALabels

    lines = numbered_lines(["Q: What is X?", "It is a thing.", "Q: What is Y?", "It is another thing."])
    assert QALabels().fit(lines) == 0.0
