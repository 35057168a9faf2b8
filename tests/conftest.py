"""Shared fixtures and fakes: the shared data (../shared or $TUTOR_SHARED / $TUTOR_SEEDS), one real
ingest of the seed bank per session, a fixed rubric record, and the one fake chat model.

Tiers: `pytest -m "not slow"` loads no model (a guard below fails any unmarked test that tries);
whatever loads a model, ingests the seed bank or starts Streamlit, a browser or a server is marked
`slow`. Tests that need ../shared skip, with the reason, when it is missing; `.ci/run` checks it is
there first, so CI never skips them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from tutor.embed import VectorEmbeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def _shared_paths() -> tuple[Path, Path]:
    from tutor.config import get_settings

    settings = get_settings()
    shared, seeds = settings.shared, settings.seed_bank
    # Relative defaults (../shared) mean "beside the clone", wherever pytest is started from.
    return (shared if shared.is_absolute() else ROOT / shared).resolve(), (
        seeds if seeds.is_absolute() else ROOT / seeds).resolve()


SHARED, SEEDS = _shared_paths()
FIXTURES = SHARED / "fixtures"
INVENTORY = SHARED / "eval" / "inventory.jsonl"
SHARED_MISSING = None if SEEDS.is_dir() and INVENTORY.is_file() else (
    f"the shared data is missing ({SEEDS}, {INVENTORY}): put ../shared beside the clone or set "
    "TUTOR_SHARED / TUTOR_SEEDS")
# Names a test's code uses when it reads ../shared directly rather than through a fixture.
_SHARED_NAMES = frozenset({"SEEDS", "FIXTURES", "INVENTORY", "SHARED", "seed_path", "DEV_QUERIES", "DEV_SETS"})
_SHARED_FIXTURES = frozenset({"seeds_dir", "fixtures_dir", "inventory", "seed_index", "indexed_records"})


def _names_used(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names_used(const)
    return names


def pytest_collection_modifyitems(config, items):
    if SHARED_MISSING is None:
        return
    skip = pytest.mark.skip(reason=SHARED_MISSING)
    for item in items:
        if _uses_shared(item):
            item.add_marker(skip)


def _uses_shared(item) -> bool:
    """The test, or a fixture it uses, reads ../shared (by fixture or by one of the names above)."""
    if set(getattr(item, "fixturenames", ())) & _SHARED_FIXTURES:
        return True
    funcs = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        funcs += [d.func for d in defs]
    codes = [f.__code__ for f in funcs if hasattr(f, "__code__")]
    return any(_names_used(code) & _SHARED_NAMES for code in codes)


class UnmarkedSlowTest(AssertionError):
    """An unmarked test loaded a model or started a heavy service: mark it @pytest.mark.slow."""


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise UnmarkedSlowTest(f"this test {what}: mark it @pytest.mark.slow (the fast tier loads no model)")

    return refuse


@pytest.fixture(autouse=True)
def _fast_tier_loads_no_model(request, monkeypatch):
    """Outside `slow`, loading an embedder, the reranker, a local LLM or the speech model, or running the Streamlit app
    fails the test, so the fast tier stays fast and its marks stay true."""
    if request.node.get_closest_marker("slow"):
        yield
        return
    import sys

    import tutor.embed
    import tutor.llm
    import tutor.rerank
    import tutor.speech

    monkeypatch.setattr(tutor.embed.VectorEmbeddings, "_model", _refuse("loads an embedding model"))
    monkeypatch.setattr(tutor.speech, "_load_whisper", _refuse("loads the speech model"))
    monkeypatch.setattr(tutor.rerank.CrossEncoder, "__init__", _refuse("loads the reranker"))
    monkeypatch.setattr(tutor.llm, "_load_llama", _refuse("loads a local LLM"))
    if "streamlit.testing.v1" in sys.modules:
        monkeypatch.setattr(sys.modules["streamlit.testing.v1"].AppTest, "run", _refuse("runs the Streamlit app"))
    yield


def pytest_collection_finish(session):
    """A test that uses the seed bank's real ingest must be marked slow (it embeds 458 records)."""
    unmarked = [item.nodeid for item in session.items
                if {"seed_index", "indexed_records"} & set(getattr(item, "fixturenames", ()))
                and not item.get_closest_marker("slow")]
    if unmarked:
        raise pytest.UsageError("unmarked tests use the seed index (mark them slow): " + ", ".join(unmarked))


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def inventory() -> list[dict]:
    from eval.gold import load_inventory

    return load_inventory(INVENTORY)


def seed_path(prefix: str) -> Path:
    """The seed file whose name starts with `prefix` (e.g. "002")."""
    if SHARED_MISSING:
        pytest.skip(SHARED_MISSING)
    (path,) = sorted(SEEDS.glob(f"{prefix}_*"))
    return path


CACHE = ROOT / ".cache" / "test-embeddings"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, seeds_dir) -> Path:
    """One real ingest of ../shared/seeds (both embedders), shared by every test that needs it.

    Embeddings are cached by content hash under .cache/ so later local runs are quick; CI starts cold.
    """
    from ingest.pipeline import ingest
    from tutor.config import get_settings

    index_dir = tmp_path_factory.mktemp("seed-index") / "index"
    summary = ingest([seeds_dir], index_dir, settings=get_settings(cache=CACHE, threads=2))
    assert not summary.skipped, summary.skipped
    return index_dir


