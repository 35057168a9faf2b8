"""The app's view models: everything app.py decides, as plain Python (no Streamlit import), testable alone.

It sits beside app.py, on the shells' floor, so it may use ingest/ (the first-run build, the Library's
uploads) as well as tutor/.

app.py only lays out widgets and calls these. Per-user state lives in small classes stored in the
user's st.session_state (ChatState, InterviewFlow); shared read-only resources (index, retriever,
grader, local model) are passed in.

Document text is data: `escape_markdown` makes any bank or model text inert before Streamlit's
Markdown renderer sees it (no links, images, HTML, math or colour directives survive).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tutor.bands import BANDS, WRONG, band_for, describe_bands
from tutor.filters import Filters
from tutor.store import LEVELS, Record

ANY = "any"
LANGS = ("en", "uk")
LLM_LABELS = {
    "local": "local (llama.cpp, offline)",
    "api": "API (OpenAI-compatible)",
    "none": "none (quote the bank)",
}

# -- text safety ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'^@%])")


def escape_markdown(text: str) -> str:
    """Text that Markdown renders literally: every ASCII punctuation that could be markup is
    backslash-escaped (CommonMark allows it for any ASCII punctuation), so no link, image, HTML
    tag, math or directive can form. Line breaks are kept (hard breaks)."""
    text = _MD_SPECIAL.sub(r"\\\1", str(text))
    return text.replace("\r\n", "\n").replace("\n", "  \n")


def escape_pieces(pieces) -> Iterator[str]:
    """escape_markdown piece by piece (escaping is per character, so pieces concatenate correctly)."""
    for piece in pieces:
        yield escape_markdown(piece)


# -- settings from the environment, st.secrets and the sidebar ------------------------------------


@dataclass
class ApiConfig:
    base: str = ""
    model: str = ""
    key: str | None = field(default=None, repr=False)
    key_source: str | None = None  # "environment" | "secrets" | "this session" | None

    @property
    def key_status(self) -> str:
        return f"key set from {self.key_source}" if self.key_source in ("environment", "secrets") else (
            "key set for this session" if self.key_source else "no key set")


def _secret(secrets: Mapping, name: str) -> str | None:
    try:
        value = secrets.get(name)
    except Exception:  # st.secrets raises when there is no secrets file
        return None
    return str(value) if value else None


def api_config(settings, secrets: Mapping, base: str | None = None, model: str | None = None,
               session_key: str | None = None) -> ApiConfig:
    """The API endpoint: sidebar values over the settings (TUTOR_* variables) over st.secrets. The key
    is kept here only to build the client; it is never returned to the page (key_status says where it
    came from)."""
    base = (base or "").strip() or settings.api_base or _secret(secrets, "TUTOR_API_BASE") or ""
    model = (model or "").strip() or settings.api_model or _secret(secrets, "TUTOR_API_MODEL") or ""
    if session_key:
        return ApiConfig(base, model, session_key, "this session")
    if settings.key():
        return ApiConfig(base, model, settings.key(), "environment")
    secret = _secret(secrets, "TUTOR_API_KEY")
    if secret:
        return ApiConfig(base, model, secret, "secrets")
    return ApiConfig(base, model, None, None)


def default_backend(settings) -> str:
    return settings.llm if settings.llm in LLM_LABELS else "local"


# -- the index ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """Whose progress this browser session shows: a user name, or why there is none."""

    user: str | None
    fixed: bool  # set by the proxy's identity header (not editable in the page)
    problem: str | None = None


def who(settings, headers: Mapping[str, str], typed: str | None) -> Who:
    """The session's user. Behind an authenticating proxy (settings.user_header) the header decides and
    a request without it gets no user at all (never the shared default). Otherwise the name typed in the
    sidebar, else settings.user."""
    from tutor.progress import ProgressError, user_name

    if settings.user_header:
        value = next((v for k, v in headers.items() if k.lower() == settings.user_header.lower()), None)
        if not value or not value.strip():
            return Who(None, True, f"This page needs the {settings.user_header} header from the sign-in proxy; "
                                   "without it no progress is shown or saved.")
        try:
            return Who(user_name(value), True)
        except ProgressError as exc:
            return Who(None, True, str(exc))
    try:
        return Who(user_name(typed or settings.user), False)
    except ProgressError as exc:
        return Who(None, False, str(exc))


@dataclass
class IndexInfo:
    path: Path
    records: int
    sources: list[str]
    chunks: int
    created: str

    @property
    def label(self) -> str:
        return f"{self.records} records from {len(self.sources)} source(s)"


def index_info(index) -> IndexInfo:
    counts = index.manifest.get("counts", {})
    return IndexInfo(
        path=Path(index.dir),
        records=int(counts.get("records", len(index.records))),
        sources=sorted(index.manifest.get("sources", {})),
        chunks=int(counts.get("chunks", len(index.chunks))),
        created=str(index.manifest.get("created", "")),
    )


_build_lock = threading.Lock()


def build_index(bank: Path, index_dir: Path, settings,
                on_progress: Callable[[float, str], None] = lambda f, m: None):
    """First-run build: ingest the bank file by file into a staging index (real progress per file;
    embeddings land in the content-hash cache), then one final ingest into `index_dir` (atomic,
    from the cache). Returns ingest's Summary of the final build."""
    import shutil
    import tempfile

    from ingest.pipeline import discover
    from ingest.pipeline import ingest as ingest_fn

    with _build_lock:
        files, missing = discover([Path(bank)])
        if not files:
            why = "; ".join(f"{m.path}: {m.reason}" for m in missing) or f"no supported files in {bank}"
            raise FileNotFoundError(why)
        steps = len(files) + 1
        staging = Path(tempfile.mkdtemp(prefix="tutor-build-"))
        try:
            for i, path in enumerate(files):
                on_progress(i / steps, f"Reading and embedding {path.name} ({i + 1}/{len(files)})")
                try:
                    ingest_fn([path], staging / "index", settings=settings)
                except Exception:  # a bad file: the final run reports it in its summary
                    pass
            on_progress(len(files) / steps, "Writing the index")
            summary = ingest_fn([Path(bank)], Path(index_dir), settings=settings, rebuild=True)
            on_progress(1.0, f"Done: {summary.records} records from {summary.files} file(s)")
            return summary
        finally:
            shutil.rmtree(staging, ignore_errors=True)


