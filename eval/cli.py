"""`tutor eval`: retrieval metrics, configurations side by side (a subcommand eval/ contributes)."""

from __future__ import annotations

from pathlib import Path

from tutor.cli.common import Failure, print_json, settings_for, usage_error


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
    overall = result["metrics"].get("ALL", {})
    for flag, metric in (("min_recall5", "recall@5"), ("min_mrr", "mrr@10")):
        floor = getattr(args, flag)
        if floor is not None and overall.get(metric, 0.0) < floor:
            raise Failure(
                f"{result['default']} {metric} {overall.get(metric, 0.0):.4f} is below the floor {floor}"
            )
    return 0


def register(sub, with_index) -> None:
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
