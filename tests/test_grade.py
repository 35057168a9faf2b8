"""tutor.grade: the deterministic core separates right from wrong; an LLM only words feedback."""

from __future__ import annotations

import json
import statistics
import sys

import pytest
from conftest import BAGGING, ROOT, FakeLLM

from tutor.grade import Grader, get_grader, rubric, split_sentences
from tutor.llm import LLMError
from tutor.store import Record
from tutor.wording import FOLLOW_UP_SCHEMA as WORDING_SCHEMA
from tutor.wording import parse_wording, point_question, word_with_llm

sys.path.append(str(ROOT / "bench"))  # appended: bench/ingest.py must not shadow the ingest package
import grading as bench  # noqa: E402


def test_split_sentences_strips_bullets_and_glues_fragments():
    text = "Types of attacks:\n- FGSM: adds noise. It is fast.\n• PGD: iterates FGSM.\n2) Defence: adversarial training"
    out = split_sentences(text)
    assert out[0].startswith("Types of attacks: FGSM")
    assert "PGD: iterates FGSM." in out
    assert out[-1] == "Defence: adversarial training"


def test_a_lower_case_term_starts_a_sentence():
    out = split_sentences("PCA is linear and fast. t-SNE is non-linear. It is slow, e.g. on big data.")
    assert out == ["PCA is linear and fast.", "t-SNE is non-linear.", "It is slow, e.g. on big data."]


COMPARISON = Record(
    "tbl000000001", "mine.md", "3", "ML", "middle", "en", "Bagging vs boosting: what is the difference?",
    answer=("Both combine many weak models.\n"
            "| Aspect | Bagging | Boosting |\n|---|---|---|\n"
            "| Training | Parallel | Sequential |\n| Mainly reduces | Variance | Bias |\n"
            "| Low learning rate | n/a | Needs more trees |\n"
            "from sklearn.ensemble import BaggingClassifier\n"
            "Random forests are bagging with random feature subsets."),
    key_points=["Bagging trains in parallel", "Boosting trains sequentially"],
)


def test_tables_become_one_sentence_per_cell_and_code_is_no_reference():
    from tutor.grade import reference_sentences
    from tutor.rubric import split_tables

    prose, facts = split_tables(COMPARISON.answer)
    assert "|" not in prose and "Random forests" in prose
    assert [f.text for f in facts][:2] == ["Bagging Training: Parallel.", "Boosting Training: Sequential."]
    refs = reference_sentences(COMPARISON)
    assert "Bagging Mainly reduces: Variance." in refs and "Boosting Training: Sequential." in refs
    assert not any("|" in r or "import" in r for r in refs)
    # A row named with a direction word ("Low learning rate") is about another axis: no cell sentence.
    assert not any("Low learning rate" in r for r in refs)
    assert not any("|" in p for p in rubric(COMPARISON))


def test_term_specificity_rewards_the_references_words_not_the_questions():
    from tutor.grade import G, _term_specificity

    points = rubric(COMPARISON)
    specific = _term_specificity(COMPARISON, points, "Bagging trains in parallel on bootstrap samples; "
                                                     "boosting trains sequentially.")
    bluff = _term_specificity(COMPARISON, points, "Bagging and boosting differ, and the difference matters "
                                                  "a lot in practice.")
    assert specific == 1.0 and bluff == G.spec_min


@pytest.mark.slow
def test_an_answer_that_swaps_a_tables_columns_is_contradicted(grader):
    """The claim is only in the table; its row read as a sentence would not say which column is which."""
    record = Record(**{**COMPARISON.__dict__, "key_points": ["Knows both are ensembles of weak models",
                                                             "Can say which one is trained in parallel"]})
    wrong = grader.grade(record, "Both combine weak models. Bagging trains its models sequentially, each one "
                                 "fixing the errors of the previous one.")
    right = grader.grade(record, "Both combine weak models. Bagging trains its models in parallel on "
                                 "bootstrap samples, and boosting trains them sequentially.")
    assert [c.point for c in wrong.contradicted] == ["Bagging Training: Parallel."], wrong.contradicted
    assert not right.contradicted and right.score > wrong.score


