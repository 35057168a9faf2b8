"""tutor.interview: question choice, follow-ups (with and without an LLM), progress rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ROOT, FakeLLM

from tutor.grade import rubric
from tutor.interview import InterviewSession, QuestionFilters, askable, pick_questions, related_finder
from tutor.progress import Progress
from tutor.store import Record
from tutor.wording import point_question


def rec(rid, section="Middle / NLP", level="middle", lang="en", answer="It does X. It also does Y.",
        kps=("Point one about X", "Point two about Y"), tags=(), source="a.txt", question=None):
    return Record(rid, source, "1", section, level, lang, question or f"Question {rid}?", answer=answer,
                  key_points=list(kps), tags=list(tags))


BANK = [
    rec("a1"), rec("a2", level="junior"), rec("a3", lang="uk", section="Junior / Статистика"),
    rec("a4", answer="", kps=()), rec("a5", source="b.txt", tags=["Deep Learning"], section="Other"),
    rec("a6", question="Question a1?"),  # the same question again (another record)
]


def test_filters_and_no_unanswered_or_repeated_questions():
    all_ = pick_questions(BANK, n=10, seed=1)
    ids = [r.id for r in all_]
    assert "a4" not in ids and len(ids) == len(set(ids))
    assert len({r.question for r in all_}) == len(all_)  # a1 and a6 ask the same thing: only one
    assert [r.id for r in pick_questions(BANK, n=10, filters=QuestionFilters(level="junior"))] == ["a2"]
    assert [r.id for r in pick_questions(BANK, n=10, filters=QuestionFilters(lang="uk"))] == ["a3"]
    assert [r.id for r in pick_questions(BANK, n=10, filters=QuestionFilters(source="b.txt"))] == ["a5"]
    assert [r.id for r in pick_questions(BANK, n=10, filters=QuestionFilters(source="B.TXT"))] == ["a5"]
    assert [r.id for r in pick_questions(BANK, n=10, filters=QuestionFilters(section="other"))] == ["a5"]
    assert [r.id for r in pick_questions(BANK, n=10, filters=QuestionFilters(topic="deep learn"))] == ["a5"]
    assert [r.id for r in pick_questions(BANK, n=10, filters=QuestionFilters(topic="статистика"))] == ["a3"]
    assert len(pick_questions(BANK, n=2, seed=3)) == 2
    assert not askable(BANK[3])


def test_due_and_weak_first(tmp_path):
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    bank = [rec(f"r{i}", section=("Weak" if i == 3 else f"S{i}")) for i in range(8)]
    with Progress(tmp_path / "p.sqlite") as p:
        def att(r, score, when):
            p.record_attempt(session_id="s", record=r, question=r.question, answer="x", score=score,
                             covered=[], missed=[], when=when)
        att(bank[1], 95, t0)  # passed: not due for days
        att(bank[2], 10, t0)  # failed: due again within minutes
        att(bank[3], 30, t0 - timedelta(days=20))  # weak section, card due
        att(bank[4], 90, t0)
        now = t0 + timedelta(hours=2)
        chosen = [r.id for r in pick_questions(bank, n=8, progress=p, due_first=True, seed=7, now=now)]
    assert chosen[:2] == ["r3", "r2"]  # due cards, most overdue first
    assert chosen.index("r1") > chosen.index("r0") and chosen.index("r4") > chosen.index("r5")  # unseen before seen


@pytest.fixture(scope="module")
def env(seed_index):
    from tutor.config import get_settings
    from tutor.grade import get_grader
    from tutor.index import open_index

    settings = get_settings(cache=ROOT / ".cache" / "test-embeddings", threads=2, index=seed_index)
    index = open_index(seed_index)
    return index, get_grader(settings, index), settings


@pytest.mark.slow
def test_session_without_llm_follow_ups_and_rows(env, tmp_path):
    index, grader, settings = env
    uk = next(r for r in index.records if r.lang == "uk" and len(rubric(r)) >= 3)
    en = next(r for r in index.records if r.lang == "en" and len(rubric(r)) >= 3 and len(r.answer) > 300)
    with Progress(tmp_path / "p.sqlite") as p:
        s = InterviewSession([uk, en], grader, progress=p, related=related_finder(index, settings),
                             max_follow_ups=2)
        turn = s.answer(uk, rubric(uk)[0])  # covers one point only
        fu = s.follow_up(turn)
        assert fu.kind == "missed" and fu.text == point_question(fu.points[0], "uk") and fu.points[0] in turn.result.missed
        r1 = s.answer_follow_up(turn, fu, fu.points[0])  # answering with the point itself: covered
        assert r1.score >= 75
        fu2 = s.follow_up(turn)
        assert fu2 is not None and fu2.points != fu.points  # drills into another missed point
        s.answer_follow_up(turn, fu2, "не знаю")
        assert s.follow_up(turn) is None  # at most two
        full = s.answer(en, en.answer)  # everything covered: a related question or a deeper one
        fu3 = s.follow_up(full)
        assert fu3.kind in ("related", "deeper")
        if fu3.kind == "related":
            assert fu3.record.id != en.id and fu3.record.question in fu3.text
        rows = p.attempts(session_id=s.session_id)
        assert [(a.record_id, a.is_follow_up) for a in rows] == [
            (uk.id, False), (uk.id, True), (uk.id, True), (en.id, False)]
        assert rows[1].parent_id == rows[0].id and rows[1].question == fu.text
        summary = s.summary()
        assert summary["answered"] == 2 and summary["follow_ups"] == 2


@pytest.mark.slow
def test_llm_follow_up_is_used_and_graded_against_a_missed_point(env):
    index, grader, _ = env
    r = next(r for r in index.records if r.lang == "en" and len(rubric(r)) >= 3)
    llm = FakeLLM(json.dumps({"follow_up": "What breaks when the data drifts?"}))
    s = InterviewSession([r], grader, llm=llm)
    turn = s.answer(r, rubric(r)[0])
    assert turn.result.feedback_by == "fake" and turn.result.mode == "none"  # its judge reply was no schema reply
    fu = s.follow_up(turn)
    assert fu.kind == "llm" and fu.text == "What breaks when the data drifts?"
    assert fu.points[0] in turn.result.missed


@pytest.mark.slow
def test_broken_llm_falls_back_to_rules(env):
    from tutor.llm import LLMError

    index, grader, _ = env
    r = next(r for r in index.records if r.lang == "en" and len(rubric(r)) >= 3)
    s = InterviewSession([r], grader, llm=FakeLLM(LLMError("down")))
    turn = s.answer(r, rubric(r)[0])
    assert turn.result.feedback_by == "rules"
    assert s.follow_up(turn).kind == "missed"


@pytest.mark.slow
def test_skip_counts_as_failed_review(env, tmp_path):
    index, grader, _ = env
    r = next(r for r in index.records if askable(r))
    with Progress(tmp_path / "p.sqlite") as p:
        s = InterviewSession([r], grader, progress=p)
        s.skip(r)
        assert p.attempts()[0].score == 0 and p.card(r.id) is not None
        assert s.summary()["skipped"] == 1 and s.summary()["mean_score"] is None
