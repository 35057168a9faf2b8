"""ingest/parse/questions.py: the one definition of "looks like a question" (imperative prompts in
English and Ukrainian) and of the question/answer labels."""

from __future__ import annotations

import pytest

from ingest.parse.questions import (
    answer_label,
    has_question_label,
    is_question_label_only,
    looks_like_question,
    split_inline_answer,
    strip_answer_label,
    strip_question_label,
)


@pytest.mark.parametrize("text", [
    "Explain the bias-variance trade-off.", "Describe how dropout works", "Compare L1 and L2.",
    "Walk me through your last project.", "Name two ways to fight overfitting.", "Design a feature store.",
    "Поясніть, що таке регуляризація.", "Опишіть архітектуру трансформера", "Порівняйте SGD та Adam.",
    "Назвіть дві метрики ранжування.", "Наведіть приклад витоку даних.", "Розкажіть про свій останній проєкт.",
    "З'ясуйте, чому модель деградує.",
])
def test_imperative_prompts_are_questions_even_strictly(text):
    assert looks_like_question(text) and looks_like_question(text, strict=True)


@pytest.mark.parametrize("text", ["What we cover", "How it works", "Що ми розглянемо"])
def test_an_interrogative_word_without_a_question_mark_is_no_task(text):
    assert not looks_like_question(text, strict=True)


@pytest.mark.parametrize("text", ["Regularization reduces variance.", "Проте модель перенавчається.", "Overview",
                                  "Дані", "1", "ReLU"])
def test_statements_are_no_questions(text):
    assert not looks_like_question(text) and not looks_like_question(text, strict=True)


@pytest.mark.parametrize("text,question", [
    ("Q: What is X?", "What is X?"), ("**Q:** Explain Y.", "Explain Y."), ("Q1. What is Z?", "What is Z?"),
    ("Question 3: Name two.", "Name two."), ("**Question 3:** Name two.", "Name two."), ("Q. Why?", "Why?"),
    ("Питання 1. Поясніть X.", "Поясніть X."), ("Питання: Що таке X?", "Що таке X?"),
    ("Запитання №2) Чому?", "Чому?"), ("- Q: Bulleted?", "Bulleted?"), ("### Q2: Heading?", "Heading?"),
    ("Q: Q1. Twice?", "Twice?"),
])
def test_question_labels(text, question):
    assert has_question_label(text) and strip_question_label(text) == question


@pytest.mark.parametrize("text", ["Q-learning is off-policy.", "Q: [batch_size, n_queries, d_k]", "Questions about X",
                                  "Q1 2023 revenue grew", "Quantization: fewer bits"])
def test_not_question_labels(text):
    assert not has_question_label(text) and strip_question_label(text) == text


@pytest.mark.parametrize("text,rest", [
    ("A: It is Y.", "It is Y."), ("**A:** yes, it is", "yes, it is"), ("Answer: Yes.", "Yes."), ("Ans. ok", "ok"),
    ("Відповідь: так.", "так."), ("Відповідь — це так.", "це так."), ("A1. First.", "First."), ("Answer", ""),
    ("**Answer:**", ""),
])
def test_answer_labels(text, rest):
    assert answer_label(text) is not None and strip_answer_label(text) == rest


@pytest.mark.parametrize("text", ["A. Linear regression", "Analysis: the data", "A table of results.", "Answers vary."])
def test_not_answer_labels(text):
    assert answer_label(text) is None


def test_a_bare_a_label_is_only_a_label_on_an_answers_first_line():
    assert answer_label("A: the adjacency matrix", words_only=True) is None
    assert answer_label("Answer: the adjacency matrix", words_only=True) is not None


def test_label_only_lines_and_inline_answers():
    assert is_question_label_only("Question 5:") and is_question_label_only("**Питання 2.**")
    assert not is_question_label_only("Question 5: What?")
    assert split_inline_answer("What is X? A: It is Y.") == ("What is X?", "It is Y.")
    assert split_inline_answer("What is X? **Answer:** Y.") == ("What is X?", "Y.")
    assert split_inline_answer("What is plan A: the first one?") == ("What is plan A: the first one?", None)
    options = "Which loss suits classification? A: cross-entropy, B: mean squared error"
    assert split_inline_answer(options) == (options, None)
