"""`tutor eval`: retrieval metrics, configurations side by side (a subcommand eval/ contributes).

The floors (`--min-hit5`, `--min-mrr`, `--min-recall5`) apply to the default configuration's ALL row
and make the command exit 1 with a one-line reason, which is what CI checks."""

from __future__ import annotations

from pathlib import Path

from tutor.cli.common import Failure, print_json, settings_for, usage_error

# flag attribute → the metric it floors (hit@5 is the headline; recall@5 kept for old scripts)
FLOORS = (("min_hit5", "hit@5"), ("min_recall5", "recall@5"), ("min_mrr", "mrr@10"))


def cmd_eval(args) -> int:
    from eval.runner import default_configurations, default_queries, render_tables, run_eval
    from tutor.index import Index

    queries = Path(args.queries) if args.queries else default_queries()
    if not queries.is_file():
        raise Failure(f"query file {queries} not found (give --queries FILE)")
    if args.inventory and not Path(args.inventory).is_file():
        raise Failure(f"inventory {args.inventory} not found")
    if args.k < 1:
        raise SystemExit(usage_error("eval", "--k must be at least 1"))
    settings = settings_for(args)
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
        print_json(result)
    else:
        render_tables(result)
        if args.chart:
            print(f"chart written to {args.chart}")
    _check_floors(args, result)
    return 0


def _check_floors(args, result: dict) -> None:
    """Raise Failure (exit 1, one line) for the first floor the default's ALL metrics fall below."""
    overall = result["metrics"].get("ALL", {})
    for flag, metric in FLOORS:
        floor = getattr(args, flag, None)
        if floor is not None and overall.get(metric, 0.0) < floor:
            raise Failure(
                f"{result['default']} {metric} {overall.get(metric, 0.0):.4f} is below the floor {floor}"
            )


def register(sub, with_index) -> None:
    p = with_index(sub.add_parser("eval", help="retrieval metrics, configurations side by side"))
    p.add_argument("--queries", metavar="FILE",
                   help="query file (default: eval/dev_queries.jsonl in $TUTOR_SHARED or ../shared)")
    p.add_argument("--inventory", metavar="FILE", help="inventory that gold ids refer to "
                   "(default: eval/inventory.jsonl in $TUTOR_SHARED or ../shared)")
    p.add_argument("--k", type=int, default=10, help="ranking depth (default 10)")
    p.add_argument("--config", nargs="+", action="extend", metavar="NAME",
                   help="configurations to compare (default: all); the first is the default")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--chart", nargs="?", const="eval-results.png", metavar="PNG",
                   help="write a bar chart (default name: eval-results.png)")
    p.add_argument("--min-hit5", type=float, metavar="X",
                   help="exit 1 if the default's ALL hit@5 (share of queries with a gold record in the top 5) < X")
    p.add_argument("--min-recall5", type=float, metavar="X",
                   help="exit 1 if the default's ALL recall@5 (share of the gold records found) < X")
    p.add_argument("--min-mrr", type=float, metavar="X", help="exit 1 if the default's ALL mrr@10 < X")
    p.set_defaults(func=cmd_eval)
