"""Levels from wherever a bank states them (ingest/levels.py, applied in ingest/parse): level headings
(Easy/Medium/Hard, Beginner/Intermediate/Expert, Junior/Middle/Senior, Легкий/Середній/Складний) over
the questions below them, `Level: Senior` / `Рівень: Junior` lines before a group of questions or right
under one, and a difficulty column; the label lines never end up in a question or an answer."""

from __future__ import annotations

import re

import pytest
from bank_records import assert_records, parse_bank

from ingest.document import Document, Line, numbered_lines
from ingest.levels import level_label, level_phrase, level_tag, map_level
from ingest.parse import parse_document

LEFT_LEVEL = re.compile(r"(?im)^\W*(?:level|рівень|difficulty|складність)\W*:")


def _no_level_label_left(records):
    for r in records:
        assert not LEFT_LEVEL.search(r.question) and not LEFT_LEVEL.search(r.answer), (r.question, r.answer)
        assert not any(LEFT_LEVEL.search(p) for p in r.key_points), r.key_points


def test_markdown_headings_and_level_lines():
    records = parse_bank("levels_en.md")
    assert_records(records, [
        # "## Easy" over a topic heading ("### Python"): the level reaches the questions below both
        ("What is a list comprehension?", "A compact way to build a list from an iterable.", "junior", "en"),
        ("What is overfitting?", "The model learns the noise in the training data.", "junior", "en"),
        ("How does dropout regularize a network?", "It randomly zeroes activations during training.", "middle",
         "en"),
        # "**Level:** Hard" right under a question: that question's level, and not part of its answer
        ("What does batch normalization do?", "It normalizes each batch's activations", "senior", "en"),
        # "Level: Senior" before a group of questions: theirs, up to the next heading of its rank
        ("How would you shard a large embedding table?", "Split the rows across hosts", "senior", "en"),
        ("What is gradient clipping?", "Capping the gradient norm before the update.", "senior", "en"),
        ("What is a tensor?", "A multi-dimensional array of numbers.", "unknown", "en"),
    ])
    assert records[3].answer == "It normalizes each batch's activations, which keeps deep networks trainable."
    assert [r.locator for r in records] == ["7", "10", "15", "18", "26", "29", "34"]
    assert [r.section for r in records] == ["Python", "Python", "Medium", "Medium", "Other topics", "Other topics",
                                            "Warm-up"]
    _no_level_label_left(records)


def test_ukrainian_headings_and_level_lines():
    records = parse_bank("levels_uk.md")
    assert_records(records, [
        ("Що таке перенавчання?", "Модель запам'ятовує шум у навчальних даних.", "junior", "uk"),
        ("Як працює dropout?", "Випадково обнуляє активації під час навчання.", "middle", "uk"),
        # "Рівень: Senior" between the question and its answer label
        ("Навіщо потрібна нормалізація батчу?", "Вона тримає активації в масштабі", "senior", "uk"),
        ("Як розподілити велику таблицю ембедингів між серверами?", "Розбити рядки між вузлами", "senior", "uk"),
        # "Рівень: Junior" under a heading that names no level
        ("Що таке тензор?", "Багатовимірний масив чисел.", "junior", "uk"),
    ])
    assert [r.section for r in records] == ["Легкий", "Середній рівень", "Середній рівень", "Складні питання",
                                            "Різне"]
    _no_level_label_left(records)


def test_plain_level_lines_are_headings():
    records = parse_bank("levels_plain.txt")
    assert_records(records, [
        ("What is a training set?", "The rows a model is fitted on.", "junior", "en"),
        ("What is early stopping?", "Stopping training when the validation loss stops improving.", "middle", "en"),
        ("Why can a larger batch size hurt generalization?", "Large batches find sharper minima", "senior", "en"),
        # a one-word answer right under its question stays the answer, level word or not
        ("Is it hard to tune a learning rate schedule?", "Hard", "senior", "en"),
    ])
    assert [r.section for r in records] == ["Beginner", "Intermediate questions", "Expert level", "Expert level"]


def test_difficulty_column_in_ukrainian():
    assert_records(parse_bank("levels_uk.csv"), [
        ("Що таке вектор?", "Впорядкований набір чисел.", "junior", "uk"),
        ("Що таке градієнт?", "Вектор частинних похідних.", "middle", "uk"),
        ("Що таке трансформер?", "Архітектура на механізмі уваги.", "senior", "uk"),
    ])


