"""tutor.progress: attempts and FSRS cards, per user, in SQLite and in a real PostgreSQL (the same tests on
both stores: `progress_target`); survives restarts; refuses newer schemas; concurrent writers lose nothing."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tutor.bands import BANDS, WEAK_TOPIC_BELOW, band_for
from tutor.progress import SCHEMA_VERSION, Progress, ProgressError, rating_for, topics_of
from tutor.store import Record

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def rec(rid: str, section: str = "Middle / NLP", tags=(), lang="en") -> Record:
    return Record(rid, "src.txt", "1", section, "middle", lang, f"Question {rid}?", answer="A.", tags=list(tags))


def attempt(p: Progress, record: Record, score: int, when=T0, **kw) -> int:
    return p.record_attempt(session_id="s1", record=record, question=record.question, answer="my answer",
                            score=score, covered=["c"], missed=["m"], when=when, **kw)


def test_rating_map():
    from fsrs import Rating

    assert [rating_for(s) for s in (0, 39, 40, 59, 60, 84, 85, 100)] == [
        Rating.Again, Rating.Again, Rating.Hard, Rating.Hard, Rating.Good, Rating.Good, Rating.Easy, Rating.Easy]


def test_rating_follows_the_bands_on_their_edges():
    from fsrs import Rating

    edges = {39: Rating.Again, 40: Rating.Hard, 59: Rating.Hard, 60: Rating.Good, 84: Rating.Good, 85: Rating.Easy}
    assert {s: rating_for(s) for s in edges} == edges
    by_band = {"wrong": Rating.Again, "weak": Rating.Hard, "adequate": Rating.Good, "strong": Rating.Easy}
    assert {b.name for b in BANDS} == set(by_band)
    for score in range(101):  # one scale: the FSRS rating is the score's band, everywhere
        assert rating_for(score) == by_band[band_for(score).name], score


def test_progress_survives_a_restart(progress_target, tmp_path):
    db = progress_target
    if not db.startswith("postgresql"):
        db = str(tmp_path / "deep" / "folder" / "progress.sqlite")  # parent folders are created
    with Progress(db) as p:
        p.start_session("s1", {"level": "middle"})
        first = attempt(p, rec("a"), 72)
        attempt(p, rec("a"), 30, is_follow_up=True, parent_id=first)
    with Progress(db) as p:
        rows = p.attempts(session_id="s1")
        assert [(a.record_id, a.score, a.is_follow_up, a.parent_id) for a in rows] == [
            ("a", 72, False, None), ("a", 30, True, first)]
        assert rows[0].covered == ["c"] and rows[0].missed == ["m"] and rows[0].answer == "my answer"
        card = p.card("a")
        assert card is not None and card.last_review is not None
        assert p.card_reviews("a") == 1  # follow-ups don't review
        assert json.loads(p.card_json("a"))["card_id"]  # JSON, not pickle
        assert p.schema_version() == SCHEMA_VERSION


def test_failed_card_is_due_sooner_than_a_passed_one(progress_target):
    with Progress(progress_target) as p:
        for rid, score in (("fail", 10), ("hard", 50), ("pass", 95)):
            attempt(p, rec(rid), score)
        # Second review a day later: the gap keeps growing for a passed card only.
        for rid, score in (("fail", 10), ("hard", 50), ("pass", 95)):
            attempt(p, rec(rid), score, when=T0 + timedelta(days=1))
        due = {rid: p.due_at(rid) for rid in ("fail", "hard", "pass")}
        assert due["fail"] < due["hard"] < due["pass"]
        assert due["pass"] - due["fail"] > timedelta(days=2)
        later = T0 + timedelta(days=1, hours=1)
        assert "fail" in p.due_record_ids(now=later) and "pass" not in p.due_record_ids(now=later)


def test_weak_topics_come_from_real_attempts(progress_target):
    with Progress(progress_target) as p:
        attempt(p, rec("a", "Junior / Статистика", tags=["Probability"], lang="uk"), 20, when=T0)
        attempt(p, rec("b", "Junior / Статистика", lang="uk"), 35, when=T0)
        attempt(p, rec("c", "", tags=["Probability"]), 50, when=T0)  # no section: filed under its tag
        attempt(p, rec("d", "Senior / MLOps", tags=["Probability"]), 95, when=T0)
        attempt(p, rec("e", "Senior / Old"), 5, when=T0 - timedelta(days=90))  # not recent
        weak = p.weak_topics(now=T0 + timedelta(days=1))
        assert [(w.kind, w.name) for w in weak] == [("section", "Junior / Статистика"), ("tag", "Probability")]
        assert weak[0].mean_score == pytest.approx(27.5) and weak[0].attempts == 2
        # The tag counts only the section-less record: "a" and "d" are filed under their sections.
        assert weak[1].mean_score == pytest.approx(50) and weak[1].attempts == 1


def test_one_failed_answer_is_one_weak_topic(progress_target):
    """One answer scored 0 on a record with a section and 3 tags: one weak topic, not four."""
    with Progress(progress_target) as p:
        attempt(p, rec("a", "Middle / NLP", tags=["Transformers", "Attention", "Deep Learning"]), 0)
        weak = p.weak_topics(now=T0 + timedelta(hours=1))
        assert [(w.kind, w.name, w.mean_score, w.attempts) for w in weak] == [("section", "Middle / NLP", 0, 1)]
    assert topics_of("Middle / NLP", ["x", "y"]) == [("section", "Middle / NLP")]
    assert topics_of("", ["x", "y", "x"]) == [("tag", "x"), ("tag", "y")]
    assert topics_of("  ", []) == []


def test_weak_topic_threshold_is_the_adequate_band(progress_target):
    assert WEAK_TOPIC_BELOW == 60
    with Progress(progress_target) as p:
        attempt(p, rec("a", "Below"), WEAK_TOPIC_BELOW - 1)
        attempt(p, rec("b", "At"), WEAK_TOPIC_BELOW)
        attempt(p, rec("c", "", tags=["Tagged"]), 10)
        weak = p.weak_topics(now=T0 + timedelta(hours=1))
        assert [(w.kind, w.name) for w in weak] == [("tag", "Tagged"), ("section", "Below")]


def test_newer_schema_is_refused_not_damaged(tmp_path):
    db = tmp_path / "p.sqlite"
    with Progress(db) as p:
        attempt(p, rec("a"), 50)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(ProgressError, match="newer"):
        Progress(db)
    assert db.read_bytes() == before


def test_not_a_database_is_a_clear_error(tmp_path):
    db = tmp_path / "p.sqlite"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProgressError):
        Progress(db)


# The attempts table as schema 1 wrote it (before spoken answers), to prove the migration keeps it.
_SCHEMA_1_ATTEMPTS = """
CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, record_id TEXT NOT NULL,
  question TEXT NOT NULL, answer TEXT NOT NULL, score INTEGER NOT NULL, covered TEXT NOT NULL, missed TEXT NOT NULL,
  is_follow_up INTEGER NOT NULL DEFAULT 0, parent_id INTEGER REFERENCES attempts(id), section TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]', lang TEXT NOT NULL DEFAULT '', created TEXT NOT NULL);
