"""The api backend as a served model for many users: a bounded number of requests per process, time-outs,
and the fall-back to the bank's text when the server is saturated, slow or gone (docs/served-model.md).

Fast tests talk to a tiny OpenAI-style server from the standard library (http.server in a thread on
127.0.0.1) that streams server-sent events slowly, stalls, or drops the connection; the slow ones run a
real llama.cpp server (bench/llama_server.py) and kill it mid-answer.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT

from tutor.config import SettingsError, get_settings
from tutor.llm import ApiLLM, Finish, LLMError, get_llm, server_slots

sys.path.append(str(ROOT / "bench"))  # appended: bench/ingest.py must not shadow the ingest package
import llama_server  # noqa: E402

SECRET = "sk-served-DO-NOT-LEAK-987"
HELLO = [{"role": "user", "content": "Say hello."}]
WORDS = ["Hello", " there", ",", " how", " are", " you", " today", "?"]


# -- a tiny OpenAI-style server -------------------------------------------------------------------

class SlowChat:
    """/v1/chat/completions on 127.0.0.1: a streamed reply of WORDS, one every `delay` seconds.

    mode: "ok" (then finish_reason "stop" and [DONE]), "stall" (after `after` pieces it sends nothing
    until released), or "drop" (after `after` pieces it closes the connection without finishing).
    A non-streamed request gets the whole reply at once. By default the server speaks HTTP/1.0, so a
    body ends when the connection closes (a dropped stream looks complete to HTTP); chunked=True
    speaks HTTP/1.1 with chunked bodies, as uvicorn (llama.cpp's Python server) and vLLM do.
    """

    def __init__(self, mode: str = "ok", delay: float = 0.05, after: int = 2, chunked: bool = False):
        self.mode, self.delay, self.after, self.chunked = mode, delay, after, chunked
        self.release = threading.Event()
        self.requests = 0
        self.open = 0  # requests being answered now (until their last chunk is about to go)
        self.max_open = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if chunked else "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with owner._lock:
                    owner.requests += 1
                    owner.open += 1
                    owner.max_open = max(owner.max_open, owner.open)
                done = []

                def finished():  # before the last bytes go: the client cannot free its slot earlier
                    if not done:
                        done.append(True)
                        with owner._lock:
                            owner.open -= 1

                try:
                    owner._answer(self, body, finished)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client closed the stream
                finally:
                    finished()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def _chunk(content: str | None, finish: str | None = None) -> bytes:
        delta = {"content": content} if content is not None else {}
        data = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(data)}\n\n".encode()

    def _answer(self, handler, body: dict, finished) -> None:
        if not body.get("stream"):
            time.sleep(self.delay)
            finished()
            reply = {"id": "c1", "object": "chat.completion", "created": 0, "model": "m",
                     "choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": "".join(WORDS)}}]}
            data = json.dumps(reply).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return

        def send(data: bytes) -> None:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data)
            handler.wfile.flush()

        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        if self.chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for i, word in enumerate(WORDS):
            if i == self.after and self.mode == "stall":
                self.release.wait(30)
                return
            if i == self.after and self.mode == "drop":
                handler.close_connection = True  # closed without a finish, [DONE] or a last chunk
                return
            send(self._chunk(word))
            time.sleep(self.delay)
        finished()
        send(self._chunk(None, "stop") + b"data: [DONE]\n\n")
        if self.chunked:
            send(b"")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _api(base, *, max_concurrent=1, queue_timeout=0.3, timeout=5.0) -> ApiLLM:
    return ApiLLM(base, "m", api_key=SECRET, timeout=timeout, max_concurrent=max_concurrent,
                  queue_timeout=queue_timeout)


def _in_use(base) -> int:
    return server_slots(base).in_use


# -- settings -------------------------------------------------------------------------------------

def test_settings_and_defaults(monkeypatch):
    for name in ("TUTOR_API_MAX_CONCURRENT", "TUTOR_API_QUEUE_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    s = get_settings()
    assert (s.api_max_concurrent, s.api_queue_timeout_s) == (4, 5.0)
    monkeypatch.setenv("TUTOR_API_MAX_CONCURRENT", "2")
    monkeypatch.setenv("TUTOR_API_QUEUE_TIMEOUT_S", "0.5")
    s = get_settings().with_(api_base="http://127.0.0.1:9/v1/", api_model="m", api_key=SECRET)
    llm = get_llm("api", s)
    assert isinstance(llm, ApiLLM) and llm.queue_timeout == 0.5 and llm.slots.limit == 2
    assert llm.slots is server_slots("http://127.0.0.1:9/v1")  # one pool per server, trailing "/" or not
    for name, value in (("TUTOR_API_MAX_CONCURRENT", "0"), ("TUTOR_API_QUEUE_TIMEOUT_S", "-1"),
                        ("TUTOR_API_MAX_CONCURRENT", "many")):
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingsError, match=name):
            get_settings()
        monkeypatch.delenv(name)


# -- slots ----------------------------------------------------------------------------------------

def test_a_closed_stream_gives_its_slot_back():
    with SlowChat(delay=0.2) as server:
        llm = _api(server.base)
        pieces = llm.stream(HELLO)
        assert next(pieces) == "Hello" and _in_use(server.base) == 1
        other = _api(server.base)  # another user of the same server in this process: same pool
        start = time.monotonic()
        with pytest.raises(LLMError, match="saturated") as err:
            list(other.stream(HELLO))
        assert 0.25 <= time.monotonic() - start < 2.0  # waited the queue time-out, not the reply
        assert SECRET not in str(err.value)
        with pytest.raises(LLMError, match="saturated"):
            other.complete(HELLO)  # a whole reply (the grader's judge, the condenser) needs a slot too
        pieces.close()  # the user moved on mid-answer
        assert _in_use(server.base) == 0
        whole = list(other.stream(HELLO))
        assert "".join(whole) == "".join(WORDS) and isinstance(whole[-1], Finish) and whole[-1].reason == "stop"
        assert other.complete(HELLO) == "".join(WORDS)
        assert _in_use(server.base) == 0


def test_an_abandoned_stream_gives_its_slot_back_when_collected():
    with SlowChat(delay=0.2) as server:
        llm = _api(server.base)
        pieces = llm.stream(HELLO)
        next(pieces)
        assert _in_use(server.base) == 1
        del pieces
        gc.collect()
        assert _in_use(server.base) == 0


def test_a_waiting_request_gets_the_slot_when_it_frees():
    with SlowChat(delay=0.02) as server:
        first = _api(server.base, queue_timeout=5.0)
        pieces = first.stream(HELLO)
        next(pieces)
        threading.Timer(0.3, pieces.close).start()  # the first user leaves mid-answer, from another thread
        start = time.monotonic()
        reply = "".join(_api(server.base, queue_timeout=5.0).stream(HELLO))
        assert reply == "".join(WORDS) and 0.2 < time.monotonic() - start < 4.0
        assert _in_use(server.base) == 0


def test_concurrency_is_bounded_across_threads():
    with SlowChat(delay=0.05) as server:
        results: list[str] = []

        def ask():
            try:
                results.append("".join(_api(server.base, max_concurrent=2, queue_timeout=10.0).stream(HELLO)))
            except LLMError as exc:
                results.append(str(exc))

        threads = [threading.Thread(target=ask) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert results == ["".join(WORDS)] * 5
        assert server.max_open == 2 and server.requests == 5 and _in_use(server.base) == 0


# -- slow, stalled, dropped, gone -----------------------------------------------------------------

def test_a_stalled_stream_times_out_and_gives_its_slot_back():
    with SlowChat(mode="stall", delay=0.01) as server:
        llm = _api(server.base, timeout=1.0)
        got = []
        start = time.monotonic()
        with pytest.raises(LLMError, match="timed out") as err:
            for piece in llm.stream(HELLO):
                got.append(piece)
        assert got == WORDS[:2]  # the first pieces came, then the server went quiet
        assert time.monotonic() - start < 4.0 and SECRET not in str(err.value)
        assert _in_use(server.base) == 0


@pytest.mark.parametrize(("chunked", "says"), [(True, "dropped the connection"), (False, "ended before")])
def test_a_dropped_stream_is_an_error_not_a_short_answer(chunked, says):
    with SlowChat(mode="drop", delay=0.01, after=3, chunked=chunked) as server:
        llm = _api(server.base)
        got = []
        with pytest.raises(LLMError, match=says):
            for piece in llm.stream(HELLO):
                got.append(piece)
        assert got == WORDS[:3] and _in_use(server.base) == 0


def test_chunked_streams_work():
    with SlowChat(delay=0.01, chunked=True) as server:
        pieces = list(_api(server.base).stream(HELLO))
        assert "".join(pieces) == "".join(WORDS) and pieces[-1].reason == "stop" and _in_use(server.base) == 0


def test_a_gone_server_fails_at_once():
    base = f"http://127.0.0.1:{llama_server.free_port()}/v1"
    llm = _api(base, timeout=30.0)
    start = time.monotonic()
    with pytest.raises(LLMError, match="cannot reach"):
        list(llm.stream(HELLO))
    with pytest.raises(LLMError, match="cannot reach"):
        llm.complete(HELLO)
    assert time.monotonic() - start < 3.0 and _in_use(base) == 0


# -- a real llama.cpp server: the answer falls back, with a notice --------------------------------

QUESTION = "What is overfitting and how do you prevent it?"


def _start_server(tmp_path_factory):
    """A real llama_cpp.server (bench/llama_server.py; AMX-safe through tutor/llama_compat.py)."""
    from tutor.models import model_path

    folder = tmp_path_factory.mktemp("served")
    return llama_server.start(model_path("smollm2"), folder / "server.log", n_ctx=2048, timeout=120)


class Timed:
    """A real ApiLLM whose streams are timed, from the call to their end or failure (the answer's own
    retrieval and layout, slow on a busy 2-core machine, are not counted)."""

    def __init__(self, llm: ApiLLM):
        self.llm, self.name, self.seconds = llm, llm.name, []

    def stream(self, messages, **kwargs):
        start = time.monotonic()
        try:
            yield from self.llm.stream(messages, **kwargs)
        finally:
            self.seconds.append(time.monotonic() - start)

    def complete(self, messages, **kwargs):
        return self.llm.complete(messages, **kwargs)


@pytest.fixture
def doomed_server(tmp_path_factory):
    """A real server this test may kill; stopped in teardown whatever happened."""
    proc, base = _start_server(tmp_path_factory)
    try:
        yield proc, base
    finally:
        llama_server.stop(proc)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc, base = _start_server(tmp_path_factory)
    try:
        yield base
    finally:
        llama_server.stop(proc)


@pytest.fixture(scope="module")
def retriever(seed_index):
    from tutor.index import Index
    from tutor.retrieve import Retriever

    retriever = Retriever(Index(seed_index))
    retriever.search(QUESTION, k=10)  # load the embedders now, so timings below are the model's
    return retriever


@pytest.mark.slow
def test_server_killed_mid_answer_falls_back_with_a_notice(doomed_server, retriever):
    from tutor.answer import TEXTS, Answer, stream_answer

    proc, base = doomed_server
    llm = ApiLLM(base, "smollm2", api_key=SECRET, timeout=30.0, max_concurrent=2, queue_timeout=5.0)
    shown: list[str] = []
    final = None
    # show_unsupported: the model's text is shown as it arrives, so the kill comes after its first tokens
    for item in stream_answer(QUESTION, retriever=retriever, llm=llm, show_unsupported=True):
        if isinstance(item, Answer):
            final = item
        elif item:
            if not shown:
                proc.kill()  # the server dies with the first words on screen
                proc.wait(10)
            shown.append(item)
    assert final is not None and final.mode == "extractive" and final.grounded and final.citations
    assert len(shown) >= 2
    partial, notice_piece = "".join(shown[:-1]), shown[-1]
    assert partial.strip() and "mid-answer" in notice_piece and "question bank" in notice_piece
    assert "mid-answer" in final.notice and "failed" in final.notice and SECRET not in final.notice
    assert final.text.startswith(TEXTS["en"]["extractive"])  # the bank's text alone, not the partial reply
    assert _in_use(base) == 0


@pytest.mark.slow
def test_saturated_server_falls_back_within_the_queue_time_out(server, retriever):
    from tutor.answer import answer

    holder = ApiLLM(server, "smollm2", api_key=SECRET, max_concurrent=1, queue_timeout=1.0)
    held = holder.stream(HELLO, max_tokens=256)
    try:
        assert next(held)  # a real request holds the one slot, mid-reply
        llm = ApiLLM(server, "smollm2", api_key=SECRET, max_concurrent=1, queue_timeout=1.0)
        timed = Timed(llm)
        result = answer(QUESTION, retriever=retriever, llm=timed)
    finally:
        held.close()
    assert result.mode == "extractive" and result.grounded
    assert "failed" in result.notice and "saturated" in result.notice and SECRET not in result.notice
    assert 1.0 <= timed.seconds[0] < 3.0  # it waited the queue time-out, then gave up (no generation)
    assert _in_use(server) == 0
    assert llm.complete(HELLO, max_tokens=4, temperature=0.0).strip()  # the slot is free again


@pytest.mark.slow
def test_gone_server_falls_back_quickly(retriever):
    from tutor.answer import answer

    base = f"http://127.0.0.1:{llama_server.free_port()}/v1"
    timed = Timed(ApiLLM(base, "smollm2", api_key=SECRET, max_concurrent=1, queue_timeout=5.0))
    result = answer(QUESTION, retriever=retriever, llm=timed)
    assert timed.seconds[0] < 2.0  # a refused connection fails at once
    assert result.mode == "extractive" and result.grounded
    assert "failed" in result.notice and "cannot reach" in result.notice and SECRET not in result.notice
    assert _in_use(base) == 0
