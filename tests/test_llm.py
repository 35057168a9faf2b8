"""tutor/llm.py and tutor/models.py: backends, model assembly, a real llama.cpp server for the API."""

from __future__ import annotations

import logging
import socket
import sys
import threading

import pytest
from conftest import ROOT

from tutor.config import get_settings
from tutor.llm import ApiLLM, Finish, LLMError, get_llm, with_system
from tutor.models import MODELS, ModelError, ModelSpec, _assemble, local_model_name, model_path

sys.path.append(str(ROOT / "bench"))  # appended: bench/ingest.py must not shadow the ingest package
import llama_server  # noqa: E402

SECRET = "sk-test-DO-NOT-LEAK-123456"
HELLO = [{"role": "user", "content": "Say hello in one short sentence."}]


def test_system_message_is_always_sent():
    assert with_system(HELLO)[0]["role"] == "system"
    own = [{"role": "system", "content": "mine"}, *HELLO]
    assert with_system(own) == own


def test_backend_choice():
    assert get_llm("none", get_settings()) is None
    with pytest.raises(LLMError, match="unknown"):
        get_llm("gpt9", get_settings())
    with pytest.raises(LLMError, match="TUTOR_API_BASE"):
        get_llm("api", get_settings().with_(api_base="", api_model="m"))


def test_local_model_choice(monkeypatch):
    monkeypatch.delenv("TUTOR_LOCAL_MODEL", raising=False)
    assert local_model_name() == "qwen1.5b"
    monkeypatch.setenv("TUTOR_LOCAL_MODEL", "smollm2")
    assert local_model_name() == "smollm2"
    with pytest.raises(ModelError):
        local_model_name("gpt-5")


def test_local_model_loads_on_first_use_only():
    from tutor.llm import LocalLLM

    llm = LocalLLM("smollm2", get_settings(threads=1))
    assert not llm.loaded  # constructing it loads nothing
    api = ApiLLM("http://127.0.0.1:9/v1", "m", timeout=1)
    assert api.loaded  # nothing to load


@pytest.mark.slow
def test_local_stream_ends_with_why_it_stopped():
    from tutor.llm import LocalLLM

    llm = LocalLLM("smollm2", get_settings(threads=2))
    short = list(llm.stream(HELLO, max_tokens=3, temperature=0.0))
    assert isinstance(short[-1], Finish) and short[-1].reason == "length" and "".join(short).strip()


def test_json_reply_cut_off_is_an_error():
    class Cut(ApiLLM):
        def _reply(self, messages, max_tokens, temperature, json_schema):
            assert messages[0]["role"] == "system"
            return '{"a": ', "length"

    llm = Cut("http://127.0.0.1:9/v1", "m", timeout=1)
    assert llm.complete(HELLO) == '{"a": '  # plain text may stop at max_tokens
    with pytest.raises(LLMError, match="cut off"):
        llm.complete(HELLO, json_schema={"type": "object"})


def test_assembly_checks_the_hash(tmp_path):
    import hashlib

    parts = []
    for i, data in enumerate((b"abc", b"def")):
        parts.append(tmp_path / f"p{i}")
        parts[-1].write_bytes(data)
    good = ModelSpec("t", "test", "t.gguf", sha256=hashlib.sha256(b"abcdef").hexdigest())
    target = tmp_path / "models" / "t.gguf"
    assert _assemble(good, parts, target).read_bytes() == b"abcdef"
    bad = ModelSpec("t", "test", "u.gguf", sha256="0" * 64)
    with pytest.raises(ModelError, match="sha256"):
        _assemble(bad, parts, tmp_path / "models" / "u.gguf")
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["t.gguf"]  # no partial file left


@pytest.mark.parametrize("name", list(MODELS))
def test_bundled_models_are_found(name):
    path = model_path(name)
    assert path.is_file() and path.stat().st_size > 50_000_000
    with open(path, "rb") as fh:
        assert fh.read(4) == b"GGUF"


# -- API backend against a real llama.cpp server --------------------------------------------------

def _start_server(tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "server.log"
    return llama_server.start(model_path("smollm2"), log, n_ctx=2048, timeout=120)


_stop = llama_server.stop
_free_port = llama_server.free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc, base = _start_server(tmp_path_factory)
    yield base
    _stop(proc)


def _api(base, timeout=60.0):
    return ApiLLM(base, "smollm2", api_key=SECRET, timeout=timeout)


@pytest.mark.slow
def test_api_reply_and_stream(server):
    llm = get_llm("api", get_settings().with_(api_base=server, api_model="smollm2", api_key=SECRET))
    assert isinstance(llm, ApiLLM)
    assert llm.complete(HELLO, max_tokens=16, temperature=0.0).strip()
    pieces = list(llm.stream(HELLO, max_tokens=16, temperature=0.0))
    assert len(pieces) > 1 and "".join(pieces).strip()
    # the stream ends by saying why it stopped; 3 tokens cannot finish a greeting
    assert isinstance(pieces[-1], Finish) and pieces[-1].reason in ("stop", "length")
    short = list(llm.stream(HELLO, max_tokens=3, temperature=0.0))
    assert isinstance(short[-1], Finish) and short[-1].reason == "length"


def test_api_key_never_shown(caplog):
    caplog.set_level(logging.DEBUG)
    llm = ApiLLM(f"http://127.0.0.1:{_free_port()}/v1", "m", api_key=SECRET, timeout=3)
    assert SECRET not in repr(llm) and SECRET not in str(llm)
    assert SECRET not in repr(get_settings().with_(api_key=SECRET))
    with pytest.raises(LLMError) as err:
        list(llm.stream(HELLO))
    assert "cannot reach" in str(err.value) and SECRET not in str(err.value)
    assert SECRET not in repr(err.value) and err.value.__cause__ is None
    assert SECRET not in caplog.text


def test_api_timeout():
    """A server that accepts the connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        llm = ApiLLM(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "m", api_key=SECRET, timeout=1.0)
        with pytest.raises(LLMError, match="timed out"):
            list(llm.stream(HELLO))
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.slow
def test_api_server_gone_falls_back_and_keeps_history(tmp_path_factory, seed_index):
    from tutor.answer import Conversation
    from tutor.retrieve import Retriever

    proc, base = _start_server(tmp_path_factory)
    try:
        llm = _api(base)
        chat = Conversation(Retriever(seed_index), llm)
        first = chat.ask("What is overfitting and how do you prevent it?")
        assert first.mode == "llm" and first.text
    finally:
        _stop(proc)
    with pytest.raises(LLMError):
        list(llm.stream(HELLO))
    second = chat.ask("What is gradient descent?")
    assert second.mode == "extractive" and second.grounded and "failed" in second.notice
    assert [t.answer for t in chat.history] == [first, second]
    assert SECRET not in second.notice
