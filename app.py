"""Interview Tutor — the Streamlit app: a thin shell over tutor/ (decisions live beside it in app_state.py).

    streamlit run app.py        (or ./run.sh with no arguments)

Shared, read-only things (index, retriever, grader, the local model, a compute lock) are loaded once
per process with st.cache_resource; everything that belongs to one user (chat history, interview,
API key typed in the sidebar, filters) lives in st.session_state. Bank and model text is never
rendered as HTML: it goes through st.text, or through Markdown only after escape_markdown.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import streamlit as st

import app_state as S
from tutor.config import get_settings
from tutor.index import manifest_stamp
from tutor.instructions import record_flags
from tutor.llm import BACKENDS, LLMError, get_llm
from tutor.shutdown import install as install_shutdown
from tutor.store import IndexError_

install_shutdown()  # once per process: SIGTERM/SIGINT stop within 10 s, even mid-answer (tutor/shutdown.py)

PAGES = ("Chat", "Mock interview", "Progress", "Library")
esc = S.escape_markdown


# -- shared resources (once per process) ----------------------------------------------------------


@st.cache_resource(show_spinner=False)
def load_index(index_dir: str, stamp: int):
    from tutor.index import open_index

    return open_index(Path(index_dir))


@st.cache_resource(show_spinner=False)
def load_retriever(index_dir: str, stamp: int, threads: int):
    from tutor.retrieve import Retriever

    return Retriever(load_index(index_dir, stamp), get_settings(threads=threads))


@st.cache_resource(show_spinner=False)
def load_grader(index_dir: str, stamp: int, threads: int):
    from tutor.grade import get_grader

    return get_grader(get_settings(threads=threads), load_index(index_dir, stamp))


@st.cache_resource(show_spinner=False)
def load_related(index_dir: str, stamp: int, threads: int):
    from tutor.interview import related_finder

    return related_finder(load_index(index_dir, stamp), get_settings(threads=threads))


@st.cache_resource(show_spinner=False)
def load_local_llm(model: str, threads: int):
    # The model leaves a core to the server and the browser, which run on the same machine: llama.cpp's
    # threads slow down badly when one waits for a busy core. bench/app.py, 2 cores, model threads
    # 2 -> 1: first text 28.0 -> 15.3 s (first question, page just opened), 16.2 -> 8.1 s (follow-up);
    # reading the prompt with 2 threads and generating with 1 gave 16.7 / 8.6 s.
    return get_llm("local", get_settings(threads=max(1, threads - 1)))


@st.cache_resource(show_spinner=False)
def compute_lock() -> threading.Lock:
    """One search or grading at a time per process (2 cores; models are shared by every session)."""
    return threading.Lock()


@st.cache_resource(show_spinner=False)
def warm_up(index_dir: str, stamp: int, threads: int) -> threading.Thread:
    """Load the retrieval models in the background as soon as the first page is served, so the first
    question doesn't wait for them (once per index per process)."""
    retriever = load_retriever(index_dir, stamp, threads)

    def run() -> None:
        try:
            with compute_lock():
                retriever.search("What is overfitting?", k=1)
        except Exception:  # a real question will report the problem
            pass

    thread = threading.Thread(target=run, name="tutor-warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def warm_local_llm(model: str, threads: int) -> threading.Thread:
    """Load the local model and let it read the system prompt in the background when the app starts,
    so the first question does not wait for either (once per process)."""
    from tutor.answer import prime

    try:
        llm = load_local_llm(model, threads)
    except LLMError:
        llm = None  # the sidebar says why

    def run() -> None:
        try:
            if llm is not None:
                prime(llm)
        except Exception:  # e.g. a model file that fails to load: the first answer says so
            pass

    thread = threading.Thread(target=run, name="tutor-warm-llm", daemon=True)
    thread.start()
    return thread


# -- per-session helpers --------------------------------------------------------------------------


def secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in ("TUTOR_API_BASE", "TUTOR_API_MODEL", "TUTOR_API_KEY") if k in st.secrets}
    except Exception:  # no secrets file
        return {}


