"""File → Document: picks the loader for the file's type and reports what cannot be read.

Every failure is a LoadError that names the file and says why (unsupported type, empty, binary,
not UTF-8, corrupt/truncated/encrypted PDF, PDF without a text layer); the caller reports it and
skips the file. The loaders themselves live beside this module, one per format.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.document import Document, Line, LoadError
from ingest.load.html import load_html
from ingest.load.pdf import load_pdf
from ingest.load.text import load_text

SUPPORTED = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}

# kind → (path, file bytes) → lines with locators
_LOADERS: dict[str, Callable[[Path, bytes], list[Line]]] = {
    "txt": load_text,
    "md": load_text,
    "html": load_html,
    "pdf": load_pdf,
}


def load(path: Path) -> Document:
    path = Path(path)
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED))
        raise LoadError(path, f"unsupported file type {path.suffix or '(no extension)'!r} (supported: {supported})")
    return Document(path.name, kind, _LOADERS[kind](path, _read(path)))


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError(path, "empty file")
    return data
