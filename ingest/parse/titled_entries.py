"""Titled entries: a title line, a `Difficulty: … | Tags: … | Asked by: …` line, maybe a `Question:` line.

The shape of "premium question" web exports:

    What is Dropout and Why Does It Work? - Amazon, Meta Interview Question
    Difficulty: Medium | Tags: Regularization, Deep Learning | Asked by: Amazon, Meta, Google
    Question: …                       (optional: then the title is only a topic)
    View Answer                       (UI, dropped)
    … the answer: prose, bullets, pipe tables, unfenced code …
    Interviewer's Insight             (UI header; what follows is the grading rubric)
    What they're testing: …
    Strong answer signals:
    - bullet → key point

Between and after the entries such pages carry listings that belong to no entry ("Questions asked
in Google interview" with `- title` lines, an index table flattened into one huge line of `| 13 | … |`
rows, a "Note: …" trailer). Once such a listing starts, the current entry's answer is closed.
"""

from __future__ import annotations

import re

from ingest.document import Line
from ingest.parse import register
from ingest.parse.base import Draft
from ingest.parse.text import LIST_ITEM, markdown_heading, strip_blank_edges, strip_markup

# "<Title> - <Companies> Interview Question": the last " - " separates title and companies.
_TITLE = re.compile(r"^(?P<title>.*\S)\s+[-–—]\s+(?P<companies>[^-–—]*\S)\s+Interview\s+Questions?\s*$", re.I)
_META = re.compile(r"^\s*(?:\*\*)?(?:Difficulty|Level)(?:\*\*)?\s*:", re.I)
_QUESTION = re.compile(r"^\s*(?:\*\*)?Question(?:\*\*)?\s*:\s*(?P<q>\S.*)$", re.I)
_VIEW_ANSWER = re.compile(r"^\W*(?:view|show|hide)\s+(?:the\s+)?(?:answer|solution)\W*$", re.I)
_INSIGHT = re.compile(r"^\W*(?:interviewer'?s?['’]?\s+insights?|interview\s+insights?)\s*:?\s*$", re.I)
_SIGNALS = re.compile(r"^\W*(?:strong|good|great)\s+answer\s+signals?\s*:?\s*$", re.I)
_TESTING = re.compile(r"^\W*what\s+they['’]?re\s+(?:really\s+)?(?:testing|looking\s+for)\b", re.I)
_LISTING = re.compile(r"^\W*(?:questions|problems|topics)\s+asked\s+(?:in|at|by)\s+.{1,80}$", re.I)
_ROW_START = re.compile(r"\|\s*\|\s*\d{1,4}\s*\|")  # "| | 14 |": a new numbered row glued on
_TRAILER = re.compile(r"^\s*(?:\*\*)?note(?:\*\*)?\s*:\s*the\s+(?:practice\s+)?links\b", re.I)
_QUOTES = re.compile(r"[\"“”„«»]")


def _is_index_table(text: str) -> bool:
    """One line holding many numbered table rows (a table flattened by the export)."""
    return len(text) > 300 and len(_ROW_START.findall(text)) >= 3


def _split_list(value: str) -> list[str]:
    items = [strip_markup(v) for v in re.split(r"[,;]", value)]
    return [v for v in items if v]


def _meta_fields(text: str) -> dict[str, str]:
    fields = {}
    for part in text.split("|"):
        key, sep, value = part.partition(":")
        if sep:
            fields[strip_markup(key).casefold()] = value.strip()
    return fields


def _difficulty_word(value: str) -> str:
    """`π‘ Medium` (an emoji lost to mojibake, or a real one) → `Medium`."""
    words = re.findall(r"[A-Za-z]{2,}|[А-Яа-яІіЇїЄєҐґ]{2,}", value)
    return " ".join(words)


def _is_heading(text: str) -> bool:
    """A heading in a document's preamble: markdown, or short with no sentence punctuation and not a bullet."""
    if markdown_heading(text) is not None:
        return True
    return (
        3 <= len(text) <= 80
        and not LIST_ITEM.match(text)
        and not re.search(r"[.:;,?!|]$", text)
        and text[:1].isupper()
        and len(text.split()) <= 10
    )


def _heading_text(text: str) -> str:
    title = markdown_heading(text)
    return strip_markup(text).strip("# ") if title is None else title


def _key_point(text: str) -> str:
    text = strip_markup(_QUOTES.sub("", text))
    return text.strip(" '")


