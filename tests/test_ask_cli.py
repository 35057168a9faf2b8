"""`tutor ask` as DESIGN.md specifies it: JSON shape, batch lines, exit codes."""

from __future__ import annotations

import json

import pytest

from tutor.cli import main

pytestmark = pytest.mark.slow  # every test here reads the real seed index with the real models


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json(capsys, seed_index):
    code, out, _ = _run(capsys, "ask", "What is overfitting?", "--llm", "none", "--json", "--index", str(seed_index))
    assert code == 0
    data = json.loads(out)
    assert data["grounded"] is True and data["answer"]
    assert data["citations"] and set(data["citations"][0]) == {"n", "record_id", "source", "question"}
    assert data["searched_query"] == "What is overfitting?"


def test_ask_refuses_off_bank(capsys, seed_index):
    code, out, _ = _run(capsys, "ask", "What is the capital of Australia?", "--llm", "none", "--json",
                        "--index", str(seed_index))
    data = json.loads(out)
    assert code == 0 and data["grounded"] is False and data["citations"] == []


def test_ask_plain_text(capsys, seed_index):
    code, out, _ = _run(capsys, "ask", "What is gradient descent?", "--llm", "none", "--index", str(seed_index))
    assert code == 0 and "[1]" in out and "Sources:" in out


def test_ask_batch(capsys, seed_index, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"qid": "a", "query": "What is overfitting?"}) + "\n"
        + "not json\n"
        + json.dumps({"qid": "c", "query": ""}) + "\n"
        + json.dumps({"qid": "d", "query": "What is the capital of Australia?"}) + "\n",
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "ask", "--queries", str(queries), "--llm", "none", "--index", str(seed_index))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["qid"] for r in rows] == ["a", "2", "c", "d"]
    assert rows[0]["grounded"] and rows[0]["citations"] and "answer" in rows[0]
    assert "error" in rows[1] and "error" in rows[2]
    assert rows[3]["grounded"] is False


def test_ask_usage_and_failures(capsys, seed_index, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["ask", "--index", str(seed_index)])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        main(["ask", "x", "--llm", "gpt"])
    assert exit_.value.code == 2
    capsys.readouterr()
    code, _, err = _run(capsys, "ask", "--queries", str(tmp_path / "missing.jsonl"), "--llm", "none",
                        "--index", str(seed_index))
    assert code == 1 and "missing.jsonl" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, "ask", "x", "--llm", "none", "--index", str(tmp_path / "noindex"))
    assert code == 1 and len(err.strip().splitlines()) == 1


def test_ask_unconfigured_api_falls_back(capsys, seed_index, monkeypatch):
    monkeypatch.delenv("TUTOR_API_BASE", raising=False)
    code, out, _ = _run(capsys, "ask", "What is overfitting?", "--llm", "api", "--json", "--index", str(seed_index))
    data = json.loads(out)
    assert code == 0 and data["grounded"] and "TUTOR_API_BASE" in data["notice"]
