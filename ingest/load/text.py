"""Text files (txt, md) and the decoding every text format shares.

UTF-8 first (a BOM of UTF-8, UTF-16 or UTF-32 is honoured); otherwise a legacy 8-bit encoding that
charset-normalizer finds and that reads as real words (Windows-1251 or KOI8-U for Cyrillic,
Latin-1/Windows-1252 for Western text). Bytes no encoding reads cleanly, or that two encodings
read equally well as different text, are refused with the reason.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ingest.document import Loaded, LoadError, numbered_lines

_BOMS = (  # UTF-32 first: its little-endian BOM starts like UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)
# the legacy encodings a bank may come in, in the order a tie between equal readings prefers
_CYRILLIC_CODECS = ("cp1251", "koi8_u")
_WESTERN_CODECS = ("latin_1", "cp1252")
_NAMES = {"cp1251": "windows-1251", "koi8_u": "koi8-u", "cp1252": "windows-1252", "latin_1": "latin-1"}
_MIN_PLAUSIBLE = 0.75  # share of words with a natural letter case the winning reading must reach
_MARGIN = 0.2  # how much better than any different reading the winner must be


def load_text(path: Path, text: str) -> Loaded:
    """The file's lines, each located by its line number."""
    return Loaded(numbered_lines(text.splitlines()))


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """(the decoded text, the encoding's name); a file with only whitespace in it is an error."""
    text, encoding = _decode(path, data)
    if not text.strip():
        raise LoadError(path, "empty file (only whitespace)")
    return text, encoding


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec).removeprefix("\ufeff"), name
            except UnicodeDecodeError as exc:
                raise LoadError(path, f"invalid {name.upper()} text (BOM present): {exc.reason}") from exc
    if data.startswith(b"%PDF-"):
        raise LoadError(path, "binary file (a PDF with a text extension)")
    if _looks_binary(data):
        raise LoadError(path, "binary file (NUL bytes or mostly non-text bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        return _legacy(path, data, exc)


def _looks_binary(data: bytes) -> bool:
    head = data[:65536]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > 0.05 * len(head)


_LETTERS = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[Ѐ-ӿ]")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")


def plausibility(text: str) -> float:
    """Share of the words with non-ASCII letters that look like words: one script, and lower case,
    Capitalized or a short ALL-CAPS acronym (a wrong 8-bit reading flips case mid-word: "ыН РЮЙЕ")."""
    score = n = 0.0
    for word in _LETTERS.findall(text):
        if word.isascii():
            continue  # the same in every reading
        n += 1
        if _CYRILLIC.search(word) and _LATIN.search(word):
            continue  # two scripts in one word
        if word.islower() or (word[0].isupper() and (len(word) == 1 or word[1:].islower())):
            score += 1
        elif word.isupper():
            score += 1 if len(word) <= 4 else 0.5
    return score / n if n else 1.0


def _legacy(path: Path, data: bytes, exc: UnicodeDecodeError) -> tuple[str, str]:
    """The reading of a legacy encoding that is clearly right, or a LoadError that says why none is."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data, cp_isolation=[*_CYRILLIC_CODECS, *_WESTERN_CODECS])
    readings: list[tuple[float, str, str]] = []  # (score, text, encoding)
    for m in matches:
        codecs_ = [c for c in (m.encoding, *m.could_be_from_charset) if c in _NAMES]
        if not codecs_:
            continue
        text = str(m)
        readings.append((plausibility(text) - m.chaos, text, _name(codecs_, text, data)))
    readings.sort(key=lambda r: -r[0])
    where = f"invalid UTF-8 byte at offset {exc.start}"
    if not readings:
        raise LoadError(path, f"not UTF-8 ({where}), and no known encoding (Windows-1251, KOI8-U, "
                              "Latin-1/Windows-1252) reads it cleanly; convert it to UTF-8")
    score, text, name = readings[0]
    rival = next((r for r in readings[1:] if r[1] != text), None)
    if score < _MIN_PLAUSIBLE or (rival is not None and score - rival[0] < _MARGIN):
        other = f" or as {rival[2]}" if rival is not None else ""
        raise LoadError(path, f"not UTF-8 ({where}), and its encoding cannot be told: it reads as {name}{other}, "
                              "neither clearly right; convert it to UTF-8")
    return text.removeprefix("\ufeff"), name


def _name(codecs_: list[str], text: str, data: bytes) -> str:
    """The encoding to name for a reading several codecs give alike: Cyrillic text names a Cyrillic
    codec; Western text is Latin-1 unless it uses Windows-1252's extra characters (0x80-0x9F)."""
    preferred = _CYRILLIC_CODECS + _WESTERN_CODECS if _CYRILLIC.search(text) else _WESTERN_CODECS + _CYRILLIC_CODECS
    if "cp1252" in codecs_ and re.search(rb"[\x80-\x9f]", data):
        preferred = ("cp1252", *preferred)
    if "cp1252" in codecs_ and "latin_1" not in codecs_ and not re.search(rb"[\x80-\x9f]", data):
        codecs_ = [*codecs_, "latin_1"]  # the same text: Latin-1 is the plainer name
    return _NAMES[next(c for c in preferred if c in codecs_)]
