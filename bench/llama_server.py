"""Start and stop a real llama.cpp OpenAI-compatible server on loopback (for the api paths in benches and tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(model: Path, log: Path, threads: int = 2, n_ctx: int = 4096, timeout: float = 180.0):
    """(process, base URL) of a server bound to 127.0.0.1; raises RuntimeError if it does not come up."""
    port = free_port()
    fh = open(log, "wb")
    proc = subprocess.Popen(
        # llama_cpp.server, AMX-safe (tutor/llama_compat.py)
        [sys.executable, "-m", "tutor.llama_compat", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_threads", str(threads), "--n_ctx", str(n_ctx)],
        stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited: {Path(log).read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(f"{base}/models", timeout=2).read()
            return proc, base
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise RuntimeError("llama_cpp.server did not start")


def stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