CREATE TABLE cards (record_id TEXT PRIMARY KEY, card TEXT NOT NULL, due TEXT NOT NULL,
  reviews INTEGER NOT NULL DEFAULT 0, last_score INTEGER, updated TEXT NOT NULL);
CREATE TABLE sessions (id TEXT PRIMARY KEY, started TEXT NOT NULL, filters TEXT NOT NULL DEFAULT '{}');
INSERT INTO attempts (session_id, record_id, question, answer, score, covered, missed, created)
  VALUES ('old', 'a', 'Q?', 'typed before', 55, '[]', '[]', '2026-01-01T00:00:00+00:00');
PRAGMA user_version = 1;
"""


def old_file(tmp_path, script: str):
    """A progress file as an older tutor wrote it."""
    db = tmp_path / "p.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(script)
    conn.close()
    return db


def test_a_schema_1_file_is_migrated_and_keeps_its_attempts(tmp_path):
    db = old_file(tmp_path, _SCHEMA_1_ATTEMPTS)
    with Progress(db) as p:
        assert p.schema_version() == SCHEMA_VERSION == 3
        (old,) = p.attempts(session_id="old")
        assert (old.answer, old.score, old.transcript, old.delivery, old.spoken) == ("typed before", 55, None, None, False)
        attempt(p, rec("b"), 80, transcript="said aloud", delivery={"wpm": 120.0, "fillers": {"um": 2}})
    with Progress(db) as p:  # a second open has nothing to migrate
        spoken = p.attempts(record_id="b")[0]
        assert spoken.spoken and spoken.transcript == "said aloud" and spoken.delivery["fillers"] == {"um": 2}


def test_a_typed_attempt_has_no_transcript(progress_target):
    with Progress(progress_target) as p:
        attempt(p, rec("a"), 70)
        (a,) = p.attempts()
        assert a.transcript is None and a.delivery is None and not a.spoken


# -- users ------------------------------------------------------------------------------------------


def test_one_user_never_sees_another_users_progress(progress_target):
    with Progress(progress_target, user="ann") as ann, Progress(progress_target, user="bob") as bob:
        ann.start_session("s-ann")
        attempt(ann, rec("a", "Ann's topic"), 10)
        attempt(bob, rec("a", "Bob's topic"), 95)
        attempt(bob, rec("b", "Bob's topic"), 90)
        assert [a.score for a in ann.attempts()] == [10] and [a.score for a in bob.attempts()] == [95, 90]
        assert ann.attempts(session_id="s1")[0].answer == "my answer" and len(bob.attempts(record_id="a")) == 1
        assert ann.asked_record_ids() == {"a"} and bob.asked_record_ids() == {"a", "b"}
        assert ann.last_scores() == {"a": 10} and bob.last_scores() == {"a": 95, "b": 90}
        assert ann.card_reviews("a") == 1 and bob.card_reviews("a") == 1  # one card each, not one shared
        assert ann.card_reviews("b") == 0 and ann.card("b") is None
        later = T0 + timedelta(days=1)
        assert ann.due_record_ids(now=later) == ["a"] and "a" not in bob.due_record_ids(now=later)
        assert [w.name for w in ann.weak_topics(now=later)] == ["Ann's topic"] and bob.weak_topics(now=later) == []
    with Progress(progress_target) as someone_else:  # the default user
        assert someone_else.attempts() == [] and someone_else.asked_record_ids() == set()


def test_user_names_are_trimmed_bounded_and_default(progress_target):
    from tutor.config import DEFAULT_USER
    from tutor.progress import MAX_USER_CHARS, user_name

    assert user_name("  ann ") == "ann" and user_name("") == DEFAULT_USER and user_name(None) == DEFAULT_USER
    with pytest.raises(ProgressError, match="at most"):
        user_name("x" * (MAX_USER_CHARS + 1))
    with Progress(progress_target, user=" ann ") as p:
        attempt(p, rec("a"), 50)
    with Progress(progress_target, user="ann") as p:
        assert len(p.attempts()) == 1


# A schema 2 file (spoken answers, no users) with one attempt and one card.
_SCHEMA_2 = _SCHEMA_1_ATTEMPTS.replace("PRAGMA user_version = 1;", """
ALTER TABLE attempts ADD COLUMN transcript TEXT; ALTER TABLE attempts ADD COLUMN delivery TEXT;
INSERT INTO cards (record_id, card, due, reviews, last_score, updated)
  VALUES ('a', '{"card_id": 7, "state": 1, "step": 0, "stability": null, "difficulty": null,
  "due": "2026-01-02T00:00:00+00:00", "last_review": null}', '2026-01-02T00:00:00+00:00', 1, 55,
  '2026-01-01T00:00:00+00:00');
