"""Words: the tokenizer, stop words and stems that search, grading and claims share; BM25 over records
(bm25s; arrays + JSON on disk, no pickle).

tutor.citations keeps its own, wider stop-word list (see CITATION_STOPWORDS there).
"""

from __future__ import annotations

import re
from pathlib import Path

import bm25s
import numpy as np

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
STOPWORDS = frozenset(
    """a an the and or of to in on for with by is are was were be been being it its this that these those
    what which who whom how why when where do does did can could would should will shall may might must
    you your i we they he she them their our my me as at from into about than then so if not no yes
    explain describe difference between какой це що як які який яка яке чому для та і й в у на з із до
    від по при про чи або але ж же а the""".split()
)


def tokenize(text: str) -> list[str]:
    tokens = []
    for tok in _TOKEN.findall(text.casefold()):
        if tok in STOPWORDS or len(tok) < 2 and not tok.isdigit():
            continue
        tokens.append(tok)
    return tokens


def stem(token: str) -> str:
    # Crude, language-agnostic: the first 6 letters (inflected forms of one word mostly share them).
    return token[:6] if len(token) > 6 else token


def stems(text: str) -> set[str]:
    return {stem(t) for t in tokenize(text)}


def record_text(question: str, answer: str) -> str:
    """The text BM25 indexes for a record."""
    # The question twice: a record is about its question first, its answer second.
    return f"{question}\n{question}\n{answer}"


def build_bm25(texts: list[str]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    corpus_tokens = [tokenize(t) or ["∅"] for t in texts]
    retriever.index(corpus_tokens, show_progress=False)
    return retriever


def save_bm25(retriever: bm25s.BM25, folder: Path) -> None:
    retriever.save(str(folder), allow_pickle=False)


def load_bm25(folder: Path) -> bm25s.BM25:
    return bm25s.BM25.load(str(folder), allow_pickle=False)


def bm25_scores(retriever: bm25s.BM25, query: str) -> np.ndarray:
    """Score of every document for the query (zeros where no term matches)."""
    tokens = [t for t in tokenize(query) if t in retriever.vocab_dict]
    if not tokens:
        return np.zeros(retriever.scores["num_docs"], dtype=np.float32)
    return np.asarray(retriever.get_scores(tokens), dtype=np.float32)
