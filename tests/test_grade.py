"""tutor.grade: the deterministic core separates right from wrong; an LLM only words feedback."""

from __future__ import annotations

import json
import statistics
import sys

import pytest
from conftest import ROOT

from tutor.grade import (
    WORDING_SCHEMA,
    Grader,
    get_grader,
    parse_wording,
    rubric,
    split_sentences,
    word_with_llm,
)
from tutor.llm import LLMError
from tutor.store import Record

sys.path.insert(0, str(ROOT / "bench"))
import grading as bench  # noqa: E402


def test_split_sentences_strips_bullets_and_glues_fragments():
    text = "Types of attacks:\n- FGSM: adds noise. It is fast.\n• PGD: iterates FGSM.\n2) Defence: adversarial training"
    out = split_sentences(text)
    assert out[0].startswith("Types of attacks: FGSM")
    assert "PGD: iterates FGSM." in out
    assert out[-1] == "Defence: adversarial training"


def test_rubric_uses_key_points_or_derives_them():
    r = Record("x", "s.txt", "1", "", "junior", "en", "Q?", answer="A. B.", key_points=["- one point", "two point"])
    assert rubric(r) == ["one point", "two point"]
    bare = Record("y", "s.txt", "1", "", "junior", "en", "What is dropout?",
                  answer="Dropout randomly zeroes activations during training. "
                         "It reduces co-adaptation of neurons and acts as a regularizer. "
                         "At inference all units are kept and outputs are scaled.")
    points = rubric(bare)
    assert len(points) == 3 and points[0].startswith("Dropout randomly")


@pytest.fixture(scope="module")
def grader(seed_index):
    from tutor.config import get_settings
    from tutor.retrieve import open_index

    return get_grader(get_settings(cache=ROOT / ".cache" / "test-embeddings", threads=2), open_index(seed_index))


@pytest.fixture(scope="module")
def separation(grader, indexed_records):
    chosen = bench.sample(indexed_records, 48)
    pool = bench.eligible(indexed_records)
    grader.warm(chosen)
    rows = []
    for r in chosen:
        rows.append((
            r,
            grader.grade(r, r.answer).score,
            grader.grade(r, bench.first_third(r.answer)).score,
            grader.grade(r, bench.wrong_answer_for(r, pool).answer).score,
        ))
    return rows


def test_sample_is_big_and_bilingual(separation):
    assert len(separation) >= 40
    langs = {r.lang for r, *_ in separation}
    assert langs == {"en", "uk"}


def test_grader_separates_right_partial_and_wrong(separation):
    own = [o for _, o, _, _ in separation]
    part = [p for _, _, p, _ in separation]
    wrong = [w for _, _, _, w in separation]
    assert statistics.mean(own) >= 75
    assert statistics.mean(wrong) <= 30
    assert statistics.mean(wrong) < statistics.mean(part) < statistics.mean(own)
    between = sum(w < p < o for _, o, p, w in separation) / len(separation)
    assert between >= 0.85, between
    assert sum(o > w for _, o, _, w in separation) / len(separation) >= 0.97
    for lang in ("en", "uk"):  # each language holds on its own too
        assert statistics.mean(o for r, o, _, _ in separation if r.lang == lang) >= 75
        assert statistics.mean(w for r, _, _, w in separation if r.lang == lang) <= 30


def test_paraphrase_from_another_source_beats_unrelated(grader, seed_index):
    """Not a verbatim-matching grader: a near-duplicate record's answer, in other words, scores well."""
    from tutor.retrieve import open_index

    index = open_index(seed_index)
    pairs = bench.paraphrase_pairs(index)
    assert len(pairs) >= 6
    pool = bench.eligible(index.records)
    para = [grader.grade(a, b.answer).score for a, b in pairs]
    unrelated = [grader.grade(a, bench.wrong_answer_for(a, pool).answer).score for a, _ in pairs if a in pool]
    assert statistics.mean(para) >= statistics.mean(unrelated) + 35
    assert statistics.mean(para) >= 50


