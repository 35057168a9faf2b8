"""Work around a llama.cpp fault on CPUs with AMX, for every way the tutor runs llama.cpp (in-process and
the `llama_cpp.server` that the api path's tests and benches start).

llama-cpp-python 0.3.36 built from source on a CPU with AMX (Sapphire Rapids and later: the 2-core machines
this project runs on) segfaults in its first decode while the AMX weight-repacking buffers are in use
("amx repack tensor ..." in the load log; seen in-process and in the server, with every bundled model).
Loading without the extra buffer types (llama_model_params.use_extra_bufts = False) works; Llama() has no
argument for it, so the default parameters it starts from are wrapped. On other CPUs nothing changes.
"""

from __future__ import annotations

import functools

_applied = False


def has_amx(cpuinfo: str | None = None) -> bool:
    """Whether the CPU advertises AMX (the amx_int8 / amx_tile flags in /proc/cpuinfo)."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as fh:
                cpuinfo = fh.read()
        except OSError:
            return False
    flags = set(cpuinfo.split())
    return bool(flags & {"amx_int8", "amx_tile", "amx_bf16"})


def apply() -> bool:
    """Make every later Llama() load without the extra buffer types on an AMX CPU (idempotent). Whether
    the workaround is in effect."""
    global _applied
    if _applied:
        return True
    if not has_amx():
        return False
    from llama_cpp import llama_cpp as lib

    if "use_extra_bufts" not in {name for name, _ in lib.llama_model_params._fields_}:
        return False  # a llama.cpp without the setting: nothing to turn off
    defaults = lib.llama_model_default_params

    @functools.wraps(defaults)
    def without_extra_buffers():
        params = defaults()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = without_extra_buffers
    _applied = True
    return True


def serve_main() -> None:
    """`python -m tutor.llama_compat ARGS`: llama_cpp.server with the workaround (bench/llama_server.py)."""
    import runpy
    import sys

    apply()
    sys.argv[0] = "llama_cpp.server"
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    serve_main()
