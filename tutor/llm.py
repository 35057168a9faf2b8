"""LLM backends behind one small interface: `local` (llama.cpp), `api` (OpenAI-compatible), `none`.

The tutor never trusts a model with facts, citations, refusals or scores: those come from retrieval
and the deterministic grader. A model only words things, so every caller must work when
get_llm() returns None (backend "none") or a call raises LLMError (fall back, keep going).

- local: a GGUF model from tutor.models (default Qwen2.5-Coder-1.5B-Instruct, choose with
  $TUTOR_LOCAL_MODEL = qwen1.5b | qwen0.5b | smollm2) run by llama-cpp-python. The Llama object is
  loaded lazily, once per process, and reused by every caller so a follow-up turn reuses the
  KV-cache of the prompt prefix it shares with the previous turn.
- api: any OpenAI-compatible endpoint ($TUTOR_API_BASE, $TUTOR_API_MODEL, $TUTOR_API_KEY). The key is
  never logged, echoed or shown in a repr. One process sends at most $TUTOR_API_MAX_CONCURRENT requests
  at once to one server (a process-wide slot pool per base URL); a request that gets no slot within
  $TUTOR_API_QUEUE_TIMEOUT_S raises LLMError ("saturated"), as do a server that is gone (connection
  refused: at once) and one that stalls (no bytes for API_TIMEOUT_S, also between a stream's chunks),
  so callers fall back to the bank's text (docs/served-model.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tutor.tuning import ANSWERING

BACKENDS = ("local", "api", "none")
N_CTX = 4096
DEFAULT_SYSTEM = "You are a concise, accurate tutor for machine-learning interviews."
API_TIMEOUT_S = 60.0  # per read: a stream whose server sends nothing for this long fails
API_CONNECT_TIMEOUT_S = 10.0
API_MAX_CONCURRENT = 4  # defaults of Settings.api_max_concurrent / api_queue_timeout_s
API_QUEUE_TIMEOUT_S = 5.0


class LLMError(RuntimeError):
    """The backend failed (not loaded, server gone, timeout, bad reply). Callers fall back."""


class Finish(str):
    """The last piece of a stream: empty text that says why the model stopped ("stop", "length", …).
    A str, so code that only joins the pieces needs no change."""

    reason: str | None

    def __new__(cls, reason: str | None):
        piece = super().__new__(cls, "")
        piece.reason = reason
        return piece


class ChatLLM:
    """What every backend offers. A backend implements stream() and _reply(); a stand-in (tests' fakes)
    needs only `name`, stream() and complete()."""

    name: str

    @property
    def loaded(self) -> bool:
        """Whether the model is ready to answer now (a local model loads on first use)."""
        return True

    def stream(self, messages: list[dict], *, max_tokens: int = 512, temperature: float = 0.2) -> Iterator[str]:
        """Yield the reply's text pieces as they arrive, then a Finish. messages: [{"role", "content"}, ...]."""
        raise NotImplementedError

    def complete(
        self,
        messages: list[dict],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        json_schema: dict | None = None,
    ) -> str:
        """The whole reply; with json_schema, a JSON document the backend was constrained to."""
        content, finish_reason = self._reply(with_system(messages), max_tokens, temperature, json_schema)
        if json_schema is not None and finish_reason == "length":
            raise LLMError(f"{self.name}: JSON reply cut off at max_tokens={max_tokens}")
        return content or ""

    def _reply(self, messages: list[dict], max_tokens: int, temperature: float,
               json_schema: dict | None) -> tuple[str | None, str | None]:
        """(content, finish reason) of one completion of `messages` (they start with a system message)."""
        raise NotImplementedError


def with_system(messages: list[dict]) -> list[dict]:
    """Messages that start with a system message (Qwen's template injects its own otherwise)."""
    messages = [{"role": m["role"], "content": m["content"]} for m in messages]
    if not messages or messages[0]["role"] != "system":
        messages.insert(0, {"role": "system", "content": DEFAULT_SYSTEM})
    return messages


# -- local (llama.cpp) ----------------------------------------------------------------------------

_llamas: dict[tuple, object] = {}
_llamas_lock = threading.Lock()


def _load_llama(path: str, n_ctx: int, threads: int):
    """The process-wide Llama object for this file and settings (loaded on first use)."""
    key = (path, n_ctx, threads)
    with _llamas_lock:
        if key not in _llamas:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise LLMError("llama-cpp-python is not installed (run scripts/setup.sh)") from exc
            from tutor.llama_compat import apply

            apply()  # AMX CPUs: load without the repacking buffers that crash llama.cpp's first decode
            try:
                _llamas[key] = Llama(
                    model_path=path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False
                )
            except Exception as exc:  # llama.cpp raises ValueError/RuntimeError on a bad file
                raise LLMError(f"could not load {path}: {exc}") from exc
        return _llamas[key]


class LocalLLM(ChatLLM):
    """A GGUF model run in-process by llama.cpp; one generation at a time per model."""

    def __init__(self, model: str | None = None, settings=None):
        from tutor.config import get_settings
        from tutor.models import MODELS, ModelError, local_model_name

        self.settings = settings or get_settings()
        try:
            self.model = local_model_name(model)
        except ModelError as exc:
            raise LLMError(str(exc)) from exc
        self.name = f"local:{self.model}"
        self.title = MODELS[self.model].title
        self.threads = max(1, int(self.settings.threads))
        self.load_seconds: float | None = None
        self._gen_lock = threading.RLock()
        self._llama = None

    def __repr__(self) -> str:
        return f"LocalLLM(model={self.model!r}, threads={self.threads})"

    @property
    def loaded(self) -> bool:
        """Whether load() has run in this object (the first answer loads the model otherwise)."""
        return self._llama is not None

    def load(self):
        """Assemble (once per machine) and load (once per process) the model; returns the Llama."""
        if self._llama is None:
            from tutor.models import ModelError, model_path

            start = time.perf_counter()
            try:
                path = model_path(self.model, self.settings.cache)
            except ModelError as exc:
                raise LLMError(str(exc)) from exc
            self._llama = _load_llama(str(path), N_CTX, self.threads)
            self.load_seconds = time.perf_counter() - start
        return self._llama

    def _prompt_tokens(self, messages: list[dict]) -> list[int]:
        llama = self.load()
        # Qwen2.5 and SmolLM2 both use the ChatML template.
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in with_system(messages))
        text += "<|im_start|>assistant\n"
        return llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, messages: list[dict]) -> int:
        """Prompt size in tokens for these messages under the model's chat template."""
        return len(self._prompt_tokens(messages))

    def label_probs(self, messages: list[dict], labels: tuple[str, ...]) -> dict[str, float]:
        """The probability of each label as the reply's first token (normalized over the labels).

        One forward pass, no generation. The prompt's prefix shared with the previous call (same
        system message and reference) is reused from the KV cache, as generate() does.
        """
        import numpy as np

        llama = self.load()
        tokens = self._prompt_tokens(messages)
        firsts = {label: llama.tokenize(label.encode("utf-8"), add_bos=False, special=False)[0] for label in labels}
        with self._gen_lock:
            try:
                common = 0
                for a, b in zip(llama._input_ids, tokens, strict=False):
                    if a != b:
                        break
                    common += 1
                keep = min(common, len(tokens) - 1)
                llama._ctx.kv_cache_seq_rm(-1, keep, -1)
                llama.n_tokens = keep
                llama.eval(tokens[keep:])
                logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).astype(np.float64)
            except Exception as exc:
                raise LLMError(f"{self.name}: scoring failed: {exc}") from exc
        picked = np.array([logits[firsts[label]] for label in labels])
        picked = np.exp(picked - picked.max())
        picked /= picked.sum()
        return {label: float(p) for label, p in zip(labels, picked, strict=True)}

    def stream(self, messages: list[dict], *, max_tokens: int = 512, temperature: float = 0.2) -> Iterator[str]:
        llama = self.load()
        with self._gen_lock:
            try:
                chunks = llama.create_chat_completion(
                    messages=with_system(messages), max_tokens=max_tokens, temperature=temperature, stream=True,
                    repeat_penalty=ANSWERING.repeat_penalty,
                )
                reason = None
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    reason = choice.get("finish_reason") or reason
                    piece = choice.get("delta", {}).get("content")
                    if piece:
                        yield piece
                yield Finish(reason)
            except LLMError:
                raise
            except Exception as exc:
                raise LLMError(f"{self.name}: generation failed: {exc}") from exc

    def _reply(self, messages, max_tokens, temperature, json_schema):
        llama = self.load()
        kwargs = {}
        if json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
        with self._gen_lock:
            try:
                reply = llama.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=temperature, **kwargs
                )
            except Exception as exc:
                raise LLMError(f"{self.name}: generation failed: {exc}") from exc
        choice = reply["choices"][0]
        return choice["message"].get("content"), choice.get("finish_reason")


