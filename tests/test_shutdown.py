"""Clean shutdown (tutor/shutdown.py): SIGTERM stops an app replica within 10 s, also mid-answer and
mid-grading with the cores busy, and leaves the progress store and the index folder intact.

The fast tests run tutor/shutdown.py in small child processes (never in pytest's own process, whose
signal handlers they would change). The slow ones run `streamlit run app.py` through
tests/test_app_browser.py's serve() and drive it with Debian's Chromium through Playwright.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest
from test_app_browser import bank_index  # noqa: F401 (the fixture: the bank/ index, built once per module)

ROOT = Path(__file__).resolve().parents[1]
EXIT_BOUND_S = 10.0  # what a supervisor allows between SIGTERM and SIGKILL: a bound on an event


# -- helpers ----------------------------------------------------------------------------------------


def wait_exit(pid: int, bound_s: float) -> tuple[float | None, int | None]:
    """Seconds until our child `pid` exits (None if it is still running after bound_s) and its exit
    status (negative: the signal that ended it). The child is left unreaped (WNOWAIT) for its Popen."""
    start = time.monotonic()
    while time.monotonic() - start < bound_s:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is not None and info.si_pid == pid:
            status = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
            return time.monotonic() - start, status
        time.sleep(0.02)
    return None, None


def child(script: str) -> subprocess.Popen:
    """A python child running `script` (it can import tutor); it prints "ready" when set up. Unbuffered
    pipes, read a byte at a time up to "ready", so communicate() later gets all the rest."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = b""
    while not line.endswith(b"\n") and (byte := proc.stdout.read(1)):
        line += byte
    if line.strip() != b"ready":
        proc.kill()
        out, err = proc.communicate(timeout=30)
        pytest.fail(f"the child did not start: {line!r}{out!r}\n{err.decode(errors='replace')}")
    return proc


def outputs(proc: subprocess.Popen) -> tuple[str, str]:
    out, err = proc.communicate(timeout=30)
    return out.decode(errors="replace"), err.decode(errors="replace")


