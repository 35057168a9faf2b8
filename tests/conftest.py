"""Shared fixtures: paths to ../shared, and (later) one real ingest of the seed bank per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TUTOR_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
FIXTURES = SHARED / "fixtures"
INVENTORY = SHARED / "eval" / "inventory.jsonl"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    assert SEEDS.is_dir(), f"{SEEDS} is missing: tests need ../shared beside the clone"
    return SEEDS


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def inventory() -> list[dict]:
    from eval.gold import load_inventory

    return load_inventory(INVENTORY)


def seed_path(prefix: str) -> Path:
    """The seed file whose name starts with `prefix` (e.g. "002")."""
    (path,) = sorted(SEEDS.glob(f"{prefix}_*"))
    return path


CACHE = ROOT / ".cache" / "test-embeddings"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, seeds_dir) -> Path:
    """One real ingest of ../shared/seeds (both embedders), shared by every test that needs it.

    Embeddings are cached by content hash under .cache/ so later local runs are quick; CI starts cold.
    """
    from ingest.pipeline import ingest
    from tutor.config import get_settings

    index_dir = tmp_path_factory.mktemp("seed-index") / "index"
    summary = ingest([seeds_dir], index_dir, settings=get_settings(cache=CACHE, threads=2))
    assert not summary.skipped, summary.skipped
    return index_dir


@pytest.fixture(scope="session")
def indexed_records(seed_index):
    from tutor.store import read_records

    return read_records(seed_index)


# A record of our own for tests that grade on a fixed, known rubric (no bank needed).
def _bagging_record():
    from tutor.store import Record

    return Record(
        "fixed0000001", "mine.md", "1", "ML", "junior", "en", "What is the difference between bagging and boosting?",
        answer=("Bagging trains many models independently, in parallel, on bootstrap samples and averages them; "
                "it mainly reduces variance. Boosting trains models sequentially, each one focusing on the "
                "errors of the previous ones; it mainly reduces bias."),
        key_points=["Bagging trains models in parallel on bootstrap samples", "Bagging mainly reduces variance",
                    "Boosting trains models sequentially on the previous errors", "Boosting mainly reduces bias"],
    )


BAGGING = _bagging_record()