DEPLOY = Record(
    "fixed0000003", "mine.md", "12", "MLOps", "middle", "en", "How do you put a model into production?",
    answer=("Package the model with its dependencies in a container and serve it behind an API. "
            "The model should be monitored in production for drift and falling accuracy. "
            "Keep every model version in a registry so you can roll back."),
    key_points=["Packages the model in a container behind an API",
                "Knows the model should be monitored in production for drift",
                "Keeps model versions in a registry to roll back"],
)


@pytest.mark.slow
def test_a_prescribed_step_called_unnecessary_is_contradicted(grader):
    """A dismissal of what the reference prescribes is a claim, and an on-topic sentence elsewhere that
    only loosely covers the point does not excuse it (it must state the point at least as closely)."""
    wrong = grader.grade(DEPLOY, "You package the model in a container and serve it behind an API. Once it "
                                 "was validated offline its accuracy stays put, so monitoring the model in "
                                 "production for drift isn't really necessary. Keep versions in a registry.")
    right = grader.grade(DEPLOY, "You package the model in a container and serve it behind an API. Then you "
                                 "monitor the model in production for drift. Keep versions in a registry.")
    assert [c.rule for c in wrong.contradicted] == ["dismissal"], wrong.contradicted
    assert not right.contradicted and right.score > wrong.score + 30, (right.score, wrong.score)


@pytest.mark.slow
def test_saying_more_of_the_reference_than_the_rubric_counts(grader):
    narrow = grader.grade(COMPARISON, "Bagging trains its models in parallel, and boosting trains them sequentially.")
    broad = grader.grade(COMPARISON, "Bagging trains its models in parallel, and boosting trains them sequentially. "
                                     "Bagging mainly reduces variance, boosting mainly reduces bias. Random forests "
                                     "are bagging with random feature subsets.")
    assert len(narrow.covered) == len(broad.covered) == 2
    assert broad.factors["breadth"] > narrow.factors["breadth"] + 0.2, (narrow.factors, broad.factors)
    assert broad.score > narrow.score, (narrow.score, broad.score)


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
    from tutor.index import open_index

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


@pytest.mark.slow
def test_sample_is_big_and_bilingual(separation):
    assert len(separation) >= 40
    langs = {r.lang for r, *_ in separation}
    assert langs == {"en", "uk"}


@pytest.mark.slow
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


@pytest.mark.slow
def test_paraphrase_from_another_source_beats_unrelated(grader, seed_index):
    """Not a verbatim-matching grader: a near-duplicate record's answer, in other words, scores well."""
    from tutor.index import open_index

    index = open_index(seed_index)
    pairs = bench.paraphrase_pairs(index)
    assert len(pairs) >= 6
    pool = bench.eligible(index.records)
    para = [grader.grade(a, b.answer).score for a, b in pairs]
    unrelated = [grader.grade(a, bench.wrong_answer_for(a, pool).answer).score for a, _ in pairs if a in pool]
    assert statistics.mean(para) >= statistics.mean(unrelated) + 35
    assert statistics.mean(para) >= 50


@pytest.mark.slow
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


@pytest.mark.slow
def test_empty_answer_scores_zero_and_lists_everything_missed(grader, indexed_records):
    r = next(r for r in indexed_records if len(rubric(r)) >= 3)
    result = grader.grade(r, "   ")
    assert result.score == 0 and not result.covered and result.missed == rubric(r)
    assert set(result.to_json()) == {"record_id", "score", "band", "covered", "missed", "contradicted",
                                     "feedback", "follow_up", "mode"}
    assert result.to_json()["band"] == "wrong" and result.contradicted == []


@pytest.mark.slow
def test_rule_follow_up_targets_a_missed_point_in_the_records_language(grader, indexed_records):
    uk = next(r for r in indexed_records if r.lang == "uk" and len(rubric(r)) >= 3)
    result = grader.grade(uk, split_sentences(uk.answer)[0])
    assert result.missed
    target = min((p for p in result.points if not p.covered), key=lambda p: p.coverage)
    assert result.follow_up == point_question(target.text, "uk")
    assert "?" in result.follow_up and "Ви не згадали" not in result.follow_up


# -- the LLM only words; it can never break grading ------------------------------------------------


def _graded(grader, indexed_records):
    r = next(r for r in indexed_records if r.lang == "en" and len(rubric(r)) >= 3)
    answer = split_sentences(r.answer)[0]
    return r, answer, grader.grade(r, answer)


