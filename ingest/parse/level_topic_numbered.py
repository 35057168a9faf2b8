"""Numbered questions under level headings and topic sub-headings, in any language.

The shape (a markdown/Notion export, or its PDF rendering):

    Junior                      <- optional table of contents repeating every heading
    Python
    Middle
    ...
    ▼ **HR questions**          <- a block before the levels: level unknown
    - 1. Question?**
    Python                      <- first topic; the body may leave out the level line the
    1. **Question?**               table of contents gives it ("Junior")
    Answer paragraphs, bullets, $$LaTeX$$, fenced code ...
    ▼ Machine Learning          <- topic heading, numbering restarts
    1. Question? Answer starts on the question's line — ...
    Middle                      <- level heading
    ...

Without a table of contents the level lines of the body ("Junior" alone on a line) give the level;
under them the numbering may also run on across topics ("Statistics" followed by "4. **...?**").

A question is a numbered item at column 0 that fits the numbering (restart after a heading, next
number, or a question-looking repeat); numbered or question-like lines inside an answer stay in
the answer. Where the answer starts on the question's own line (after a closing `**`, or a
definition "X — ..." sentence) the question is cut there; where the question runs on into the
next line or paragraph (wrapped lines, an unbalanced closing `**`, a short follow-up request) the
continuation is joined.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.document import Line
from ingest.levels import level_phrase
from ingest.parse import register
from ingest.parse.base import Draft
from ingest.parse.key_points import KeyPointRules, derive_key_points, line_sentences
from ingest.parse.text import split_sentences, strip_blank_edges, strip_markup

_NUMBERED = re.compile(r"^(?:#{1,6}\s+)?(?:[-*+•]\s+)?(?P<bold>\*\*)?(?P<n>\d{1,3})[.)]\s+(?P<rest>\S.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+•▪◦●]\s|\d{1,3}[.)]\s)")  # a list item; numbers of up to 3 digits, as in _NUMBERED
_MARKER = re.compile(r"^(?:#{1,6}|[▼▶►▸▾])\s*")
_DASH_DEF = re.compile(r"\s[—–]\s|^[—–]\s")
_SENTENCE_CLOSERS = "\"”»)]"  # may follow a sentence's stop and belong to it
_TRAILING_CLOSERS = " *\"'”»)]_"
_MAX_HEADING = 70


def _norm(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().casefold()


def _ends_question(text: str) -> bool:
    return text.rstrip(_TRAILING_CLOSERS).endswith("?")


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[.?!…]$", text.rstrip(_TRAILING_CLOSERS)))


def _complete(text: str) -> bool:
    """The question text reads as finished: ends a sentence, and any leading bold is closed."""
    t = text.strip()
    if t.startswith("**") and t.count("**") < 2:
        return False
    return _ends_sentence(t)


@dataclass
class _Heading:
    title: str
    marked: bool  # `▼`/`#` or the whole line bold: not a plain contents entry
    level: bool  # "Junior", "Beginner Level", ...
    strong: bool = False  # `▼`/`#`: a heading wherever it stands (a bold line may be emphasis)


def _heading(raw: str) -> _Heading | None:
    """A line that could be a heading: short, on its own, no sentence punctuation at the end."""
    if not raw.strip() or raw[:1].isspace() or _NUMBERED.match(raw):
        return None
    s = raw.strip()
    marked = strong = False
    m = _MARKER.match(s)
    if m:
        marked = strong = True
        s = s[m.end():]
    if s.startswith("**") and s.endswith("**") and len(s) > 4:
        marked = True
    elif _BULLET.match(s):
        return None
    if s[:1] in "[<$`|>!" or s.startswith("http"):
        return None
    title = strip_markup(s)
    if not title or len(title) > _MAX_HEADING or title[-1] in ".?!:;,…" or not re.search(r"\w", title):
        return None
    if not re.search(r"[^\W\d_]", title):
        return None
    return _Heading(title=title, marked=marked, level=level_phrase(title) is not None, strong=strong)


def _answer_like(sentence: str, prev: str, is_last: bool, fragment_ok: bool = True) -> bool:
    """Does this sentence (not the first) start the answer rather than continue the question?"""
    s = sentence.strip()
    if s.startswith("(") and s.rstrip(" *").endswith(")"):
        return False  # a parenthetical remark belongs to the question
    if _ends_question(s):
        return False
    if _DASH_DEF.search(s):
        return True
    if s.endswith(":") and len(s) <= 80:
        return True
    if len(s) > 160:
        return True
    return fragment_ok and is_last and not _ends_sentence(s) and _ends_question(prev)


def split_question(text: str, fragment_ok: bool = True) -> tuple[str, str | None]:
    """(question, answer text on the same line or None); markup is left in the question.

    fragment_ok: an unfinished clause after a question mark may start the answer ("Q? Subject"
    continued by the next paragraph); off once a follow-up line has been joined to the question.
    """
    t = text.strip()
    m = re.match(r"\*\*(.+?)\*\*(.*)$", t)
    if m:
        inner, rest = m.group(1), m.group(2)
        rest_clean = rest.strip().lstrip("*").strip()
        if not re.search(r"\w", rest_clean):
            return t, None
        first = rest_clean[0]
        if _ends_sentence(inner) and first not in "—–-" and not first.islower():
            return inner.strip(), rest.strip()
    sents = split_sentences(t.replace("**", "").strip(), ends=".?!…", closers=_SENTENCE_CLOSERS)
    for k in range(1, len(sents)):
        if _answer_like(sents[k], sents[k - 1], k == len(sents) - 1, fragment_ok):
            return " ".join(sents[:k]), " ".join(sents[k:])
    return t, None


@dataclass
class _Analysis:
    drafts: list[Draft] = field(default_factory=list)
    numbered: int = 0
    bold_questions: int = 0
    marked_headings: int = 0
    topics: set = field(default_factory=set)
    levels: set = field(default_factory=set)
    toc: bool = False
    body_levels: int = 0  # level lines in the body ("Junior" alone on a line)


def _fenced(texts: list[str]) -> list[bool]:
    """Per line: a ``` / ~~~ fence line, or inside a fenced block."""
    flags, fence = [], False
    for t in texts:
        marker = t.strip().startswith(("```", "~~~"))
        if marker:
            fence = not fence
        flags.append(marker or fence)
    return flags


