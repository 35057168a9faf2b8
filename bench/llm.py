"""Benchmark the local LLM: load time, time to first token and tokens/s on a first and a follow-up turn.

The follow-up turn reuses the same Llama object, so the prompt prefix it shares with the first turn
(system message + first turn) comes from the KV-cache. Prints one JSON object.

    .venv/bin/python bench/llm.py [--model qwen1.5b|qwen0.5b|smollm2] [--index DIR] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tutor.answer import (  # noqa: E402
    K_SOURCES,
    K_SOURCES_FOLLOWUP,
    SOURCE_CHARS,
    SOURCE_CHARS_FOLLOWUP,
    SYSTEM_PROMPT,
    build_sources,
    user_message,
)
from tutor.config import get_settings  # noqa: E402
from tutor.llm import LocalLLM  # noqa: E402

FIRST = "What is overfitting and how do you prevent it?"
FOLLOW = "How does regularization help with that?"


def _turn(llm, messages, max_tokens):
    start = time.perf_counter()
    first = None
    pieces = []
    for piece in llm.stream(messages, max_tokens=max_tokens, temperature=0.0):
        if first is None:
            first = time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    text = "".join(pieces)
    generated = len(llm.load().tokenize(text.encode("utf-8"), add_bos=False)) if text else 0
    return text, {
        "prompt_tokens": llm.count_tokens(messages),
        "first_token_s": round((first or end) - start, 3),
        "generated_tokens": generated,
        "tokens_per_s": round(generated / max(end - (first or end), 1e-9), 2) if generated > 1 else None,
        "total_s": round(end - start, 3),
    }


def _sources(index: Path | None, question: str, follow_up: bool = False):
    """The sources the answer module would give the model (fewer and shorter on a follow-up)."""
    if index is None:
        return None
    from tutor.retrieve import Retriever

    hits = Retriever(index).search(question, k=10)
    if follow_up:
        return build_sources(hits, K_SOURCES_FOLLOWUP, chars=SOURCE_CHARS_FOLLOWUP)
    return build_sources(hits, K_SOURCES, chars=SOURCE_CHARS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, help="qwen1.5b (default), qwen0.5b or smollm2")
    parser.add_argument("--index", default=None, help="index for real sources (default: $TUTOR_INDEX or index/)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    settings = get_settings(threads=args.threads)
    index = Path(args.index) if args.index else settings.index
    index = index if (index / "manifest.json").exists() else None

    llm = LocalLLM(args.model, settings)
    start = time.perf_counter()
    llm.load()
    load_s = time.perf_counter() - start

    def message(question, follow_up=False):
        sources = _sources(index, question, follow_up)
        return user_message(question, sources) if sources else f"Question: {question}"

    system = {"role": "system", "content": SYSTEM_PROMPT}
    first_user = {"role": "user", "content": message(FIRST)}
    first_messages = [system, first_user]
    reply, first = _turn(llm, first_messages, args.max_tokens)
    follow_messages = [*first_messages, {"role": "assistant", "content": reply},
                       {"role": "user", "content": message(FOLLOW, follow_up=True)}]
    _, follow = _turn(llm, follow_messages, args.max_tokens)
    follow["shared_prefix_tokens"] = first["prompt_tokens"] + first["generated_tokens"]
    print(json.dumps({
        "model": llm.model,
        "title": llm.title,
        "threads": llm.threads,
        "n_ctx": 4096,
        "sources_from_index": str(index) if index else None,
        "load_s": round(load_s, 3),
        "first_turn": first,
        "follow_up_turn": follow,
    }, indent=2))


if __name__ == "__main__":
    main()
