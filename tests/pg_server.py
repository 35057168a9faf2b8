"""A throwaway PostgreSQL for tests and benches, through scripts/pg_server.sh (no psycopg needed here).

    from pg_server import postgres_server   # under pytest (tests/ is on sys.path); bench/load.py loads it by path

    with postgres_server(tmp_path / "pg") as url:   # postgresql://USER@127.0.0.1:PORT/tutor
        ...

The server is stopped when the block ends, also on an exception or Ctrl-C. `PostgresUnavailable` says why
one could not be started (no binaries and not root, initdb failed, ...), with the script's own message.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "pg_server.sh"
START_TIMEOUT_S = 600  # a first start may apt-get install postgresql
STOP_TIMEOUT_S = 120


class PostgresUnavailable(RuntimeError):
    """scripts/pg_server.sh could not start a server."""


def start(tmp_dir: Path | str, env: dict | None = None) -> str:
    """Start a server with its files under tmp_dir; its URL."""
    try:
        done = subprocess.run(["bash", str(SCRIPT), "start", str(tmp_dir)], capture_output=True, text=True,
                              timeout=START_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired as exc:
        stop(tmp_dir, env)
        raise PostgresUnavailable(f"pg_server.sh start took over {START_TIMEOUT_S}s") from exc
    url = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not url.startswith("postgresql://"):
        stop(tmp_dir, env)
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"
        raise PostgresUnavailable(f"pg_server.sh start failed: {reason}")
    return url


def stop(tmp_dir: Path | str, env: dict | None = None) -> None:
    """Stop the server under tmp_dir, if any (never raises for a server that is not running)."""
    try:
        subprocess.run(["bash", str(SCRIPT), "stop", str(tmp_dir)], capture_output=True, text=True,
                       timeout=STOP_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        pass


@contextmanager
def postgres_server(tmp_dir: Path | str, env: dict | None = None) -> Iterator[str]:
    """A running server for the block: yields postgresql://USER@127.0.0.1:PORT/tutor, always stops it."""
    try:
        yield start(tmp_dir, env)
    finally:
        stop(tmp_dir, env)