@pytest.mark.slow
def test_llm_wording_is_used_when_valid_and_never_changes_the_score(grader, indexed_records):
    r, answer, base = _graded(grader, indexed_records)
    score, covered, feedback = base.score, list(base.covered), base.feedback
    good = json.dumps({"follow_up": "How would you pick the trade-off here?"})
    llm = FakeLLM(["not json at all", good])  # one bad reply, retried once
    out = word_with_llm(llm, r, answer, base)
    assert out.follow_up == "How would you pick the trade-off here?" and out.feedback == feedback
    assert out.score == score and out.covered == covered and out.feedback_by == "fake"
    assert len(llm.calls) == 2 and llm.calls[0][2] == WORDING_SCHEMA
    assert "<doc>" in llm.calls[0][1][1]["content"]  # bank text is fenced as data


@pytest.mark.slow
@pytest.mark.parametrize("replies", [
    ["{}", '{"follow_up": 3}'],  # invalid twice → rules
    [LLMError("server gone")],
    [RuntimeError("backend bug")],
    ['{"follow_up": "Why is that so?", "score": 100}'] * 2,  # may not add fields (no score!)
    ['{"follow_up": "This is not a question at all."}'] * 2,
])
def test_llm_failures_fall_back_to_rule_wording(grader, indexed_records, replies):
    r, answer, base = _graded(grader, indexed_records)
    before = (base.score, base.feedback, base.follow_up)
    out = word_with_llm(FakeLLM(replies), r, answer, base)
    assert (out.score, out.feedback, out.follow_up) == before and out.feedback_by == "rules"


def test_parse_wording_accepts_fenced_json():
    assert parse_wording('```json\n{"follow_up": "Why does it work?"}\n```') == {"follow_up": "Why does it work?"}
    assert parse_wording("") is None


@pytest.mark.slow
def test_grader_without_index_uses_builtin_centering(indexed_records):
    g = Grader(threads=2, cache_dir=ROOT / ".cache" / "test-embeddings")
    r = next(r for r in indexed_records if r.lang == "en" and len(rubric(r)) >= 3 and len(r.answer) > 200)
    assert g.grade(r, r.answer).score >= 75
    assert g.grade(r, "Python dictionaries map keys to values.").score <= 30


# -- claims, not just topic: the combined score on a small fixed set (no model judge) -------------

DROPOUT = Record(
    "fixed0000002", "mine.md", "9", "DL", "junior", "uk", "Що таке dropout і як він працює?",
    answer=("Dropout під час навчання випадково вимикає частину нейронів з імовірністю p. "
            "Це зменшує перенавчання, бо мережа не покладається на окремі нейрони. "
            "Під час інференсу dropout вимикають і використовують усі нейрони."),
    key_points=["Під час навчання випадково вимикає нейрони з імовірністю p", "Зменшує перенавчання",
                "Під час інференсу dropout вимикають"],
)
FIXED = [
    (BAGGING, {
        "good": "Bagging fits models in parallel on bootstrap samples and averages them, so it mainly reduces "
                "variance. Boosting trains models sequentially, each focusing on the previous errors, and mainly "
                "reduces bias.",
        "partial": "Bagging trains models in parallel on bootstrap samples of the data.",
        "wrong": "Bagging fits models in parallel on bootstrap samples and mainly reduces bias. Boosting trains "
                 "models sequentially on the previous errors and mainly reduces variance.",
        "bluff": "Both are powerful ensemble ideas that combine models to get better results, and which one is "
                 "best always depends on the data and the business problem.",
    }),
    (DROPOUT, {
        "good": "Під час навчання dropout випадково вимикає нейрони з імовірністю p, і це зменшує перенавчання. "
                "Під час інференсу dropout вимикають.",
        "partial": "Dropout зменшує перенавчання нейронної мережі.",
        "wrong": "Під час навчання dropout випадково вимикає нейрони з імовірністю p, і це збільшує перенавчання. "
                 "Під час інференсу dropout не вимикають.",
        "bluff": "Dropout — це дуже важлива і корисна техніка в сучасному глибокому навчанні, її треба "
                 "використовувати правильно і з розумом.",
    }),
]