def _find_entries(lines: list[Line]) -> list[tuple[int, int, int | None]]:
    """(title line, meta line, question line or None) for every entry: a title within two non-empty
    lines before a `Difficulty:` line (a `Question:` line may sit between them or right after)."""
    entries = []
    nonempty = [i for i, line in enumerate(lines) if line.text.strip()]
    pos = {i: k for k, i in enumerate(nonempty)}
    for i in nonempty:
        if not _META.match(lines[i].text) or "|" not in lines[i].text:
            continue
        k = pos[i]
        title, question = None, None
        for j in nonempty[max(0, k - 2):k][::-1]:
            text = lines[j].text
            if _QUESTION.match(text) and question is None:
                question = j
                continue
            if not (_META.match(text) or _VIEW_ANSWER.match(text) or LIST_ITEM.match(text)):
                title = j
            break
        if title is None:
            continue
        if question is None:
            for j in nonempty[k + 1:k + 3]:
                if _QUESTION.match(lines[j].text):
                    question = j
                    break
                if not _VIEW_ANSWER.match(lines[j].text):
                    break
        entries.append((title, i, question))
    return entries


@register
class TitledEntries:
    name = "titled_entries"

    def fit(self, lines: list[Line]) -> float:
        entries = _find_entries(lines)
        if not entries:
            return 0.0
        # The "- <Companies> Interview Question" suffix on the title lines makes the shape certain.
        suffixed = sum(bool(_TITLE.match(lines[t].text)) for t, _, _ in entries)
        # Lines with the suffix that are *not* followed by a Difficulty line speak against the shape.
        titled_lines = sum(bool(_TITLE.match(line.text)) for line in lines)
        consistency = suffixed / titled_lines if titled_lines else 1.0
        score = 0.8 + 0.15 * (suffixed / len(entries)) * consistency
        return round(score * min(1.0, len(entries) / 3), 3)

    def parse(self, lines: list[Line]) -> list[Draft]:
        entries = _find_entries(lines)
        if not entries:
            return []
        drafts: list[Draft] = []
        section = ""
        for line in lines[:entries[0][0]]:
            text = line.text.strip()
            if text and _is_heading(text) and not _LISTING.match(text):
                section = _heading_text(text)
        for n, (title_i, meta_i, question_i) in enumerate(entries):
            header_end = max(meta_i, question_i or 0)
            body_end = entries[n + 1][0] if n + 1 < len(entries) else len(lines)
            draft = self._entry(lines, title_i, meta_i, question_i, header_end, body_end, section)
            drafts.append(draft)
            # A markdown heading just before the next entry starts a new section.
            for line in reversed(lines[header_end + 1:body_end]):
                text = line.text.strip()
                if not text:
                    continue
                title = markdown_heading(text)
                if title is not None:
                    section = title
                    if draft.answer_lines and draft.answer_lines[-1].strip() == text:
                        draft.answer_lines.pop()
                break
        return drafts

    def _entry(self, lines, title_i, meta_i, question_i, header_end, body_end, section) -> Draft:
        title_text = lines[title_i].text.strip()
        m = _TITLE.match(title_text)
        title = strip_markup(m.group("title") if m else title_text)
        title_companies = _split_list(m.group("companies")) if m else []
        fields = _meta_fields(lines[meta_i].text)
        difficulty = _difficulty_word(fields.get("difficulty", fields.get("level", "")))
        tags = _split_list(fields.get("tags", fields.get("topics", "")))
        asked = _split_list(fields.get("asked by", fields.get("companies", "")))
        companies = list(dict.fromkeys(asked + title_companies))
        question = title
        if question_i is not None:
            question = strip_markup(_QUESTION.match(lines[question_i].text).group("q"))

        answer: list[str] = []
        key_points: list[str] = []
        in_insight = False
        for line in lines[header_end + 1:body_end]:
            text = line.text.rstrip()
            stripped = text.strip()
            if _LISTING.match(stripped) or _is_index_table(stripped) or _TRAILER.match(stripped):
                break  # listings and trailers: the entry is over
            if _VIEW_ANSWER.match(stripped):
                continue
            if _INSIGHT.match(stripped) or _SIGNALS.match(stripped) or _TESTING.match(stripped):
                in_insight = True  # the rubric block (its header may have been cleaned away)
                continue
            if in_insight:
                if not stripped:
                    continue
                bullet = LIST_ITEM.match(stripped)
                if bullet:
                    point = _key_point(bullet.group("text"))
                    if point:
                        key_points.append(point)
                    continue
                in_insight = False  # prose again: the rubric block is over
            answer.append(text)
        return Draft(
            question=question,
            answer_lines=strip_blank_edges(answer),
            locator=lines[title_i].locator,
            section=section,
            level_hint=difficulty,
            key_points=list(dict.fromkeys(key_points)),
            tags=tags,
            companies=companies,
        )
