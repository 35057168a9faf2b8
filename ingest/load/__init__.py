"""File → Document: picks the loader for the file's type and reports what cannot be read.

Every failure is a LoadError that names the file and says why (unsupported type, empty, binary,
an encoding that cannot be told, corrupt/truncated/encrypted PDF, PDF without a text layer, a
table or JSON without a question column/key, a corrupt Word file); the caller reports it and skips
the file. Text formats are decoded here, once (text.decode: UTF-8, or a legacy encoding told with
confidence; the Document names it); the loaders live beside this module, one per format. A loader
gives lines for the shape parsers, entries (question/answer pairs its structure states), or both.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from ingest.document import Document, Loaded, LoadError
from ingest.load.anki import is_anki_export, load_anki
from ingest.load.delimited import load_delimited
from ingest.load.docx import load_docx
from ingest.load.html import load_html
from ingest.load.json_rows import load_json
from ingest.load.pdf import load_pdf
from ingest.load.text import decode, load_text

SUPPORTED = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf",
             ".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".docx": "docx"}

# kind → (path, decoded text) → what the file holds
_TEXT_LOADERS: dict[str, Callable[[Path, str], Loaded]] = {
    "txt": load_text,
    "md": load_text,
    "html": load_html,
    "csv": load_delimited,
    "tsv": partial(load_delimited, tab=True),
    "json": load_json,
    "jsonl": partial(load_json, lines=True),
    "anki": load_anki,
}
# kind → (path, file bytes) → what the file holds
_BINARY_LOADERS: dict[str, Callable[[Path, bytes], Loaded]] = {
    "pdf": load_pdf,
    "docx": load_docx,
}


def load(path: Path) -> Document:
    path = Path(path)
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED))
        raise LoadError(path, f"unsupported file type {path.suffix or '(no extension)'!r} (supported: {supported})")
    data = _read(path)
    if kind in _BINARY_LOADERS:
        loaded, encoding = _BINARY_LOADERS[kind](path, data), ""
    else:
        text, encoding = decode(path, data)
        if kind == "txt" and is_anki_export(text):
            kind = "anki"
        loaded = _TEXT_LOADERS[kind](path, text)
    return Document(path.name, kind, loaded.lines, loaded.entries, encoding)


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError(path, "empty file")
    return data