# -- uploads (the Library page) -------------------------------------------------------------------

UPLOAD_ICONS = {"added": ":green[:material/check_circle:]", "replaced": ":green[:material/published_with_changes:]",
                "refused": ":red[:material/block:]", "skipped": ":orange[:material/warning:]"}


def upload_types() -> list[str]:
    """The file types the uploader accepts (the loaders' extensions, without dots)."""
    from ingest.uploads import UPLOAD_TYPES

    return list(UPLOAD_TYPES)


def upload_limit_mb(settings, server_limit_mb) -> int:
    """The size limit a file is refused over: TUTOR_MAX_UPLOAD_MB, or Streamlit's own
    server.maxUploadSize when that is lower (the server would refuse the file anyway)."""
    try:
        server = int(server_limit_mb)
    except (TypeError, ValueError):
        server = 0
    return min(settings.max_upload_mb, server) if server > 0 else settings.max_upload_mb


def upload_refusals(files, limit_mb: int, index) -> dict[int, str]:
    """Which of the chosen files (st.file_uploader's: .name, .size) will be refused, and why — shown
    before anything is added, by the same check the upload makes."""
    from ingest.uploads import check_upload, safe_name

    sources = index.manifest.get("sources", {})
    out, seen = {}, set()
    for i, f in enumerate(files):
        reason = check_upload(f.name, int(f.size), limit_mb, sources, Path(index.dir))
        if reason is None and safe_name(f.name) in seen:
            reason = f"another file named {safe_name(f.name)} is in this upload"
        seen.add(safe_name(f.name))
        if reason:
            out[i] = reason
    return out