@contextmanager
def progress_db(settings):
    from tutor.progress import Progress, ProgressError

    try:
        progress = Progress(settings.db, user=settings.user)
    except ProgressError as exc:
        st.warning(f"Progress is not saved: {esc(str(exc))}")
        yield None
        return
    try:
        yield progress
    finally:
        progress.close()


def _store_key() -> None:
    """Move a typed API key out of the widget into private session state; the box is left empty."""
    typed = st.session_state.get("api_key_input", "")
    if typed:
        st.session_state["_api_key"] = typed
    st.session_state["api_key_input"] = ""


def _forget_key() -> None:
    st.session_state.pop("_api_key", None)


def go(page: str) -> None:
    st.session_state["page"] = page


def practice(record_ids: list[str], topic: str | None) -> None:
    st.session_state["pending_interview"] = {"ids": list(record_ids), "topic": topic}
    st.session_state.pop("interview", None)
    st.session_state["page"] = "Mock interview"


def ask(question: str) -> None:
    st.session_state["pending_question"] = question
    st.session_state["page"] = "Chat"


# -- sidebar --------------------------------------------------------------------------------------


def sidebar(settings, index, info: S.IndexInfo, identity: S.Who):
    side = st.sidebar
    side.title(":material/school: Interview Tutor")
    side.radio("Page", PAGES, key="page", label_visibility="collapsed")

    if identity.fixed:
        side.caption(f":material/person: Signed in as {esc(identity.user)}")
    else:
        side.text_input("Your name", key="user_name", max_chars=200,
                        help="Your progress, cards and reports are kept under this name.")

    side.subheader("Language model")
    default = S.default_backend(settings)
    backend = side.selectbox("Backend", BACKENDS, index=BACKENDS.index(default), key="llm_backend",
                             format_func=lambda b: S.LLM_LABELS[b])
    llm, notice = None, None
    if backend == "api":
        env_cfg = S.api_config(settings, secrets())
        base = side.text_input("API base URL", value=env_cfg.base, key="api_base",
                               placeholder="https://api.example.com/v1")
        model = side.text_input("Model", value=env_cfg.model, key="api_model")
        side.text_input("API key", type="password", key="api_key_input", on_change=_store_key,
                        placeholder="empty: use TUTOR_API_KEY", help="Kept for this session only; never shown.")
        cfg = S.api_config(settings, secrets(), base, model, st.session_state.get("_api_key"))
        side.caption(f":material/key: {cfg.key_status}")
        if cfg.key_source == "this session":
            side.button("Forget the key", on_click=_forget_key)
        try:
            llm = get_llm("api", settings.with_(api_base=cfg.base or None, api_model=cfg.model or None,
                                                api_key=cfg.key))
        except LLMError as exc:
            notice = f"The API backend is not usable ({exc}); answers quote the bank."
    elif backend == "local":
        try:
            llm = load_local_llm(settings.local_model, settings.threads)
        except LLMError as exc:
            notice = f"The local model is not available ({exc}); answers quote the bank."
    if notice:
        side.warning(esc(notice))
    elif llm is None:
        side.caption("No language model: answers quote the bank verbatim.")
    else:
        side.caption(f"Using {esc(getattr(llm, 'name', backend))}.")

    side.subheader("Index")
    side.caption(f"{esc(str(info.path))} — {info.records} records, {len(info.sources)} sources")
    with side.expander("Sources"):
        for name in info.sources:
            st.text(name)

    side.subheader("Filters")
    opts = S.options(index.records)
    side.selectbox("Level", [S.ANY, *opts["level"]], key="f_level")
    side.selectbox("Language", [S.ANY, *opts["lang"]], key="f_lang")
    side.selectbox("Source", [S.ANY, *opts["source"]], key="f_source")
    side.selectbox("Section", [S.ANY, *opts["section"]], key="f_section")
    return llm, notice