def _code_lines(texts: list[str]) -> list[bool]:
    """Per line: code or display math (fenced blocks, `$$` … `$$` blocks, one-line `$$…$$`)."""
    flags, math = [], False
    for t, fenced in zip(texts, _fenced(texts), strict=True):
        s = t.strip()
        if fenced:
            flags.append(True)
        elif s.startswith("$$") and not (len(s) > 2 and s.endswith("$$")):
            math = not math  # a `$$` line opens or closes a block of display math
            flags.append(True)
        else:
            flags.append(math or (s.startswith("$$") and s.endswith("$$")))
    return flags


class _Doc:
    """The lines with what each one could be: code, a numbered item, a heading."""

    def __init__(self, lines: list[Line]):
        self.lines = lines
        self.texts = [line.text.rstrip() for line in lines]
        n = len(self.texts)
        blank = sum(1 for t in self.texts if not t.strip())
        self.paragraph_style = n > 0 and blank / n >= 0.2
        self.in_code = _code_lines(self.texts)
        self.numbered: list[tuple[int, str] | None] = []
        self.headings: list[_Heading | None] = []
        for t, code in zip(self.texts, self.in_code, strict=True):
            m = None if code else _NUMBERED.match(t)
            self.numbered.append((int(m.group("n")), (m.group("bold") or "") + m.group("rest")) if m else None)
            self.headings.append(None if code else _heading(t))

    def next_nonblank(self, i: int) -> int | None:
        while i < len(self.texts):
            if self.texts[i].strip():
                return i
            i += 1
        return None

    def structural(self, i: int) -> bool:
        t = self.texts[i]
        s = t.strip()
        return (self.in_code[i] or self.numbered[i] is not None or bool(_BULLET.match(t))
                or s.startswith(("$$", "|", "```")) or bool(_MARKER.match(s)))


def _is_toc(doc: _Doc, run: list[int]) -> bool:
    """Enough heading lines, level lines and others among them, to be a table of contents."""
    return (len(run) >= 5 and any(doc.headings[j].level for j in run)
            and any(not doc.headings[j].level for j in run))


