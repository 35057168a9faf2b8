"""LLM backends behind one small interface: `local` (llama.cpp), `api` (OpenAI-compatible), `none`.

The tutor never trusts a model with facts, citations, refusals or scores: those come from retrieval
and the deterministic grader. A model only words things, so every caller must work when
get_llm() returns None (backend "none") or a call raises LLMError (fall back, keep going).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

BACKENDS = ("local", "api", "none")


class LLMError(RuntimeError):
    """The backend failed (not loaded, server gone, timeout, bad reply). Callers fall back."""


class ChatLLM(Protocol):
    name: str

    def stream(self, messages: list[dict], *, max_tokens: int = 512, temperature: float = 0.2) -> Iterator[str]:
        """Yield the reply's text pieces as they arrive. messages: [{"role", "content"}, ...]."""
        ...

    def complete(
        self,
        messages: list[dict],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        json_schema: dict | None = None,
    ) -> str:
        """The whole reply; with json_schema, a JSON document the backend was constrained to."""
        ...
