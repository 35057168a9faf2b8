"""PDF → lines: pypdf text with positions; running headers/footers and page numbers removed; the
lines a renderer wrapped are then re-joined into paragraphs (pdf_paragraphs). Lines are located by page."""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ingest.document import Loaded, LoadError
from ingest.load.pdf_paragraphs import PdfLine, join_wrapped

_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|стор(?:інка)?\.?|сторінка|seite|página)\s*)?[-–—\s]*\d{1,4}"
    r"(?:\s*(?:/|of|з|из|із)\s*\d{1,4})?[-–—\s]*$",
    re.I,
)


def load_pdf(path: Path, data: bytes) -> Loaded:
    _check_envelope(path, data)
    pages = _pages(path)
    plines: list[list[PdfLine]] = []
    for number, page in enumerate(pages, 1):
        try:
            plines.append(_page_lines(page, number))
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken content streams
            raise LoadError(path, f"corrupt PDF (page {number}: {exc})") from exc
    if not any(pl.text.strip() for page in plines for pl in page):
        raise LoadError(path, "PDF has no extractable text (scanned images? OCR it first)")
    plines = _drop_running_lines(plines)
    lines = join_wrapped([pl for page in plines for pl in page])
    if not any(line.text.strip() for line in lines):
        raise LoadError(path, "PDF has no extractable text besides page headers/footers")
    return Loaded(lines)


def _check_envelope(path: Path, data: bytes) -> None:
    """Cheap checks before pypdf: a PDF header near the start, an end-of-file marker at the end."""
    if not data.lstrip()[:1024].startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise LoadError(path, "not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-2048:]:
        raise LoadError(path, "truncated or corrupt PDF (no %%EOF marker at the end)")


def _pages(path: Path) -> list:
    """The document's pages, decrypted with the empty password if it is encrypted."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - e.g. missing crypto backend
                raise LoadError(path, f"encrypted PDF (cannot decrypt: {exc})") from exc
            if not ok:
                raise LoadError(path, "encrypted PDF (password required)")
        pages = list(reader.pages)
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(path, f"truncated or corrupt PDF ({exc})") from exc
    if not pages:
        raise LoadError(path, "corrupt PDF (no pages)")
    return pages


def _page_lines(page, number: int) -> list[PdfLine]:
    frags: list[tuple[float, float, str, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        font = str(font_dict.get("/BaseFont", "")) if font_dict else ""
        frags.append((x, y, text, (font_size or 0) * scale, font))

    plain = page.extract_text(visitor_text=visit) or ""
    if not frags and plain.strip():  # no positions: fall back to the plain text lines
        return [PdfLine(t.strip(), number, 0.0, 0.0, 0.0, "") for t in plain.splitlines() if t.strip()]
    lines = _baseline_lines(frags, number)
    for prev, cur in zip(lines, lines[1:], strict=False):
        cur.gap = prev.y - cur.y
    return lines


def _baseline_lines(frags: list[tuple[float, float, str, float, str]], number: int) -> list[PdfLine]:
    """Fragments that sit on one baseline merged into one line (in content order; a new line starts
    when y jumps)."""
    lines: list[PdfLine] = []
    for x, y, text, size, font in frags:
        for i, part in enumerate(text.split("\n")):
            if not part.strip():
                continue
            if lines and i == 0 and abs(lines[-1].y - y) < 0.5 * max(size, 1.0) and lines[-1].page == number:
                sep = "" if lines[-1].text.endswith(" ") or part.startswith(" ") else " "
                lines[-1].text = (lines[-1].text + sep + part).rstrip()
            elif i == 0 or not lines:
                lines.append(PdfLine(part.strip(), number, x, y, size, font))
            else:  # an embedded newline in one fragment: same font, position unknown
                prev = lines[-1]
                lines.append(PdfLine(part.strip(), number, x, prev.y - prev.size * 1.2, size, font))
    return lines


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().casefold())


def _drop_running_lines(pages: list[list[PdfLine]]) -> list[list[PdfLine]]:
    """Remove headers/footers repeated (same text, same height) on most pages, and page numbers."""
    n = len(pages)
    edge = 2
    counts: Counter[tuple[str, int]] = Counter()
    for lines in pages:
        candidates = {(_shape(pl.text), round(pl.y / 4)) for pl in lines[:edge] + lines[-edge:]}
        counts.update(candidates)
    threshold = max(2, int(0.6 * n + 0.999)) if n >= 2 else 10**9
    running = {shape for shape, c in counts.items() if c >= threshold}
    out = []
    for lines in pages:
        keep = []
        for i, pl in enumerate(lines):
            at_edge = i < edge + 1 or i >= len(lines) - edge - 1
            if at_edge and ((_shape(pl.text), round(pl.y / 4)) in running or _PAGE_NUMBER.match(pl.text.strip())):
                continue
            keep.append(pl)
        out.append(keep)
    return out
