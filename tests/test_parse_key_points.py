"""ingest/parse/key_points.py: one deriver of an answer's key points, with rules per shape."""

from __future__ import annotations

from ingest.parse.key_points import KeyPointRules, derive_key_points, line_sentences


def test_items_and_labels_are_the_points():
    lines = [
        "Regularization keeps the model simple.",
        "- L1 drives some weights to zero",
        "1. Early stopping halts training",
        "Dropout: zeroes random activations",
        "- How it works:",  # a lead-in, not a point
        "- tiny",  # too short to say anything
        "",
        "- l1 DRIVES some weights to zero",  # the same point again
    ]
    assert derive_key_points(lines) == [
        "L1 drives some weights to zero", "1. Early stopping halts training", "Dropout: zeroes random activations",
    ]


def test_without_a_list_the_sentences_of_the_joined_lines():
    lines = ["Bagging trains models on bootstrap samples, e.g. random", "forests. It reduces variance a lot.", "Short."]
    assert derive_key_points(lines) == [
        "Bagging trains models on bootstrap samples, e.g. random forests.", "It reduces variance a lot.",
    ]


def test_at_most_limit_points():
    lines = [f"- Point number {i} of the answer" for i in range(12)]
    assert len(derive_key_points(lines)) == 8
    assert derive_key_points(lines, limit=3) == [f"Point number {i} of the answer" for i in range(3)]


_OPENING_RULES = KeyPointRules(drop_numbers=True, opening=True, min_listed=2, sentences=line_sentences)


def test_opening_statement_and_numbers_dropped():
    lines = ["A tensor is a multi-dimensional array. It generalizes matrices.", "1. Rank: the number of axes here"]
    assert derive_key_points(lines, _OPENING_RULES) == [
        "A tensor is a multi-dimensional array.", "Rank: the number of axes here",
    ]


def test_opening_statement_alone_is_no_list():
    lines = ["A tensor is a multi-dimensional array. It generalizes matrices to any rank.", "Used everywhere:"]
    assert derive_key_points(lines, _OPENING_RULES) == [
        "A tensor is a multi-dimensional array.", "It generalizes matrices to any rank.",
    ]
    assert derive_key_points(["Short one.", "Ok"], _OPENING_RULES) == ["Short one."]  # the lines, as a last resort