def add_uploads(files, index_dir: Path, settings, limit_mb: int, on_step=None):
    """st.file_uploader's files added to the index at `index_dir` one by one (ingest.uploads)."""
    from ingest.uploads import Upload
    from ingest.uploads import add_uploads as add

    uploads = [Upload(f.name, f.getvalue()) for f in files]
    return add(uploads, Path(index_dir), settings.with_(max_upload_mb=limit_mb), on_step=on_step)


def uploaded_sources(index) -> list:
    """The index's uploaded sources (ingest.uploads.UploadedSource), by name."""
    from ingest.uploads import uploaded_sources as listed

    return listed(Path(index.dir), index.manifest)


def remove_upload(name: str, index_dir: Path, settings):
    from ingest.uploads import remove_upload as remove

    return remove(name, Path(index_dir), settings)


def upload_line(result) -> str:
    """One report line (Markdown, the file name and reason escaped): icon, name, what happened."""
    icon = UPLOAD_ICONS.get(result.status, ":material/help:")
    return f"{icon} **{escape_markdown(result.name)}** — {escape_markdown(result.describe())}"


def step_label(step) -> str:
    """An upload step as a status label (escaped): the file and what is happening to it."""
    if step.stage == "done" and step.result is not None:
        return escape_markdown(f"{step.name} — {step.result.describe()}")
    what = step.detail or {"reading": "reading", "indexing": "indexing"}.get(step.stage, step.stage)
    return escape_markdown(f"{step.name} — {what}")


# -- filters --------------------------------------------------------------------------------------


def options(records: list[Record]) -> dict[str, list[str]]:
    """Choices for the filter widgets, from the index."""
    sections = sorted({r.section for r in records if r.section.strip()}, key=str.casefold)
    return {
        "level": [lv for lv in LEVELS if any(r.level == lv for r in records)],
        "lang": sorted({r.lang for r in records}),
        "source": sorted({r.source for r in records}),
        "section": sections,
    }


def clean(value: str | None) -> str | None:
    return None if value in (None, "", ANY) else value


def filter_records(records: list[Record], level=None, lang=None, source=None, section=None,
                   text: str | None = None) -> list[Record]:
    """Records matching every given filter (tutor.filters; text: a case-insensitive substring)."""
    filters = Filters(level=clean(level), lang=clean(lang), source=clean(source), section=clean(section))
    needle = (text or "").strip().casefold()
    return [r for r in records
            if filters.matches(r) and (not needle or needle in f"{r.question}\n{r.answer}".casefold())]


def where(record: Record) -> str:
    """Where a record came from: source file and locator (line, or page for a PDF)."""
    loc = str(record.locator or "").strip()
    if not loc:
        return record.source
    if loc.startswith("p") and loc[1:].isdigit():
        return f"{record.source}, page {loc[1:]}"
    if loc.isdigit():
        return f"{record.source}, line {loc}"
    return f"{record.source}, {loc}"


def record_meta(record: Record) -> str:
    parts = [record.level if record.level != "unknown" else "", record.lang, record.section, where(record)]
    return " · ".join(p for p in parts if p)


def record_rows(records: list[Record]) -> list[dict]:
    """Table rows for the library (plain strings: the grid never renders them as HTML)."""
    return [{"question": r.question, "level": r.level, "lang": r.lang, "section": r.section,
             "source": where(r), "id": r.id} for r in records]


# -- chat -----------------------------------------------------------------------------------------


@dataclass
class CitationCard:
    n: int
    record_id: str
    question: str
    answer: str
    source: str
    where: str
    section: str
    level: str
    lang: str
    key_points: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"[{self.n}] {self.question}"


@dataclass
class ChatEntry:
    role: str  # "user" | "assistant"
    text: str
    citations: list[CitationCard] = field(default_factory=list)
    grounded: bool = True
    searched: str = ""
    notice: str | None = None
    mode: str = ""
    nearest: list[str] = field(default_factory=list)
    topic: str | None = None  # the section to practise ("start a mock interview on the topic")

    @property
    def refused(self) -> bool:
        return self.mode == "refused"

    def show_searched(self, question: str) -> bool:
        return bool(self.searched) and self.searched.strip().casefold() != question.strip().casefold()


