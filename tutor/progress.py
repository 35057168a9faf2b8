"""Progress in one SQLite file: every attempt, and an FSRS spaced-repetition card per record.

Schema versioned with PRAGMA user_version. An older app refuses a file written by a newer one
(ProgressError) instead of damaging it. Cards are stored as JSON (fsrs Card.to_dict), never pickled.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fsrs import Card, Rating, Scheduler

from tutor.bands import ADEQUATE, STRONG, WEAK, WEAK_TOPIC_BELOW, band_for

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    score INTEGER NOT NULL,
    covered TEXT NOT NULL,          -- JSON list
    missed TEXT NOT NULL,           -- JSON list
    is_follow_up INTEGER NOT NULL DEFAULT 0,
    parent_id INTEGER REFERENCES attempts(id),
    section TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',  -- JSON list
    lang TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL           -- ISO 8601, UTC
);
CREATE INDEX IF NOT EXISTS attempts_record ON attempts(record_id);
CREATE INDEX IF NOT EXISTS attempts_session ON attempts(session_id);
CREATE TABLE IF NOT EXISTS cards (
    record_id TEXT PRIMARY KEY,
    card TEXT NOT NULL,             -- JSON: fsrs Card.to_dict()
    due TEXT NOT NULL,              -- ISO 8601, UTC (copied out of the card for queries)
    reviews INTEGER NOT NULL DEFAULT 0,
    last_score INTEGER,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cards_due ON cards(due);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}'
);
"""
# Each later schema version: the statements that bring the one before it up to date, in order.
_MIGRATIONS: dict[int, str] = {
    # 2: spoken answers keep their transcript (as transcribed, before the candidate corrected it) and
    # their delivery notes (JSON: tutor.speech.DeliveryNotes); typed answers leave both NULL.
    2: "ALTER TABLE attempts ADD COLUMN transcript TEXT; ALTER TABLE attempts ADD COLUMN delivery TEXT;",
}


class ProgressError(RuntimeError):
    """The progress database cannot be used (newer schema, not a database, unwritable)."""


def rating_for(score: int) -> Rating:
    """Map a 0..100 grade to an FSRS rating by its band (tutor.bands): wrong → Again, weak → Hard,
    adequate → Good, strong → Easy."""
    band = band_for(score)
    if band is STRONG:
        return Rating.Easy
    if band is ADEQUATE:
        return Rating.Good
    if band is WEAK:
        return Rating.Hard
    return Rating.Again


def topics_of(section: str, tags) -> list[tuple[str, str]]:
    """A record's topics as people see them, as (kind, name): its section when it has one; only a
    record without a section is filed under its tags. One answer never makes several topics weak."""
    if section and section.strip():
        return [("section", section)]
    return [("tag", t) for t in dict.fromkeys(tags or ()) if t and str(t).strip()]


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


@dataclass
class Attempt:
    id: int
    session_id: str
    record_id: str
    question: str
    answer: str
    score: int
    covered: list[str]
    missed: list[str]
    is_follow_up: bool
    parent_id: int | None
    section: str
    tags: list[str]
    lang: str
    created: str
    transcript: str | None = None  # a spoken answer's transcript, as transcribed
    delivery: dict | None = None  # a spoken answer's delivery notes (DeliveryNotes.to_json())

    @property
    def spoken(self) -> bool:
        return self.transcript is not None


@dataclass
class WeakTopic:
    kind: str  # "section" | "tag"
    name: str
    mean_score: float
    attempts: int


