"""ingest/parse/text.py: the text helpers every parser shares."""

from __future__ import annotations

import re

import pytest

from ingest.parse.text import LIST_ITEM, markdown_heading, split_sentences, strip_blank_edges, strip_markup


def test_strip_markup():
    assert strip_markup("- **Bold** and *italic*   text ") == "Bold and italic text"
    assert strip_markup("▼ Topic") == "Topic"
    assert strip_markup("x * y and a**b") == "x * y and ab"


@pytest.mark.parametrize("text", ["One. Two! Three? four", "a.  b", "a. ", "", "No stop at all", "e.g. the mean. Then"])
def test_split_sentences_cuts_like_re_split(text):
    assert split_sentences(text) == re.split(r"(?<=[.!?])\s+", text)


def test_split_sentences_before_capital_keeps_abbreviations():
    text = "Use e.g. the mean. Then stop! Или так. ok"
    assert split_sentences(text, before_capital=True) == ["Use e.g. the mean.", "Then stop!", "Или так. ok"]


def test_split_sentences_closers_stay_with_their_sentence():
    text = 'He said "stop." Then (he left.) Done…  Next'
    assert split_sentences(text, ends=".?!…", closers='")') == ['He said "stop."', "Then (he left.)", "Done…", "Next"]
    assert split_sentences("Train it; explain it. Now", ends=".!;") == ["Train it;", "explain it.", "Now"]


def test_strip_blank_edges():
    assert strip_blank_edges(["", "  ", "a", "", "b", " ", ""]) == ["a", "", "b"]
    assert strip_blank_edges(["", " "]) == []


def test_markdown_heading():
    assert markdown_heading("## **Deep** Learning ##") == "Deep Learning"
    assert markdown_heading("  # Title") == "Title"
    assert markdown_heading("# **") == ""  # a heading line, but with no title
    assert markdown_heading("#hashtag") is None and markdown_heading("Plain line") is None


def test_list_item():
    assert LIST_ITEM.match("  - a point").group("text") == "a point"
    assert LIST_ITEM.match("12) step").group("text") == "step"
    assert not LIST_ITEM.match("-") and not LIST_ITEM.match("1.5 is a number")