def _find_toc(doc: _Doc) -> tuple[int, int, list[tuple[str, str]]] | None:
    """The table of contents: a run of plain heading lines, with a level line, before any question."""
    first_q = next((i for i, nb in enumerate(doc.numbered) if nb), len(doc.texts))
    run: list[int] = []
    for i in range(first_q):
        t = doc.texts[i]
        if not t.strip():
            continue
        h = doc.headings[i]
        repeat = h is not None and run and _norm(h.title) in {_norm(doc.headings[j].title) for j in run[:2]}
        if h is not None and not h.marked and not repeat:
            run.append(i)
            continue
        if _is_toc(doc, run):
            break
        run = [i] if h is not None and not h.marked else []
    if not _is_toc(doc, run):
        return None
    outline, level = [], ""
    for j in run:
        h = doc.headings[j]
        if h.level:
            level = h.title
        else:
            outline.append((level, h.title))
    return run[0], run[-1], outline


def _body_outline(doc: _Doc, outline: list[tuple[str, str]], toc: tuple[int, int]) -> list[tuple[str, str]]:
    """The contents entries, without a title the body repeats more often than the contents list it
    (a running page header that fell inside the contents)."""
    start, end = toc
    body_counts = Counter(_norm(h.title) for i, h in enumerate(doc.headings)
                          if h is not None and not start <= i <= end)
    toc_counts = Counter(_norm(t) for _, t in outline)
    return [(lvl, t) for lvl, t in outline if body_counts[_norm(t)] <= toc_counts[_norm(t)]]


@dataclass
class _Walk:
    """One pass over the body (the table of contents skipped): where it stands, and what it found."""

    doc: _Doc
    outline: list[tuple[str, str]]  # (level, topic) entries of the table of contents
    toc: tuple[int, int]  # first and last line of the table of contents; (-1, -1): none
    out: _Analysis
    ptr: int = 0  # the next table-of-contents entry the body should reach
    level: str = ""
    topic: str = ""
    topic_level: str = ""  # the level the contents give the current topic
    body_level: bool = False  # the current level comes from a level line in the body
    last_n: int | None = None  # the number of the last question
    after_heading: bool = True
    current: Draft | None = None  # the question whose answer the next lines are

    def run(self) -> None:
        i = 0
        while i < len(self.doc.texts):
            nb = self.doc.numbered[i]
            if self.toc[0] <= i <= self.toc[1]:
                i += 1
            elif self.is_heading(i):
                self._enter(self.doc.headings[i])
                i += 1
            elif nb is not None and _accept(nb, self.last_n, self.after_heading):
                i = self._question(i, nb)
            else:
                if self.current is not None:
                    self.current.answer_lines.append(self.doc.texts[i])
                i += 1

    def is_heading(self, i: int) -> bool:
        doc = self.doc
        h = doc.headings[i]
        if h is None:
            return False
        if h.strong or h.level or any(_norm(t) == _norm(h.title) for _, t in self.outline[self.ptr:]):
            return True
        # an unmarked line right before a question that restarts the numbering, or (under a level
        # line of the body, where numbering may run on across topics) continues it with a
        # question-looking item; and not the wrapped end of a sentence
        k = doc.next_nonblank(i + 1)
        if k is None or doc.numbered[k] is None:
            return False
        num, qtext = doc.numbered[k]
        if num != 1:
            qlike = _ends_question(qtext) or qtext.strip().startswith("**")
            if not (self.body_level and self.last_n is not None and num == self.last_n + 1 and qlike):
                return False
        prev = doc.texts[i - 1].strip() if i > 0 else ""
        return not prev or bool(re.search(r"[.?!:…*]$", prev)) or doc.headings[i - 1] is not None

    def _enter(self, h: _Heading) -> None:
        """A level or topic heading: the questions below are filed under it."""
        self.out.marked_headings += h.marked
        outline = self.outline
        if h.level:
            self.level, self.topic, self.topic_level = h.title, "", h.title
            self.body_level = True
            self.out.body_levels += 1
            self.ptr = next((k for k in range(self.ptr, len(outline)) if _norm(outline[k][0]) == _norm(h.title)),
                            self.ptr)
        else:
            k = next((k for k in range(self.ptr, len(outline)) if _norm(outline[k][1]) == _norm(h.title)), None)
            if k is not None:
                self.topic_level, self.ptr = outline[k][0], k + 1
            else:
                self.topic_level = self.level
            self.topic = h.title
        self.after_heading, self.current = True, None

    def _question(self, i: int, nb: tuple[int, str]) -> int:
        """The question numbered on line i becomes a draft; returns the line after it."""
        out = self.out
        out.numbered += 1
        question, tail, i_next = _gather(self.doc, i, nb[1], self.is_heading)
        question = strip_markup(question)
        if question:
            lvl = self.topic_level if self.topic else self.level
            section = f"{lvl} / {self.topic}" if lvl and self.topic else (self.topic or lvl)
            self.current = Draft(question=question, answer_lines=[tail] if tail else [],
                                 locator=self.doc.lines[i].locator, section=section, level_hint=lvl)
            out.drafts.append(self.current)
            out.bold_questions += "**" in nb[1]
            if self.topic:
                out.topics.add(section)
            if lvl:
                out.levels.add(_norm(lvl))
        self.last_n, self.after_heading = nb[0], False
        return i_next


