"""Where progress lives: one SQLite file (one person on a laptop, the default) or a PostgreSQL database
(many app replicas, TUTOR_DB=postgresql://...), behind one small connection interface.

tutor.progress holds the logic and writes its SQL once, with `?` placeholders; this module turns it into
each database's dialect, opens connections (a psycopg pool per URL and process, shared by every Progress
opened on it), runs the versioned schema, and serialises the writes that read before they write (an FSRS
review reads the card it replaces) so concurrent writers lose nothing:
- SQLite: every write transaction is BEGIN IMMEDIATE, so a second process waits (busy timeout) instead of
  both reading the old card; a dropped transaction (a killed process) leaves the file as it was.
- PostgreSQL: a transaction-scoped advisory lock per (user, record) key, taken before the read.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# How long a writer waits for another process's write transaction before giving up (SQLite busy timeout).
# Grading writes are milliseconds long; 30 s only matters when a disk stalls.
SQLITE_BUSY_TIMEOUT_S = 30.0
# Connections one replica keeps to PostgreSQL. A replica's Streamlit sessions open a Progress per page
# run and close it at once, so a few connections serve many sessions (bench/load.py, 20 sessions).
PG_POOL_MIN, PG_POOL_MAX = 1, 8
PG_POOL_TIMEOUT_S = 30.0
# A server that is down should say so at once, not after the pool's retries.
PG_CONNECT_TIMEOUT_S = 5


class StoreError(RuntimeError):
    """The database cannot be opened or used; tutor.progress turns it into ProgressError."""


def is_postgres(target: str | Path) -> bool:
    return str(target).startswith(POSTGRES_SCHEMES)


def redact(url: str) -> str:
    """A database URL fit to show or log: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


class Store:
    """One open connection to a progress database."""

    dialect: str
    where: str  # the file or the redacted URL, for messages

    def rows(self, sql: str, args: Sequence = ()) -> list:
        """Rows of a statement (each addressable by column name); none for a statement without."""
        raise NotImplementedError

    @contextmanager
    def write(self, lock_key: str | None = None) -> Iterator[Store]:
        """A write transaction: committed when the block ends, rolled back on an exception. lock_key
        serialises the transactions that read a row before replacing it."""
        raise NotImplementedError

    def run(self, sql: str, args: Sequence = ()) -> list:
        """A statement inside write(); returns its rows (for RETURNING)."""
        return self.rows(sql, args)

    def schema_version(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


# -- SQLite -----------------------------------------------------------------------------------------


class SqliteStore(Store):
    dialect = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; write() says BEGIN IMMEDIATE itself.
            self.conn = sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open progress database {self.path}: {exc}") from exc
        self.conn.row_factory = sqlite3.Row

    def rows(self, sql, args=()):
        return self.conn.execute(sql, tuple(args)).fetchall()

    @contextmanager
    def write(self, lock_key=None):
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self.conn.close()


# -- PostgreSQL -------------------------------------------------------------------------------------

_pools: dict[str, object] = {}
_pools_lock = threading.Lock()
_migrated: set[str] = set()


def _pool(url: str):
    try:
        import psycopg
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool
    except ImportError as exc:  # pragma: no cover - both are dependencies in pyproject
        raise StoreError(f"TUTOR_DB is a PostgreSQL URL but psycopg is not installed: {exc}") from exc
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            try:
                psycopg.connect(url, connect_timeout=PG_CONNECT_TIMEOUT_S).close()
            except psycopg.Error as exc:
                raise StoreError(f"cannot connect to the progress database {redact(url)}: "
                                 f"{_without(str(exc), url)}") from None
            pool = ConnectionPool(
                url, min_size=PG_POOL_MIN, max_size=PG_POOL_MAX, timeout=PG_POOL_TIMEOUT_S, open=False,
                kwargs={"autocommit": True, "row_factory": dict_row}, name="tutor-progress",
                # A connection the server dropped (a restart, a failover) is replaced, not handed out.
                check=ConnectionPool.check_connection,
            )
            try:
                pool.open(wait=True, timeout=PG_POOL_TIMEOUT_S)
            except Exception as exc:
                pool.close()
                raise StoreError(f"cannot connect to the progress database {redact(url)}: "
                                 f"{_without(str(exc), url)}") from None
            _pools[url] = pool
        return pool


def _without(message: str, url: str) -> str:
    """A driver's message with the URL's password taken out (psycopg may quote the connection string)."""
    password = urlsplit(url).password
    return message.replace(password, "***") if password else message


def close_pools() -> None:
    """Close every pool this process opened (shutdown, tests)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
        _migrated.clear()


class PostgresStore(Store):
    dialect = "postgres"

    def __init__(self, url: str):
        self.url = url
        self.where = redact(url)
        self.pool = _pool(url)
        try:
            self.conn = self.pool.getconn()
        except Exception as exc:
            raise StoreError(f"no connection to the progress database {self.where}: {exc}") from exc
        self._tx = None

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")  # no literal ? in tutor.progress's SQL

    def rows(self, sql, args=()):
        cur = self.conn.execute(self._sql(sql), tuple(args))
        return cur.fetchall() if cur.description is not None else []

    @contextmanager
    def write(self, lock_key=None):
        with self.conn.transaction():
            if lock_key is not None:
                self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock_key,))
            yield self

    def schema_version(self) -> int:
        row = self.conn.execute(
            "SELECT to_regclass('tutor_schema') IS NOT NULL AS present").fetchone()
        if not row["present"]:
            return 0
        row = self.conn.execute("SELECT version FROM tutor_schema").fetchone()
        return int(row["version"]) if row else 0

    def close(self) -> None:
        if self.conn is not None:
            self.pool.putconn(self.conn)
            self.conn = None


def open_store(target: str | Path) -> Store:
    """A SQLite file path or a postgresql:// URL."""
    if is_postgres(target):
        return PostgresStore(str(target))
    return SqliteStore(Path(target))


def already_migrated(store: Store) -> bool:
    """PostgreSQL: the schema was checked by this process already (once per URL, not per page run)."""
    return isinstance(store, PostgresStore) and store.url in _migrated


def mark_migrated(store: Store) -> None:
    if isinstance(store, PostgresStore):
        _migrated.add(store.url)