def citation_cards(answer, by_id: Mapping[str, Record]) -> list[CitationCard]:
    cards = []
    for c in answer.citations:
        r = by_id.get(c.record_id)
        if r is None:
            cards.append(CitationCard(c.n, c.record_id, c.question, "", c.source, c.source, "", "", ""))
            continue
        cards.append(CitationCard(c.n, r.id, r.question, r.answer, r.source, where(r), r.section, r.level,
                                  r.lang, list(r.key_points)))
    return cards


def nearest_topics(answer) -> list[str]:
    """The nearest covered topics a refusal names (Answer.nearest)."""
    return list(answer.nearest) if answer.mode == "refused" else []


def entry_for(answer, by_id: Mapping[str, Record]) -> ChatEntry:
    cards = citation_cards(answer, by_id)
    topic = next((c.section for c in cards if c.section.strip()), None)
    return ChatEntry("assistant", answer.text, cards, bool(answer.grounded), answer.searched_query or "",
                     answer.notice, answer.mode, nearest_topics(answer), topic)


class ChatState:
    """One user's chat: the displayed history and the Conversation that answers in context."""

    def __init__(self, conversation):
        self.conversation = conversation
        self.entries: list[ChatEntry] = []
        self.practice: list[str] = []  # record ids cited by the last grounded answer

    def stream(self, question: str, by_id: Mapping[str, Record], lock: threading.Lock | None = None,
               ) -> tuple[Iterator[str], Callable[[], ChatEntry]]:
        """(escaped text pieces for st.write_stream, a function returning the finished entry).

        The retrieval step (before the first piece) runs under `lock`, one search at a time per
        process; the model's own generation is not held by it.
        """
        self.entries.append(ChatEntry("user", question))
        holder: dict = {}

        def pieces():
            gen = self.conversation.stream(question)
            try:
                if lock is not None:
                    with lock:
                        first = next(gen)
                else:
                    first = next(gen)
            except StopIteration:
                return
            for item in _chain(first, gen):
                if isinstance(item, str):
                    if item:  # the empty piece that ends retrieval shows nothing
                        yield escape_markdown(item)
                else:
                    holder["answer"] = item

        def finish() -> ChatEntry:
            answer = holder.get("answer")
            if answer is None:
                entry = ChatEntry("assistant", "Something went wrong while answering; please ask again.",
                                  grounded=False, mode="error")
            else:
                entry = entry_for(answer, by_id)
            self.entries.append(entry)
            return entry

        return pieces(), finish

    def reset(self) -> None:
        self.entries.clear()
        self.conversation.reset()


def _chain(first, rest):
    yield first
    yield from rest


# -- mock interview -------------------------------------------------------------------------------


def questions_on_topic(records: list[Record], record_ids: list[str], topic: str | None, n: int = 3,
                       seed: int | None = None) -> list[Record]:
    """The cited records first, then others on the same topic (section), up to n askable ones."""
    from tutor.interview import QuestionFilters, askable, pick_questions

    by_id = {r.id: r for r in records}
    chosen: list[Record] = []
    for rid in record_ids:
        r = by_id.get(rid)
        if r is not None and askable(r) and r not in chosen:
            chosen.append(r)
    if topic and len(chosen) < n:
        more = pick_questions(records, n=n * 3, filters=QuestionFilters(topic=topic), seed=seed)
        chosen += [r for r in more if r.id not in {c.id for c in chosen}]
    return chosen[:n]


@contextmanager
def attached(session, progress):
    """Give an InterviewSession this run's Progress (a SQLite connection belongs to one thread)."""
    session.progress = progress
    try:
        yield session
    finally:
        session.progress = None