def _analyze(lines: list[Line]) -> _Analysis:
    doc = _Doc(lines)
    out = _Analysis()
    found = _find_toc(doc)
    toc_start, toc_end, outline = found if found else (-1, -1, [])
    out.toc = found is not None
    outline = _body_outline(doc, outline, (toc_start, toc_end))
    out.levels.update(_norm(lvl) for lvl, _ in outline if lvl)
    _Walk(doc, outline, (toc_start, toc_end), out).run()
    for d in out.drafts:
        d.answer_lines = _tidy_answer(_trim_answer(d.answer_lines))
        d.key_points = derive_key_points(_prose_lines(d.answer_lines), _KEY_POINTS)
    return out


def _accept(nb: tuple[int, str], last_n: int | None, after_heading: bool) -> bool:
    num, text = nb
    t = text.strip()
    qlike = _ends_question(t) or t.startswith("**") or t.endswith("**")
    if last_n is None or after_heading:
        return num == 1 or after_heading or qlike
    return num == last_n + 1 or qlike


def _gather(doc: _Doc, i: int, text: str, is_heading: Callable[[int], bool]) -> tuple[str, str | None, int]:
    """The question starting on line i, its answer text on the same line(s), and the next line."""
    j = i + 1
    n = len(doc.texts)

    def plain_line(k: int) -> bool:
        return k < n and doc.texts[k].strip() != "" and not doc.structural(k) and not is_heading(k)

    followup = False
    for _ in range(6):
        # an unfinished clause after "?" starts the answer only where it cannot run on into the
        # next line (a wrapped line continues it)
        question, tail = split_question(text, fragment_ok=not followup and not plain_line(j))
        if tail is not None:
            return question, tail, j
        complete = _complete(text)
        if plain_line(j):
            nxt = doc.texts[j].strip()
            if not complete:
                text = f"{text} {nxt}"
                j += 1
                continue
            if (doc.paragraph_style and not _DASH_DEF.search(nxt) and not nxt.endswith(":")
                    and (not _complete(nxt) or _ends_question(nxt))):
                text = f"{strip_markup(question)} {nxt}"  # a follow-up line of the same paragraph
                j += 1
                followup = True
                continue
            break
        if not complete and j < n and not doc.texts[j].strip():
            k = doc.next_nonblank(j)
            if k is not None and plain_line(k) and (doc.texts[k].strip()[0].islower() or doc.texts[k].strip()[0] in "—–"):
                text = f"{text} {doc.texts[k].strip()}"
                j = k + 1
                continue
        break
    question, tail = split_question(text, fragment_ok=not followup)
    if tail is None:
        k = doc.next_nonblank(j)
        if k is not None and plain_line(k) and _continues_question(doc, k):
            question, tail = split_question(f"{strip_markup(question)} {doc.texts[k].strip()}")
            j = k + 1
    return question, tail, j


