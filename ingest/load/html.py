"""HTML → lines: a real parser (selectolax); page chrome dropped; headings, lists, tables and code
rendered markdown-style so the parsers see the same shapes as in a markdown export; a paragraph set
wholly in bold is rendered `**bold**`, as a markdown export writes it.

Where the markup itself pairs a question with its answer, the pair is an entry: `<details>` (its
`<summary>` the question, the rest the answer; a "Show answer" summary answers the question line
before it) and `<dl>` (each `<dt>` the question, its `<dd>` the answer). Those lines are left blank
in the lines the shape parsers read, so nothing is read twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from ingest.document import Entry, Line, Loaded, LoadError, numbered_lines
from ingest.parse.questions import looks_like_question

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
_BOLD_TAGS = ("b", "strong")
# a <summary> that is only a toggle for the answer: the question is the line before the <details>
_TOGGLE = re.compile(
    r"^\W*(?:(?:show|view|hide|reveal|see|expand|click(?:\s+here)?(?:\s+to\s+(?:see|show|view|reveal))?|"
    r"показати|переглянути|відкрити|розгорнути)\s+)?(?:the\s+)?"
    r"(?:answers?|solutions?|explanation|відповідь|відповіді|розв['’]?язок|розв['’]?язання|пояснення)\W*$",
    re.I,
)
_MARKUP = re.compile(r"^#{1,6}\s+|\*\*")


def load_html(path: Path, text: str) -> Loaded:
    """The page's visible text as lines, each located by its rendered line number, and the question/
    answer pairs its markup states."""
    renderer = render(text)
    lines = numbered_lines(renderer.lines)
    if not any(line.text.strip() for line in lines):
        raise LoadError(path, "HTML page has no visible text")
    entries = []
    for pair in renderer.pairs:
        answer = "\n".join(renderer.lines[pair.answer_start:pair.end]).strip("\n")
        entries.append(Entry(question=pair.question, answer=answer, locator=str(pair.line + 1),
                             section=pair.section))
        for i in range(pair.line, pair.end):
            lines[i] = Line("", lines[i].locator)
    return Loaded(lines, entries)


def html_to_lines(html: str, bold: bool = True) -> list[str]:
    """The HTML's visible text, one line per block; bold: mark wholly bold paragraphs `**…**`."""
    return render(html, bold).lines


def render(html: str, bold: bool = True) -> _Renderer:
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    renderer = _Renderer(bold)
    if root is not None:
        renderer.render(root)
    renderer.flush()
    return renderer


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


@dataclass
class _Pair:
    """A question/answer pair the markup states: the question on rendered line `line`, the answer on
    lines answer_start..end (exclusive)."""

    question: str
    line: int
    answer_start: int
    end: int
    section: str


def _wholly_bold(node, inside: bool = False) -> bool:
    """Every piece of text in `node` sits inside <b>/<strong> (and there is text; no block inside)."""
    found = False
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            if (child.text_content or "").strip():
                if not inside:
                    return False
                found = True
        elif tag in _BLOCK or tag in _HEADINGS or tag in ("li", "pre", "table", "br"):
            return False
        elif tag not in ("-comment",):
            if not _wholly_bold(child, inside or tag in _BOLD_TAGS):
                return False
            found = True
    return found


class _Renderer:
    """Walks the tree, collecting inline text into one line per block element."""

    def __init__(self, bold: bool = True):
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.prefix = ""  # "- " (indented by list depth) before the next line of a list item
        self.depth = 0  # list nesting
        self.bold = bold
        self.headings: list[tuple[int, str]] = []  # the heading path: (level, title)
        self.pairs: list[_Pair] = []
        self.in_pair = 0  # inside a pair's answer: no pair of its own, no bold marks

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
        elif tag == "details" and not self.in_pair and self._details(node):
            return
        elif tag == "dl" and not self.in_pair:
            self._dl(node)
        elif tag in ("p", "div") and self.bold and not self.in_pair and _wholly_bold(node):
            self.flush()
            self.emit(f"**{_collapse(node.text(deep=True, separator=''))}**")
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
            while self.headings and self.headings[-1][0] >= level:
                self.headings.pop()
            if not looks_like_question(text, strict=True):  # a question heading is no section
                self.headings.append((level, text))

    def _section(self) -> str:
        """The heading path above a pair here, without the page title (a lone h1 above deeper headings)."""
        titles = [t for _, t in self.headings]
        if len(self.headings) > 1 and self.headings[0][0] == 1:
            titles = titles[1:]
        return " / ".join(titles)

    def _pair(self, question: str, line: int, answer_start: int):
        question = _collapse(question)
        if question and len(question) <= 600:
            self.pairs.append(_Pair(question, line, answer_start, len(self.lines), self._section()))

    def _details(self, node) -> bool:
        """A <details> whose <summary> is the question (or a toggle under the question line): a pair.
        False: not a pair, render it as any block."""
        summary = next((c for c in node.iter() if c.tag == "summary"), None)
        if summary is None:
            return False
        title = _collapse(summary.text(deep=True, separator=""))
        if not title:
            return False
        self.flush()
        if _TOGGLE.match(title):
            prev = next((i for i in range(len(self.lines) - 1, -1, -1) if self.lines[i].strip()), None)
            question = _MARKUP.sub("", self.lines[prev]) if prev is not None else ""
            if not question or not looks_like_question(question):
                return False
            line = prev
        else:
            question, line = title, len(self.lines)
            self.emit(title)
        start = len(self.lines)
        self.in_pair += 1
        for child in node.iter(include_text=True):
            if child.tag != "summary":
                self.render(child)
        self.flush()
        self.in_pair -= 1
        self._pair(question, line, start)
        return True

    def _dl(self, node):
        """Each <dt> with the <dd>s after it: a pair (HTML lets a <div> wrap a group)."""
        self.flush()
        current: tuple[str, int, int] | None = None  # question, its line, where its answer starts

        def close():
            if current is not None:
                self._pair(*current)

        def walk(parent):
            nonlocal current
            for child in parent.iter():
                if child.tag == "dt":
                    close()
                    title = _collapse(child.text(deep=True, separator=""))
                    current = None
                    if title:
                        line = len(self.lines)
                        self.emit(title)
                        current = (title, line, len(self.lines))
                elif child.tag == "dd":
                    self.in_pair += current is not None
                    self._other(child, block=True)
                    self.in_pair -= current is not None
                elif child.tag == "div":
                    walk(child)
                else:
                    self.render(child)

        walk(node)
        close()
        self.flush()

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