@pytest.mark.slow
@pytest.mark.parametrize(("record", "answers"), FIXED, ids=["en", "uk"])
def test_contradicted_answers_land_below_short_correct_ones(grader, record, answers):
    scores = {kind: grader.grade(record, text) for kind, text in answers.items()}
    s = {kind: r.score for kind, r in scores.items()}
    assert s["good"] > s["partial"] > max(s["wrong"], s["bluff"]), s
    assert s["good"] >= 60 and s["wrong"] < 40, s
    wrong = scores["wrong"]
    assert wrong.contradicted and all(c.said in answers["wrong"] for c in wrong.contradicted)
    assert wrong.to_json()["contradicted"][0]["point"] in rubric(record) + split_sentences(record.answer)
    said = wrong.contradicted[0].said
    assert said in wrong.follow_up and said in wrong.feedback  # side by side: "You said …; the reference says …"
    assert not scores["good"].contradicted and not scores["partial"].contradicted


@pytest.mark.slow
def test_candidate_answer_set_separation_without_a_model(grader, indexed_records):
    """Our written dev set (eval/grading/): the no-model mode keeps what the coverage core does well
    and adds to it. Floors sit just under what bench/grading.py measured (see README)."""
    from conftest import INVENTORY

    from eval.answers import DEV_SETS, GRADING_DIR, KINDS, load_answer_sets, separation

    sets = load_answer_sets([GRADING_DIR / f for f in DEV_SETS], INVENTORY, indexed_records)
    assert len(sets) >= 40 and {a.record.lang for a in sets} == {"en", "uk"}
    grader.warm([a.record for a in sets])
    rows, core = [], []
    for a in sets:
        results = {k: grader.grade(a.record, a.answers[k]) for k in KINDS}
        rows.append({k: r.score for k, r in results.items()})
        core.append({k: r.coverage_score for k, r in results.items()})
        assert not results["good"].contradicted, (a.record.question, results["good"].contradicted)
    full, alone = separation(rows), separation(core)
    for key in ("good_gt_wrong", "good_gt_bluff", "other_lang_gt_wrong", "ordered"):
        assert full[key] >= alone[key], (key, full, alone)
    assert full["good_gt_bluff"] >= 0.95 and full["good_gt_wrong"] >= 0.88 and full["other_lang_gt_wrong"] >= 0.85
    assert full["mean"]["bluff"] < alone["mean"]["bluff"] and full["mean"]["wrong"] < alone["mean"]["wrong"]


class _ScriptedJudge:
    """p(contradicted) per sentence from a fixed map (plumbing only; the real judge is tested below)."""

    name = "scripted"

    def __init__(self, doubted: dict[str, float]):
        self.doubted = doubted

    def contradiction(self, question, reference, sentences):
        return [self.doubted.get(s, 0.0) for s in sentences]


@pytest.mark.slow
def test_a_sentence_the_judge_doubts_covers_nothing_and_costs(grader):
    record, answers = FIXED[0]
    first, *_ = split_sentences(answers["good"])
    trusted = grader.grade(record, answers["good"], judge=_ScriptedJudge({}))
    doubted = grader.grade(record, answers["good"], judge=_ScriptedJudge({first: 1.0}))
    assert trusted.mode == doubted.mode == "scripted"
    assert trusted.factors["judged_wrong"] == 0.0 < doubted.factors["judged_wrong"]
    assert not any(p.evidence == first and p.covered for p in doubted.points)
    assert any(p.evidence == first and p.covered for p in trusted.points)
    assert doubted.score < trusted.score - 10, (trusted.score, doubted.score)
    # A sentence the judge is unsure about keeps part of its credit.
    unsure = grader.grade(record, answers["good"], judge=_ScriptedJudge({first: 0.25}))
    assert doubted.score < unsure.score < trusted.score


@pytest.mark.slow
@pytest.mark.parametrize(("record", "answers"), FIXED, ids=["en", "uk"])
def test_default_mode_with_the_local_judge_keeps_the_order(grader, record, answers):
    """Default mode (the bundled model as judge) on the small fixed set: good > partial > wrong, bluff."""
    from tutor.judge import judge_for
    from tutor.llm import get_llm

    judge = judge_for(get_llm("local"))
    results = {kind: grader.grade(record, text, judge=judge) for kind, text in answers.items()}
    s = {kind: r.score for kind, r in results.items()}
    assert all(r.mode.startswith("local") for r in results.values()), {k: r.mode for k, r in results.items()}
    assert s["good"] > s["partial"] > max(s["wrong"], s["bluff"]), s
    assert s["wrong"] < 40, s
