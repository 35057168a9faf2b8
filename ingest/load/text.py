"""Text files (txt, md): UTF-8 only (UTF-16 with a BOM is decoded too); anything else is reported."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.document import Line, LoadError, numbered_lines


def load_text(path: Path, data: bytes) -> list[Line]:
    """The file's lines, each located by its line number."""
    return numbered_lines(read_text(path, data).splitlines())


def read_text(path: Path, data: bytes) -> str:
    """The decoded text; a file with only whitespace in it is an error."""
    text = decode_text(path, data)
    if not text.strip():
        raise LoadError(path, "empty file (only whitespace)")
    return text


def decode_text(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(path, f"invalid UTF-16 text (BOM present): {exc.reason}") from exc
    if data.startswith(b"%PDF-"):
        raise LoadError(path, "binary file (a PDF with a text extension)")
    if _looks_binary(data):
        raise LoadError(path, "binary file (NUL bytes or mostly non-text bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        guess = _guess_encoding(data)
        raise LoadError(
            path, f"not UTF-8 (looks like {guess}; invalid byte at offset {exc.start}); convert it to UTF-8"
        ) from exc
    return text.removeprefix("\ufeff")


def _looks_binary(data: bytes) -> bool:
    head = data[:65536]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > 0.05 * len(head)


def _guess_encoding(data: bytes) -> str:
    """A best guess for the report only: the file is skipped either way."""
    high = [b for b in data if b >= 0x80]
    if not high:
        return "an ASCII-compatible 8-bit encoding"
    try:
        as1251 = data.decode("cp1251")
    except UnicodeDecodeError:
        as1251 = ""
    cyr = len(re.findall(r"[а-яёіїєґ]", as1251, re.I)) if as1251 else 0
    if cyr >= 0.8 * len(high):
        return "Windows-1251 (Cyrillic)"
    try:
        as1253 = data.decode("cp1253")
        greek = len(re.findall(r"[α-ωά-ώ]", as1253, re.I))
        if greek >= 0.8 * len(high):
            return "Windows-1253 (Greek)"
    except UnicodeDecodeError:
        pass
    return "Latin-1/Windows-1252"
