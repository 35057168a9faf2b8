"""tutor.judge: model judges of a candidate's claims, on the real local model and a real llama.cpp server."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import BAGGING, ROOT

from tutor.judge import ApiJudge, LocalJudge, claims_schema, parse_claims

sys.path.append(str(ROOT / "bench"))  # appended: bench/ingest.py must not shadow the ingest package
import llama_server  # noqa: E402

RECORD = BAGGING
GOOD = ("Bagging fits many models in parallel on bootstrap resamples and averages them, which lowers variance. "
        "Boosting builds models one after another, each fixing the mistakes of the previous, which lowers bias.")
WRONG = ("Bagging trains the models one after another on the errors of the previous model. "
         "Boosting trains independent models in parallel and averages them. "
         "Random forest is a boosting method.")


def test_parse_claims_accepts_only_schema_replies():
    ok = json.dumps({"claims": [{"n": 1, "label": "supported"}, {"n": 2, "label": "contradicted"}]})
    assert parse_claims(ok, 2) == ["supported", "contradicted"]
    assert parse_claims("```json\n" + ok + "\n```", 2) == ["supported", "contradicted"]
    for broken in ["", "supported", "{}", json.dumps({"claims": [{"n": 1, "label": "supported"}]}),
                   json.dumps({"claims": [{"n": 1, "label": "maybe"}, {"n": 2, "label": "supported"}]}),
                   json.dumps({"claims": [{"n": 1, "label": "supported"}, {"n": 1, "label": "supported"}]}),
                   json.dumps({"claims": [], "score": 100})]:
        assert parse_claims(broken, 2) is None, broken
    schema = claims_schema(3)["properties"]["claims"]
    assert schema["minItems"] == schema["maxItems"] == 3


class _Unconstrained:
    """The real API model asked without the schema: its free-text reply is a broken one."""

    def __init__(self, llm):
        self.llm, self.name, self.calls = llm, llm.name, 0

    def complete(self, messages, *, max_tokens=512, temperature=0.2, json_schema=None):
        self.calls += 1
        return self.llm.complete(messages, max_tokens=24, temperature=temperature)


@pytest.fixture(scope="module")
def api_llm(tmp_path_factory):
    from tutor.llm import ApiLLM
    from tutor.models import model_path

    proc, base = llama_server.start(model_path("smollm2"), tmp_path_factory.mktemp("judge") / "server.log",
                                    n_ctx=4096)
    try:
        yield ApiLLM(base, "smollm2", api_key="sk-judge-test-key")
    finally:
        llama_server.stop(proc)


@pytest.mark.slow
def test_api_judge_schema_reply_against_a_real_server(api_llm):
    sentences = ["Bagging trains models one after another.", "Boosting reduces bias."]
    probs = ApiJudge(api_llm).contradiction(RECORD.question, RECORD.answer, sentences)
    assert probs is not None and len(probs) == 2 and set(probs) <= {0.0, 1.0}


@pytest.mark.slow
def test_api_judge_broken_reply_is_retried_then_ignored(api_llm):
    from tutor.grade import Grader

    broken = _Unconstrained(api_llm)
    judge = ApiJudge(broken)
    assert judge.contradiction(RECORD.question, RECORD.answer, ["Boosting reduces bias."]) is None
    assert broken.calls == 2  # retried once
    grader = Grader(threads=2, cache_dir=ROOT / ".cache" / "test-embeddings")
    alone, judged = grader.grade(RECORD, GOOD), grader.grade(RECORD, GOOD, judge=judge)
    assert judged.score == alone.score and judged.mode == "none"


@pytest.mark.slow
def test_local_judge_rates_the_wrong_answer_as_more_contradicted():
    from tutor.llm import get_llm
    from tutor.rubric import split_sentences

    judge = LocalJudge(get_llm("local"))
    good = judge.contradiction(RECORD.question, RECORD.answer, split_sentences(GOOD))
    wrong = judge.contradiction(RECORD.question, RECORD.answer, split_sentences(WRONG))
    assert good is not None and wrong is not None
    assert all(0.0 <= p <= 1.0 for p in good + wrong)
    assert sum(wrong) / len(wrong) > sum(good) / len(good) + 0.1, (good, wrong)