class InterviewFlow:
    """One user's mock interview as a small state machine around tutor.interview.InterviewSession.

    phase: "answer" (the current question waits for an answer), "follow" (its follow-up waits),
    "review" (graded; next() moves on), "done" (the report is ready).
    """

    def __init__(self, session, topic: str | None = None):
        self.session = session
        self.topic = topic
        self.i = 0
        self.phase = "answer" if session.questions else "done"
        self.turn = None
        self.follow = None
        self.follow_result = None
        self.follow_spoken = None  # the follow-up answer's SpokenAnswer, when it was said aloud
        self.report_md: bytes | None = None
        self.report_pdf: bytes | None = None
        self.report_error: str | None = None

    @property
    def total(self) -> int:
        return len(self.session.questions)

    @property
    def record(self) -> Record | None:
        return self.session.questions[self.i] if self.i < self.total else None

    @property
    def scores(self) -> list[int]:
        return [t.score for t in self.session.turns if t.score is not None]

    @property
    def running_score(self) -> float | None:
        s = self.scores
        return round(sum(s) / len(s), 1) if s else None

    def submit(self, text: str, progress=None, spoken=None):
        """Grade the answer (a tutor.interview.SpokenAnswer when it was said aloud), or skip on ""."""
        if self.phase != "answer" or self.record is None:
            return None
        text = (text or "").strip()
        with attached(self.session, progress):
            if not text:
                self.turn = self.session.skip(self.record)
                self.follow = None
            else:
                self.turn = self.session.answer(self.record, text, spoken=spoken)
                self.follow = self.session.follow_up(self.turn)
        self.follow_result, self.follow_spoken = None, None
        self.phase = "follow" if self.follow is not None else "review"
        return self.turn

    def skip(self, progress=None):
        return self.submit("", progress)

    def submit_follow_up(self, text: str, progress=None, spoken=None):
        if self.phase != "follow" or self.follow is None:
            return None
        text = (text or "").strip()
        with attached(self.session, progress):
            if text:
                self.follow_result = self.session.answer_follow_up(self.turn, self.follow, text, spoken=spoken)
                self.follow_spoken = spoken
            else:
                self.session.skip_follow_up(self.turn, self.follow)
                self.follow_result = None
        self.phase = "review"
        return self.follow_result

    def next(self, progress=None) -> None:
        if self.phase != "review":
            return
        self.i += 1
        self.turn, self.follow, self.follow_result, self.follow_spoken = None, None, None, None
        if self.i >= self.total:
            self.finish(progress)
        else:
            self.phase = "answer"

    def finish(self, progress=None) -> None:
        """End the interview (also early) and prepare the reports."""
        self.phase = "done"
        from tutor.report import report_data, to_markdown, write_pdf

        with attached(self.session, progress):
            data = report_data(self.session)
        self.report_md = to_markdown(data).encode("utf-8")
        try:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                path = write_pdf(data, Path(tmp) / "report.pdf")
                self.report_pdf = path.read_bytes()
        except Exception as exc:  # a PDF problem must not lose the Markdown report
            self.report_pdf = None
            self.report_error = f"PDF report unavailable: {exc}"

    def summary(self) -> dict:
        return self.session.summary()

    def file_name(self, ext: str) -> str:
        return f"interview-{self.session.session_id}.{ext}"


# -- scores: the one scale (tutor.bands) ----------------------------------------------------------


@dataclass(frozen=True)
class ScoreBadge:
    """How a score is shown: "72/100", its band's label and Streamlit colour, and the scale."""

    score: int
    text: str  # "72/100"
    band: str  # "adequate"
    label: str  # the band's name in the record's language
    color: str  # Streamlit colour name: green | blue | orange | red
    scale: str  # describe_bands(lang)

    @property
    def markdown(self) -> str:
        """The band label in its colour (band labels are our own text, escaped all the same)."""
        return f":{self.color}[**{escape_markdown(self.label)}**]"


def score_badge(score: int, lang: str = "en") -> ScoreBadge:
    band = band_for(score)
    lang = lang or "en"
    return ScoreBadge(int(score), f"{score}/100", band.name, band.label(lang), band.color, describe_bands(lang))


