"""`tutor ingest`: build or update an index from question-bank files (a subcommand ingest/ contributes)."""

from __future__ import annotations

import sys
from pathlib import Path

from tutor.cli.common import print_json, settings_for

FLAGGED = "text addressed to the assistant (never given to a model)"


def cmd_ingest(args) -> int:
    from ingest.pipeline import ingest

    settings = settings_for(args)
    paths = [Path(p) for p in args.paths] or [settings.bank]
    if args.dry_run:
        return _dry_run(paths, settings.index, args.json)
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
    for path, encoding in summary.legacy_encodings().items():
        print(f"read {path} as {encoding} (not UTF-8)", file=sys.stderr)
    for where in summary.flagged:
        print(f"flagged {where}: {FLAGGED}", file=sys.stderr)
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


def _dry_run(paths: list[Path], index: Path, as_json: bool) -> int:
    """Per file: its type, encoding, shape and the records it would make (with their flags), or why
    it would be skipped. Only load → clean → parse run: no index is read or written, no model loaded.
    --json: one JSON object per file. Exit 1 (as ingest would) when no file gives a record."""
    from ingest.pipeline import dry_run
    from tutor.store import IndexError_

    results = dry_run(paths)
    for result in results:
        if as_json:
            print_json(result.to_json())
        else:
            _print_result(result)
    records = sum(len(r.records) for r in results)
    if not as_json:
        flagged = sum(bool(f["flags"]) for r in results for f in r.to_json()["records"])
        skipped = sum(bool(r.error) for r in results)
        print(f"dry run: {len(results)} files, {records} records, {flagged} flagged, skipped {skipped}; "
              f"nothing written ({index} untouched)")
    if not records:
        why = "; ".join(f"{r.path}: {r.error}" for r in results) or "no files found"
        raise IndexError_(f"nothing to index ({why})")
    return 0


def _print_result(result) -> None:
    what = ", ".join(x for x in (result.kind, result.encoding, result.shape and f"read as {result.shape}") if x)
    if result.error:
        print(f"skipped {result.path}{f' ({what})' if what else ''}: {result.error}")
        return
    n = len(result.records)
    print(f"{result.path} ({what}): {n} record{'' if n == 1 else 's'}")
    for rec, info in zip(result.records, result.to_json()["records"], strict=True):
        start = info["answer_start"] or "(no answer)"
        print(f"  {rec.locator:>5}  [{rec.level}, {rec.lang}] {rec.question} — {start}")
        if info["flags"]:
            print(f"         flagged {rec.source}:{rec.locator}: {FLAGGED}")


def register(sub, with_index) -> None:
    p = with_index(sub.add_parser("ingest", help="build or update an index from question-bank files"))
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: $TUTOR_BANK or bank/)")
    p.add_argument("--rebuild", action="store_true", help="index exactly PATH..., dropping other sources")
    p.add_argument("--dry-run", action="store_true",
                   help="show each file's type, encoding, shape and records (and flags); write nothing, load no model")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (--dry-run: one object per file)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)
