"""HTML → lines: a real parser (selectolax); page chrome dropped; headings, lists, tables and code
rendered markdown-style so the parsers see the same shapes as in a markdown export."""

from __future__ import annotations

import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from ingest.document import Line, LoadError, numbered_lines
from ingest.load.text import read_text

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


def load_html(path: Path, data: bytes) -> list[Line]:
    """The page's visible text as lines, each located by its rendered line number."""
    lines = numbered_lines(html_to_lines(read_text(path, data)))
    if not any(line.text.strip() for line in lines):
        raise LoadError(path, "HTML page has no visible text")
    return lines


def html_to_lines(html: str) -> list[str]:
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    renderer = _Renderer()
    if root is not None:
        renderer.render(root)
    renderer.flush()
    return renderer.lines


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
    """Walks the tree, collecting inline text into one line per block element."""

    def __init__(self):
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.prefix = ""  # "- " (indented by list depth) before the next line of a list item
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
        elif tag in ("-comment", "!doctype") or tag in _DROP_TAGS or _is_chrome(node):
            return
        elif tag in _HEADINGS:
            self._heading(node, _HEADINGS[tag])
        elif tag == "pre":
            self._code(node)
        elif tag == "br":
            self.flush()
        elif tag == "tr":
            self._row(node)
        elif tag == "li":
            self._item(node)
        elif tag in ("ul", "ol"):
            self._list(node)
        else:
            self._other(node, block=tag in _BLOCK)

    def _children(self, node):
        for child in node.iter(include_text=True):
            self.render(child)

    def _heading(self, node, level: int):
        self.flush()
        text = _collapse(node.text(deep=True, separator=""))
        if text:
            self.emit("#" * level + " " + text)

    def _code(self, node):
        self.flush()
        body = node.text(deep=True, separator="").strip("\n")
        if body.strip():
            self.emit("```")
            for raw in body.splitlines():
                self.emit(raw.rstrip())
            self.emit("```")

    def _row(self, node):
        self.flush()
        cells = [_collapse(c.text(deep=True, separator="")) for c in node.iter() if c.tag in ("td", "th")]
        if any(cells):
            self.emit("| " + " | ".join(cells) + " |")

    def _item(self, node):
        self.flush()
        self.prefix = "  " * max(self.depth - 1, 0) + "- "
        self._children(node)
        self.flush()
        self.prefix = ""

    def _list(self, node):
        self.flush()
        self.depth += 1
        self._children(node)
        self.flush()
        self.depth -= 1

    def _other(self, node, block: bool):
        if block:
            self.flush()
        self._children(node)
        if block:
            self.flush()