# -- api (OpenAI-compatible) ----------------------------------------------------------------------


class ServerSlots:
    """At most `limit` requests in flight from this process to one server; the others wait for a slot.

    One per base URL, shared by every ApiLLM of the process (each Streamlit session has its own
    thread, and the chat, the condenser and the grader's judge all call the same server).
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.in_use = 0
        self._cond = threading.Condition()

    def acquire(self, timeout: float) -> bool:
        """Take a slot, waiting up to `timeout` seconds; False when none came free."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.in_use < self.limit, timeout=max(0.0, timeout)):
                return False
            self.in_use += 1
            return True

    def release(self) -> None:
        with self._cond:
            self.in_use = max(0, self.in_use - 1)
            self._cond.notify()

    def resize(self, limit: int) -> None:
        with self._cond:
            self.limit = limit
            self._cond.notify_all()


_server_slots: dict[str, ServerSlots] = {}
_server_slots_lock = threading.Lock()


def server_slots(base_url: str, limit: int | None = None) -> ServerSlots:
    """The process-wide slot pool for this server; `limit` (re)sets its size (the latest setting wins)."""
    base_url = base_url.rstrip("/")
    with _server_slots_lock:
        slots = _server_slots.get(base_url)
        if slots is None:
            slots = _server_slots[base_url] = ServerSlots(limit or API_MAX_CONCURRENT)
        elif limit is not None and limit != slots.limit:
            slots.resize(limit)
        return slots