class Progress:
    """One progress database. Use as a context manager or call close()."""

    def __init__(self, path: Path | str, scheduler: Scheduler | None = None):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise ProgressError(f"cannot open progress database {self.path}: {exc}") from exc
        self.conn.row_factory = sqlite3.Row
        self.scheduler = scheduler or Scheduler(enable_fuzzing=False)
        try:
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise ProgressError(f"{self.path} is not a usable progress database: {exc}") from exc

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self.conn.close()
            raise ProgressError(
                f"{self.path} was written by a newer Interview Tutor (schema {version}; this one reads "
                f"{SCHEMA_VERSION}); upgrade the tutor or point TUTOR_DB at another file"
            )
        if version < SCHEMA_VERSION:
            # executescript commits first; each step is its own transaction, so a failed step leaves the
            # file at the last version it reached (and the step is retried next time).
            if version == 0:
                self.conn.executescript("BEGIN;" + _SCHEMA + "PRAGMA user_version = 1; COMMIT;")
                version = 1
            for step in range(version + 1, SCHEMA_VERSION + 1):
                self.conn.executescript(f"BEGIN; {_MIGRATIONS[step]} PRAGMA user_version = {step}; COMMIT;")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sessions and attempts -------------------------------------------------------------------

    def start_session(self, session_id: str, filters: dict | None = None, when: datetime | None = None) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO sessions (id, started, filters) VALUES (?, ?, ?)",
                (session_id, _iso(when or _now()), json.dumps(filters or {}, ensure_ascii=False)),
            )

    def record_attempt(
        self,
        *,
        session_id: str,
        record,
        question: str,
        answer: str,
        score: int,
        covered: list[str],
        missed: list[str],
        is_follow_up: bool = False,
        parent_id: int | None = None,
        when: datetime | None = None,
        schedule: bool = True,
        transcript: str | None = None,
        delivery: dict | None = None,
    ) -> int:
        """Save one attempt; a main question (not a follow-up) also reviews the record's card. A spoken
        answer also keeps its transcript and delivery notes (they never change the score)."""
        when = when or _now()
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO attempts (session_id, record_id, question, answer, score, covered, missed, "
                "is_follow_up, parent_id, section, tags, lang, created, transcript, delivery) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    session_id, record.id, question, answer, int(score),
                    json.dumps(list(covered), ensure_ascii=False), json.dumps(list(missed), ensure_ascii=False),
                    int(is_follow_up), parent_id, record.section or "",
                    json.dumps(list(record.tags or []), ensure_ascii=False), record.lang or "", _iso(when),
                    transcript, None if delivery is None else json.dumps(delivery, ensure_ascii=False),
                ),
            )
            attempt_id = int(cur.lastrowid)
            if schedule and not is_follow_up:
                self._review(record.id, int(score), when)
        return attempt_id

    def attempts(self, session_id: str | None = None, record_id: str | None = None) -> list[Attempt]:
        sql, args = "SELECT * FROM attempts", []
        where = []
        if session_id:
            where.append("session_id = ?")
            args.append(session_id)
        if record_id:
            where.append("record_id = ?")
            args.append(record_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        return [self._attempt(row) for row in self.conn.execute(sql, args)]

    @staticmethod
    def _attempt(row) -> Attempt:
        return Attempt(
            id=row["id"], session_id=row["session_id"], record_id=row["record_id"], question=row["question"],
            answer=row["answer"], score=row["score"], covered=json.loads(row["covered"]),
            missed=json.loads(row["missed"]), is_follow_up=bool(row["is_follow_up"]), parent_id=row["parent_id"],
            section=row["section"], tags=json.loads(row["tags"]), lang=row["lang"], created=row["created"],
            transcript=row["transcript"], delivery=None if row["delivery"] is None else json.loads(row["delivery"]),
        )

    def asked_record_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT DISTINCT record_id FROM attempts")}

    # -- cards -----------------------------------------------------------------------------------

    def card(self, record_id: str) -> Card | None:
        row = self.conn.execute("SELECT card FROM cards WHERE record_id = ?", (record_id,)).fetchone()
        return Card.from_dict(json.loads(row["card"])) if row else None

    def _review(self, record_id: str, score: int, when: datetime) -> Card:
        card = self.card(record_id)
        if card is None:
            # A stable id per record (no clock-based ids, no sleeping in fsrs.Card()).
            card = Card(card_id=zlib.crc32(record_id.encode()) or 1, due=when)
        card, _ = self.scheduler.review_card(card, rating_for(score), review_datetime=when)
        self.conn.execute(
            "INSERT INTO cards (record_id, card, due, reviews, last_score, updated) VALUES (?, ?, ?, 1, ?, ?) "
            "ON CONFLICT(record_id) DO UPDATE SET card = excluded.card, due = excluded.due, "
            "reviews = cards.reviews + 1, last_score = excluded.last_score, updated = excluded.updated",
            (record_id, json.dumps(card.to_dict()), _iso(card.due), score, _iso(when)),
        )
        return card

    def due_record_ids(self, now: datetime | None = None) -> list[str]:
        """Records whose card is due, most overdue first."""
        rows = self.conn.execute(
            "SELECT record_id FROM cards WHERE due <= ? ORDER BY due", (_iso(now or _now()),)
        )
        return [row[0] for row in rows]

    def due_at(self, record_id: str) -> datetime | None:
        card = self.card(record_id)
        return card.due if card else None

    def last_scores(self) -> dict[str, int]:
        """The latest main-question score per record."""
        rows = self.conn.execute(
            "SELECT record_id, score FROM attempts WHERE is_follow_up = 0 ORDER BY id"
        )
        return {row[0]: row[1] for row in rows}

    # -- weak topics -----------------------------------------------------------------------------

    def weak_topics(self, days: int = 30, threshold: float = WEAK_TOPIC_BELOW, min_attempts: int = 1,
                    now: datetime | None = None) -> list[WeakTopic]:
        """Topics (topics_of: a record's section, or its tags when it has none) whose recent mean
        score is below threshold (below the adequate band by default), weakest first."""
        since = _iso((now or _now()) - timedelta(days=days))
        rows = self.conn.execute(
            "SELECT section, tags, score FROM attempts WHERE created >= ?", (since,)
        ).fetchall()
        buckets: dict[tuple[str, str], list[int]] = {}
        for row in rows:
            for topic in topics_of(row["section"], json.loads(row["tags"])):
                buckets.setdefault(topic, []).append(row["score"])
        weak = [
            WeakTopic(kind, name, sum(scores) / len(scores), len(scores))
            for (kind, name), scores in buckets.items()
            if len(scores) >= min_attempts and sum(scores) / len(scores) < threshold
        ]
        return sorted(weak, key=lambda w: (w.mean_score, -w.attempts, w.name))
