"""ingest/parse/generic.py: the fallback reads imperative prompts ("Explain …", "Поясніть …") as
questions where they stand out: a heading, a wholly bold line, a numbered item, a `Q:` label."""

from __future__ import annotations

from bank_records import BANKS, assert_records, parse_bank

from ingest.clean import clean_lines
from ingest.document import Document, numbered_lines
from ingest.load import load
from ingest.parse import best_strategy, parse_document


def _records(text: str):
    return parse_document(Document("notes.md", "md", numbered_lines(text.splitlines())))


def test_imperative_markdown():
    assert best_strategy(clean_lines(load(BANKS / "imperative.md").lines))[0].name == "generic"
    assert_records(parse_bank("imperative.md"), [
        ("Explain the difference between a parameter and a hyperparameter", "Parameters are learned from the data",
         "junior", "en"),
        ("Describe what a validation curve shows.", "How the training and validation scores change", "junior", "en"),
        ("Walk me through choosing between a linear model and a gradient-boosted ensemble", "Start from the data size",
         "senior", "en"),
        ("Name two signs that a model is leaking information from the future.",
         "- Validation scores far above what production later shows.\n- Features computed", "senior", "en"),
        ("Поясніть, що таке крива навчання", "Графік якості на тренувальних", "senior", "uk"),
        ("Порівняйте стратифіковане та звичайне розбиття даних.", "Стратифіковане розбиття зберігає", "senior", "uk"),
    ])


def test_imperative_html():
    assert_records(parse_bank("imperative.html"), [
        ("Compare grid search and random search", "Grid search tries every combination", "middle", "en"),
        ("Explain how early stopping regularizes a network.", "It ends training before the weights", "middle", "en"),
        ("Опишіть, як працює пакетний градієнтний спуск", "Градієнт обчислюють на всій вибірці", "middle", "uk"),
        ("Поясніть різницю між епохою та ітерацією.", "Епоха — це прохід по всіх даних", "middle", "uk"),
    ])


def test_a_plain_line_with_a_task_word_stays_in_the_answer():
    records = _records("## Basics\n\n### What is a baseline?\n\nA simple model to beat.\n"
                       "Explain it to the team before you start.\n\n## What we cover\n\nPlain notes.\n")
    # "Explain …" on a plain line is answer text; "What we cover" (no '?', no task word) is a heading
    assert [(r.question, r.answer, r.section) for r in records] == [
        ("What is a baseline?", "A simple model to beat.\nExplain it to the team before you start.", "Basics")]


def test_labels_and_numbers_in_the_fallback():
    records = _records("Question 1:\nExplain bagging.\nIt averages models trained on bootstrap samples.\n\n"
                       "2. Describe boosting.\nIt trains models one after another on the errors so far.\n")
    assert [(r.question, r.answer) for r in records] == [
        ("Explain bagging.", "It averages models trained on bootstrap samples."),
        ("Describe boosting.", "It trains models one after another on the errors so far."),
    ]