PRAGMA user_version = 2;""")


def test_a_schema_2_file_becomes_the_default_users(tmp_path):
    db = old_file(tmp_path, _SCHEMA_2)
    with Progress(db) as p:
        assert p.schema_version() == SCHEMA_VERSION
        assert [a.answer for a in p.attempts()] == ["typed before"] and p.card_reviews("a") == 1
        assert p.due_record_ids(now=T0) == ["a"]
    with Progress(db, user="bob") as bob:
        assert bob.attempts() == [] and bob.card("a") is None and bob.due_record_ids(now=T0) == []
        attempt(bob, rec("a"), 90)  # bob's own card beside the default user's
    with Progress(db) as p:
        assert p.card_reviews("a") == 1 and json.loads(p.card_json("a"))["card_id"] == 7


# -- PostgreSQL specifics ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_newer_postgres_schema_is_refused_not_damaged(pg_database):
    import psycopg

    with Progress(pg_database) as p:
        attempt(p, rec("a"), 50)
    from tutor.progress_store import close_pools

    close_pools()  # a new process's view: the schema is checked again
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("UPDATE tutor_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(ProgressError, match="newer"):
        Progress(pg_database)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 1
        assert conn.execute("SELECT version FROM tutor_schema").fetchone()[0] == SCHEMA_VERSION + 1


def test_an_unreachable_postgres_is_a_clear_error_without_the_password():
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://tutor:s3cret-pw@127.0.0.1:{port}/tutor"
    with pytest.raises(ProgressError) as err:
        Progress(url)
    assert "127.0.0.1" in str(err.value) and "s3cret-pw" not in str(err.value) and "***" in str(err.value)


def test_a_postgres_url_is_not_taken_for_a_file(tmp_path, monkeypatch):
    from tutor.config import get_settings

    monkeypatch.chdir(tmp_path)
    url = "postgresql://postgres@127.0.0.1:5432/tutor"
    assert get_settings(db=url).db == url  # not collapsed into a path
    monkeypatch.setenv("TUTOR_DB", url)
    assert get_settings().db == url
    assert str(get_settings(db=tmp_path / "x.sqlite").db) == str(tmp_path / "x.sqlite")
    assert not any(tmp_path.iterdir())  # nothing written for it


# -- concurrent writers ------------------------------------------------------------------------------

_WRITER = """
import sys, time
from datetime import UTC, datetime
from tutor.progress import Progress
from tutor.store import Record

