"""Small text helpers both sides share: language detection, fencing document text in a prompt."""

from __future__ import annotations

import re

_CYRILLIC = re.compile(r"[а-яіїєґёА-ЯІЇЄҐЁ]")
_LATIN = re.compile(r"[a-zA-Z]")


def detect_lang(text: str) -> str:
    """'uk' when Cyrillic letters make up a real share of the text, else 'en' (the bank's two languages)."""
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    return "uk" if cyr >= 3 and cyr > 0.3 * (cyr + lat) else "en"


def fence(text: str, limit: int) -> str:
    """Document text as data inside <doc> tags for a prompt: cut to `limit`, unable to close the fence."""
    text = (text or "").replace("<doc>", "").replace("</doc>", "")
    return f"<doc>\n{text[:limit]}\n</doc>"