def current_filters():
    from tutor.filters import Filters

    f = Filters(level=S.clean(st.session_state.get("f_level")), lang=S.clean(st.session_state.get("f_lang")),
                source=S.clean(st.session_state.get("f_source")),
                section=S.clean(st.session_state.get("f_section")))
    return f if f.any() else None


def ensure_local_loaded(llm) -> None:
    if llm is not None and not llm.loaded:
        with st.spinner("Loading the local language model (first time only)…"):
            try:
                llm.load()
            except LLMError:
                pass  # the answer falls back to quoting the bank and says so


# -- chat -----------------------------------------------------------------------------------------


def render_card(card: S.CitationCard) -> None:
    with st.expander(esc(card.title)):
        st.caption(esc(" · ".join(x for x in (card.level, card.lang, card.section) if x)))
        st.text(card.answer or "(the bank has this question without a reference answer)")
        st.caption(f"Source: {esc(card.where)}")


def render_entry(i: int, entry: S.ChatEntry, question: str) -> None:
    if entry.refused:
        lines = entry.text.splitlines()
        st.info(esc(lines[0] if lines else entry.text), icon=":material/search:")
        if entry.nearest:
            st.caption("The nearest topics the bank does cover — ask one:")
            for j, topic in enumerate(entry.nearest):
                st.button(topic, key=f"near-{i}-{j}", on_click=ask, args=(topic,))
    else:
        st.markdown(esc(entry.text))
    if entry.notice:
        st.caption(esc(entry.notice))
    if entry.show_searched(question):
        st.caption(f"searched: {esc(entry.searched)}")
    if entry.citations and not entry.refused:
        st.caption("Read more in the bank:")
    for card in entry.citations:
        render_card(card)
    if entry.grounded and entry.citations:
        label = f"Start a mock interview on {entry.topic}" if entry.topic else "Practise these questions"
        st.button(label, key=f"practice-{i}", icon=":material/mic:", on_click=practice,
                  args=([c.record_id for c in entry.citations], entry.topic))


def chat_page(index, retriever, llm, notice) -> None:
    from tutor.answer import Conversation

    chat: S.ChatState | None = st.session_state.get("chat")
    if chat is None:
        chat = st.session_state["chat"] = S.ChatState(Conversation(
            retriever, llm, notice=notice, show_unsupported=get_settings().show_unsupported))
    # Read first (the box is pinned to the bottom wherever it is called) so the header knows a turn is coming.
    typed = st.chat_input("Ask an ML interview question…")
    pending = st.session_state.pop("pending_question", None)
    question = typed or pending
    head, clear = st.columns([5, 1], vertical_alignment="bottom")
    head.header("Ask the tutor")
    if (chat.entries or question) and clear.button("New chat", key="clear-chat", icon=":material/restart_alt:"):
        chat.reset()
        st.rerun()
    conv = chat.conversation
    conv.retriever, conv.llm, conv.filters = retriever, llm, current_filters()
    if not chat.entries and not question:
        st.caption("Answers come from the question bank, with numbered citations you can open. "
                   "Follow-up questions are understood in context.")
    asked = ""
    for i, entry in enumerate(chat.entries):
        with st.chat_message(entry.role):
            if entry.role == "user":
                st.text(entry.text)
                asked = entry.text
            else:
                render_entry(i, entry, asked)
    if not question:
        return
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        ensure_local_loaded(llm)
        pieces, finish = chat.stream(question, index.by_id, compute_lock())
        slot = st.empty()
        with slot.container():
            st.write_stream(pieces)
        entry = finish()
        with slot.container():
            render_entry(len(chat.entries) - 1, entry, question)


# -- mock interview -------------------------------------------------------------------------------


def new_flow(settings, index, llm, questions, filters=None, topic=None) -> S.InterviewFlow:
    from tutor.interview import InterviewSession

    grader = load_grader(str(settings.index), manifest_stamp(settings.index), settings.threads)
    related = load_related(str(settings.index), manifest_stamp(settings.index), settings.threads)
    with progress_db(settings) as progress:
        session = InterviewSession(questions, grader, progress=progress, llm=llm, related=related,
                                   max_follow_ups=1, filters=filters)
    session.progress = None
    return S.InterviewFlow(session, topic)