def test_page_located_lines_and_code_fences():
    """PDF lines share a page locator: the label still finds its question; a label inside a code
    fence is code."""
    texts = ["Level: Junior", "", "What is a tensor?", "A multi-dimensional array.", "",
             "What is a gradient?", "Level: Senior", "The vector of partial derivatives.", "",
             "How do you log a level in Python?", "```", "level: senior", "```"]
    doc = Document("bank.pdf", "pdf", [Line(t, f"p{1 + i // 6}") for i, t in enumerate(texts)])
    records = parse_document(doc)
    assert [(r.question, r.locator, r.level) for r in records] == [
        ("What is a tensor?", "p1", "junior"), ("What is a gradient?", "p1", "senior"),
        ("How do you log a level in Python?", "p2", "junior")]
    assert records[1].answer == "The vector of partial derivatives."
    assert records[2].answer == "```\nlevel: senior\n```"


@pytest.mark.parametrize(("text", "level"), [
    ("Easy", "junior"), ("Beginner Level", "junior"), ("Junior", "junior"), ("Легкий", "junior"),
    ("Легкі питання", "junior"), ("Питання рівня Junior", "junior"), ("**Easy questions**", "junior"),
    ("Medium", "middle"), ("Intermediate", "middle"), ("Middle", "middle"), ("Середній рівень", "middle"),
    ("Mid-level", "middle"), ("Hard", "senior"), ("Expert level", "senior"), ("Senior-level questions", "senior"),
    ("Складний", "senior"), ("Складні питання", "senior"), ("Level: Senior", "senior"),
    ("Складність моделі", None), ("Середнє значення", None), ("Python", None), ("Hard negatives", None),
])
def test_level_phrase(text, level):
    assert level_phrase(text) == level


@pytest.mark.parametrize(("line", "level"), [
    ("Level: Senior", "senior"), ("**Level:** Senior", "senior"), ("Рівень: Junior", "junior"),
    ("- Difficulty: hard", "senior"), ("_Level: Middle_", "middle"), ("Складність: середня", "middle"),
    ("Level: Senior engineers only", None), ("Difficulty: Medium | Tags: CNN", None), ("Senior", None),
    ("Level of detail: high", None),
])
def test_level_label(line, level):
    assert level_label(line) == level


def test_map_level_keeps_its_hints():
    # the hints banks gave before: sections, section paths, difficulty fields
    assert [map_level(h) for h in ("Beginner Level", "Middle / Computer Vision", "hard", "Джуніор", "", "NLP")] == [
        "junior", "middle", "senior", "junior", "unknown", "unknown"]
    # new: Ukrainian level adjectives, as a whole hint or a part of a section path
    assert [map_level(h) for h in ("Легкий", "Складні питання / NLP", "середній")] == ["junior", "senior", "middle"]


@pytest.mark.parametrize(("question", "expected"), [
    ("What is a p-value? (Senior)", ("What is a p-value?", "senior")),
    ("What is a p-value? [easy]", ("What is a p-value?", "junior")),
    ("(Middle) How does dropout work?", ("How does dropout work?", "middle")),
    ("Що таке регуляризація? (Рівень: Junior)", ("Що таке регуляризація?", "junior")),
    ("How do transformers differ from RNNs (e.g. LSTM)?", ("How do transformers differ from RNNs (e.g. LSTM)?", None)),
    ("What does the (hard) margin of an SVM mean?", ("What does the (hard) margin of an SVM mean?", None)),
    ("(Senior)", ("(Senior)", None)),
])
def test_level_tag_on_the_question_line(question, expected):
    assert level_tag(question) == expected


def test_a_level_tag_on_the_question_line_sets_the_records_level():
    texts = ["What is a p-value? (Senior)", "The chance of data this extreme under H0.", "",
             "[Junior] What is a list?", "An ordered, mutable sequence."]
    records = parse_document(Document("tags.md", "md", numbered_lines(texts)))
    assert [(r.question, r.level) for r in records] == [("What is a p-value?", "senior"), ("What is a list?", "junior")]
