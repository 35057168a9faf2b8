"""File → Document: text lines with locators (line numbers, or pages for PDFs).

Every failure is a LoadError that names the file and says why (unsupported type, empty, binary,
not UTF-8, corrupt/truncated/encrypted PDF, PDF without a text layer); the caller reports it and
skips the file.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ingest.document import Document, Line, LoadError

SUPPORTED = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def load(path: Path) -> Document:
    path = Path(path)
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED))
        raise LoadError(path, f"unsupported file type {path.suffix or '(no extension)'!r} (supported: {supported})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError(path, "empty file")
    if kind == "pdf":
        lines = _load_pdf(path, data)
    else:
        text = decode_text(path, data)
        if not text.strip():
            raise LoadError(path, "empty file (only whitespace)")
        if kind == "html":
            lines = [Line(t, str(i)) for i, t in enumerate(html_to_lines(text), 1)]
            if not any(line.text.strip() for line in lines):
                raise LoadError(path, "HTML page has no visible text")
        else:
            lines = [Line(t, str(i)) for i, t in enumerate(text.splitlines(), 1)]
    return Document(path.name, kind, lines)


# ---------------------------------------------------------------------------------------------
# text files: UTF-8 only (UTF-16 with a BOM is decoded too); anything else is reported


def decode_text(path, data: bytes) -> str:
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


# ---------------------------------------------------------------------------------------------
# HTML: a real parser; page chrome dropped; headings/lists/tables rendered markdown-style

_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button",
              "iframe", "svg", "template", "head", "select", "dialog", "canvas", "object", "embed")
_CHROME = re.compile(
    r"(?:^|[-_\s])(?:cookies?|consent|gdpr|banner|nav|navbar|navigation|menu|footer|breadcrumbs?|sidebar)"
    r"(?:$|[-_\s\d])",
    re.I,
)
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "menu", "menubar", "dialog", "alertdialog"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_BLOCK = {"p", "div", "section", "article", "main", "body", "html", "ul", "ol", "dl", "dt", "dd", "table",
          "thead", "tbody", "tfoot", "blockquote", "figure", "figcaption", "details", "summary", "center",
          "address", "hr", "caption", "fieldset", "legend"}


def _is_chrome(node) -> bool:
    attrs = node.attributes or {}
    if (attrs.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if (attrs.get("aria-hidden") or "").lower() == "true" or "hidden" in attrs:
        return True
    for key in ("id", "class", "aria-label"):
        value = attrs.get(key)
        if value and _CHROME.search(value):
            return True
    return False


def _collapse(text: str) -> str:
    return " ".join(text.split())


class _Renderer:
    def __init__(self):
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.prefix = ""
        self.depth = 0  # list nesting

    def flush(self):
        text = _collapse("".join(self.buf))
        self.buf = []
        if text:
            self.lines.append(self.prefix + text)
            self.prefix = ""

    def emit(self, text: str):
        self.flush()
        self.lines.append(text)

    def render(self, node):
        tag = node.tag
        if tag == "-text":
            self.buf.append(node.text_content or "")
            return
        if tag in ("-comment", "!doctype") or tag in _DROP_TAGS or _is_chrome(node):
            return
        if tag in _HEADINGS:
            self.flush()
            text = _collapse(node.text(deep=True, separator=""))
            if text:
                self.emit("#" * _HEADINGS[tag] + " " + text)
            return
        if tag == "pre":
            self.flush()
            body = node.text(deep=True, separator="").strip("\n")
            if body.strip():
                self.emit("```")
                for raw in body.splitlines():
                    self.emit(raw.rstrip())
                self.emit("```")
            return
        if tag == "br":
            self.flush()
            return
        if tag == "tr":
            self.flush()
            cells = [_collapse(c.text(deep=True, separator="")) for c in node.iter() if c.tag in ("td", "th")]
            if any(cells):
                self.emit("| " + " | ".join(cells) + " |")
            return
        if tag == "li":
            self.flush()
            self.prefix = "  " * max(self.depth - 1, 0) + "- "
            for child in node.iter(include_text=True):
                self.render(child)
            self.flush()
            self.prefix = ""
            return
        if tag in ("ul", "ol"):
            self.flush()
            self.depth += 1
            for child in node.iter(include_text=True):
                self.render(child)
            self.flush()
            self.depth -= 1
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        for child in node.iter(include_text=True):
            self.render(child)
        if block:
            self.flush()


def html_to_lines(html: str) -> list[str]:
    try:
        from selectolax.lexbor import LexborHTMLParser as HTMLParser
    except ImportError:  # pragma: no cover - fallback when selectolax is missing
        return _html_to_lines_bs4(html)
    tree = HTMLParser(html)
    root = tree.body or tree.root
    renderer = _Renderer()
    if root is not None:
        renderer.render(root)
    renderer.flush()
    return renderer.lines


def _html_to_lines_bs4(html: str) -> list[str]:  # pragma: no cover - only without selectolax
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(list(_DROP_TAGS)):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        attrs = " ".join(str(v if isinstance(v, str) else " ".join(v)) for k, v in (tag.attrs or {}).items()
                         if k in ("id", "class", "aria-label"))
        if _CHROME.search(attrs) or str(tag.get("role", "")).lower() in _CHROME_ROLES:
            tag.decompose()
    out = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "tr"]):
        if el.name == "pre":
            out += ["```", *el.get_text().strip("\n").splitlines(), "```"]
        elif el.name == "tr":
            out.append("| " + " | ".join(_collapse(c.get_text(" ")) for c in el.find_all(["td", "th"])) + " |")
        elif el.name in _HEADINGS:
            out.append("#" * _HEADINGS[el.name] + " " + _collapse(el.get_text(" ")))
        elif el.name == "li":
            out.append("- " + _collapse(el.get_text(" ")))
        elif not el.find_parent(["li", "pre"]):
            out.append(_collapse(el.get_text(" ")))
    return [line for line in out if line.strip()]


# ---------------------------------------------------------------------------------------------
# PDF: pypdf text with positions; running headers/footers and page numbers removed; wrapped lines
# re-joined into the source's paragraphs, also across page breaks


@dataclass
class _PLine:
    text: str
    page: int  # 1-based
    x: float
    y: float
    size: float
    font: str
    gap: float = 0.0  # vertical distance to the previous line on the same page (0: first on page)

    @property
    def bold(self) -> bool:
        return bool(re.search(r"bold|black|heavy|semibold", self.font, re.I))

    @property
    def mono(self) -> bool:
        return bool(re.search(r"mono|courier|code|consol", self.font, re.I))


_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|стор(?:інка)?\.?|сторінка|seite|página)\s*)?[-–—\s]*\d{1,4}"
    r"(?:\s*(?:/|of|з|из|із)\s*\d{1,4})?[-–—\s]*$",
    re.I,
)


def _load_pdf(path, data: bytes) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:1024].startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise LoadError(path, "not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-2048:]:
        raise LoadError(path, "truncated or corrupt PDF (no %%EOF marker at the end)")
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
    plines: list[list[_PLine]] = []
    for number, page in enumerate(pages, 1):
        try:
            plines.append(_page_lines(page, number))
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken content streams
            raise LoadError(path, f"corrupt PDF (page {number}: {exc})") from exc
    if not any(pl.text.strip() for page in plines for pl in page):
        raise LoadError(path, "PDF has no extractable text (scanned images? OCR it first)")
    plines = _drop_running_lines(plines)
    lines = _join_wrapped([pl for page in plines for pl in page])
    if not any(line.text.strip() for line in lines):
        raise LoadError(path, "PDF has no extractable text besides page headers/footers")
    return lines


def _page_lines(page, number: int) -> list[_PLine]:
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
        return [_PLine(t.strip(), number, 0.0, 0.0, 0.0, "") for t in plain.splitlines() if t.strip()]
    # merge fragments that sit on one baseline (in content order; a new line starts when y jumps)
    lines: list[_PLine] = []
    for x, y, text, size, font in frags:
        for i, part in enumerate(text.split("\n")):
            if not part.strip():
                continue
            if lines and i == 0 and abs(lines[-1].y - y) < 0.5 * max(size, 1.0) and lines[-1].page == number:
                sep = "" if lines[-1].text.endswith(" ") or part.startswith(" ") else " "
                lines[-1].text = (lines[-1].text + sep + part).rstrip()
            elif i == 0 or not lines:
                lines.append(_PLine(part.strip(), number, x, y, size, font))
            else:  # an embedded newline in one fragment: same font, position unknown
                prev = lines[-1]
                lines.append(_PLine(part.strip(), number, x, prev.y - prev.size * 1.2, size, font))
    for prev, cur in zip(lines, lines[1:], strict=False):
        cur.gap = prev.y - cur.y
    return lines


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().casefold())


def _drop_running_lines(pages: list[list[_PLine]]) -> list[list[_PLine]]:
    """Remove headers/footers repeated (same text, same height) on most pages, and page numbers."""
    n = len(pages)
    edge = 2
    counts: Counter[str] = Counter()
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


# glyph widths (1/1000 em) of a common sans serif (Helvetica metrics) for ASCII; other scripts get an
# average. Only relative widths matter: the full line width is measured on the document itself.
_ASCII_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778,
    722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278,
    278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]


def _width(text: str) -> float:
    w = 0
    for ch in text:
        o = ord(ch)
        if 32 <= o < 127:
            w += _ASCII_WIDTHS[o - 32]
        elif ch.isupper():
            w += 720
        elif ch.isalpha():
            w += 560
        else:
            w += 600
    return w / 1000


_ITEM_START = re.compile(
    r"^(?:[-*+•▪◦●▼►✓✔]\s|\d{1,3}[.)]\s|[a-zA-Z][.)]\s|#{1,6}\s|\|"  # bullets, numbers, headings, tables
    r"|```|>\s|Q\d+[.:]"
    r"|[A-ZА-ЯІЇЄҐ][\w/&()'’ .,-]{0,40}:(?:\s|$))"  # "Label: text"
)
_LABEL_ONLY = re.compile(r"^[^:\s]+(?:\s[^:\s]+)?:$")
_SENTENCE_END = re.compile(r"[.!?:;…)»\"”*]$")
_HYPHEN_SPLIT = re.compile(r"(?<=[a-zа-яіїєґ])-$")


def _wrapped(prev: _PLine, pl: _PLine, full: dict[float, float]) -> bool:
    """Did the renderer break `prev` only because `pl`'s first word no longer fitted?"""
    right = prev.x + _width(prev.text) * prev.size
    limit = full.get(round(prev.size), right)
    span = max(limit - prev.x, 1.0)
    first_word = pl.text.split(" ", 1)[0]
    slack = (limit - right) - _width(" " + first_word) * pl.size  # > 0: the word would have fitted
    ends_sentence = bool(_SENTENCE_END.search(prev.text))
    starts_item = bool(_ITEM_START.match(pl.text))
    if starts_item and _LABEL_ONLY.match(pl.text) and not ends_sentence:
        starts_item = False  # "Coding / Interview:": the tail of a sentence, not a new label
    if prev.text.count("(") > prev.text.count(")"):  # an open parenthesis continues on the next line
        ends_sentence = starts_item = False
    if prev.bold and pl.bold and not ends_sentence:  # a wrapped heading or bold question
        return slack < 0.25 * span
    if slack > 0.035 * span:  # clearly had room: a real line break
        return False
    # (nearly) full: wrapped, unless the next line starts a new item after a finished sentence
    # (a hard break that happens to fall where the line is full anyway)
    return not (starts_item and (ends_sentence or slack > -0.015 * span))


