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
from dataclasses import dataclass, field

from ingest.document import Line
from ingest.parse import register
from ingest.parse.base import Draft, strip_markup

_NUMBERED = re.compile(r"^(?:#{1,6}\s+)?(?:[-*+•]\s+)?(?P<bold>\*\*)?(?P<n>\d{1,3})[.)]\s+(?P<rest>\S.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+•▪◦●]\s|\d{1,3}[.)]\s)")
_MARKER = re.compile(r"^(?:#{1,6}|[▼▶►▸▾])\s*")
_LEVEL_LINE = re.compile(
    r"^(?:(?:рівень|level|уровень)\s*:?\s*)?"
    r"(?:junior|middle|senior|beginner|intermediate|expert|easy|medium|hard|advanced|"
    r"джуніор|джун|мідл|сеньйор|синьйор)"
    r"(?:\s*[-–—:]?\s*(?:level|рівень|questions|питання|запитання|рівня))*$",
    re.IGNORECASE,
)
_DASH_DEF = re.compile(r"\s[—–]\s|^[—–]\s")
_SENT_END = re.compile(r"(?<=[.?!…])[\"”»)\]]*\s+(?=\S)")
_TRAILING_CLOSERS = " *\"'”»)]_"
_MAX_HEADING = 70


def _norm(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().casefold()


def _ends_question(text: str) -> bool:
    return text.rstrip(_TRAILING_CLOSERS).endswith("?")


def _complete(text: str) -> bool:
    """The question text reads as finished: ends a sentence, and any leading bold is closed."""
    t = text.strip()
    if t.startswith("**") and t.count("**") < 2:
        return False
    return bool(re.search(r"[.?!…]$", t.rstrip(_TRAILING_CLOSERS)))


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
    return _Heading(title=title, marked=marked, level=bool(_LEVEL_LINE.match(title)), strong=strong)


def _sentences(text: str) -> list[str]:
    parts, start = [], 0
    for m in _SENT_END.finditer(text):
        parts.append(text[start:m.start()].strip() + text[m.start():m.end()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


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
    complete = re.search(r"[.?!…]$", s.rstrip(_TRAILING_CLOSERS))
    return fragment_ok and is_last and not complete and _ends_question(prev)


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
        if re.search(r"[.?!…]$", inner.rstrip(_TRAILING_CLOSERS)) and first not in "—–-" and not first.islower():
            return inner.strip(), rest.strip()
    plain = t.replace("**", "")
    sents = _sentences(plain)
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


class _Doc:
    def __init__(self, lines: list[Line]):
        self.lines = lines
        self.texts = [line.text.rstrip() for line in lines]
        n = len(self.texts)
        blank = sum(1 for t in self.texts if not t.strip())
        self.paragraph_style = n > 0 and blank / n >= 0.2
        self.in_code = [False] * n
        fence = False
        math = False
        for i, t in enumerate(self.texts):
            s = t.strip()
            if s.startswith("```") or s.startswith("~~~"):
                self.in_code[i] = True
                fence = not fence
                continue
            if not fence and s.startswith("$$") and not (len(s) > 2 and s.endswith("$$")):
                math = not math
                self.in_code[i] = True
                continue
            self.in_code[i] = fence or math or (s.startswith("$$") and s.endswith("$$"))
        self.numbered: list[tuple[int, str] | None] = []
        self.headings: list[_Heading | None] = []
        for i, t in enumerate(self.texts):
            if self.in_code[i]:
                self.numbered.append(None)
                self.headings.append(None)
                continue
            m = _NUMBERED.match(t)
            self.numbered.append((int(m.group("n")), (m.group("bold") or "") + m.group("rest")) if m else None)
            self.headings.append(_heading(t))

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


def _find_toc(doc: _Doc) -> tuple[int, int, list[tuple[str, str]]] | None:
    """The table of contents: a run of plain heading lines, with a level line, before any question."""
    first_q = next((i for i, nb in enumerate(doc.numbered) if nb), len(doc.texts))
    run: list[int] = []

    def ok(r):
        return len(r) >= 5 and any(doc.headings[j].level for j in r) and any(not doc.headings[j].level for j in r)

    for i in range(first_q):
        t = doc.texts[i]
        if not t.strip():
            continue
        h = doc.headings[i]
        repeat = h is not None and run and _norm(h.title) in {_norm(doc.headings[j].title) for j in run[:2]}
        if h is not None and not h.marked and not repeat:
            run.append(i)
            continue
        if ok(run):
            break
        run = [i] if h is not None and not h.marked else []
    if not ok(run):
        return None
    outline, level = [], ""
    for j in run:
        h = doc.headings[j]
        if h.level:
            level = h.title
        else:
            outline.append((level, h.title))
    return run[0], run[-1], outline


def _analyze(lines: list[Line]) -> _Analysis:
    doc = _Doc(lines)
    out = _Analysis()
    toc = _find_toc(doc)
    toc_start, toc_end, outline = toc if toc else (-1, -1, [])
    out.toc = toc is not None
    # a title the body repeats more often than the contents list it (a running page header that
    # fell inside the contents) is no outline entry
    body_counts = Counter(_norm(h.title) for i, h in enumerate(doc.headings)
                          if h is not None and not toc_start <= i <= toc_end)
    toc_counts = Counter(_norm(t) for _, t in outline)
    outline = [(lvl, t) for lvl, t in outline if body_counts[_norm(t)] <= toc_counts[_norm(t)]]
    out.levels.update(_norm(lvl) for lvl, _ in outline if lvl)
    n = len(doc.texts)
    ptr = 0  # the next table-of-contents entry the body should reach

    def is_heading(i: int) -> bool:
        h = doc.headings[i]
        if h is None:
            return False
        if h.strong or h.level or any(_norm(t) == _norm(h.title) for _, t in outline[ptr:]):
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
            if not (body_level and last_n is not None and num == last_n + 1 and qlike):
                return False
        prev = doc.texts[i - 1].strip() if i > 0 else ""
        return not prev or bool(re.search(r"[.?!:…*]$", prev)) or doc.headings[i - 1] is not None

    level, topic, topic_level = "", "", ""
    body_level = False  # the current level comes from a level line in the body
    last_n: int | None = None
    after_heading = True
    current: Draft | None = None
    i = 0
    while i < n:
        if toc_start <= i <= toc_end:
            i += 1
            continue
        text = doc.texts[i]
        if is_heading(i):
            h = doc.headings[i]
            out.marked_headings += h.marked
            if h.level:
                level, topic, topic_level = h.title, "", h.title
                body_level = True
                out.body_levels += 1
                ptr = next((k for k in range(ptr, len(outline)) if _norm(outline[k][0]) == _norm(h.title)), ptr)
            else:
                k = next((k for k in range(ptr, len(outline)) if _norm(outline[k][1]) == _norm(h.title)), None)
                if k is not None:
                    topic_level, ptr = outline[k][0], k + 1
                else:
                    topic_level = level
                topic = h.title
            after_heading, current = True, None
            i += 1
            continue
        nb = doc.numbered[i]
        if nb is not None and _accept(nb, last_n, after_heading):
            out.numbered += 1
            question, tail, i_next = _gather(doc, i, nb[1], is_heading)
            question = strip_markup(question)
            if question:
                lvl = topic_level if topic else level
                section = f"{lvl} / {topic}" if lvl and topic else (topic or lvl)
                current = Draft(question=question, answer_lines=[tail] if tail else [],
                                locator=doc.lines[i].locator, section=section, level_hint=lvl)
                out.drafts.append(current)
                out.bold_questions += "**" in nb[1]
                if topic:
                    out.topics.add(section)
                if lvl:
                    out.levels.add(_norm(lvl))
            last_n, after_heading = nb[0], False
            i = i_next
            continue
        if current is not None:
            current.answer_lines.append(text)
        i += 1
    for d in out.drafts:
        d.answer_lines = _tidy_answer(_trim_answer(d.answer_lines))
        d.key_points = _key_points(_prose_lines(d.answer_lines))
    return out


def _accept(nb: tuple[int, str], last_n: int | None, after_heading: bool) -> bool:
    num, text = nb
    t = text.strip()
    qlike = _ends_question(t) or t.startswith("**") or t.endswith("**")
    if last_n is None or after_heading:
        return num == 1 or after_heading or qlike
    return num == last_n + 1 or qlike


def _gather(doc: _Doc, i: int, text: str, is_heading) -> tuple[str, str | None, int]:
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
    fence = False
    pending_blank = False
    for line in lines:
        s = line.strip()
        if s.startswith(("```", "~~~")):
            fence = not fence
        if fence or s.startswith(("```", "~~~")):
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
    kept, fence = [], False
    for line in lines:
        s = line.strip()
        if s.startswith(("```", "~~~")):
            fence = not fence
            continue
        if not fence and not s.startswith("$$"):
            kept.append(line)
    return kept


_LABELLED = re.compile(r"^\s*(?:[-*+•]\s+)?\*\*[^*]{2,60}?(?::\*\*|\*\*\s*:)\s*\S")


def _key_points(lines: list[str], limit: int = 8) -> list[str]:
    """The answer's opening statement, its bullets and `**Label:** text` lines; else its sentences."""
    points: list[str] = []
    prose = [ln for ln in lines if ln.strip()]
    if prose and not _BULLET.match(prose[0]):
        first = re.split(r"(?<=[.!?])\s+", strip_markup(prose[0]))[0]
        if len(first) >= 20 and not first.endswith(":"):
            points.append(first)
    for line in prose:
        if _BULLET.match(line) or _LABELLED.match(line):
            text = strip_markup(re.sub(r"^\s*\d{1,3}[.)]\s+", "", line))
            if 12 <= len(text) <= 400 and not text.endswith(":"):
                points.append(text)
    if len(points) <= 1:  # no list in the answer: its sentences, line by line
        sentences = [sent for ln in prose for sent in re.split(r"(?<=[.!?])\s+", strip_markup(ln))]
        points = [sent for sent in sentences if len(sent) >= 20 and not sent.endswith(":")]
        points = points or [strip_markup(ln) for ln in prose if len(strip_markup(ln)) >= 3]
    seen, unique = set(), []
    for p in points:
        if p.casefold() not in seen:
            seen.add(p.casefold())
            unique.append(p)
    return unique[:limit]


def _trim_answer(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
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