# -- progress -------------------------------------------------------------------------------------


@dataclass
class ProgressView:
    attempts: int
    by_topic: list[tuple[str, float, int]]  # (topic, mean score, attempts), weakest first
    timeline: list[tuple[datetime, int, str]]  # (when, score, question) of main questions
    due: list[tuple[str, str, datetime | None]]  # (record id, question, due)
    upcoming: list[tuple[str, str, datetime | None]]
    weak: list  # tutor.progress.WeakTopic


def _when(value: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return datetime.now(UTC)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def progress_view(progress, by_id: Mapping[str, Record], now: datetime | None = None) -> ProgressView:
    from tutor.progress import topics_of

    now = now or datetime.now(UTC)
    attempts = progress.attempts()
    buckets: dict[str, list[int]] = {}
    timeline = []
    questions: dict[str, str] = {}
    for a in attempts:
        # The same topics as weak_topics: the section, else the tags, else the source file.
        topics = [name for _, name in topics_of(a.section, a.tags)] or [
            by_id[a.record_id].source if a.record_id in by_id else "(no section)"]
        for topic in topics:
            buckets.setdefault(topic, []).append(a.score)
        if not a.is_follow_up:
            timeline.append((_when(a.created), a.score, a.question))
            questions[a.record_id] = a.question
    by_topic = sorted(((t, round(sum(s) / len(s), 1), len(s)) for t, s in buckets.items()),
                      key=lambda x: (x[1], x[0]))
    due_ids = progress.due_record_ids(now)

    def question_of(rid: str) -> str:
        return by_id[rid].question if rid in by_id else questions.get(rid, rid)

    due = [(rid, question_of(rid), progress.due_at(rid)) for rid in due_ids]
    later = []
    for rid in progress.asked_record_ids() - set(due_ids):
        later.append((rid, question_of(rid), progress.due_at(rid)))
    later.sort(key=lambda x: x[2] or now)
    return ProgressView(len(attempts), by_topic, timeline, due, later[:10], progress.weak_topics(now=now))


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """'due now', 'in 3 days', 'in 5 hours' — human words for a due date."""
    if when is None:
        return "not scheduled"
    now = now or datetime.now(UTC)
    delta = (when - now).total_seconds()
    if delta <= 0:
        return "due now"
    if delta < 3600:
        return f"in {max(1, int(delta // 60))} min"
    if delta < 86400:
        return f"in {int(delta // 3600)} h"
    return f"in {int(delta // 86400)} days"


# -- progress charts (Altair, shipped with Streamlit) ---------------------------------------------

SCORE_DOMAIN = [0, 100]
SCORE_TICKS = [0, *sorted(b.low for b in BANDS if b is not WRONG), 100]  # 0, 40, 60, 85, 100
BAND_HEX = {"green": "#21a366", "blue": "#1c83e1", "orange": "#ff8700", "red": "#e0393e"}
TOPIC_LABEL_LIMIT = 28


def short_topics(names: list[str], limit: int = TOPIC_LABEL_LIMIT) -> dict[str, str]:
    """A readable axis label per topic: a long section shows its last part ("Middle / NLP / Attention"
    → "Attention"), cut to `limit` characters. Labels stay unique (a clash keeps the full names)."""
    def short(name: str) -> str:
        if len(name) <= limit:
            return name
        last = name.rsplit(" / ", 1)[-1].strip() or name
        return last if len(last) <= limit else last[: limit - 1].rstrip() + "…"

    out = {name: short(name) for name in names}
    clashes: dict[str, list[str]] = {}
    for name, label in out.items():
        clashes.setdefault(label, []).append(name)
    for group in clashes.values():
        if len(group) > 1:
            out.update({name: name for name in group})
    return out


def _score_y(alt, field: str, title: str):
    """The one score axis of every chart: fixed 0–100, integer ticks at the band edges."""
    return alt.Y(f"{field}:Q", title=title, scale=alt.Scale(domain=SCORE_DOMAIN, nice=False, zero=True),
                 axis=alt.Axis(values=SCORE_TICKS, format="d", tickMinStep=1))


def _band_color(alt):
    scale = alt.Scale(domain=[b.label() for b in BANDS], range=[BAND_HEX.get(b.color, b.color) for b in BANDS])
    return alt.Color("band:N", scale=scale, legend=alt.Legend(title="band", orient="bottom"))


def _band_rules(alt, title: str) -> list:
    """Dashed lines at the band edges (40, 60, 85), each with its band's name."""
    import pandas as pd

    edges = pd.DataFrame([{"edge": b.low, "band": b.label()} for b in BANDS if b is not WRONG])
    y = _score_y(alt, "edge", title)
    rule = alt.Chart(edges).mark_rule(strokeDash=[4, 4], opacity=0.5, color="gray").encode(y=y)
    text = alt.Chart(edges).mark_text(align="right", baseline="bottom", dx=-2, dy=-1, fontSize=10,
                                      color="gray").encode(y=y, x=alt.value("width"), text="band:N")
    return [rule, text]


def topic_chart(view: ProgressView):
    """Mean score per topic, weakest first: a bar and a point per topic on the fixed 0–100 axis (a
    mean of 0 still shows its point and its label), coloured by band, the full name in the tooltip."""
    import altair as alt
    import pandas as pd

    labels = short_topics([t for t, _, _ in view.by_topic])
    rows = [{"topic": labels[t], "name": t, "score": m, "attempts": n, "band": band_for(m).label()}
            for t, m, n in view.by_topic]
    data = pd.DataFrame(rows, columns=["topic", "name", "score", "attempts", "band"])
    order = [r["topic"] for r in rows]
    x = alt.X("topic:N", sort=order, title=None,
              axis=alt.Axis(labelAngle=-30 if len(order) > 3 else 0, labelLimit=220, labelOverlap=False))
    tooltip = [alt.Tooltip("name:N", title="topic"), alt.Tooltip("score:Q", title="mean score", format=".1f"),
               alt.Tooltip("attempts:Q", format="d"), alt.Tooltip("band:N")]
    base = alt.Chart(data).encode(x=x, y=_score_y(alt, "score", "mean score"), color=_band_color(alt),
                                  tooltip=tooltip)
    marks = [base.mark_bar(opacity=0.7, size=28), base.mark_point(filled=True, size=90, opacity=1)]
    return alt.layer(*marks, *_band_rules(alt, "mean score")).properties(height=320)


def timeline_chart(view: ProgressView):
    """Each main question's score over time on the fixed 0–100 axis: a line and a point per answer
    (a single answer is one visible point), coloured by band, the question in the tooltip."""
    import altair as alt
    import pandas as pd

    rows = [{"when": w, "score": s, "question": q, "band": band_for(s).label()} for w, s, q in view.timeline]
    data = pd.DataFrame(rows, columns=["when", "score", "question", "band"])
    x = alt.X("when:T", title=None)
    times = {w for w, _, _ in view.timeline}
    if len(times) == 1:  # one answer: a few hours around it, not a zero-width axis ticked in milliseconds
        (when,) = times
        ms = int(when.timestamp() * 1000)
        x = alt.X("when:T", title=None, scale=alt.Scale(domain=[ms - 6 * 3_600_000, ms + 6 * 3_600_000]))
    y = _score_y(alt, "score", "score")
    tooltip = [alt.Tooltip("when:T", format="%Y-%m-%d %H:%M"), alt.Tooltip("score:Q", format="d"),
               alt.Tooltip("band:N"), alt.Tooltip("question:N")]
    line = alt.Chart(data).mark_line(color="gray", opacity=0.5).encode(x=x, y=y)
    points = alt.Chart(data).mark_point(filled=True, size=80, opacity=1).encode(
        x=x, y=y, color=_band_color(alt), tooltip=tooltip)
    return alt.layer(line, points, *_band_rules(alt, "score")).properties(height=280)
