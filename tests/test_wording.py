"""tutor.wording: feedback and follow-ups by rules, in the record's language; no model needed."""

from __future__ import annotations

import pytest

from tutor.grade import Contradiction, PointResult
from tutor.wording import point_question, rule_feedback, rule_follow_up


@pytest.mark.parametrize(("point", "lang", "expected"), [
    ("Can calculate output dimensions", "en", "How would you calculate output dimensions?"),
    ("Candidate can explain when to prefer mini-batches.", "en", "How would you explain when to prefer mini-batches?"),
    ("Knows ResNet skip connections solve vanishing gradients", "en",
     "Can you explain how ResNet skip connections solve vanishing gradients?"),
    ("Understands that SMOTE can create noise", "en", "Can you explain how SMOTE can create noise?"),
    ("Mentions guardrail metrics", "en", "Can you explain guardrail metrics? Why does it matter here?"),
    ("Вміє розрахувати розмір виходу згортки", "uk", "Як розрахувати розмір виходу згортки?"),
    ("Знає, що dropout вимикають під час інференсу", "uk",
     "Поясніть, будь ласка: dropout вимикають під час інференсу. Чому це так?"),
    ("Dropout is a regularization technique that zeroes activations.", "en",
     "What is Dropout, and why does it matter for this question?"),
])
def test_interviewer_signals_become_questions_about_their_substance(point, lang, expected):
    question = point_question(point, lang)
    assert question == expected
    assert "didn't mention" not in question and "не згадали" not in question


def test_a_plain_point_becomes_a_why_question_not_a_quote_of_the_rubric():
    q = point_question("Averaging many trees lowers the variance of the ensemble", "en")
    assert q.startswith("Why is this so:") and q.endswith("Give an example.")


def test_contradicted_point_comes_first_in_feedback_and_follow_up():
    points = [PointResult("Bagging reduces variance", 0.9, 0.5, 0.5, contradicted_by="Bagging reduces bias."),
              PointResult("Trees are trained in parallel", 0.0, 0.1, 0.0)]
    contradicted = [Contradiction("Bagging reduces variance", "Bagging reduces bias.", "flip")]
    follow = rule_follow_up("en", points, contradicted=contradicted)
    assert follow.startswith("You said “Bagging reduces bias.”, but the reference says “Bagging reduces variance”")
    feedback = rule_feedback("en", 20, [], ["Trees are trained in parallel"], True,
                             empty=False, contradicted=contradicted)
    assert "0 of 2 key points covered. Missing: Trees are trained in parallel." in feedback
    assert feedback.startswith("Wrong or empty (20/100).")
    assert "You said “Bagging reduces bias.”; the reference says “Bagging reduces variance”." in feedback
    uk = rule_follow_up("uk", points, contradicted=contradicted)
    assert uk.startswith("Ви сказали «Bagging reduces bias.»")


def test_without_contradictions_the_most_missed_point_is_asked():
    points = [PointResult("Can compute the F1 score", 0.2, 0.1, 0.0), PointResult("Knows recall", 0.4, 0.3, 0.2)]
    assert rule_follow_up("en", points) == "How would you compute the F1 score?"


def test_feedback_states_the_band():
    assert rule_feedback("en", 90, ["a", "b"], [], True, empty=False).startswith("Strong (90/100).")
    assert rule_feedback("uk", 70, ["a"], ["b"], True, empty=False).startswith("Достатня (70/100).")