def _join_wrapped(plines: list[_PLine]) -> list[Line]:
    """Re-join lines that a PDF renderer wrapped inside one paragraph (and across page breaks)."""
    if not plines:
        return []
    # the usual line pitch and the full line width per (font size) over the whole document
    gaps = [pl.gap for pl in plines if 0 < pl.gap < 3 * max(pl.size, 1)]
    pitch = statistics.median(gaps) if gaps else 0.0
    full: dict[float, float] = {}
    widths_by_size: dict[float, list[float]] = {}
    for pl in plines:
        if not pl.mono:
            widths_by_size.setdefault(round(pl.size), []).append(pl.x + _width(pl.text) * pl.size)
    for size, widths in widths_by_size.items():
        widths.sort()
        full[size] = widths[int(0.98 * (len(widths) - 1))]

    vocabulary = {w.casefold() for pl in plines for w in re.findall(r"\w{3,}", pl.text)}
    out: list[Line] = []
    cur: _PLine | None = None
    text = ""

    def finish():
        if cur is not None and text:
            out.append(Line(text, f"p{cur.page}"))

    fence = False
    for pl in plines:
        if cur is None:
            cur, text, last = pl, pl.text, pl
            fence = pl.text.startswith("```") and not fence
            continue
        prev = last
        new_para = bool(pitch) and pl.page == prev.page and pl.gap > 1.25 * pitch
        join = False
        same_style = prev.bold == pl.bold and abs(prev.size - pl.size) < 0.6 \
            and abs(prev.x - pl.x) < 0.5 * max(pl.size, 1)
        if not new_para and not fence and same_style and not pl.mono and not prev.mono \
                and not pl.text.startswith("```"):
            join = _wrapped(prev, pl, full)
        if join:
            if _HYPHEN_SPLIT.search(text) and pl.text[:1].islower():
                head = re.search(r"(\w+)-$", text).group(1)
                tail = re.match(r"\w+", pl.text)
                if tail and (head + tail.group()).casefold() in vocabulary:
                    text = text[:-1] + pl.text  # a word the renderer split with a hyphen
                else:
                    text = text + pl.text  # a real compound ("real-time") that wrapped at its hyphen
            elif " " not in last.text.strip() and len(last.text) > 30:
                text = text + pl.text  # one overlong token (a URL) broken by the renderer
            else:
                text = text + " " + pl.text
        else:
            finish()
            if pl.text.startswith("```"):
                fence = not fence
            if new_para or (pl.page == prev.page and pitch and pl.gap > 1.1 * pitch) or prev.bold != pl.bold:
                out.append(Line("", f"p{pl.page}"))
            cur, text = pl, pl.text
        last = pl
    finish()
    return out
