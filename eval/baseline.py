"""The "tutorial RAG" reference configuration, to measure the real pipeline against.

What a typical tutorial builds: LangChain's RecursiveCharacterTextSplitter(chunk_size=1000,
chunk_overlap=200) over the raw text of each source document, all-MiniLM-L6-v2 embeddings, a FAISS
IndexFlatIP. No parsing, no cleaning, no question/answer records.

To score it with the same gold labels, each retrieved chunk is mapped back to the records whose text
region it overlaps (a record's region starts where its question appears in the raw text and runs to
the next record, capped by the record's own length), most-overlapping first; the ranking is the list
of those record ids, deduplicated in order. Chunks that overlap no record (page chrome, cookie
banners, tables of contents) take no rank. It never abstains.

Source files come from the index manifest (`sources[*].path`). A file that is gone or unreadable is
replaced by its records' text, so its records can still be found. Chunk vectors are cached in memory
only (per process), keyed by text.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.embed import get_embedder
from tutor.index import Index
from tutor.store import Record

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
EMBEDDER = "minilm-st"  # sentence-transformers, as a tutorial builds it
REPO_ROOT = Path(__file__).resolve().parents[1]

_vector_cache: dict[str, np.ndarray] = {}
_cache_lock = threading.Lock()


# ---------------------------------------------------------------------------------------------
# raw text of a source file


def read_raw_text(path: Path) -> str:
    """The file's text as a tutorial loader would give it (no cleaning)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace")
    if suffix in (".html", ".htm"):
        from selectolax.lexbor import LexborHTMLParser  # selectolax 1.0 removed the modest parser

        tree = LexborHTMLParser(text)
        root = tree.body or tree.root
        text = root.text(separator="\n") if root is not None else ""
    return text