def test_cross_lingual_answers(grader, indexed_records):
    """A Ukrainian answer to an English record (and the reverse) is understood."""
    en = next(r for r in indexed_records if r.lang == "en" and "activation function" in r.question.casefold()
              and len(rubric(r)) >= 3)
    uk_answer = ("Сигмоїда стискає вихід у діапазон від 0 до 1 і використовується для бінарної класифікації. "
                 "ReLU повертає вхід, якщо він додатний, інакше 0; це найпоширеніша функція активації. "
                 "Tanh схожа на сигмоїду, але дає значення від -1 до 1. "
                 "Softmax перетворює вектор чисел на розподіл імовірностей для багатокласової класифікації.")
    off = "Медіана — це значення посередині впорядкованого ряду; вона стійка до викидів."
    good, bad = grader.grade(en, uk_answer), grader.grade(en, off)
    assert good.score >= 60 and bad.score <= 20, (good.score, bad.score)
    assert good.lang == "en" and good.covered and all(p in rubric(en) for p in good.covered)

    uk = next(r for r in indexed_records if r.lang == "uk" and "confusion matrix" in r.question.casefold())
    en_answer = ("A confusion matrix is a table comparing predicted and actual classes: true positives, "
                 "false positives, true negatives and false negatives. Precision, recall and accuracy "
                 "are computed from it.")
    assert grader.grade(uk, en_answer).score >= grader.grade(uk, "Python lists are mutable.").score + 40


def test_empty_answer_scores_zero_and_lists_everything_missed(grader, indexed_records):
    r = next(r for r in indexed_records if len(rubric(r)) >= 3)
    result = grader.grade(r, "   ")
    assert result.score == 0 and not result.covered and result.missed == rubric(r)
    assert set(result.to_json()) == {"record_id", "score", "covered", "missed", "feedback", "follow_up"}


def test_rule_follow_up_targets_a_missed_point_in_the_records_language(grader, indexed_records):
    uk = next(r for r in indexed_records if r.lang == "uk" and len(rubric(r)) >= 3)
    result = grader.grade(uk, split_sentences(uk.answer)[0])
    assert result.missed
    assert result.follow_up.startswith("Ви не згадали")
    assert any(m[:40] in result.follow_up for m in result.missed)


# -- the LLM only words; it can never break grading ------------------------------------------------


class FakeLLM:
    name = "fake"

    def __init__(self, replies):
        self.replies = list(replies)
        self.calls = []

    def complete(self, messages, *, max_tokens=512, temperature=0.2, json_schema=None):
        self.calls.append((messages, json_schema))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def stream(self, messages, **kw):
        yield self.complete(messages)


def _graded(grader, indexed_records):
    r = next(r for r in indexed_records if r.lang == "en" and len(rubric(r)) >= 3)
    answer = split_sentences(r.answer)[0]
    return r, answer, grader.grade(r, answer)


def test_llm_wording_is_used_when_valid_and_never_changes_the_score(grader, indexed_records):
    r, answer, base = _graded(grader, indexed_records)
    score, covered = base.score, list(base.covered)
    good = json.dumps({"feedback": "Nice start; add the trade-offs.", "follow_up": "Why does it matter?"})
    llm = FakeLLM(["not json at all", good])  # one bad reply, retried once
    out = word_with_llm(llm, r, answer, base)
    assert out.feedback == "Nice start; add the trade-offs." and out.follow_up == "Why does it matter?"
    assert out.score == score and out.covered == covered and out.feedback_by == "fake"
    assert len(llm.calls) == 2 and llm.calls[0][1] == WORDING_SCHEMA
    assert "<doc>" in llm.calls[0][0][1]["content"]  # bank text is fenced as data


@pytest.mark.parametrize("replies", [
    ["{}", '{"feedback": 3, "follow_up": "x"}'],  # invalid twice → rules
    [LLMError("server gone")],
    [RuntimeError("backend bug")],
    ['{"feedback": "ok", "follow_up": "ok", "score": 100}'] * 2,  # may not add fields (no score!)
])
def test_llm_failures_fall_back_to_rule_wording(grader, indexed_records, replies):
    r, answer, base = _graded(grader, indexed_records)
    before = (base.score, base.feedback, base.follow_up)
    out = word_with_llm(FakeLLM(replies), r, answer, base)
    assert (out.score, out.feedback, out.follow_up) == before and out.feedback_by == "rules"


def test_parse_wording_accepts_fenced_json():
    assert parse_wording('```json\n{"feedback": "a", "follow_up": "b"}\n```') == {"feedback": "a", "follow_up": "b"}
    assert parse_wording("") is None


def test_grader_without_index_uses_builtin_centering(indexed_records):
    g = Grader(threads=2, cache_dir=ROOT / ".cache" / "test-embeddings")
    r = next(r for r in indexed_records if r.lang == "en" and len(rubric(r)) >= 3 and len(r.answer) > 200)
    assert g.grade(r, r.answer).score >= 75
    assert g.grade(r, "Python dictionaries map keys to values.").score <= 30
