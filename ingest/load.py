"""File → Document: text lines with locators (line numbers, or pages for PDFs)."""

from __future__ import annotations

from pathlib import Path

from ingest.document import Document, Line, LoadError

SUPPORTED = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def load(path: Path) -> Document:
    path = Path(path)
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise LoadError(path, f"unsupported file type {path.suffix!r}")
    data = path.read_bytes()
    text = data.decode("utf-8")
    return Document(path.name, kind, [Line(t, str(i)) for i, t in enumerate(text.splitlines(), 1)])
