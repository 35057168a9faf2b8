"""`tutor records` and `tutor search`: the index's records, and hits for a query or a query file."""

from __future__ import annotations

from tutor.cli.common import LANG_CHOICES, LEVEL_CHOICES, jsonl_lines, print_json, settings_for, usage_error


def cmd_records(args) -> int:
    from tutor.store import read_records

    for record in read_records(settings_for(args).index):
        print_json(record.to_json())
    return 0


def _filters(args):
    from tutor.filters import Filters

    return Filters(level=args.level, lang=args.lang, source=args.source, section=getattr(args, "section", None))


def cmd_search(args) -> int:
    from tutor.retrieve import Retriever

    if not args.query and not args.queries:
        raise SystemExit(usage_error("search", "give a QUERY or --queries FILE"))
    settings = settings_for(args)
    retriever = Retriever(settings.index, settings)
    if args.queries:
        for qid, query, error in _query_lines(args.queries):
            if error:
                print_json({"qid": qid, "error": error})
                continue
            try:
                hits = retriever.search(query, k=args.k, filters=_filters(args))
                print_json({"qid": qid, "hits": [h.to_json() for h in hits], "relevant": not hits.abstained,
                             "relevance": round(hits.relevance, 4)})
            except Exception as exc:  # one bad line must not stop the batch
                print_json({"qid": qid, "error": str(exc)})
        return 0
    hits = retriever.search(args.query, k=args.k, filters=_filters(args))
    if args.json:
        print_json({"query": args.query, "hits": [h.to_json() for h in hits], "relevant": not hits.abstained,
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


def register(sub, with_index) -> None:
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
