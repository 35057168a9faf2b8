"""Benchmark the Streamlit app end to end: cold start to first answer in a real browser, and memory.

Starts `streamlit run app.py` (headless, 127.0.0.1, a free port), opens the page in Debian's headless
Chromium through Playwright, asks a question and times until the answer appears (its first text,
then the finished answer with its citation cards), asks a follow-up (warm), and reads the streamlit
process's memory (RSS now and peak) from /proc. Uses the local LLM when it is available
(TUTOR_LLM=local), else `none`, and says which. Prints one JSON object.

    .venv/bin/python bench/app.py [--llm local|none|api] [--index DIR] [--question Q]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CHROMIUM = os.environ.get("TUTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
QUESTION = "What is overfitting and how can you prevent it?"
FOLLOW_UP = "And how do you detect it?"
LIMIT_MS = 600_000  # a bound on each wait


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb(pid: int) -> dict:
    """RSS and peak RSS (VmHWM) of a process, in MiB, from /proc."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[{"VmRSS": "rss_mb", "VmHWM": "peak_rss_mb"}[key]] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def local_llm_note() -> tuple[bool, str]:
    """Whether the local model can be used here, and which one (or why not)."""
    try:
        import llama_cpp  # noqa: F401

        from tutor.config import get_settings
        from tutor.models import local_model_name, model_path

        name = local_model_name(None)
        model_path(name, get_settings().cache)
        return True, name
    except Exception as exc:
        return False, f"local LLM unavailable ({type(exc).__name__}: {exc}); measured with TUTOR_LLM=none"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llm", default=None, help="local (default when available), none or api")
    parser.add_argument("--index", default=None, help="index folder (default: $TUTOR_INDEX or index/)")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds between the page being ready and the first question (a user reading, typing)")
    args = parser.parse_args()

    index = Path(args.index or os.environ.get("TUTOR_INDEX", "index")).resolve()
    if not (index / "manifest.json").exists():
        subprocess.run([str(ROOT / ".venv" / "bin" / "tutor"), "ingest", "--index", str(index), "--quiet"],
                       cwd=ROOT, check=True)
    llm = args.llm
    note = None
    if llm in (None, "local"):
        ok, what = local_llm_note()
        llm, note = ("local", f"local model {what}") if ok else ("none", what)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-app-"))
    env = {**os.environ, "TUTOR_INDEX": str(index), "TUTOR_LLM": llm, "TUTOR_DB": str(tmp / "progress.sqlite"),
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    result: dict = {"llm": llm, "note": note, "question": args.question, "index": str(index)}
    started = time.perf_counter()
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(
        [streamlit, "run", "app.py", "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5):
                    break
            except OSError:
                time.sleep(0.2)
        result["server_start_s"] = round(time.perf_counter() - started, 2)
        result["memory_before_first_page"] = memory_mb(proc.pid)

        from playwright.sync_api import expect, sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                t0 = time.perf_counter()
                page.goto(url, wait_until="domcontentloaded")
                box = page.get_by_test_id("stChatInputTextArea")
                expect(box).to_be_visible(timeout=LIMIT_MS)
                result["page_ready_s"] = round(time.perf_counter() - t0, 2)

                def turn(question: str, n: int) -> dict:
                    box.fill(question)
                    t = time.perf_counter()
                    box.press("Enter")
                    answer = page.get_by_test_id("stChatMessage").nth(2 * n + 1)
                    expect(answer.get_by_test_id("stMarkdown").first).to_be_visible(timeout=LIMIT_MS)
                    first = time.perf_counter() - t
                    # Finished: the answer is re-rendered with its citation cards (or the refusal's topics).
                    done = answer.get_by_test_id("stExpander").or_(answer.get_by_test_id("stAlert"))
                    expect(done.first).to_be_visible(timeout=LIMIT_MS)
                    return {"first_text_s": round(first, 2), "answer_s": round(time.perf_counter() - t, 2),
                            "chars": len(answer.inner_text())}

                time.sleep(args.think)
                result["think_s"] = args.think
                result["first_answer"] = turn(args.question, 0)
                result["cold_start_to_first_answer_s"] = round(time.perf_counter() - started, 2)
                result["follow_up_answer"] = turn(FOLLOW_UP, 1)
                result["memory_after_answers"] = memory_mb(proc.pid)
                result["exceptions_on_page"] = page.get_by_test_id("stException").count()
            finally:
                browser.close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        result["server_log_has_traceback"] = "Traceback" in (tmp / "server.log").read_text(errors="replace")
        shutil.rmtree(tmp, ignore_errors=True)
    result["cpu_count"] = os.cpu_count()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
