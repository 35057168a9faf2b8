"""Levels: the one mapping from a bank's own words for a level to junior | middle | senior | unknown
(DESIGN.md: Beginner/Easy → junior, Intermediate/Medium → middle, Expert/Hard → senior), and the
lines that state a level.

* map_level(hint): a heading, a section path ("Middle / Computer Vision"), a difficulty field.
* level_phrase(text): the level a text that is *only* a level names: "Easy", "Senior level",
  "Легкий рівень", "Складні питання", "Level: Senior", "Рівень: Junior", "Difficulty: hard".
* level_label(line): the level a `Level: Senior` / `**Рівень:** Junior` / `Difficulty: Hard` line
  states (a label, not a heading: it never belongs to a question or an answer).
* level_tag(question): a level tag in brackets at the end or the start of a question line
  ("What is X? (Senior)", "[Junior] Що таке Y?"): the question without it, and the level.
"""

from __future__ import annotations

import re

# A hint that mentions a level among other words ("Beginner Level", "Middle / NLP"): these stems
# are looked for anywhere in it.
_MENTIONS = [
    ("junior", r"beginner|easy|junior|\bbasic\b|початк|джун"),
    ("middle", r"intermediate|medium|middle|мідл"),
    ("senior", r"expert|hard|senior|advanced|сеньйор|синьйор"),
]
# The words that name a level where they stand alone (a heading, a label's value, a table cell).
# The Ukrainian adjectives ("легкий", "середній", "складний") are ordinary words too ("складність
# моделі", "середнє значення"), so they count only in a phrase that is nothing but a level.
_WORDS = {
    "junior": """junior beginner beginners easy basic джуніор джун початковий початкового початкові легкий
        легка легке легкі легкого легкої""",
    "middle": """middle intermediate medium mid мідл середній середня середнє середні середнього
        середньої""",
    "senior": """senior expert hard advanced сеньйор синьйор складний складна складне складні складного
        складної просунутий просунутого просунуті""",
}
_LEVEL_OF_WORD = {w: level for level, words in _WORDS.items() for w in words.split()}
_WORD = "|".join(sorted(map(re.escape, _LEVEL_OF_WORD), key=len, reverse=True))
# a cell or tag that is only a level word ("Hard", "джуніор")
LEVEL_VALUE = re.compile(rf"^(?:{_WORD})$", re.IGNORECASE)

_LABEL_WORDS = r"level|difficulty|рівень|складність|уровень|сложность"
_FILLER = r"level|рівень|рівня|questions|question|питання|запитання|завдання|tasks|уровень"
# "Easy", "Beginner Level", "Senior-level questions", "Level: Senior", "Рівень — Junior",
# "Легкий рівень", "Питання рівня Junior"
_PHRASE = re.compile(
    rf"^(?:(?:{_LABEL_WORDS})\s*[:：\-–—]?\s*|(?:{_FILLER})\s+рівня\s+)?(?P<word>{_WORD})"
    rf"(?:\s*[-–—:]?\s*(?:{_FILLER}))*$",
    re.IGNORECASE,
)
_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)")
# `Level: Senior`, `**Рівень:** Junior`, `- Difficulty: hard`, `_Level: Senior_`, `> Level: Senior`
_LABEL = re.compile(
    rf"^\s*(?:>\s*)?(?:[-*+•]\s+)?(?:{_LABEL_WORDS})\s*[:：]\s*(?P<value>\S.{{0,40}}?)\s*$", re.IGNORECASE
)


def _plain(text: str) -> str:
    return " ".join(_MARKUP.sub(" ", text).split())


def level_phrase(text: str) -> str | None:
    """junior / middle / senior when the text is nothing but a level phrase, else None."""
    m = _PHRASE.match(_plain(text).strip(" .!"))
    return _LEVEL_OF_WORD[m.group("word").casefold()] if m else None


def level_label(line: str) -> str | None:
    """junior / middle / senior when the line is a `Level: …` label naming a level, else None."""
    m = _LABEL.match(_plain(line))
    return level_phrase(m.group("value")) if m else None


def map_level(hint: str) -> str:
    """The level a hint gives: junior | middle | senior | unknown."""
    for part in hint.split(" / "):
        level = level_phrase(part)
        if level:
            return level
    hint = hint.casefold()
    for level, pattern in _MENTIONS:
        if re.search(pattern, hint):
            return level
    return "unknown"


_TAG_END = re.compile(r"\s*[(\[]\s*(?P<tag>[^()\[\]]{1,40}?)\s*[)\]]\s*$")
_TAG_START = re.compile(r"^\s*[(\[]\s*(?P<tag>[^()\[\]]{1,40}?)\s*[)\]]\s*")


def level_tag(question: str) -> tuple[str, str | None]:
    """The question without a bracketed level tag at its end or start, and the tag's level (None and
    the question unchanged when there is no such tag: "(e.g. BERT)" is no level)."""
    for pattern in (_TAG_END, _TAG_START):
        m = pattern.search(question)
        if m:
            level = level_phrase(m.group("tag"))
            rest = (question[: m.start()] + question[m.end():]).strip()
            if level and rest:
                return rest, level
    return question, None
