"""tutor.llama_compat: the AMX workaround is chosen from the CPU flags and is in effect for real loads."""

from __future__ import annotations

import pytest

from tutor.llama_compat import apply, has_amx


def test_amx_is_read_from_the_cpu_flags():
    assert has_amx("flags : fpu avx512f amx_bf16 amx_tile amx_int8")
    assert not has_amx("flags : fpu sse avx2 avx512f avx512_vnni")
    assert not has_amx("flags : famx_tilex")  # whole flags only


@pytest.mark.slow
def test_a_real_model_generates_on_this_cpu():
    """The in-process model decodes (on an AMX CPU, only with the workaround: it segfaults without)."""
    from tutor.config import get_settings
    from tutor.llm import get_llm

    llm = get_llm("local", get_settings(threads=2, local_model="smollm2"))
    reply = llm.complete([{"role": "user", "content": "Reply with one word: hello."}], max_tokens=8)
    assert reply.strip()
    if has_amx():
        assert apply()
        from llama_cpp import llama_cpp as lib

        assert lib.llama_model_default_params().use_extra_bufts is False
