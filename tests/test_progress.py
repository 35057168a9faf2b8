"""tutor.progress: attempts and FSRS cards in SQLite; survives restarts; refuses newer schemas."""

from __future__ import annotations

import json
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


def test_progress_survives_a_restart(tmp_path):
    db = tmp_path / "deep" / "folder" / "progress.sqlite"  # parent folders are created
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
        assert p.conn.execute("SELECT reviews FROM cards").fetchone()[0] == 1  # follow-ups don't review
        raw = p.conn.execute("SELECT card FROM cards").fetchone()[0]
        assert json.loads(raw)["card_id"]  # JSON, not pickle
        assert p.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_failed_card_is_due_sooner_than_a_passed_one(tmp_path):
    with Progress(tmp_path / "p.sqlite") as p:
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


def test_weak_topics_come_from_real_attempts(tmp_path):
    with Progress(tmp_path / "p.sqlite") as p:
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


def test_one_failed_answer_is_one_weak_topic(tmp_path):
    """One answer scored 0 on a record with a section and 3 tags: one weak topic, not four."""
    with Progress(tmp_path / "p.sqlite") as p:
        attempt(p, rec("a", "Middle / NLP", tags=["Transformers", "Attention", "Deep Learning"]), 0)
        weak = p.weak_topics(now=T0 + timedelta(hours=1))
        assert [(w.kind, w.name, w.mean_score, w.attempts) for w in weak] == [("section", "Middle / NLP", 0, 1)]
    assert topics_of("Middle / NLP", ["x", "y"]) == [("section", "Middle / NLP")]
    assert topics_of("", ["x", "y", "x"]) == [("tag", "x"), ("tag", "y")]
    assert topics_of("  ", []) == []


def test_weak_topic_threshold_is_the_adequate_band(tmp_path):
    assert WEAK_TOPIC_BELOW == 60
    with Progress(tmp_path / "p.sqlite") as p:
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


def test_a_schema_1_file_is_migrated_and_keeps_its_attempts(tmp_path):
    db = tmp_path / "p.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(_SCHEMA_1_ATTEMPTS)
    conn.close()
    with Progress(db) as p:
        assert p.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        (old,) = p.attempts(session_id="old")
        assert (old.answer, old.score, old.transcript, old.delivery, old.spoken) == ("typed before", 55, None, None, False)
        attempt(p, rec("b"), 80, transcript="said aloud", delivery={"wpm": 120.0, "fillers": {"um": 2}})
    with Progress(db) as p:  # a second open has nothing to migrate
        spoken = p.attempts(record_id="b")[0]
        assert spoken.spoken and spoken.transcript == "said aloud" and spoken.delivery["fillers"] == {"um": 2}


def test_a_typed_attempt_has_no_transcript(tmp_path):
    with Progress(tmp_path / "p.sqlite") as p:
        attempt(p, rec("a"), 70)
        (a,) = p.attempts()
        assert a.transcript is None and a.delivery is None and not a.spoken