def interview_setup(settings, index, llm) -> None:
    from tutor.interview import QuestionFilters, pick_questions

    opts = S.options(index.records)
    st.caption("Choose what to practise. Each answer is graded against the bank's reference answer; "
               "a follow-up drills deeper.")
    with st.form("interview-setup"):
        c1, c2, c3 = st.columns(3)
        level = c1.selectbox("Level", [S.ANY, *opts["level"]], index=_default(opts["level"], "f_level"))
        lang = c2.selectbox("Language", [S.ANY, *opts["lang"]], index=_default(opts["lang"], "f_lang"))
        source = c3.selectbox("Source", [S.ANY, *opts["source"]], index=_default(opts["source"], "f_source"))
        topic = st.selectbox("Topic (section)", [S.ANY, *opts["section"]],
                             index=_default(opts["section"], "f_section"))
        c4, c5 = st.columns(2)
        n = c4.number_input("Questions", min_value=1, max_value=10, value=3, step=1)
        due = c5.checkbox("Due and weak topics first", value=False)
        start = st.form_submit_button("Start the interview", type="primary")
    if not start:
        return
    filters = QuestionFilters(level=S.clean(level), topic=S.clean(topic), lang=S.clean(lang),
                              source=S.clean(source))
    with progress_db(settings) as progress:
        questions = pick_questions(index.records, n=int(n), filters=filters, progress=progress, due_first=due)
    if not questions:
        st.warning("No questions with a reference answer match these filters.")
        return
    st.session_state["interview"] = new_flow(settings, index, llm, questions, filters, S.clean(topic))
    st.rerun()


def _default(choices: list[str], key: str) -> int:
    value = st.session_state.get(key)
    return choices.index(value) + 1 if value in choices else 0


def show_grade(result, title: str = "Grade") -> None:
    badge = S.score_badge(result.score, getattr(result, "lang", "en"))
    st.metric(title, badge.text)
    st.markdown(badge.markdown)
    st.caption(f"Scale: {esc(badge.scale)}")
    if result.covered:
        st.markdown("**Covered**")
        for p in result.covered:
            st.markdown(f":green[:material/check_circle:] {esc(p)}")
    if getattr(result, "contradicted", None):
        st.markdown("**Contradicted**")
        for c in result.contradicted:
            st.markdown(f":red[:material/error:] You said: *{esc(c.said)}*  \nThe reference says: {esc(c.point)}")
    if result.missed:
        st.markdown("**Missed**")
        for p in result.missed:
            st.markdown(f":red[:material/cancel:] {esc(p)}")
    if result.feedback:
        st.caption(esc(result.feedback))


def voice_input(name: str, record, lock, settings) -> None:
    """A microphone beside the answer box: a new recording is transcribed into the box, to correct
    before it is graded; its SpokenAnswer waits in the session for the submit."""
    from tutor.speech import SpeechError, spoken_answer, voice_unavailable

    problem = voice_unavailable(record.lang, settings)
    if problem:
        st.caption(f":material/mic_off: {esc(problem)}")
        return
    # A new key per answer: the last answer's recording must not stay in the widget.
    key = f"{name}-audio-{st.session_state.get('voice-round', 0)}"
    audio = st.audio_input("Or answer out loud: record, then correct the transcript below", key=key)
    if audio is None:
        return
    data = audio.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    if st.session_state.get(f"{name}-audio-digest") == digest:
        return
    with st.spinner("Transcribing your answer…"), lock:
        try:
            spoken = spoken_answer(data, record, settings)
        except SpeechError as exc:
            st.error(esc(str(exc)))
            return
    st.session_state[f"{name}-audio-digest"] = digest
    st.session_state[f"{name}-spoken"] = spoken
    st.session_state[f"{name}-text"] = spoken.transcript


def show_delivery(spoken, lang: str) -> None:
    if spoken is not None:
        st.caption(f":material/mic: Delivery (not part of the score): {esc(spoken.delivery.describe(lang))}")


