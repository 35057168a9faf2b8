"""What the columns and keys of a structured bank mean, found by their names (English and
Ukrainian), and the text of one field (HTML inside a field rendered as plain lines).

The CSV/TSV, JSON and Anki loaders share these names, so `Front`/`Back`, `question`/`answer`,
`питання`/`відповідь`, `difficulty`, `topic`/`deck` and `tags` mean the same in every format.
"""

from __future__ import annotations

import re

from ingest.levels import LEVEL_VALUE  # noqa: F401  (a cell or tag that is only a level word)
from ingest.load.html import html_to_lines

# field → the names a header or key may give it (compared casefolded, `_`/`-` read as spaces; a
# name of three letters or more also matches as the first word: "Question text", "answer_en")
NAMES: dict[str, tuple[str, ...]] = {
    "question": ("question", "q", "front", "prompt", "term", "питання", "запитання", "вопрос"),
    "answer": ("answer", "a", "back", "definition", "відповідь", "ответ", "визначення"),
    "level": ("level", "difficulty", "рівень", "складність", "сложность"),
    "section": ("topic", "section", "deck", "category", "тема", "розділ", "категорія", "колода"),
    "tags": ("tags", "tag", "теги", "тег", "мітки"),
    "key_points": ("key points", "key_points", "keypoints", "points", "rubric", "ключові пункти"),
}
QUESTION_NAMES = ", ".join(NAMES["question"])



def field_of(name: object) -> str | None:
    """The field a column or key name stands for, or None."""
    if not isinstance(name, str):
        return None
    norm = re.sub(r"[\s_\-]+", " ", re.sub(r"[^\w\s\-]", " ", name.casefold())).strip()
    if not norm:
        return None
    for field_name, names in NAMES.items():
        for n in names:
            n = n.replace("_", " ")
            if norm == n or (len(n) >= 3 and norm.startswith(n + " ")):
                return field_name
    return None


def match_fields(names: list[object]) -> dict[str, int]:
    """field → the position of the first name that stands for it."""
    found: dict[str, int] = {}
    for i, name in enumerate(names):
        f = field_of(name)
        if f is not None and f not in found:
            found[f] = i
    return found


_HTML = re.compile(r"<(?:br|p|div|span|b|i|u|strong|em|code|pre|ul|ol|li|table|tr|td|th|h[1-6]|sup|sub|img|font|a)"
                   r"\b[^>]*>|&(?:nbsp|amp|lt|gt|quot|#\d+);", re.I)
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", re.S)
_MEDIA = re.compile(r"\[sound:[^\]]*\]")


def field_text(value: object, html: bool | None = None) -> str:
    """A field's text: HTML (html=True, or None and the value has tags) rendered to plain lines,
    line breaks kept, blank lines at the edges dropped."""
    if value is None:
        return ""
    text = str(value)
    text = _MEDIA.sub("", text)
    if html or (html is None and _HTML.search(text)):
        text = "\n".join(html_to_lines(text, bold=False))
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n").strip()


def cloze(text: str) -> tuple[str, str] | None:
    """A cloze deletion note ("{{c1::Paris}} is …"): (text with blanks, text filled in), else None."""
    if not _CLOZE.search(text):
        return None
    return _CLOZE.sub("[…]", text), _CLOZE.sub(r"\1", text)


def split_tags(value: object, spaces: bool = False) -> list[str]:
    """Tags from a list, or from text split at , ; | (and at spaces: Anki's tags)."""
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        items = re.split(r"\s+" if spaces else r"[,;|]", str(value or ""))
    return [t.strip() for t in items if t and t.strip()]


def level_hint(value: object) -> str:
    return " ".join(str(v) for v in value) if isinstance(value, list) else str(value or "").strip()


def split_points(value: object) -> list[str]:
    """Key points from a list, or from one cell: one per line, or split at | and ; (never at commas,
    which a point's own text holds). Bullet marks are dropped."""
    items = value if isinstance(value, list) else re.split(r"\s*(?:\n|\||;)\s*", field_text(value))
    points = [re.sub(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+", "", field_text(p)).strip() for p in items]
    return [p for p in points if p]