def stop_child(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


# -- fast: the module in child processes --------------------------------------------------------------


# The previous handler stands in for Streamlit's: it only asks the main loop to end.
GRACEFUL = """
import signal, sys, threading, time
from tutor import shutdown

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
"""


def test_the_watchdog_ends_a_process_that_a_non_daemon_thread_keeps_alive():
    grace = 2.0
    proc = child(GRACEFUL + f"""
def never_ends():
    threading.Event().wait()

assert shutdown.install(grace_s={grace})
threading.Thread(target=never_ends, name="never-ends").start()  # not a daemon: Python would wait forever
print("ready", flush=True)
while not stop.is_set():
    time.sleep(0.02)
print("main thread done", flush=True)
""")
    try:
        proc.send_signal(signal.SIGTERM)
        took, status = wait_exit(proc.pid, grace + 5.0)
        out, err = outputs(proc)
    finally:
        stop_child(proc)
    assert took is not None, "still running 7 s after SIGTERM with a 2 s grace period"
    assert "main thread done" in out  # the previous (graceful) handler ran
    assert status == 1, (status, err)  # faulthandler's watchdog: _exit(1), after every thread's stack
    assert "in never_ends" in err, err
    print(f"watchdog: exited {took:.2f} s after SIGTERM (grace {grace} s), status {status}")


def test_after_the_graceful_stop_the_interpreter_teardown_is_skipped():
    """A module-level object whose finalizer takes 60 s stands in for tearing down the models' heap."""
    proc = child(GRACEFUL + """
class SlowToFree:
    def __del__(self):
        time.sleep(60)

heap = SlowToFree()
assert shutdown.install(grace_s=30)
print("ready", flush=True)
while not stop.is_set():
    time.sleep(0.02)
print("stopping:", shutdown.stopping(), flush=True)
""")
    try:
        proc.send_signal(signal.SIGTERM)
        took, status = wait_exit(proc.pid, EXIT_BOUND_S)
        out, err = outputs(proc)
    finally:
        stop_child(proc)
    assert took is not None, "the teardown was waited for"
    assert status == 0, (status, err)  # the fast exit after the graceful stop, not the watchdog
    assert "stopping: True" in out


def test_install_is_idempotent_chains_the_previous_handler_and_schedules_from_other_threads():
    proc = child("""
import asyncio, json, os, signal, threading
from tutor import shutdown

calls = []
signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
results = {}

def from_a_thread(loop):
    results["no_loop"] = shutdown.install()  # no Streamlit runtime, no loop: nothing installed
    from unittest.mock import MagicMock
    from streamlit.runtime import Runtime
    Runtime._instance = MagicMock(spec=Runtime)  # what streamlit.testing's AppTest puts there
    results["app_test"] = shutdown.install()
    Runtime._instance = None
    results["scheduled"] = shutdown.install(grace_s=30, loop=loop)
    results["again"] = shutdown.install(grace_s=30, loop=loop)

async def main():
    loop = asyncio.get_running_loop()
    worker = threading.Thread(target=from_a_thread, args=(loop,))
    worker.start()
    await loop.run_in_executor(None, worker.join)
    await asyncio.sleep(0.1)  # the scheduled installation runs on this (the main) thread's loop

asyncio.run(main())
handler = signal.getsignal(signal.SIGTERM)
results["ours"] = getattr(handler, "_tutor_shutdown", False)
results["stopping_before"] = shutdown.stopping()
os.kill(os.getpid(), signal.SIGTERM)
results["stopping_after"] = shutdown.stopping()
results["previous_calls"] = calls
import faulthandler, importlib
faulthandler.cancel_dump_traceback_later()
importlib.reload(shutdown)  # as Streamlit's file watcher does: the new copy adopts the installed state
results["reloaded"] = [shutdown.installed(), shutdown.stopping()]
print("ready", flush=True)
print(json.dumps(results), flush=True)
""")
    try:
        took, status = wait_exit(proc.pid, EXIT_BOUND_S)
        out, err = outputs(proc)
    finally:
        stop_child(proc)
    assert took is not None and status == 0, (status, err)
    results = json.loads(out.strip().splitlines()[-1])
    assert results == {"no_loop": False, "app_test": False, "scheduled": True, "again": True, "ours": True, "stopping_before": False,
                       "stopping_after": True, "previous_calls": [signal.SIGTERM], "reloaded": [True, True]}, results


# -- slow: the app, in a browser ----------------------------------------------------------------------


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def server_pid(url: str) -> int:
    """The `streamlit run app.py` child of this process that listens on url's port."""
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"app.py" in args and port.encode() in args:
            return int(entry.name)
    raise AssertionError(f"no streamlit child serving {url}")


def assert_store_intact(db: Path) -> int:
    """The progress file after the stop: sound, at this schema version, every attempt row complete.
    Returns the number of attempts."""
    from tutor.progress import SCHEMA_VERSION

    assert db.is_file(), f"no progress store at {db}"
    conn = sqlite3.connect(db)  # a hot journal left by a dropped transaction is rolled back here
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = conn.execute("PRAGMA table_info(attempts)").fetchall()  # (cid, name, type, notnull, ...)
        required = [c[1] for c in columns if c[3]]
        names = [c[1] for c in columns]
        rows = [dict(zip(names, row, strict=True)) for row in conn.execute("SELECT * FROM attempts")]
        for row in rows:
            assert all(row[name] is not None for name in required), row
            assert row["question"].strip() and row["answer"].strip() and 0 <= row["score"] <= 100, row
            for name in ("covered", "missed", "tags"):
                assert isinstance(json.loads(row[name]), list), row
            datetime.fromisoformat(row["created"])
        for (card,) in conn.execute("SELECT card FROM cards"):
            assert isinstance(json.loads(card), dict)
        return len(rows)
    finally:
        conn.close()


def cpu_burners(n: int = 2) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


ANSWER = ("A model that memorises noise in the training data instead of the pattern; use more data, "
          "regularization, dropout, early stopping and a validation set.")


def submit_another_answer(page, expect) -> None:
    """The next grading, left in flight: the follow-up's answer, or the next question's."""
    follow = page.get_by_label("Your answer to the follow-up", exact=True)
    after = follow.or_(page.get_by_role("button", name="Next question"))
    expect(after.first).to_be_visible()
    if follow.count():
        follow.fill(ANSWER)
        page.get_by_role("button", name="Submit follow-up").click()
        return
    page.get_by_role("button", name="Next question").click()
    answer = page.get_by_label("Your answer", exact=True)
    expect(answer).to_be_visible()
    answer.fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()


LOCAL_MODEL_HEAD_START_S = 15.0  # retrieval + prompt on 2 busy cores; the stop then lands mid-answer


def save_one_attempt(db: Path, index: Path) -> None:
    from tutor.progress import Progress
    from tutor.store import read_records

    record = next(r for r in read_records(index) if r.answer)
    with Progress(db) as progress:
        progress.start_session("before-the-stop")
        progress.record_attempt(session_id="before-the-stop", record=record, question=record.question,
                                answer=ANSWER, score=50, covered=[], missed=[])


def ask_a_question(page, expect) -> None:
    page.get_by_test_id("stSidebar").get_by_text("Chat", exact=True).click()
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_enabled()
    box.fill("How does k-fold cross-validation work and why use it?")
    box.press("Enter")
    expect(page.get_by_test_id("stChatMessage").first).to_be_visible()


@pytest.fixture
def app_server(request, bank_index, tmp_path_factory, tmp_path):  # noqa: F811 (the imported fixture)
    """A server of its own (the test stops it), over a copy of the bank index and a fresh store; its
    backend is the test's parameter (`none`: answers quote the bank; `local`: the bundled llama.cpp model
    generates while the signal comes)."""
    import shutil

    from test_app_browser import serve

    index = tmp_path_factory.mktemp("shutdown-index") / "index"
    shutil.copytree(bank_index, index)
    before = tree_digest(index)
    assert before
    db = tmp_path / "progress.sqlite"
    backend = getattr(request, "param", "none")
    for url in serve(index, tmp_path_factory, db=db, extra_env={"TUTOR_LLM": backend}):  # stops it, checks its log
        yield url, server_pid(url), index, before, db, backend
    shutil.rmtree(index, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize(("app_server", "action", "busy"),
                         [("none", "answer", False), ("none", "answer", True), ("none", "grade", True),
                          ("local", "answer", True)],
                         ids=["answering", "answering-busy-cores", "grading-busy-cores",
                              "local-model-answering-busy-cores"], indirect=["app_server"])
def test_sigterm_mid_action_stops_the_app_in_time_and_keeps_the_store_and_index(app_server, action, busy):
    from playwright.sync_api import expect, sync_playwright
    from test_app_browser import ANSWER_TIMEOUT_MS, grade_one_answer, launch, open_app

    url, pid, index, before, db, backend = app_server
    burners: list[subprocess.Popen] = []
    took = status = None
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page, _ = open_app(browser, url)
            if backend == "none":
                grade_one_answer(page, ANSWER, ANSWER_TIMEOUT_MS)  # one attempt saved before the stop
            else:  # the local model grades too slowly on 2 busy cores: the attempt is saved directly
                save_one_attempt(db, index)
            if busy:
                burners = cpu_burners(2)
            if action == "grade":
                submit_another_answer(page, expect)
            else:
                ask_a_question(page, expect)
            if backend == "local":  # give the model time to reach generation (busy cores: not always)
                time.sleep(LOCAL_MODEL_HEAD_START_S)
            time.sleep(0.5)  # the script thread is now grading or answering
            os.kill(pid, signal.SIGTERM)
            took, status = wait_exit(pid, EXIT_BOUND_S)
        finally:
            for burner in burners:
                burner.kill()
                burner.wait(timeout=10)
            browser.close()
    print(f"{action}{' (cores busy)' if busy else ''}: exited {took} s after SIGTERM, status {status}")
    assert took is not None, f"the app was still running {EXIT_BOUND_S:g} s after SIGTERM"
    assert status in (0, 1), status  # 0: graceful stop; 1: the watchdog (see tutor/shutdown.py)
    assert assert_store_intact(db) >= 1
    assert tree_digest(index) == before, "the index folder changed"
