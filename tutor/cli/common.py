"""What every `tutor` subcommand shares: the one-line failure, JSON output, query-file lines."""

from __future__ import annotations

import json
import sys


class Failure(Exception):
    """A failure to report on one line, exit 1."""


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def usage_error(cmd: str, message: str) -> int:
    print(f"tutor {cmd}: error: {message}", file=sys.stderr)
    return 2


def jsonl_lines(path, required: tuple[str, ...] = ("query",)):
    """(n, obj, error) for each non-empty line of a JSON Lines file; error names the line and problem."""
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise Failure(f"{path}: {exc.strerror or exc}") from exc
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, None, f"line {n}: not JSON ({exc.msg})"
                continue
            if not isinstance(obj, dict):
                yield n, None, f"line {n}: expected a JSON object"
                continue
            missing = [key for key in required if not isinstance(obj.get(key), str) or not obj[key].strip()]
            if missing:
                yield n, obj, f"line {n}: missing or empty {', '.join(missing)}"
                continue
            yield n, obj, None


LEVEL_CHOICES = ("junior", "middle", "senior", "unknown")
LANG_CHOICES = ("en", "uk")


def settings_for(args, **overrides):
    """The settings with this command's --index (and any other flags given) applied."""
    from pathlib import Path

    from tutor.config import get_settings

    index = getattr(args, "index", None)
    return get_settings(index=Path(index) if index else None, **overrides)
