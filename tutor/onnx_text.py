"""A bundled transformer run on onnxruntime: its session and tokenizer, and one call for a batch of
texts (or text pairs). The reranker and the MiniLM embedder share it."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class OnnxTextModel:
    def __init__(self, model: Path, tokenizer: Path, max_tokens: int, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads left spinning after a run took the cores from the next search's embedders
        # (bench/search.py: the search after a rerank 26 -> 48 ms p50).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding()
        self.inputs = {i.name for i in self.session.get_inputs()}

    def run(self, texts: list) -> np.ndarray:
        """The model's first output for a batch of texts or (text, text) pairs, padded together."""
        encoded = self.tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        }
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in encoded], dtype=np.int64)
        return self.session.run(None, feed)[0]