def tutorial_ingest(paths: list[Path], out_dir: Path) -> dict:
    """The tutorial's whole ingest, for timing it (bench/ingest.py): every file's raw text, split,
    embedded with sentence-transformers MiniLM and written as one FAISS index. Returns counts."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    files = sorted(f for p in paths for f in ([p] if p.is_file() else Path(p).rglob("*"))
                   if f.is_file() and not f.name.startswith("."))
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    texts = [chunk for f in files for chunk in splitter.split_text(read_raw_text(f))]
    embedder = get_embedder(EMBEDDER)
    vectors = embedder.passages(texts, batch=32)  # sentence-transformers' own default batch
    index = faiss.IndexFlatIP(embedder.dim)
    index.add(vectors)
    out_dir.mkdir(parents=True, exist_ok=True)
    faiss.write_index(index, str(out_dir / "tutorial.faiss"))
    return {"files": len(files), "chunks": len(texts)}


def _resolve(path_str: str, index_dir: Path) -> Path | None:
    path = Path(path_str)
    candidates = [path] if path.is_absolute() else [path, REPO_ROOT / path, index_dir.parent / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# where each record sits in the raw text


def _alnum_index(text: str) -> tuple[str, list[int]]:
    """Lower-cased letters and digits of `text`, and the raw offset of each."""
    chars, offsets = [], []
    for i, ch in enumerate(text):
        if ch.isalnum():
            low = ch.lower()
            chars.append(low)
            offsets.extend([i] * len(low))
    return "".join(chars), offsets


def _alnum(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum())


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for m in re.finditer("\n", text):
        offsets.append(m.end())
    return offsets


def _occurrences(haystack: str, needle: str) -> list[int]:
    found, start = [], haystack.find(needle)
    while start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def locate_records(text: str, records: list[Record], raw_lines: bool) -> dict[str, tuple[int, int]]:
    """record id → (start, end) character region in `text`; records that cannot be found are left out.

    `raw_lines`: the records' numeric locators are line numbers of `text` (txt/md), used to choose
    between repeated occurrences of a question."""
    norm, offsets = _alnum_index(text)
    line_starts = _line_offsets(text) if raw_lines else []
    starts: dict[str, int] = {}
    previous = 0
    for record in records:
        key = _alnum(record.question)
        hits: list[int] = []
        for length in (60, 30):
            if len(key) >= 8 or (key and length == 60):
                hits = _occurrences(norm, key[:length])
                if hits:
                    break
        hint = None
        if line_starts and record.locator.isdigit() and 0 < int(record.locator) <= len(line_starts):
            hint = line_starts[int(record.locator) - 1]
        if hits:
            raw_hits = [offsets[h] for h in hits]
            if hint is not None:
                start = min(raw_hits, key=lambda o: abs(o - hint))
            else:
                start = next((o for o in raw_hits if o >= previous), raw_hits[0])
        elif hint is not None:
            start = hint
        else:
            continue
        starts[record.id] = start
        previous = start
    by_id = {r.id: r for r in records}
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    regions = {}
    for n, (rid, start) in enumerate(ordered):
        record = by_id[rid]
        budget = 2 * (len(record.question) + len(record.answer)) + 300
        nxt = next((s for _, s in ordered[n + 1 :] if s > start), len(text))
        regions[rid] = (start, max(start + 1, min(nxt, start + budget, len(text))))
    return regions


# ---------------------------------------------------------------------------------------------
# the configuration


@dataclass
class BaselineChunk:
    source: str
    start: int
    text: str
    record_ids: list[str]


class TutorialRAG:
    """Callable configuration: (query, k) → (ranked record ids, abstained=False)."""

    name = "baseline-tutorial"

    def __init__(self, index: Index | Path, chunk_size: int = CHUNK_SIZE, chunk_overlap: int = CHUNK_OVERLAP):
        self.index = index if isinstance(index, Index) else Index(Path(index))
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.chunks: list[BaselineChunk] = []
        self.missing_sources: list[str] = []
        self.unplaced_records = 0
        self._faiss = None
        self._lock = threading.Lock()

    # -- building ------------------------------------------------------------------------

    def _documents(self) -> list[tuple[str, str, bool, list[Record]]]:
        """(source name, raw text, locators are its line numbers, records) per source."""
        by_source: dict[str, list[Record]] = {}
        for record in self.index.records:
            by_source.setdefault(record.source, []).append(record)
        sources = self.index.manifest.get("sources", {})
        docs = []
        for name in list(sources) + [s for s in by_source if s not in sources]:
            records = by_source.get(name, [])
            info = sources.get(name) or {}
            path = _resolve(info["path"], self.index.dir) if info.get("path") else None
            text = None
            if path is not None:
                try:
                    text = read_raw_text(path)
                except Exception:  # unreadable now: fall back to the records
                    text = None
            if not text or not text.strip():
                if not records:
                    continue
                self.missing_sources.append(name)
                text = "\n\n".join(f"{r.question}\n{r.answer}".strip() for r in records)
                docs.append((name, text, False, records))
            else:
                raw_lines = path.suffix.lower() in (".txt", ".md", ".markdown")
                docs.append((name, text, raw_lines, records))
        return docs

    def build(self, progress=None) -> None:
        """Split, map chunks to records, embed (once per process and text), index."""
        with self._lock:
            if self._faiss is not None:
                return
            import faiss
            from langchain_text_splitters import RecursiveCharacterTextSplitter

            splitter = RecursiveCharacterTextSplitter(
                chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap, add_start_index=True
            )
            chunks: list[BaselineChunk] = []
            for name, text, raw_lines, records in self._documents():
                regions = locate_records(text, records, raw_lines)
                self.unplaced_records += len(records) - len(regions)
                spans = sorted(((s, e, rid) for rid, (s, e) in regions.items()))
                for doc in splitter.create_documents([text]):
                    cs = int(doc.metadata.get("start_index", -1))
                    if cs < 0:
                        cs = max(text.find(doc.page_content), 0)
                    ce = cs + len(doc.page_content)
                    overlaps = [(min(e, ce) - max(s, cs), s, rid) for s, e, rid in spans if s < ce and e > cs]
                    overlaps.sort(key=lambda t: (-t[0], t[1]))
                    chunks.append(BaselineChunk(name, cs, doc.page_content, [rid for _, _, rid in overlaps]))
            vectors = self._embed([c.text for c in chunks], progress)
            index = faiss.IndexFlatIP(get_embedder(EMBEDDER).dim)
            if len(vectors):
                index.add(vectors)
            self.chunks = chunks
            self._faiss = index

    def _embed(self, texts: list[str], progress=None) -> np.ndarray:
        embedder = get_embedder(EMBEDDER)
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        with _cache_lock:
            todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in _vector_cache}.items())
        if progress:
            progress(total=len(texts), advance=len(texts) - len(todo))
        if todo:
            vecs = embedder.passages([t for _, t in todo], progress=(lambda n: progress(advance=n)) if progress else None)
            with _cache_lock:
                for (key, _), vec in zip(todo, vecs, strict=True):
                    _vector_cache[key] = vec
        with _cache_lock:
            if not keys:
                return np.zeros((0, embedder.dim), dtype=np.float32)
            return np.stack([_vector_cache[k] for k in keys]).astype(np.float32)

    prepare = build

    # -- searching -----------------------------------------------------------------------

    def search_chunks(self, query: str, k: int = 10) -> list[tuple[BaselineChunk, float]]:
        self.build()
        if not self.chunks:
            return []
        qvec = get_embedder(EMBEDDER).queries([query])
        scores, rows = self._faiss.search(qvec, min(k, len(self.chunks)))
        return [(self.chunks[r], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]

    def __call__(self, query: str, k: int = 10) -> tuple[list[str], bool]:
        ranked: list[str] = []
        seen = set()
        for chunk, _ in self.search_chunks(query, len(self.chunks) or 1):
            for rid in chunk.record_ids:
                if rid not in seen:
                    seen.add(rid)
                    ranked.append(rid)
            if len(ranked) >= k:
                break
        return ranked[:k], False