def _continues_question(doc: _Doc, k: int) -> bool:
    """A paragraph right after a complete question that still belongs to it."""
    s = doc.texts[k].strip()
    if s.endswith("**") and s.count("**") % 2 == 1 and len(s) <= 200:
        return True  # closes a bold the question line never opened
    if (len(s.split()) <= 5 and s.endswith(".") and s[0].isupper() and ":" not in s
            and not _DASH_DEF.search(s)):  # a short request: "Give an example." / "Обґрунтуйте свою думку."
        after = doc.next_nonblank(k + 1)
        return after is not None and doc.numbered[after] is None
    return False


_GLUED_LABEL = re.compile(r"([.!?])\*\*([^*\n]{2,60}:)\*\*")


def _tidy_answer(lines: list[str]) -> list[str]:
    """Re-join sentences the export broke across paragraphs; unglue `text.**Label:**`."""
    out: list[str] = []
    pending_blank = False
    for line, code in zip(lines, _fenced(lines), strict=True):
        s = line.strip()
        if code:
            if pending_blank:
                out.append("")
            out.append(line)
            pending_blank = False
            continue
        if not s:
            pending_blank = True
            continue
        prev = out[-1].strip() if out else ""
        joinable = (
            prev and not prev.startswith(("```", "$$", "|")) and not s.startswith(("$$", "|"))
            and not re.search(r"[.?!:;…*]$", prev) and not _BULLET.match(line)
            and (s[0].islower() or s[0] in "—–")
        )
        if joinable:
            out[-1] = f"{out[-1].rstrip()} {s}"
        else:
            if pending_blank and out:
                out.append("")
            out.append(line.rstrip())
        pending_blank = False
    unglued = (_GLUED_LABEL.sub(lambda m: f"{m.group(1)}\n\n**{m.group(2)}**", line) for line in out)
    return [part for line in unglued for part in line.split("\n")]


def _prose_lines(lines: list[str]) -> list[str]:
    """The answer without code blocks and display math: what key points are drawn from."""
    return [line for line, code in zip(lines, _fenced(lines), strict=True)
            if not code and not line.strip().startswith("$$")]


_LABELLED = re.compile(r"^\s*(?:[-*+•]\s+)?\*\*[^*]{2,60}?(?::\*\*|\*\*\s*:)\s*\S")
# These answers open with a statement of their own, label their points in bold (`**Label:** text`)
# and number their steps ("1. Step" → "Step"); each line is a whole paragraph (_tidy_answer re-joined
# the breaks), so sentences are cut line by line. The opening statement alone is no list: with at
# most one point found, the sentences are the points.
_KEY_POINTS = KeyPointRules(item=_BULLET, label=_LABELLED, drop_numbers=True, opening=True, min_listed=2,
                            sentences=line_sentences)


def _trim_answer(lines: list[str]) -> list[str]:
    lines = strip_blank_edges(lines)
    # a stray one-letter token before the real answer (an export artefact)
    if len(lines) > 1 and len(lines[0].strip()) <= 2 and not re.match(r"^[-*+•\d]", lines[0].strip()):
        lines = _trim_answer(lines[1:])
    return lines


@register
class LevelTopicNumbered:
    name = "level_topic_numbered"

    def fit(self, lines: list[Line]) -> float:
        a = _analyze(lines)
        if len(a.drafts) < 5:
            return 0.0
        if len(a.levels) < 2:
            return 0.2  # numbered questions, but not under level headings: another shape
        score = 0.45
        if len(a.topics) >= 3:
            score += 0.25  # topic sub-headings under the levels
        if a.bold_questions >= 3 or a.marked_headings >= 3:
            score += 0.2  # `1. **Question?**` / `▼ Topic` markup
        if a.toc:
            score += 0.05
        if a.body_levels >= 2 and len(a.topics) >= 3 and a.bold_questions >= 3:
            # level lines in the body, topic headings under them, `1. **Question?**`: the whole
            # shape, which a flat "heading + numbered questions" reading cannot tell apart
            score += 0.08
        return min(score, 0.98)

    def parse(self, lines: list[Line]) -> list[Draft]:
        return _analyze(lines).drafts
