"""tutor/cli (the `tutor` command): the DESIGN.md contract, run as a real subprocess against the shared seed index."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # real subprocesses, the seed index, models

CLI = [sys.executable, "-m", "tutor.cli"]


def run(*args, **kw):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300, **kw)


def test_help_lists_commands():
    out = run("--help")
    assert out.returncode == 0
    for command in ("ingest", "records", "search"):
        assert command in out.stdout


def test_records_as_json_lines(seed_index):
    out = run("records", "--index", seed_index)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) >= 450
    assert set(rows[0]) >= {"id", "source", "locator", "section", "level", "lang", "question", "answer",
                            "key_points", "tags", "companies"}


def test_search_json_hits(seed_index):
    out = run("search", "What is the bias-variance tradeoff?", "--index", seed_index, "--json", "--k", "5")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)["hits"]
    assert len(hits) == 5
    assert set(hits[0]) == {"record_id", "source", "question", "level", "lang", "section", "score"}
    assert "bias" in hits[0]["question"].casefold()


def test_search_filters(seed_index):
    out = run("search", "overfitting", "--index", seed_index, "--json", "--lang", "uk", "--level", "junior")
    hits = json.loads(out.stdout)["hits"]
    assert hits and all(h["lang"] == "uk" and h["level"] == "junior" for h in hits)
    out = run("search", "overfitting", "--index", seed_index, "--json", "--source", "002")
    assert all(h["source"].startswith("002") for h in json.loads(out.stdout)["hits"])


def test_batch_search_survives_a_bad_line(seed_index, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"qid": "a", "query": "what is dropout"}\n'
        "not json\n"
        '{"qid": "c", "query": ""}\n'
        '{"qid": "d", "query": "Що таке градієнтний спуск?"}\n'
    )
    out = run("search", "--queries", queries, "--index", seed_index, "--k", "3")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r.get("qid") for r in rows] == ["a", "2", "c", "d"]
    assert len(rows[0]["hits"]) == 3 and "error" in rows[1] and "error" in rows[2]
    assert len(rows[3]["hits"]) == 3


def test_exit_codes(tmp_path):
    assert run("search").returncode == 2
    assert run("frobnicate").returncode == 2
    out = run("records", "--index", tmp_path / "nowhere")
    assert out.returncode == 1
    assert "tutor ingest" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    out = run("ingest", tmp_path / "missing-folder", "--index", tmp_path / "idx")
    assert out.returncode == 1 and "missing-folder" in out.stderr


def test_ingest_reports_skipped_files_and_summary(tmp_path):
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "good.md").write_text("Beginner Level\n\n1. What is a tensor?\n\nA multi-dimensional array.\n")
    (bank / "empty.txt").write_text("")
    env = {"TUTOR_CACHE": str(ROOT / ".cache" / "test-embeddings"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "TUTOR_THREADS": "2"}
    out = run("ingest", bank, "--index", tmp_path / "idx", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert "empty.txt" in out.stderr
    summary = json.loads(out.stdout)
    assert summary["records"] == 1 and len(summary["skipped"]) == 1
