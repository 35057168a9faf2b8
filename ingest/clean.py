"""Text repair and boilerplate removal, by general rules that hold for any web export.

* Mojibake: ftfy, plus the double decode ftfy leaves alone: UTF-8 bytes read as Greek
  (ISO-8859-7 / Windows-1253) with the bytes 0x80-0x9F lost. `Ξ»` → λ and `Β²` → ² come back; a
  character that lost bytes (emoji `π‘`, arrows/checkmarks `β`) cannot, and its remains are removed.
  Real Greek and any Cyrillic text are left alone.
* Boilerplate: skip links, "View Answer" toggles, quiz/app UI lines (emoji + a UI verb, bare
  percentages), cookie-consent blocks (the banner sentence and the cookie-name/description list that
  follows it), "Powered By", "Show details".
* Zero-width characters and trailing whitespace; blank lines are kept (parsers use paragraph breaks).
"""

from __future__ import annotations

import re

import ftfy

from ingest.document import Line

# ---------------------------------------------------------------------------------------------
# mojibake

# characters that a Greek 8-bit decode produces for the bytes 0xA0-0xFF
_GREEK_BYTES: dict[str, int] = {}
for _codec in ("iso8859_7", "cp1253"):  # ISO-8859-7 first: it is what drops 0x80-0x9F
    for _b in range(0xA0, 0x100):
        try:
            _ch = bytes([_b]).decode(_codec)
        except UnicodeDecodeError:
            continue
        _GREEK_BYTES.setdefault(_ch, _b)
_GREEK_BYTES.pop("\xa0", None)
_RUN = re.compile("[" + re.escape("".join(_GREEK_BYTES)) + "]+")
# UTF-8 lead bytes whose characters are 3/4 bytes long and, in this corruption, unrecoverable
_LOST_LEADS = {0xE2, 0xEF, 0xF0}
_LOST = "\x00"  # marks a removed character until the line is tidied


def _utf8_len(b: int) -> int:
    if 0xC2 <= b <= 0xDF:
        return 2
    if 0xE0 <= b <= 0xEF:
        return 3
    if 0xF0 <= b <= 0xF4:
        return 4
    return 0


def _repair_run(run: str, drop_lost: bool) -> tuple[str, int]:
    """Re-decode one run of Greek-range characters as UTF-8. Returns (text, repaired count)."""
    data = [_GREEK_BYTES[ch] for ch in run]
    out, repaired, i = [], 0, 0
    while i < len(data):
        need = _utf8_len(data[i])
        cont = 0
        while cont < need - 1 and i + 1 + cont < len(data) and 0x80 <= data[i + 1 + cont] <= 0xBF:
            cont += 1
        if need and cont == need - 1:
            chunk = bytes(data[i:i + need])
            try:
                out.append(chunk.decode("utf-8"))
                repaired += 1
                i += need
                continue
            except UnicodeDecodeError:
                pass
        if need >= 3 and drop_lost and data[i] in _LOST_LEADS:
            i += 1 + cont  # a 3/4-byte character whose middle bytes were lost: emoji, arrow, check
            out.append(_LOST)
            continue
        out.append(run[i])
        i += 1
    return "".join(out), repaired


def _looks_double_decoded(text: str, min_hits: int = 1) -> bool:
    """Evidence that text holds UTF-8 read as Greek 8-bit: 2-byte sequences that decode cleanly."""
    hits = 0
    for run in _RUN.findall(text):
        if len(run) >= 2:
            _, repaired = _repair_run(run, drop_lost=False)
            hits += repaired
        if hits >= min_hits:
            return True
    return bool(re.search(r"π[‘’΄΅Ά]", text))  # 4-byte emoji remains (🟡 🔴 🟢 …)


def fix_text(text: str, double_decoded: bool | None = None) -> str:
    """Repair mojibake where it can be repaired; drop the remains of characters that cannot be.

    `double_decoded`: whether the document is known to be UTF-8 read as Greek 8-bit (clean_lines
    decides it once per document); None: decide from `text` alone.
    """
    if double_decoded is None:
        double_decoded = _looks_double_decoded(text)
    if double_decoded:
        def repl(m: re.Match) -> str:
            return _repair_run(m.group(), drop_lost=True)[0]

        fixed = _RUN.sub(repl, text)
        if _LOST in fixed:
            fixed = re.sub(rf"(?<=\w)[{_LOST}\s]*{_LOST}[{_LOST}\s]*(?=\w)", " ", fixed)  # keep words apart
            fixed = fixed.replace(_LOST, "")
            # the removed symbol sat between two words: keep them apart, collapse doubled spaces
            fixed = re.sub(r"(?<=\S)  +(?=\S)", " ", fixed)
        text = fixed
    return ftfy.fix_text(text, uncurl_quotes=False, fix_character_width=False, normalization="NFC")