def _http_error_kinds(exc: BaseException | None) -> set[str]:
    """The class names of an httpx/httpx2 error and its bases ("ConnectError", "TransportError", …)."""
    if exc is None or not type(exc).__module__.startswith("httpx"):
        return set()
    return {cls.__name__ for cls in type(exc).__mro__}


class ApiLLM(ChatLLM):
    """An OpenAI-compatible chat endpoint. The key lives only inside the client; never shown."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = API_TIMEOUT_S,
                 max_concurrent: int = API_MAX_CONCURRENT, queue_timeout: float = API_QUEUE_TIMEOUT_S):
        try:
            import openai
        except ImportError as exc:
            raise LLMError("the openai package is not installed (run scripts/setup.sh)") from exc
        if max_concurrent < 1:
            raise LLMError(f"api_max_concurrent must be at least 1, not {max_concurrent}")
        self._openai = openai
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"api:{model}"
        self.timeout = timeout
        self.queue_timeout = queue_timeout
        self.slots = server_slots(self.base_url, max_concurrent)
        self._schema_style = "openai"  # or "json_object" once a server has refused OpenAI's form
        self._secrets = [api_key] if api_key else []
        # httpx's read timeout bounds each wait for bytes, so a stream that stalls between chunks fails
        # after `timeout` seconds too; a refused connection fails at once (no retries).
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",
            timeout=openai.Timeout(timeout, connect=min(API_CONNECT_TIMEOUT_S, timeout)),
            max_retries=0,
        )

    @contextmanager
    def _slot(self):
        """Hold one of the server's slots for the body; LLMError ("saturated") when none comes free in time."""
        if not self.slots.acquire(self.queue_timeout):
            raise LLMError(f"{self.name} at {self.base_url}: saturated ({self.slots.limit} requests in flight "
                           f"from this process, no slot free within {self.queue_timeout:g} s)")
        try:
            yield
        finally:
            self.slots.release()

    def __repr__(self) -> str:
        return f"ApiLLM(base_url={self.base_url!r}, model={self.model!r}, api_key='***')"

    __str__ = __repr__

    def _schema_format(self, schema: dict) -> dict:
        if self._schema_style == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}}

    def _error(self, exc: Exception) -> LLMError:
        openai = self._openai
        # The HTTP library's own error (httpx, or httpx2 in newer openai), raised or wrapped by openai.
        transport = _http_error_kinds(exc) | _http_error_kinds(exc.__cause__)
        if "ConnectTimeout" in transport:
            reason = f"no connection within {min(API_CONNECT_TIMEOUT_S, self.timeout):g} s"
        elif isinstance(exc, openai.APITimeoutError) or "TimeoutException" in transport:
            reason = f"timed out after {self.timeout:g} s"  # also a stream that went quiet between chunks
        elif "ConnectError" in transport:
            reason = "cannot reach the server"
        elif "TransportError" in transport:  # mid-stream: the server died, closed or reset the connection
            reason = "the server dropped the connection"
        elif isinstance(exc, openai.APIConnectionError):
            reason = "cannot reach the server"
        elif isinstance(exc, openai.AuthenticationError):
            reason = "the server refused the API key"
        elif isinstance(exc, openai.APIStatusError):
            reason = f"HTTP {exc.status_code}"
        else:
            reason = type(exc).__name__
        message = f"{self.name} at {self.base_url}: {reason}"
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return LLMError(message)

    def stream(self, messages: list[dict], *, max_tokens: int = 512, temperature: float = 0.2) -> Iterator[str]:
        # The slot is held from the request until the stream ends, fails, or is closed by the caller
        # (a generator's close() or garbage collection runs the `with` exits: slot and response).
        with self._slot():
            try:
                chunks = self._client.chat.completions.create(
                    model=self.model,
                    messages=with_system(messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                    frequency_penalty=ANSWERING.frequency_penalty,
                    presence_penalty=ANSWERING.presence_penalty,
                    stream=True,
                )
                with chunks:
                    reason = None
                    for chunk in chunks:
                        if not chunk.choices:
                            continue
                        reason = chunk.choices[0].finish_reason or reason
                        piece = chunk.choices[0].delta.content
                        if piece:
                            yield piece
                if reason is None:  # the body ended cleanly but before the last chunk: a cut stream
                    raise LLMError(f"{self.name} at {self.base_url}: the stream ended before the reply did")
                yield Finish(reason)
            except LLMError:
                raise
            except self._openai.OpenAIError as exc:
                raise self._error(exc) from None
            except Exception as exc:  # httpx errors mid-stream (a stall, a dropped connection), broken JSON
                raise self._error(exc) from None

    def _reply(self, messages, max_tokens, temperature, json_schema):
        kwargs = {}
        if json_schema is not None:
            kwargs["response_format"] = self._schema_format(json_schema)
        with self._slot():
            try:
                try:
                    reply = self._client.chat.completions.create(
                        model=self.model, messages=messages, max_tokens=max_tokens,
                        temperature=temperature, **kwargs,
                    )
                except self._openai.APIStatusError as exc:
                    # OpenAI's {"type": "json_schema"} is refused by servers that take the schema inside
                    # {"type": "json_object"} (llama.cpp's Python server answers 422/500): switch once.
                    if (json_schema is None or self._schema_style != "openai"
                            or exc.status_code not in (400, 422, 500)):
                        raise
                    self._schema_style = "json_object"
                    kwargs["response_format"] = self._schema_format(json_schema)
                    reply = self._client.chat.completions.create(
                        model=self.model, messages=messages, max_tokens=max_tokens,
                        temperature=temperature, **kwargs,
                    )
            except Exception as exc:
                raise self._error(exc) from None
        if not reply.choices:
            raise LLMError(f"{self.name}: empty reply")
        choice = reply.choices[0]
        return choice.message.content, choice.finish_reason


# -- choosing a backend ---------------------------------------------------------------------------


def get_llm(backend: str | None = None, settings=None) -> ChatLLM | None:
    """The backend's ChatLLM, or None for "none". Raises LLMError when it cannot be set up.

    The local model is not loaded here (that happens on first use, once per process).
    """
    from tutor.config import get_settings

    settings = settings or get_settings()
    backend = (backend or settings.llm or "local").strip().lower()
    if backend not in BACKENDS:
        raise LLMError(f"unknown LLM backend {backend!r} (choose from {', '.join(BACKENDS)})")
    if backend == "none":
        return None
    if backend == "api":
        missing = [name for name, value in (("TUTOR_API_BASE", settings.api_base),
                                           ("TUTOR_API_MODEL", settings.api_model)) if not value]
        if missing:
            raise LLMError(f"the api backend needs {' and '.join(missing)}")
        return ApiLLM(settings.api_base, settings.api_model, settings.key(),
                      max_concurrent=settings.api_max_concurrent, queue_timeout=settings.api_queue_timeout_s)
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        raise LLMError("llama-cpp-python is not installed (run scripts/setup.sh)") from exc
    return LocalLLM(settings=settings)
