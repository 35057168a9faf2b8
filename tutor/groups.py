"""Near-duplicate groups: which records ask the same question (across sources and languages), and the
order that shows each group's best hit first with its other members right after it ("also in").
"""

from __future__ import annotations

import faiss
import numpy as np


def duplicate_roots(question_vectors: np.ndarray, question_rows: list, n_records: int,
                    threshold: float) -> np.ndarray:
    """Root row of each record's group (itself when it has none).

    question_vectors[i] is the (centered, unit) question vector of record row question_rows[i]; two
    records are linked when their cosine is at least `threshold`, and groups are the linked components.
    """
    flat = faiss.IndexFlatIP(question_vectors.shape[1])
    flat.add(question_vectors)
    lims, _, ids = flat.range_search(question_vectors, threshold)
    parent = list(range(n_records))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a in range(len(question_rows)):
        for b in ids[lims[a] : lims[a + 1]]:
            ra, rb = find(question_rows[a]), find(question_rows[int(b)])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n_records)])


def grouped_order(order: list[int], roots: np.ndarray | None, k: int) -> list[tuple[int, int | None]]:
    """(row, the row it duplicates or None) for the first k places of `order` (rows, best first), each
    group's members moved up behind its best-ranked row. roots: from duplicate_roots; None: no groups."""
    out: list[tuple[int, int | None]] = []
    emitted: set[int] = set()
    members: dict[int, list[int]] = {}
    if roots is not None:
        for row in order:
            members.setdefault(int(roots[row]), []).append(row)
    for row in order:
        if row in emitted:
            continue
        group = members.get(int(roots[row]), [row]) if roots is not None else [row]
        for n, member in enumerate(group):
            if member in emitted:
                continue
            emitted.add(member)
            out.append((member, row if n and member != row else None))
        if len(out) >= k:
            break
    return out[:k]
