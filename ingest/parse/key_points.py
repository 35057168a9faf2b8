"""An answer's key points (its grading rubric) drawn from its text: list items and `Label: text`
lines, else its sentences. One deriver for every shape; a shape whose answers show their points
differently passes its own KeyPointRules.

(A source that states the rubric itself, such as "Strong answer signals:" bullets or quiz
`Label: text` lines, gives its points as they stand: its parser collects them, nothing is derived.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.parse.text import LIST_ITEM, split_sentences, strip_markup

# `Label: text` (bold or not; also `Label — text`): a short label, then the point itself
PLAIN_LABEL = re.compile(r"^\s*(?:[-*+•]\s+)?\**([^:\n]{2,60}?)\**\s*[:：—–]\s+(\S.{8,})")
_NUMBER = re.compile(r"^\s*\d{1,3}[.)]\s+")


def joined_sentences(lines: list[str]) -> list[str]:
    """The sentences of the lines read as one text (lines may break mid-sentence, as in PDF and
    plain-text exports, so only a capital letter after . ! ? starts a new sentence)."""
    prose = " ".join(strip_markup(line) for line in lines)
    return [s for s in split_sentences(prose, before_capital=True) if len(s) >= 20]


def line_sentences(lines: list[str]) -> list[str]:
    """The sentences of each line on its own (every line a whole paragraph); a lead-in ending in ':'
    says nothing by itself. Without any sentence long enough, the lines themselves."""
    sentences = [s for line in lines for s in split_sentences(strip_markup(line))]
    points = [s for s in sentences if len(s) >= 20 and not s.endswith(":")]
    return points or [strip_markup(line) for line in lines if len(strip_markup(line)) >= 3]


@dataclass(frozen=True)
class KeyPointRules:
    """How a shape's answers show their main points."""

    item: re.Pattern[str] = LIST_ITEM  # each list item is a point
    label: re.Pattern[str] = PLAIN_LABEL  # so is each `Label: text` line
    drop_numbers: bool = False  # "1. Point" → "Point"
    opening: bool = False  # the answer's first sentence is a point of its own (unless a list starts it)
    min_listed: int = 1  # fewer points than this from the above: the sentences are the points
    sentences: Callable[[list[str]], list[str]] = joined_sentences


DEFAULT_RULES = KeyPointRules()


def derive_key_points(answer_lines: list[str], rules: KeyPointRules = DEFAULT_RULES, limit: int = 8) -> list[str]:
    """The answer's main points (at most `limit`, each once): its items and labelled lines, else its sentences."""
    prose = [line for line in answer_lines if line.strip()]
    points = _opening(prose, rules) + _listed(prose, rules)
    if len(points) < rules.min_listed:
        points = rules.sentences(prose)
    return _unique(points)[:limit]


def _opening(prose: list[str], rules: KeyPointRules) -> list[str]:
    if not rules.opening or not prose or rules.item.match(prose[0]):
        return []
    first = split_sentences(strip_markup(prose[0]))[0]
    return [first] if len(first) >= 20 and not first.endswith(":") else []


def _listed(prose: list[str], rules: KeyPointRules) -> list[str]:
    points = []
    for line in prose:
        if rules.item.match(line) or rules.label.match(line):
            text = strip_markup(_NUMBER.sub("", line) if rules.drop_numbers else line)
            if 12 <= len(text) <= 400 and not text.endswith(":"):
                points.append(text)
    return points


def _unique(points: list[str]) -> list[str]:
    """Each point once, the first spelling kept (case does not make a new point)."""
    seen, unique = set(), []
    for p in points:
        if p.casefold() not in seen:
            seen.add(p.casefold())
            unique.append(p)
    return unique