def answer_form(name: str, label: str, height: int, submit_label: str, skip_label: str, on_submit,
                lock, settings, record) -> None:
    """An answer box with submit/skip and a microphone for `record`'s question; a submitted (or
    skipped, "") answer is graded and saved, a spoken one with its transcript and delivery notes."""
    voice_input(name, record, lock, settings)
    with st.form(f"{name}-form", clear_on_submit=True):
        text = st.text_area(label, height=height, key=f"{name}-text")
        c1, c2 = st.columns([1, 1])
        submit = c1.form_submit_button(submit_label, type="primary")
        skip = c2.form_submit_button(skip_label)
    if submit or skip:
        spoken = st.session_state.pop(f"{name}-spoken", None)
        st.session_state.pop(f"{name}-audio-digest", None)
        st.session_state["voice-round"] = st.session_state.get("voice-round", 0) + 1
        # Grading (InterviewFlow.submit / submit_follow_up) takes a few seconds: say so while it runs.
        with st.spinner("Grading your answer…" if submit else "Saving…"), lock, progress_db(settings) as progress:
            if skip:
                on_submit("", progress)
            else:
                on_submit(text, progress, spoken=spoken)
        st.rerun()


def interview_page(settings, index, llm) -> None:
    st.header("Mock interview")
    pending = st.session_state.pop("pending_interview", None)
    if pending and pending.get("due"):
        from tutor.interview import pick_questions

        with progress_db(settings) as progress:
            questions = pick_questions(index.records, n=5, progress=progress, due_first=True)
        st.session_state["interview"] = new_flow(settings, index, llm, questions, topic="due and weak first")
    elif pending:
        questions = S.questions_on_topic(index.records, pending["ids"], pending.get("topic"))
        if questions:
            st.session_state["interview"] = new_flow(settings, index, llm, questions, topic=pending.get("topic"))
        else:
            st.warning("Those questions have no reference answers to grade against; choose a topic below.")
    flow: S.InterviewFlow | None = st.session_state.get("interview")
    if flow is None:
        interview_setup(settings, index, llm)
        return
    flow.session.llm = llm
    lock = compute_lock()

    top = st.columns([3, 1, 1])
    shown = min(flow.i + 1, flow.total)
    top[0].caption(f"Question {shown} of {flow.total}" + (f" · topic: {esc(flow.topic)}" if flow.topic else ""))
    score = flow.running_score
    top[1].metric("Running score", "—" if score is None else f"{score:g}")
    if flow.phase != "done":
        top[2].button("End interview", key="end-interview", on_click=_end_interview, args=(settings,))

    if flow.phase == "done":
        interview_done(flow)
        return
    record = flow.record
    st.caption(esc(S.record_meta(record)))
    st.subheader(esc(record.question))
    if flow.phase == "answer":
        answer_form("answer", "Your answer", 160, "Submit answer", "Skip", flow.submit, lock, settings, record)
        return

    turn = flow.turn
    if turn.skipped:
        st.info("Skipped — it will come back sooner.")
    else:
        st.markdown("**Your answer**")
        st.text(turn.answer)
        show_grade(turn.result)
        show_delivery(turn.spoken, record.lang)
    if flow.phase == "follow":
        st.markdown(f"**Follow-up:** {esc(flow.follow.text)}")
        answer_form("follow", "Your answer to the follow-up", 120, "Submit follow-up", "Skip follow-up",
                    flow.submit_follow_up, lock, settings, flow.follow.record)
        return
    if flow.follow is not None:
        st.markdown(f"**Follow-up:** {esc(flow.follow.text)}")
        if flow.follow_result is not None:
            show_grade(flow.follow_result, "Follow-up grade")
            show_delivery(flow.follow_spoken, record.lang)
        else:
            st.caption("Follow-up skipped.")
    with st.expander("Reference answer"):
        st.text(record.answer)
        st.caption(f"Source: {esc(S.where(record))}")
    last = flow.i + 1 >= flow.total
    if st.button("Finish and see the report" if last else "Next question", type="primary", key="next-question"):
        with lock, progress_db(settings) as progress:
            flow.next(progress)
        st.rerun()