target, user, worker, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
record = Record("shared-card", "src.txt", "1", "Topic", "middle", "en", "Q?", answer="A.")
with Progress(target, user=user) as p:
    for k in range(n):
        p.start_session(f"w{worker}")
        score = (worker * 37 + k * 11) % 101
        p.record_attempt(session_id=f"w{worker}", record=record, question="Q?", answer=f"w{worker}-{k}",
                         score=score, covered=[], missed=[], when=datetime.now(UTC))
"""
WRITERS, ATTEMPTS_EACH = 4, 12


def test_concurrent_writers_lose_nothing(progress_target):
    """Several processes record attempts (each one an FSRS review) for the same user and card at once:
    every attempt is stored once, and the card is what replaying the reviews in order gives."""
    import subprocess
    import sys
    from pathlib import Path

    from fsrs import Card, Scheduler

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    with Progress(progress_target, user="crowd"):
        pass  # the schema exists before the writers race
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, progress_target, "crowd", str(w), str(ATTEMPTS_EACH)],
                              env=env, stderr=subprocess.PIPE, text=True) for w in range(WRITERS)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
    with Progress(progress_target, user="crowd") as p:
        stored = p.attempts()
        answers = [a.answer for a in stored]
        expected = {f"w{w}-{k}" for w in range(WRITERS) for k in range(ATTEMPTS_EACH)}
        assert len(answers) == len(expected) and set(answers) == expected  # each once, none lost
        assert p.card_reviews("shared-card") == len(expected)
        scheduler = Scheduler(enable_fuzzing=False)
        card = Card(card_id=json.loads(p.card_json("shared-card"))["card_id"], due=datetime.fromisoformat(stored[0].created))
        for a in stored:  # the order the attempts were stored in
            card, _ = scheduler.review_card(card, rating_for(a.score), review_datetime=datetime.fromisoformat(a.created))
        assert json.loads(p.card_json("shared-card")) == card.to_dict()
