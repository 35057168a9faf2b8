"""Fusion: one score per record from the channel scores ("dense", "minilm", "bm25").

Why it is language-aware: the multilingual e5 model (centered per language, see tutor.index) is the
only channel that ranks passages of the other language well; MiniLM and BM25 rank same-language text
well and cross-language text badly. Plain RRF of all channels lets those two drown the cross-lingual
hits. So each channel's scores are z-normalized over the records, and for a record in the other
language an English-only channel contributes the e5 score instead of its own.
"""

from __future__ import annotations

import numpy as np

from tutor.tuning import RETRIEVAL


def zscore(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean()) / (scores.std() + 1e-9)


def fuse_scores(channels: dict[str, np.ndarray], record_langs: np.ndarray, lang: str, *, method: str,
                minilm_weight: float, bm25_weight: float) -> np.ndarray:
    """One fused score per record. method: "lang-zscore" (default), "zscore" (no language rule) or
    "rrf"; the dense channel weighs 1, a channel that is missing from `channels` counts for nothing."""
    weights = {"dense": 1.0, "minilm": minilm_weight, "bm25": bm25_weight}
    if method == "rrf":
        fused = np.zeros(len(record_langs), dtype=np.float64)
        for name, scores in channels.items():
            ranks = np.argsort(np.argsort(-scores, kind="stable"), kind="stable")
            fused += weights[name] / (RETRIEVAL.rrf_k + ranks + 1.0)
        return fused
    z = {name: zscore(scores.astype(np.float64)) for name, scores in channels.items()}
    dense = z["dense"]
    fused = dense.copy()
    same = record_langs == lang
    for name in ("minilm", "bm25"):
        if method == "lang-zscore" and name == "minilm" and lang != "en":
            # MiniLM only understands English: for another language's query its vote is the dense
            # channel's everywhere, so the retriever need not embed the query with it.
            fused += weights[name] * dense
            continue
        if name not in z:
            continue
        if method == "lang-zscore":
            # Both match only text of the query's language (MiniLM, by now, an English query's).
            fused += weights[name] * np.where(same, z[name], dense)
        else:
            fused += weights[name] * z[name]
    return fused
