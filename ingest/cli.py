"""`tutor ingest`: build or update an index from question-bank files (a subcommand ingest/ contributes)."""

from __future__ import annotations

import sys
from pathlib import Path

from tutor.cli.common import print_json, settings_for


def cmd_ingest(args) -> int:
    from ingest.pipeline import ingest

    settings = settings_for(args)
    paths = [Path(p) for p in args.paths] or [settings.bank]
    interactive = sys.stderr.isatty() and not args.quiet
    summary = ingest(
        paths,
        settings.index,
        settings=settings,
        rebuild=args.rebuild,
        progress=interactive,
    )
    for item in summary.skipped:
        print(f"skipped {item.path}: {item.reason}", file=sys.stderr)
    for where in summary.flagged:
        print(f"flagged {where}: text addressed to the assistant (never given to a model)", file=sys.stderr)
    if args.json:
        print_json(summary.to_json())
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


def register(sub, with_index) -> None:
    p = with_index(sub.add_parser("ingest", help="build or update an index from question-bank files"))
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: $TUTOR_BANK or bank/)")
    p.add_argument("--rebuild", action="store_true", help="index exactly PATH..., dropping other sources")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)