# ---------------------------------------------------------------------------------------------
# boilerplate

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_UI_VERBS = (
    r"generate|reset|download|print|share|export|save|submit|start|restart|retry|check|show|hide|view|"
    r"copy|subscribe|sign\s*in|sign\s*up|log\s*in|login|register|accept|reject|decline|close|continue|"
    r"next|previous|back|total\s+score|score|progress|interview\s+report|report|stiahnu\S*|stáhnout|"
    r"herunterladen|télécharger|скачати|завантажити"
)
_BOILERPLATE = [
    re.compile(r"^(?:skip to (?:main )?content|view answer|show answer|hide answer|show details|hide details|"
               r"powered by(?:\s+\S+)?|read more|load more|back to top|table of contents|toggle navigation|"
               r"menu|home|search|share|tweet|print|accept(?: all)?(?: cookies)?|reject all|"
               r"cookie settings|manage cookies|start checking answers!?|copy code|copied!?)$", re.I),
    re.compile(r"^[-+]?\d{1,3}(?:[.,]\d+)?\s*%$"),  # a bare percentage (a score widget)
]
# a short line made of an emoji/pictograph and a UI verb ("📄 Generate Report", "🔄 Reset All")
_EMOJI = "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF\u2300-\u23FF\u25A0-\u25FF]"
_EMOJI_UI = re.compile(rf"^{_EMOJI}\ufe0f?\s*(?:{_UI_VERBS})\b.{{0,50}}$", re.I)
_COOKIE_START = re.compile(
    r"\b(?:we|this (?:site|website)|our (?:site|website)|it) (?:uses?|use) cookies\b|^cookies?\s*$|"
    r"^cookie (?:policy|settings|preferences|declaration)\b",
    re.I,
)
_COOKIE_TALK = re.compile(
    r"cookie|analytics|tracking|\btracks?\b|advertis|session|consent|privacy|visitor|pageview|"
    r"\bads?\b|browser|user(?:'s|s)? (?:identity|behaviou?r|preferences|data|id)|heatmap|"
    r"linkedin|google|facebook|microsoft|adobe|bing|doubleclick|clarity|webengage|login|sign-in|"
    r"preferences|statistical|the website|this site|our (?:site|pages)|third-party|personal data",
    re.I,
)
_COOKIE_NAME = re.compile(r"^[\w#%.\-]{1,48}$")  # `_ga`, `MUID`, `csrftoken`, `_ga_#`, `AMCV_…%40AdobeOrg`


def _is_boilerplate(text: str) -> bool:
    t = text.strip()
    if not t:
        return False
    if any(p.match(t) for p in _BOILERPLATE):
        return True
    return len(t) <= 60 and bool(_EMOJI_UI.match(t))


def _cookie_block_end(texts: list[str], start: int) -> int:
    """Index just past a cookie-consent block that starts at `start` (trailing blank lines kept)."""
    i = end = start + 1
    while i < len(texts):
        t = texts[i].strip()
        if not t:
            i += 1
            continue
        if _COOKIE_NAME.match(t):  # a cookie name ("_ga", "MUID", "collect"), then its description
            i += 1
            while i < len(texts) and not texts[i].strip():
                i += 1
            if i < len(texts) and not _COOKIE_NAME.match(texts[i].strip()) and len(texts[i]) < 400:
                i += 1
            end = i
            continue
        if _COOKIE_TALK.search(t) or _is_boilerplate(t) or re.match(r"(?i)we do not use cookies", t):
            i = end = i + 1
            continue
        break
    return end


def clean_text(text: str) -> str:
    """One field's text repaired (mojibake, zero-width characters, trailing spaces): what a file's
    structure states needs no boilerplate removal."""
    return "\n".join(_ZERO_WIDTH.sub("", fix_text(line)).rstrip() for line in text.split("\n"))


def clean_lines(lines: list[Line]) -> list[Line]:
    double_decoded = sum(_looks_double_decoded(line.text) for line in lines[:5000]) >= 2
    fixed = []
    for line in lines:
        text = _ZERO_WIDTH.sub("", fix_text(line.text, double_decoded)).rstrip()
        fixed.append(Line(text, line.locator))
    texts = [line.text for line in fixed]
    out: list[Line] = []
    i = 0
    while i < len(fixed):
        t = texts[i].strip()
        if t and _COOKIE_START.search(t) and len(t) < 600:
            i = _cookie_block_end(texts, i)
            continue
        if _is_boilerplate(t):
            i += 1
            continue
        out.append(fixed[i])
        i += 1
    return out
