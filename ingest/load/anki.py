"""Anki's "Notes in Plain Text" export (.txt): `#key:value` header lines, then one note a line.

    #separator:tab
    #html:true
    #deck column:3
    #tags column:4
    What is <b>dropout</b>?<TAB>Randomly zeroes units …<br>Reduces co-adaptation.<TAB>ML::Junior<TAB>nn regularization

Told from a plain text file by its `#separator:` (or `#html:`) header, or, for exports from before
Anki 2.1.55 that have none, by every line being a tab-separated note. Fields are split at the
separator (quoted as in CSV when they hold it or a line break); the first field of a note is the
question, the second its answer (or the fields `#columns:` names Front/Back, question/answer …);
HTML in fields is rendered as clean text when `#html:true`; a cloze note ({{c1::…}}) asks its text
with blanks. The deck gives the section ("ML::Junior" → "ML / Junior"), the tags column the tags,
a tag that is a level word (`hard`, `level::junior`) the level.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ingest.document import Entry, Loaded, LoadError
from ingest.load.fields import LEVEL_VALUE, cloze, field_text, match_fields, split_tags

_HEADER = re.compile(r"^#([a-z][a-z ]*):(.*)$", re.I)
_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
_COLUMN_KEYS = ("guid", "notetype", "deck", "tags")


def is_anki_export(text: str) -> bool:
    """The file opens with Anki's `#key:value` header lines, `#separator:` or `#html:` among them, or
    is an older export without them: every line a tab-separated note (see is_headerless_notes)."""
    keys = set()
    for raw in text.lstrip("\ufeff").splitlines()[:12]:
        m = _HEADER.match(raw.strip())
        if not m:
            break
        keys.add(m.group(1).strip().casefold())
    return bool(keys & {"separator", "html"}) or is_headerless_notes(text)


_HTML_TAG = re.compile(r"<(?:br|b|i|u|div|span|p|ul|li|img|sub|sup)\b[^>]*>", re.I)
# Anki before 2.1.55 wrote no header: at least this many notes, nearly every line one of them.
MIN_HEADERLESS_NOTES = 3


def is_headerless_notes(text: str) -> bool:
    """Nearly every non-blank line is `front<TAB>back[<TAB>tags]` with a front that starts with a
    word (a tab-indented line of a plain text bank starts with the tab, so it is not a note)."""
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    notes = [line for line in lines if "\t" in line and line.split("\t", 1)[0].strip()
             and any(ch.isalpha() for ch in line.split("\t", 1)[0]) and line.split("\t", 1)[1].strip()]
    return len(notes) >= MIN_HEADERLESS_NOTES and len(notes) >= 0.9 * len(lines)


def load_anki(path: Path, text: str) -> Loaded:
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    headers: dict[str, str] = {}
    n = 0
    while n < len(lines) and (m := _HEADER.match(lines[n].strip())):
        headers[m.group(1).strip().casefold()] = m.group(2).strip()
        n += 1
    sep = headers.get("separator", "tab")
    delimiter = _SEPARATORS.get(sep.casefold(), sep)
    if len(delimiter) != 1:
        raise LoadError(path, f"Anki export with an unknown #separator: {sep!r}")
    # Without a header, HTML is told by its tags (older exports wrote it when "Include HTML" was on).
    html = headers.get("html", "false").casefold() == "true" or (not headers and bool(_HTML_TAG.search(text)))
    special = {}
    for key in _COLUMN_KEYS:
        value = headers.get(f"{key} column", "")
        if value.isdigit() and int(value) >= 1:
            special[key] = int(value) - 1
    named = match_fields(headers["columns"].split(delimiter)) if "columns" in headers else {}
    if not headers and _third_field_is_tags(lines):
        special["tags"] = 2

    reader = csv.reader(io.StringIO("".join(lines[n:]), newline=""), delimiter=delimiter, quotechar='"')
    entries, start = [], n + 1
    try:
        for cells in reader:
            line, start = start, n + reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            entry = _note(cells, special, named, html, line)
            if entry is not None:
                entries.append(entry)
    except csv.Error as exc:
        raise LoadError(path, f"malformed Anki note at line {n + reader.line_num}: {exc}") from exc
    if not entries:
        raise LoadError(path, "Anki export without notes")
    return Loaded(entries=entries)


def _third_field_is_tags(lines: list[str]) -> bool:
    """A headerless export's third field holds the tags when "Include tags" was on: short, no
    sentence punctuation, on every note that has one."""
    thirds = [line.rstrip("\r\n").split("\t")[2] for line in lines if line.count("\t") >= 2]
    return bool(thirds) and all(len(t.split()) <= 8 and not re.search(r"[.?!,]\s|[.?!]$|<", t) for t in thirds)


def _note(cells: list[str], special: dict[str, int], named: dict[str, int], html: bool, line: int) -> Entry | None:
    def at(i: int | None) -> str:
        return cells[i] if i is not None and 0 <= i < len(cells) else ""

    fields = [i for i in range(len(cells)) if i not in special.values()]
    q_i = named.get("question", fields[0] if fields else None)
    a_i = named.get("answer", next((i for i in fields if i != q_i), None))
    question, answer = field_text(at(q_i), html), field_text(at(a_i), html)
    blanks = cloze(question)
    if blanks is not None:
        question, filled = blanks
        answer = "\n\n".join(t for t in (filled, answer) if t)
    question = " ".join(question.split())
    if not question:
        return None
    tags = split_tags(at(special.get("tags")), spaces=True)
    levels = [t for t in tags if LEVEL_VALUE.match(t.rsplit("::", 1)[-1])]
    deck = " / ".join(part.strip() for part in at(special.get("deck")).split("::") if part.strip())
    return Entry(question=question, answer=answer, locator=str(line), section=deck,
                 level=" ".join(t.rsplit("::", 1)[-1] for t in levels), tags=tags)