def _end_interview(settings) -> None:
    flow = st.session_state.get("interview")
    if flow is not None and flow.phase != "done":
        with progress_db(settings) as progress:
            flow.finish(progress)


def interview_done(flow: S.InterviewFlow) -> None:
    summary = flow.summary()
    mean = summary["mean_score"]
    st.success(f"Interview finished: {summary['answered']} answered, {summary['skipped']} skipped"
               + ("" if mean is None else f", mean score {mean:g}/100") + ".")
    for q in summary["questions"]:
        if q["score"] is None:
            st.markdown(f"- {esc(q['question'])} — **skipped**")
        else:
            badge = S.score_badge(q["score"])
            st.markdown(f"- {esc(q['question'])} — **{esc(badge.text)}** {badge.markdown}")
    st.caption(f"Scale: {esc(S.describe_bands())}")
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download report (Markdown)", flow.report_md or b"", file_name=flow.file_name("md"),
                       mime="text/markdown", key="report-md")
    if flow.report_pdf:
        c2.download_button("Download report (PDF)", flow.report_pdf, file_name=flow.file_name("pdf"),
                           mime="application/pdf", key="report-pdf")
    elif flow.report_error:
        c2.caption(esc(flow.report_error))
    c3.button("New interview", key="new-interview", on_click=lambda: st.session_state.pop("interview", None))


# -- progress -------------------------------------------------------------------------------------


def progress_page(settings, index) -> None:
    st.header("Progress")
    with progress_db(settings) as progress:
        if progress is None:
            return
        view = S.progress_view(progress, index.by_id)
    if not view.attempts:
        st.info("No answers yet. Start a mock interview to see scores by topic and over time here.")
        st.button("Start a mock interview", on_click=go, args=("Mock interview",))
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Answers graded", view.attempts)
    c2.metric("Due for review", len(view.due))
    c3.metric("Weak topics", len(view.weak))
    st.caption(f"Scale: {esc(S.describe_bands())}")
    st.subheader("Scores by topic")
    st.altair_chart(S.topic_chart(view), width="stretch")
    st.subheader("Scores over time")
    st.altair_chart(S.timeline_chart(view), width="stretch")
    st.subheader("Due for review")
    if view.due:
        for _rid, question, when in view.due:
            st.markdown(f"- {esc(question)} — *{S.ago(when)}*")
        st.button("Practise the due cards", type="primary", on_click=_practise_due)
    else:
        st.caption("Nothing is due right now.")
        for _rid, question, when in view.upcoming[:5]:
            st.markdown(f"- {esc(question)} — *{S.ago(when)}*")
    st.subheader("Weakest topics")
    if view.weak:
        st.dataframe(pd.DataFrame([{"topic": w.name, "kind": w.kind, "mean score": round(w.mean_score, 1),
                                    "attempts": w.attempts} for w in view.weak]), hide_index=True)
    else:
        st.caption("No weak topics in the last 30 days.")


def _practise_due() -> None:
    st.session_state["pending_interview"] = {"due": True}
    st.session_state.pop("interview", None)
    st.session_state["page"] = "Mock interview"


# -- library --------------------------------------------------------------------------------------


def library_page(settings, index, retriever) -> None:
    st.header("Library")
    browse_records(index, retriever)
    upload_section(settings, index)


