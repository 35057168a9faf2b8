"""tutor.progress: attempts and FSRS cards in SQLite; survives restarts; refuses newer schemas."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tutor.progress import SCHEMA_VERSION, Progress, ProgressError, rating_for
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
        attempt(p, rec("c", "Middle / NLP", tags=["Probability"]), 90, when=T0)
        attempt(p, rec("d", "Senior / MLOps"), 95, when=T0)
        attempt(p, rec("e", "Senior / Old"), 5, when=T0 - timedelta(days=90))  # not recent
        weak = p.weak_topics(now=T0 + timedelta(days=1))
        assert [(w.kind, w.name) for w in weak] == [("section", "Junior / Статистика"), ("tag", "Probability")]
        assert weak[0].mean_score == pytest.approx(27.5) and weak[0].attempts == 2


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
