"""Records, chunks and the on-disk index format: written atomically by ingest, read by the tutor.

An index folder holds:

    manifest.json        schema version, embedder names/dims, sources with sha256, counts
    records.jsonl        one Record per line
    chunks.jsonl         one Chunk per line (row i of the vector files is chunk i)
    vectors-<name>.npy   float32 chunk embeddings per embedder (also the embedding cache)
    faiss-<name>.index   FAISS inner-product index per embedder (faiss.write_index)
    bm25/                bm25s arrays + vocab JSON

Nothing here is pickled: numpy files are loaded with allow_pickle=False.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCHEMA_VERSION = 1
LEVELS = ("junior", "middle", "senior", "unknown")


def normalize_question(text: str) -> str:
    """Case-, width- and whitespace-insensitive form of a question, used for ids and matching."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", text).strip()


def record_id(source: str, question: str) -> str:
    digest = hashlib.sha1(f"{source}\n{normalize_question(question)}".encode()).hexdigest()
    return digest[:12]


@dataclass
class Record:
    id: str
    source: str
    locator: str
    section: str
    level: str
    lang: str
    question: str
    answer: str = ""
    key_points: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Record:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class Chunk:
    record_id: str
    kind: str  # "question" | "qa"
    text: str
    lang: str

    def to_json(self) -> dict:
        return asdict(self)


class IndexError_(RuntimeError):
    """The index folder is missing, damaged or was built with another embedder."""


def write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_manifest(index_dir: Path) -> dict:
    path = Path(index_dir) / "manifest.json"
    if not path.exists():
        raise IndexError_(f"no index at {index_dir}: run `tutor ingest` first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexError_(f"{path}: unreadable manifest ({exc}); rebuild with `tutor ingest`") from exc
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexError_(
            f"{path}: schema version {manifest.get('schema_version')} but this tutor reads "
            f"{SCHEMA_VERSION}; rebuild with `tutor ingest --index {index_dir}`"
        )
    return manifest


def read_records(index_dir: Path) -> list[Record]:
    read_manifest(index_dir)
    return [Record.from_json(row) for row in read_jsonl(Path(index_dir) / "records.jsonl")]


def read_chunks(index_dir: Path) -> list[Chunk]:
    return [Chunk(**row) for row in read_jsonl(Path(index_dir) / "chunks.jsonl")]


class AtomicIndexWriter:
    """Build an index in a sibling temp folder, then swap it into place in one rename.

    If anything fails before commit(), the temp folder is removed and the old index is untouched.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir).resolve()
        self.index_dir.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.index_dir.name}.tmp-{os.getpid()}-", dir=self.index_dir.parent))

    def path(self, name: str) -> Path:
        return self.tmp / name

    def commit(self) -> None:
        old = None
        if self.index_dir.exists():
            old = self.index_dir.with_name(f".{self.index_dir.name}.old-{os.getpid()}")
            if old.exists():
                shutil.rmtree(old)
            # Keep user files (e.g. .gitkeep) out of the swap: only our artifacts are replaced.
            os.replace(self.index_dir, old)
        os.replace(self.tmp, self.index_dir)
        if old is not None:
            for keep in (".gitkeep",):
                if (old / keep).exists():
                    shutil.copy2(old / keep, self.index_dir / keep)
            shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> AtomicIndexWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
