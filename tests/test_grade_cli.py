"""`tutor grade` and `tutor interview` as real subprocesses on the seed index (DESIGN.md contract)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from conftest import ROOT

from tutor.grade import rubric
from tutor.progress import SCHEMA_VERSION

pytestmark = pytest.mark.slow  # real subprocesses, the seed index, models

CLI = [sys.executable, "-m", "tutor.cli"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "sub" / "progress.sqlite"
    return {**os.environ, "TUTOR_DB": str(db), "TUTOR_CACHE": str(ROOT / ".cache" / "test-embeddings"),
            "TUTOR_THREADS": "2", "TUTOR_LLM": "none"}


def run(*args, env=None, input=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=600, env=env,
                          input=input)


@pytest.fixture(scope="module")
def record(indexed_records):
    return next(r for r in indexed_records if r.lang == "en" and len(rubric(r)) >= 3 and len(r.answer) > 200)


def test_grade_json(seed_index, env, record):
    out = run("grade", "--index", seed_index, "--record", record.id, "--answer", record.answer, "--json", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"score", "covered", "missed", "feedback", "follow_up"} <= set(data)
    assert 75 <= data["score"] <= 100 and data["covered"]


def test_grade_text(seed_index, env, record):
    out = run("grade", "--index", seed_index, "--record", record.id, "--answer", "no idea", env=env)
    assert out.returncode == 0, out.stderr
    assert "Score:" in out.stdout and "/100" in out.stdout


def test_grade_errors(seed_index, env, record):
    out = run("grade", "--index", seed_index, "--record", "000000000000", "--answer", "x", env=env)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "unknown record id" in out.stderr
    assert run("grade", "--index", seed_index, "--record", record.id, env=env).returncode == 2
    assert run("grade", "--index", seed_index, env=env).returncode == 2
    missing = run("grade", "--index", seed_index, "--answers", "/nonexistent.jsonl", env=env)
    assert missing.returncode == 1 and "/nonexistent.jsonl" in missing.stderr


def test_grade_batch(seed_index, env, record, tmp_path):
    lines = [
        json.dumps({"record_id": record.id, "answer": record.answer}),
        json.dumps({"record_id": record.id, "answer": "Python lists are mutable."}),
        json.dumps({"record_id": "zzz", "answer": "x"}),
        "not json",
        json.dumps({"answer": "no id"}),
        json.dumps({"record_id": record.id, "answer": ""}),
    ]
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run("grade", "--index", seed_index, "--answers", path, env=env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 6
    assert rows[0]["record_id"] == record.id and rows[0]["score"] >= 75
    assert rows[1]["score"] <= 30
    assert rows[2] == {"record_id": "zzz", "error": "unknown record id 'zzz'"}
    assert set(rows[3]) == {"error"} and set(rows[4]) == {"error"}
    assert rows[5]["score"] == 0


def test_interview_end_to_end(seed_index, env, tmp_path):
    report = tmp_path / "report.md"
    # Q1: a two-line answer + one follow-up answer; Q2: skip; Q3: answer, then quit at the follow-up.
    stdin = ("Overfitting is when the model memorizes noise\nand fails to generalize.\n\n"
             "Because it matters.\n\n"
             "skip\n"
             "I don't know this one.\n\n"
             "quit\n")
    out = run("interview", "--index", seed_index, "--lang", "en", "--n", "3", "--seed", "5", "--llm", "none",
              "--report", report, env=env, input=stdin)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Question 1/3" in text and "Question 3/3" in text and "Follow-up:" in text
    assert "Summary" in text and "Answered 2 of 3" in text and "Skipped." in text and "Session ended." in text
    assert report.is_file() and "# Mock interview report" in report.read_text(encoding="utf-8")

    conn = sqlite3.connect(env["TUTOR_DB"])
    rows = conn.execute("SELECT record_id, score, is_follow_up, parent_id, answer FROM attempts ORDER BY id").fetchall()
    assert len(rows) == 4  # q1, q1's follow-up, q2 skipped (score 0), q3
    assert rows[0][4] == "Overfitting is when the model memorizes noise\nand fails to generalize."
    assert rows[1][2] == 1 and rows[1][3] is not None and rows[2][1] == 0 and rows[2][4] == ""
    assert conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 3
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_interview_no_match_is_a_failure(seed_index, env):
    out = run("interview", "--index", seed_index, "--topic", "no-such-topic-xyz", env=env, input="")
    assert out.returncode == 1 and "no questions" in out.stderr


def test_interview_refuses_newer_db(seed_index, env, tmp_path):
    db = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    out = run("interview", "--index", seed_index, env={**env, "TUTOR_DB": str(db)}, input="quit\n")
    assert out.returncode == 1 and "newer" in out.stderr and out.stderr.count("\n") == 1