@pytest.fixture(scope="session")
def indexed_records(seed_index):
    from tutor.store import read_records

    return read_records(seed_index)


@pytest.fixture(scope="session")
def speech_settings():
    """Settings for the real speech model: its assembled copy lives in the tests' cache."""
    from tutor.config import get_settings

    return get_settings(cache=CACHE, threads=2, speech_api_base=None)


@pytest.fixture(scope="session")
def speech_clips():
    """Our spoken answers (eval/speech/clips.jsonl) as espeak-ng WAV clips, made once into the cache."""
    from eval.speech import make_clips

    return make_clips(CACHE / "speech-clips")


@pytest.fixture(scope="session")
def speech_records(speech_clips, indexed_records):
    """The seed record each clip answers (matched through the inventory, like the grading sets)."""
    from eval.gold import load_inventory, match_inventory

    inventory = [i for i in load_inventory(INVENTORY) if i["id"] in {c.inventory_id for c in speech_clips}]
    mapping = match_inventory(inventory, indexed_records)
    by_id = {r.id: r for r in indexed_records}
    return [by_id[mapping[c.inventory_id]] for c in speech_clips]


@pytest.fixture(scope="session")
def speech_transcripts(speech_clips, speech_records, speech_settings):
    """The real Whisper model's transcript of every clip, with its record's terms as context (the
    model loads once)."""
    from tutor.speech import speech_context, transcribe

    return [transcribe(c.wav, r.lang, speech_settings, context=speech_context(r))
            for c, r in zip(speech_clips, speech_records, strict=True)]


# A record of our own for tests that grade on a fixed, known rubric (no bank needed).
def _bagging_record():
    from tutor.store import Record

    return Record(
        "fixed0000001", "mine.md", "1", "ML", "junior", "en", "What is the difference between bagging and boosting?",
        answer=("Bagging trains many models independently, in parallel, on bootstrap samples and averages them; "
                "it mainly reduces variance. Boosting trains models sequentially, each one focusing on the "
                "errors of the previous ones; it mainly reduces bias."),
        key_points=["Bagging trains models in parallel on bootstrap samples", "Bagging mainly reduces variance",
                    "Boosting trains models sequentially on the previous errors", "Boosting mainly reduces bias"],
    )


BAGGING = _bagging_record()


class HashEmbeddings(VectorEmbeddings):
    """Vectors made from each text's hash: the ingest pipeline's plumbing without loading a model."""

    name = "hash"
    dim = 8

    def _passages(self, texts):
        return np.array([np.frombuffer(hashlib.sha256(t.encode()).digest()[:8], np.uint8) + 1.0 for t in texts])

    _queries = _passages


class FakeLLM:
    """The one fake chat model, for plumbing tests (real models have their own, slow tests).

    `replies` come back in order from complete() and stream() (the last one repeats); a reply that
    is an Exception is raised instead. `condensed`, when given, is what complete() returns (the
    follow-up condensing call) while stream() gives the replies. fail=True makes every call fail with
    LLMError (a stream after its first piece, as a server that dies mid-answer). A stream ends with
    tutor.llm.Finish(finish), as the real backends' do ("length": cut at the token limit). Calls and
    how many pieces each stream handed out (`streamed`) are recorded.
    """

    def __init__(self, replies=("",), *, condensed: str | None = None, fail: bool = False, name: str = "fake",
                 finish: str = "stop"):
        self.replies = [replies] if isinstance(replies, str | Exception) else list(replies)
        self.condensed, self.fail, self.name, self.finish = condensed, fail, name, finish
        self.streamed: list[int] = []
        self.calls: list[tuple] = []

    def _next(self):
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def complete(self, messages, *, max_tokens=512, temperature=0.2, json_schema=None):
        from tutor.llm import LLMError

        self.calls.append(("complete", messages, json_schema))
        if self.fail:
            raise LLMError("server gone")
        return self.condensed if self.condensed is not None else self._next()

    def stream(self, messages, *, max_tokens=512, temperature=0.2):
        from tutor.llm import LLMError

        self.calls.append(("stream", messages, None))
        if self.fail:
            yield "Partial "
            raise LLMError("server gone")
        from tutor.llm import Finish

        reply = self._next()
        self.streamed.append(0)
        for i in range(0, len(reply), 4):
            self.streamed[-1] += 1
            yield reply[i : i + 4]
        yield Finish(self.finish)


# -- progress stores: SQLite and a real PostgreSQL ----------------------------------------------------


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory):
    """A real PostgreSQL server's URL: $TUTOR_TEST_PG_URL (.ci/run starts one), else a server this test
    session starts with scripts/pg_server.sh and always stops. No server is a failure, never a skip."""
    url = os.environ.get("TUTOR_TEST_PG_URL")
    if url:
        yield url
        return
    from pg_server import PostgresUnavailable, postgres_server

    try:
        with postgres_server(tmp_path_factory.mktemp("pg")) as started:
            yield started
    except PostgresUnavailable as exc:
        pytest.fail(f"the PostgreSQL progress tests need a server: {exc}", pytrace=False)


@pytest.fixture
def pg_database(pg_url):
    """A new, empty database on the test server for one test (dropped afterwards)."""
    import uuid

    import psycopg

    from tutor.progress_store import close_pools

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        close_pools()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def progress_target(request, tmp_path) -> str:
    """Where a test's progress lives: a SQLite file, then (slow tier: it starts a server) PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "p.sqlite")
    return request.getfixturevalue("pg_database")
