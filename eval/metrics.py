"""Retrieval metrics over query sets with gold labels, computed with ranx.

Relevance grades: a `gold` entry is 2, a `partial` entry is 1. Hit@k, recall@k and MRR@10 count only
gold (ranx's `-l2` relevance level); nDCG@10 uses both grades (linear gains, Järvelin & Kekäläinen).

Per query, then averaged over the queries:
- hit@k (ranx `hit_rate@k`): 1 if at least one gold entry is in the top k, else 0 — so its mean is the
  share of queries with a gold record in the top k. This is the headline number and the CI floor.
- recall@k (ranx `recall@k`): the fraction of the query's gold entries found in the top k. It differs
  from hit@k only for queries with several gold entries (2 gold, 1 found: hit 1, recall 0.5).

Queries without gold (`no_answer`) are left out of the IR metrics and scored as abstention instead:
`abstention_rate` on no_answer queries (higher is better) and `false_abstention_rate` on answerable
ones (lower is better).

Gold ids in query files are inventory ids (`001-17`); `inventory_to_records` maps them to record ids.
A gold entry that maps to no record stays in the qrels under a placeholder id no run can return, so a
query whose answer was lost at ingestion counts as a miss rather than disappearing.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

METRICS = ("hit@1", "hit@3", "hit@5", "hit@10", "recall@5", "recall@10", "mrr@10", "ndcg@10")
# our metric name → ranx metric name (`-l2`: only relevance ≥ 2 counts)
RANX_NAMES = {
    "hit@1": "hit_rate@1-l2",
    "hit@3": "hit_rate@3-l2",
    "hit@5": "hit_rate@5-l2",
    "hit@10": "hit_rate@10-l2",
    "recall@5": "recall@5-l2",
    "recall@10": "recall@10-l2",
    "mrr@10": "mrr@10-l2",
    "ndcg@10": "ndcg@10",
}
# the metrics tested for significance against the default configuration
SIGNIFICANCE_METRICS = ("hit@5", "recall@5", "mrr@10", "ndcg@10")
GOLD, PARTIAL = 2, 1
NO_ANSWER = "no_answer"
ALL = "ALL"
UNMATCHED_PREFIX = "unmatched:"


@dataclass
class Query:
    qid: str
    query: str
    type: str
    lang: str = ""
    gold: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def load_queries(path: Path) -> list[Query]:
    """Read a query file (`{"qid", "query", "type", "gold", "lang", "partial"?}` per line)."""
    queries = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                queries.append(
                    Query(
                        qid=str(obj["qid"]),
                        query=str(obj["query"]),
                        type=str(obj.get("type") or "unknown"),
                        lang=str(obj.get("lang") or ""),
                        gold=[str(g) for g in obj.get("gold") or []],
                        partial=[str(p) for p in obj.get("partial") or []],
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: line {n}: {exc.__class__.__name__}: {exc}") from exc
    seen = set()
    for q in queries:
        if q.qid in seen:
            raise ValueError(f"{path}: duplicate qid {q.qid!r}")
        seen.add(q.qid)
    return queries


def build_qrels(queries: list[Query], id_map: dict[str, str | None] | None = None) -> dict[str, dict[str, int]]:
    """qid → {record id: grade} for the answerable queries. `id_map` maps gold ids to record ids
    (None: ids are record ids already); unmapped ids become `unmatched:<id>` placeholders."""

    def resolve(gid: str) -> str:
        if id_map is None:
            return gid
        return id_map.get(gid) or f"{UNMATCHED_PREFIX}{gid}"

    qrels: dict[str, dict[str, int]] = {}
    for q in queries:
        if not q.answerable:
            continue
        rels: dict[str, int] = {}
        for pid in q.partial:
            rels[resolve(pid)] = PARTIAL
        for gid in q.gold:
            rels[resolve(gid)] = GOLD  # gold wins over partial when both name the same record
        qrels[q.qid] = rels
    return qrels


def _run_dict(rankings: dict[str, list[str]], qids) -> dict[str, dict[str, float]]:
    run = {}
    for qid in qids:
        ranked = list(dict.fromkeys(rankings.get(qid) or []))  # deduplicate, keep order
        run[qid] = {rid: float(len(ranked) - i) for i, rid in enumerate(ranked)}
    return run


def _ranx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ranx
    return ranx


def per_query_scores(qrels: dict[str, dict[str, int]], rankings: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """metric → {qid: score} for every query in `qrels` (a query missing from `rankings` scores 0)."""
    if not qrels:
        return {m: {} for m in METRICS}
    ranx = _ranx()
    run = ranx.Run(_run_dict(rankings, qrels), name="run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba type-safety chatter
        ranx.evaluate(ranx.Qrels(qrels), run, [RANX_NAMES[m] for m in METRICS], make_comparable=True)
    return {m: {qid: float(run.scores[RANX_NAMES[m]][qid]) for qid in qrels} for m in METRICS}


def summarize(scores: dict[str, dict[str, float]], types: dict[str, str]) -> dict[str, dict]:
    """{type: {metric: mean, "n": n}} for each query type present, plus "ALL"."""
    qids = list(next(iter(scores.values()), {}))
    groups: dict[str, list[str]] = {}
    for qid in qids:
        groups.setdefault(types.get(qid, "unknown"), []).append(qid)
    groups[ALL] = qids
    out = {}
    for name, members in groups.items():
        row = {m: (sum(scores[m][q] for q in members) / len(members) if members else 0.0) for m in METRICS}
        row["n"] = len(members)
        out[name] = row
    return out


def abstention_rates(abstained: dict[str, bool], queries: list[Query]) -> tuple[float | None, float | None]:
    """(abstention rate on no-answer queries, false abstention rate on answerable ones); None if no queries."""
    unanswerable = [bool(abstained.get(q.qid, False)) for q in queries if not q.answerable]
    answerable = [bool(abstained.get(q.qid, False)) for q in queries if q.answerable]
    rate = sum(unanswerable) / len(unanswerable) if unanswerable else None
    false_rate = sum(answerable) / len(answerable) if answerable else None
    return rate, false_rate


def significance(
    qrels: dict[str, dict[str, int]],
    rankings: dict[str, dict[str, list[str]]],
    default: str,
    metrics: tuple[str, ...] = SIGNIFICANCE_METRICS,
    stat_test: str = "fisher",
    max_p: float = 0.05,
) -> dict:
    """p-values of every configuration against `default` (ranx.compare; Fisher's randomization test by
    default, paired and two-sided). `rankings`: configuration → {qid: ranked record ids}."""
    n_permutations = 1000  # a Fisher p-value of 0.0 means p < 1/n_permutations
    result = {"test": stat_test, "against": default, "max_p": max_p, "n_permutations": n_permutations,
              "p_values": {}}
    others = [name for name in rankings if name != default]
    if not qrels or default not in rankings or not others:
        return result
    ranx = _ranx()
    names = [default, *others]
    runs = [ranx.Run(_run_dict(rankings[name], qrels), name=name) for name in names]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ranx.compare(
            ranx.Qrels(qrels),
            runs,
            [RANX_NAMES[m] for m in metrics],
            stat_test=stat_test,
            n_permutations=n_permutations,
            max_p=max_p,
            make_comparable=True,
        )
    for name in others:
        pair = report.comparisons[frozenset([default, name])]
        row = {}
        for m in metrics:
            p = float(pair[RANX_NAMES[m]]["p_value"])
            row[m] = None if math.isnan(p) else round(p, 4)
        result["p_values"][name] = row
    return result
