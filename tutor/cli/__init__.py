"""The `tutor` / `interview-tutor` command: a thin shell whose subcommands are plugins (DESIGN.md's contract).

`tutor` never imports `ingest` or `eval`: they contribute their subcommands (`tutor ingest`, `tutor eval`)
through the `interview_tutor.commands` entry-point group, as simonw/llm's plugins do; each entry point
names a `register(sub, with_index)` function. tutor's own subcommands live beside this file.

Exit status: 0 success; 2 bad usage (argparse); 1 failure with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from importlib.metadata import entry_points

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from tutor.cli.common import Failure  # noqa: E402  (the environment above must be set before any model import)

ENTRY_POINT_GROUP = "interview_tutor.commands"
# tutor's own subcommands, each a module with register(sub, with_index).
BUILTIN_MODULES: tuple[str, ...] = ("tutor.cli.search", "tutor.cli.ask", "tutor.cli.grade", "tutor.cli.interview",
                                  "tutor.cli.speech")


def _registrars() -> list:
    """register functions: tutor's own, then every installed plugin's (ingest, eval, third parties)."""
    found = [importlib.import_module(name).register for name in BUILTIN_MODULES]
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        found.append(ep.load())
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tutor", description="Interview Tutor: offline ML interview practice.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_index(p):
        p.add_argument("--index", help="index folder (default: $TUTOR_INDEX or index/)")
        return p

    for register in _registrars():
        register(sub, with_index)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from tutor.config import SettingsError
    from tutor.store import IndexError_

    try:
        return args.func(args) or 0
    except (Failure, IndexError_, SettingsError) as exc:
        print(f"tutor {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"tutor {args.command}: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
