"""tutor/store.py: stable ids, record round trip, atomic index swap."""

from __future__ import annotations

import pytest

from tutor.store import AtomicIndexWriter, IndexError_, Record, read_manifest, record_id


def test_record_id_is_stable_and_normalized():
    a = record_id("001_x.txt", "What is  Overfitting?")
    assert a == record_id("001_x.txt", "what is overfitting?")
    assert len(a) == 12 and int(a, 16) >= 0
    assert a != record_id("002_x.txt", "What is overfitting?")
    # sha1("001_x.txt\nwhat is overfitting?")[:12], computed by hand once
    import hashlib

    assert a == hashlib.sha1(b"001_x.txt\nwhat is overfitting?").hexdigest()[:12]


def test_record_round_trip():
    r = Record("abc", "s.txt", "3", "Beginner Level", "junior", "en", "Q?", "A.", ["A."], ["t"], ["c"])
    assert Record.from_json(r.to_json()) == r


def test_atomic_writer_swaps_and_aborts(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "manifest.json").write_text('{"schema_version": 1}')
    (index / ".gitkeep").write_text("")
    with pytest.raises(RuntimeError), AtomicIndexWriter(index) as w:
        w.path("manifest.json").write_text('{"schema_version": 1, "new": true}')
        raise RuntimeError("boom")
    assert "new" not in (index / "manifest.json").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["index"]
    with AtomicIndexWriter(index) as w:
        w.path("manifest.json").write_text('{"schema_version": 1, "new": true}')
        w.commit()
    assert read_manifest(index)["new"] is True
    assert (index / ".gitkeep").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_missing_or_wrong_schema_is_a_clear_error(tmp_path):
    with pytest.raises(IndexError_, match="tutor ingest"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"schema_version": 99}')
    with pytest.raises(IndexError_, match="rebuild"):
        read_manifest(tmp_path)
