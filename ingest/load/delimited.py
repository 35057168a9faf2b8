"""CSV / TSV banks: one question per row, read with the csv module (the dialect sniffed, so quoted
fields may hold commas, tabs and line breaks).

A header row names the columns (fields.NAMES: question/q/front/prompt/term/питання,
answer/a/back/definition/відповідь, level/difficulty, topic/section/deck, tags); without one the
columns are told by their content: the question column is the one whose cells end with '?' most
often (on a tie, the shorter one), the answer column the longest of the others, and a column of
level words (easy, Junior, hard …) is the level. Each row is an entry, located by its first line.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

from ingest.document import Entry, Loaded, LoadError
from ingest.load.fields import (
    LEVEL_VALUE,
    QUESTION_NAMES,
    field_of,
    field_text,
    match_fields,
    split_points,
    split_tags,
)


def load_delimited(path: Path, text: str, tab: bool = False) -> Loaded:
    """Rows as entries (tab: a .tsv file, tab-separated unless sniffing finds otherwise)."""
    rows = _rows(path, text, tab)
    if not rows:
        raise LoadError(path, "no rows")
    header = match_fields([c.strip() for c in rows[0][1]])
    if "question" in header or "answer" in header:
        columns, body = header, rows[1:]
        if "question" not in columns:
            names = ", ".join(c.strip() for c in rows[0][1] if c.strip())
            raise LoadError(path, f"no question column: the header names {names}; name one of "
                                  f"{QUESTION_NAMES}")
    else:
        columns, body = _by_content(path, rows)
    entries = []
    for line, cells in body:
        def cell(f: str, cells=cells) -> str:
            i = columns.get(f)
            return cells[i] if i is not None and i < len(cells) else ""

        question = " ".join(field_text(cell("question")).split())
        if not question:
            continue
        entries.append(Entry(
            question=question,
            answer=field_text(cell("answer")),
            locator=str(line),
            section=" ".join(cell("section").split()),
            level=" ".join(cell("level").split()),
            tags=split_tags(cell("tags")),
            key_points=split_points(cell("key_points")),
        ))
    if not entries:
        raise LoadError(path, "no rows with a question in them")
    return Loaded(entries=entries)


def _rows(path: Path, text: str, tab: bool) -> list[tuple[int, list[str]]]:
    """(first line number, cells) of every row with some text in it, in the dialect that reads the
    file most consistently (the sniffed one first: csv.Sniffer alone misjudges quoted line breaks)."""
    dialects = []
    try:
        dialects.append(csv.Sniffer().sniff(text[:20000], delimiters="\t" if tab else ",;\t|"))
    except csv.Error:
        pass
    for delimiter in ("\t", ",", ";", "|") if tab else (",", ";", "\t", "|"):
        dialects.append(type("Plain", (csv.excel,), {"delimiter": delimiter}))
    best, best_score = None, None
    for dialect in dialects:
        try:
            rows = _read_rows(text, dialect)
        except csv.Error:
            continue
        widths = Counter(len(cells) for _, cells in rows)
        width, count = widths.most_common(1)[0] if widths else (0, 0)
        score = (width > 1, count / len(rows) if rows else 0.0)  # columns at all; rows of one width
        if best_score is None or score > best_score:
            best, best_score = rows, score
    if best is None:
        raise LoadError(path, f"malformed {'TSV' if tab else 'CSV'}: no dialect reads it")
    return best


def _read_rows(text: str, dialect) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows, start = [], 1
    for cells in reader:
        if any(re.search(r"\w", c) for c in cells):  # some text, not only separators and spaces
            rows.append((start, cells))
        start = reader.line_num + 1
    return rows


def _questionness(cells: list[str]) -> float:
    filled = [c.strip() for c in cells if c.strip()]
    return sum(c.endswith("?") for c in filled) / len(filled) if filled else 0.0


def _by_content(path: Path, rows: list[tuple[int, list[str]]]) -> tuple[dict[str, int], list]:
    """Columns told by what their cells hold (a file without a header row)."""
    width = max(len(cells) for _, cells in rows)
    cols = [[cells[i] if i < len(cells) else "" for _, cells in rows] for i in range(width)]
    lengths = [sum(len(c) for c in col) / max(1, sum(bool(c.strip()) for c in col)) for col in cols]
    texts = [i for i, col in enumerate(cols) if sum(bool(c.strip()) for c in col) >= 0.5 * len(rows)
             and not all(LEVEL_VALUE.match(c.strip()) for c in col if c.strip())]
    if not texts:
        raise LoadError(path, "no question column: no header names one (expected one of "
                              f"{QUESTION_NAMES}) and no column holds text")
    question = max(texts, key=lambda i: (round(_questionness(cols[i]), 2), -lengths[i], -i))
    if len(texts) > 1 and _questionness(cols[question]) == 0 and width > 1:
        # no cell ends with '?': the question is the shorter text column, when clearly shorter
        ordered = sorted(texts, key=lambda i: lengths[i])
        if lengths[ordered[0]] * 1.5 > lengths[ordered[1]]:
            raise LoadError(path, "no question column: no header names one (expected one of "
                                  f"{QUESTION_NAMES}) and no column reads as questions")
    columns = {"question": question}
    others = [i for i in texts if i != question]
    if others:
        columns["answer"] = max(others, key=lambda i: lengths[i])
    for i, col in enumerate(cols):
        filled = [c.strip() for c in col if c.strip()]
        if i not in columns.values() and filled and all(LEVEL_VALUE.match(c) for c in filled):
            columns["level"] = i
            break
    body = rows
    first = rows[0][1]
    # a header the names above don't know: its question cell is no question where the others are
    if (len(rows) > 2 and _questionness(cols[question][1:]) >= 0.5 and question < len(first)
            and not first[question].strip().endswith("?") and all(field_of(c) is None for c in first)):
        body = rows[1:]
    return columns, body
