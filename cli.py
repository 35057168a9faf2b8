"""The `tutor` command: a thin shell over ingest/, tutor/ and eval/ (the contract in DESIGN.md).

Exit status: 0 success; 2 bad usage (argparse); 1 failure with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from commands.common import Failure, jsonl_lines, usage_error
from commands.common import print_json as _print_json

# Subcommands in their own modules (commands/*.py), each with register(sub, with_index).
COMMAND_MODULES: list[str] = ["commands.ask", "commands.grade", "commands.interview"]

LEVEL_CHOICES = ("junior", "middle", "senior", "unknown")
LANG_CHOICES = ("en", "uk")


def _settings(args):
    from tutor.config import get_settings

    return get_settings(index=Path(args.index) if getattr(args, "index", None) else None)


def cmd_ingest(args) -> int:
    from ingest.pipeline import ingest

    settings = _settings(args)
    paths = [Path(p) for p in args.paths] or [settings.bank]
    interactive = sys.stderr.isatty() and not args.quiet
    summary = ingest(
        paths,
        settings.index,
        settings=settings,
        rebuild=args.rebuild,
        progress=interactive,
        log=lambda m: None,
    )
    for item in summary.skipped:
        print(f"skipped {item.path}: {item.reason}", file=sys.stderr)
    if args.json:
        _print_json(summary.to_json())
    else:
        embedded = ", ".join(f"{k} {v}" for k, v in summary.embedded.items())
        kept = f", kept {len(summary.kept_sources)} earlier sources" if summary.kept_sources else ""
        print(
            f"indexed {summary.files - len([s for s in summary.skipped if Path(s.path).exists()])} "
            f"of {summary.files} files{kept}: {summary.records} records, {summary.chunks} chunks "
            f"(embedded: {embedded}); skipped {len(summary.skipped)}; {summary.seconds:.1f} s "
            f"→ {summary.index}"
        )
    return 0


def cmd_records(args) -> int:
    from tutor.store import read_records

    for record in read_records(_settings(args).index):
        _print_json(record.to_json())
    return 0


def _filters(args):
    from tutor.retrieve import Filters

    return Filters(level=args.level, lang=args.lang, source=args.source, section=getattr(args, "section", None))


def cmd_search(args) -> int:
    from tutor.retrieve import Retriever

    if not args.query and not args.queries:
        raise SystemExit(usage_error("search", "give a QUERY or --queries FILE"))
    settings = _settings(args)
    retriever = Retriever(settings.index, settings)
    if args.queries:
        for qid, query, error in _query_lines(args.queries):
            if error:
                _print_json({"qid": qid, "error": error})
                continue
            try:
                hits = retriever.search(query, k=args.k, filters=_filters(args))
                _print_json({"qid": qid, "hits": [h.to_json() for h in hits], "relevant": not hits.abstained,
                             "relevance": round(hits.relevance, 4)})
            except Exception as exc:  # one bad line must not stop the batch
                _print_json({"qid": qid, "error": str(exc)})
        return 0
    hits = retriever.search(args.query, k=args.k, filters=_filters(args))
    if args.json:
        _print_json({"query": args.query, "hits": [h.to_json() for h in hits], "relevant": not hits.abstained,
                     "relevance": round(hits.relevance, 4)})
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(width=max(Console().width, 110))
    if hits.abstained:
        console.print(Text("Nothing in the bank answers this well; the nearest records:", style="yellow"))
    table = Table(title=Text(f"hits for {args.query!r}"), show_lines=False)
    for col in ("#", "score", "level", "lang", "source", "question"):
        table.add_column(col, overflow="fold")
    for n, (hit, also) in enumerate(hits.groups(), 1):
        r = hit.record
        question = Text(r.question)  # document text is data: never parsed as rich markup
        if also:
            question.append("\nalso in: " + ", ".join(f"{a.record.source}:{a.record.locator}" for a in also),
                            style="dim")
        table.add_row(str(n), f"{hit.score:.2f}", r.level, r.lang, f"{r.source}:{r.locator}", question)
    console.print(table)
    return 0


def _query_lines(path):
    """(qid, query, error) for each line of a JSON Lines query file."""
    for n, obj, error in jsonl_lines(path):
        qid = str(obj.get("qid", n)) if isinstance(obj, dict) else str(n)
        yield qid, (None if error else obj["query"]), error


def cmd_eval(args) -> int:
    from eval.runner import DEFAULT_QUERIES, default_configurations, render_tables, run_eval
    from tutor.retrieve import Index

    queries = Path(args.queries) if args.queries else DEFAULT_QUERIES
    if not queries.is_file():
        raise Failure(f"query file {queries} not found (give --queries FILE)")
    if args.inventory and not Path(args.inventory).is_file():
        raise Failure(f"inventory {args.inventory} not found")
    if args.k < 1:
        raise SystemExit(usage_error("eval", "--k must be at least 1"))
    settings = _settings(args)
    index = Index(settings.index)
    configurations = default_configurations(index)
    if args.config:
        unknown = [name for name in args.config if name not in configurations]
        if unknown:
            raise SystemExit(usage_error(
                "eval", f"unknown configuration {', '.join(unknown)} (choose from {', '.join(configurations)})"
            ))
        configurations = {name: configurations[name] for name in dict.fromkeys(args.config)}
    try:
        result = run_eval(
            index,
            queries,
            configurations,
            k=args.k,
            inventory_path=Path(args.inventory) if args.inventory else None,
            default=args.config[0] if args.config else None,
        )
    except ValueError as exc:
        raise Failure(str(exc)) from exc
    if args.chart:
        from eval.chart import write_chart

        write_chart(result, Path(args.chart))
    if args.json:
        _print_json(result)
    else:
        render_tables(result)
        if args.chart:
            print(f"chart written to {args.chart}")
    overall = result["metrics"].get("ALL", {})
    for flag, metric in (("min_recall5", "recall@5"), ("min_mrr", "mrr@10")):
        floor = getattr(args, flag)
        if floor is not None and overall.get(metric, 0.0) < floor:
            raise Failure(
                f"{result['default']} {metric} {overall.get(metric, 0.0):.4f} is below the floor {floor}"
            )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tutor", description="Interview Tutor: offline ML interview practice.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_index(p):
        p.add_argument("--index", help="index folder (default: $TUTOR_INDEX or index/)")
        return p

    p = with_index(sub.add_parser("ingest", help="build or update an index from question-bank files"))
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: $TUTOR_BANK or bank/)")
    p.add_argument("--rebuild", action="store_true", help="index exactly PATH..., dropping other sources")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)

    p = with_index(sub.add_parser("records", help="every record as JSON Lines"))
    p.set_defaults(func=cmd_records)

    p = with_index(sub.add_parser("search", help="search the bank"))
    p.add_argument("query", nargs="?", metavar="QUERY")
    p.add_argument("--queries", metavar="FILE.jsonl", help="batch: one {qid, query} per line")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--level", choices=LEVEL_CHOICES)
    p.add_argument("--lang", choices=LANG_CHOICES)
    p.add_argument("--source", help="only records whose source file name contains this")
    p.add_argument("--section", help="only records whose section contains this")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = with_index(sub.add_parser("eval", help="retrieval metrics, configurations side by side"))
    p.add_argument("--queries", metavar="FILE", help="query file (default: ../shared/eval/dev_queries.jsonl)")
    p.add_argument("--inventory", metavar="FILE", help="inventory that gold ids refer to "
                   "(default: ../shared/eval/inventory.jsonl)")
    p.add_argument("--k", type=int, default=10, help="ranking depth (default 10)")
    p.add_argument("--config", nargs="+", action="extend", metavar="NAME",
                   help="configurations to compare (default: all); the first is the default")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--chart", nargs="?", const="eval-results.png", metavar="PNG",
                   help="write a bar chart (default name: eval-results.png)")
    p.add_argument("--min-recall5", type=float, metavar="X", help="exit 1 if the default's ALL recall@5 < X")
    p.add_argument("--min-mrr", type=float, metavar="X", help="exit 1 if the default's ALL mrr@10 < X")
    p.set_defaults(func=cmd_eval)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, with_index)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from tutor.store import IndexError_

    try:
        return args.func(args) or 0
    except (Failure, IndexError_) as exc:
        print(f"tutor {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"tutor {args.command}: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