def browse_records(index, retriever) -> None:
    text = st.text_input("Search the bank", key="lib-search", placeholder="e.g. dropout, precision vs recall")
    f = current_filters()
    kw = {} if f is None else {"level": f.level, "lang": f.lang, "source": f.source, "section": f.section}
    if text.strip():
        with compute_lock():
            hits = retriever.search(text, k=10, filters=f)
        records = [h.record for h in hits if not h.duplicate_of]
        if hits.abstained:
            st.info("Nothing in the bank matches that well; the closest records are listed.", icon=":material/search:")
    else:
        records = S.filter_records(index.records, **kw)
    st.caption(f"{len(records)} record(s)")
    if not records:
        return
    st.dataframe(pd.DataFrame(S.record_rows(records)).drop(columns=["id"]), hide_index=True)
    by_id = {r.id: r for r in records}
    listing = tuple(by_id)
    if st.session_state.get("lib-listing") != listing:  # a new search or filter opens its top record
        st.session_state["lib-listing"] = listing
        st.session_state.pop("lib-open", None)
    rid = st.selectbox("Open a record", list(by_id), key="lib-open", format_func=lambda i: by_id[i].question)
    record = by_id[rid]
    with st.container(border=True):
        st.subheader(esc(record.question))
        st.caption(esc(S.record_meta(record)))
        if "instruction" in record_flags(record):
            st.warning("Part of this record speaks to the assistant (e.g. \"ignore previous instructions\"). "
                       "The tutor never gives those sentences to the model.", icon=":material/gpp_maybe:")
        st.markdown("**Answer**")
        st.text(record.answer or "(the bank has no reference answer for this question)")
        if record.key_points:
            st.markdown("**Key points**")
            for p in record.key_points:
                st.text(f"• {p}")
        st.caption(f"Where it came from: {esc(S.where(record))}")
        st.button("Practise this question", key="lib-practice", on_click=practice,
                  args=([record.id], record.section or None))


def index_changed() -> None:
    """The index was rewritten (an upload or a removal): drop the loaded copies; the next run loads
    the new one (its manifest stamp changed)."""
    for loader in (load_index, load_retriever, load_grader, load_related, warm_up):
        loader.clear()


def upload_section(settings, index) -> None:
    """Drop question files; they are added to this index one by one, with a report per file.
    Uploaded sources can be removed again."""
    from ingest.uploads import uploads_dir

    st.divider()
    st.subheader("Add your own question files")
    limit = S.upload_limit_mb(settings, st.get_option("server.maxUploadSize"))
    types = S.upload_types()
    st.caption(esc(f"Each file is read and added to this index (up to {limit} MB a file); what was already "
                   f"indexed stays. Uploaded files are kept in {uploads_dir(settings.index)}; a file of the "
                   f"same name replaces its earlier upload."))
    st.session_state.setdefault("upload-round", 0)
    files = st.file_uploader("Question files", type=types, accept_multiple_files=True,
                             key=f"uploads-{st.session_state['upload-round']}", max_upload_size=limit) or []
    refusals = S.upload_refusals(files, limit, index)
    for i, reason in refusals.items():
        st.markdown(f"{S.UPLOAD_ICONS['refused']} **{esc(files[i].name)}** — will be refused: {esc(reason)}")
    add = st.button("Add to the index", type="primary", key="add-uploads", icon=":material/upload_file:",
                    disabled=not files)
    if add and files:
        bar = st.progress(0.0, text="Starting…")
        boxes: dict[int, object] = {}

        def on_step(step) -> None:
            bar.progress(step.fraction, text=esc(f"File {step.i + 1} of {step.n}: {step.name}"))
            box = boxes.get(step.i)
            if box is None:
                box = boxes[step.i] = st.status(S.step_label(step), state="running")
            if step.stage == "done" and step.result is not None:
                box.update(label=S.step_label(step), state="complete" if step.result.ok else "error")
            else:
                box.update(label=S.step_label(step))

        try:
            with compute_lock():
                results = S.add_uploads(files, settings.index, settings, limit, on_step)
        except Exception as exc:  # e.g. the index can't be read: nothing was added, nothing lost
            st.error(f"Nothing was added: {esc(str(exc))}")
            return
        st.session_state["upload-report"] = results
        st.session_state["upload-round"] += 1  # a fresh, empty uploader
        if any(r.ok for r in results):
            index_changed()
        st.rerun()
    report = st.session_state.get("upload-report")
    if report:
        st.markdown("**Last upload**")
        for result in report:
            st.markdown(S.upload_line(result))
        st.button("Dismiss", key="dismiss-upload-report", on_click=lambda: st.session_state.pop("upload-report", None))
    removed = st.session_state.pop("upload-removed", None)
    if removed:
        st.success(esc(removed), icon=":material/delete:")

    uploaded = S.uploaded_sources(index)
    st.markdown("**Uploaded sources**")
    if not uploaded:
        st.caption("None yet.")
    for source in uploaded:
        c1, c2 = st.columns([4, 1], vertical_alignment="center")
        c1.text(f"{source.name} — {source.records} record{'' if source.records == 1 else 's'}"
                + ("" if source.present else " (its file is gone from the uploads folder)"))
        if c2.button(f"Remove {esc(source.name)} from the index", key=f"remove-{source.name}",
                     icon=":material/delete:"):
            try:
                with st.spinner(f"Removing {esc(source.name)}…"), compute_lock():
                    summary = S.remove_upload(source.name, settings.index, settings)
            except Exception as exc:
                st.error(f"{esc(source.name)} could not be removed: {esc(str(exc))}")
                return
            st.session_state["upload-removed"] = (f"Removed {source.name} ({source.records} records); "
                                                  f"{summary.records} records left.")
            st.session_state.pop("upload-report", None)
            index_changed()
            st.rerun()


# -- first run ------------------------------------------------------------------------------------


def first_run(settings, problem: str | None = None) -> None:
    st.title(":material/school: Interview Tutor")
    if problem:
        st.error(esc(problem))
        st.subheader("Rebuild the index")
    else:
        st.subheader("First run: build the index")
        st.write(f"There is no index at `{settings.index}` yet. It is built once from the question bank "
                 f"at `{settings.bank}` (a minute or two; models are loaded from installed packages).")
    if st.button("Build the index", type="primary", key="build-index"):
        bar = st.progress(0.0, text="Starting…")
        try:
            summary = S.build_index(settings.bank, settings.index, settings,
                                    on_progress=lambda f, msg: bar.progress(min(1.0, f), text=esc(msg)))
        except Exception as exc:
            st.error(f"The index could not be built: {esc(str(exc))}")
            return
        st.session_state["built"] = f"Index built: {summary.records} records from {summary.files} file(s)."
        st.cache_resource.clear()
        st.rerun()


# -- main -----------------------------------------------------------------------------------------


def main() -> None:
    st.set_page_config(page_title="Interview Tutor", page_icon=":material/school:", layout="wide")
    settings = get_settings()
    st.session_state.setdefault("user_name", settings.user)
    identity = S.who(settings, st.context.headers, st.session_state.get("user_name"))
    if identity.user is None:
        st.error(esc(identity.problem or "No user."))
        return
    if st.session_state.get("_user") != identity.user:
        # Another person's name: their interview is not this one.
        if "_user" in st.session_state:
            for key in ("interview", "pending_interview"):
                st.session_state.pop(key, None)
        st.session_state["_user"] = identity.user
    settings = settings.with_(user=identity.user)
    stamp = manifest_stamp(settings.index)
    if stamp is None:
        first_run(settings)
        return
    try:
        index = load_index(str(settings.index), stamp)
        retriever = load_retriever(str(settings.index), stamp, settings.threads)
        info = S.index_info(index)
        warm_up(str(settings.index), stamp, settings.threads)
        if S.default_backend(settings) == "local":
            warm_local_llm(settings.local_model, settings.threads)
    except IndexError_ as exc:
        first_run(settings, str(exc))
        return
    if "built" in st.session_state:
        st.toast(st.session_state.pop("built"), icon=":material/check_circle:")
    st.session_state.setdefault("page", PAGES[0])
    llm, notice = sidebar(settings, index, info, identity)
    page = st.session_state["page"]
    if page == "Chat":
        chat_page(index, retriever, llm, notice)
    elif page == "Mock interview":
        interview_page(settings, index, llm)
    elif page == "Progress":
        progress_page(settings, index)
    else:
        library_page(settings, index, retriever)


main()
