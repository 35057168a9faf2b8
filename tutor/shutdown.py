"""Clean shutdown of one app process: SIGTERM (or SIGINT) ends it within a bound, even while it works.

Why a replica outlived SIGTERM: Streamlit's own handler (streamlit/web/bootstrap.py) stops the server
gracefully — uvicorn closes the connections, the runtime shuts the sessions down — and that part
takes about a second, even on busy cores. Then Python exits the way it always does: it joins the
non-daemon threads, runs the atexit handlers (torch's among them) and, last, tears the interpreter
down — a garbage collection over everything the app loaded (torch, transformers and
sentence-transformers modules, the embedding and grading models, the index) and the destruction of
every module. Meanwhile the script thread that was grading or answering keeps running (script
threads are daemons: nothing waits for them, but they compete for the GIL and the cores until the
interpreter starts finalizing). On two cores shared with other work that teardown alone took 8 s
or more (measured: SIGTERM while grading, two CPU burners; the main thread was "Garbage-collecting"
from 2.6 s to 9.4 s after the signal; 12 s in all in another run). No Python-level thread can help
there: once the interpreter finalizes, no Python thread runs again and signal handling is off.

install() (once per process; Streamlit re-runs app.py on every interaction and repeated calls do
nothing) chains onto the SIGTERM/SIGINT handler already in place:

- it marks the process as stopping — `stopping()` / `stop_event()`, for long work to poll so it can
  finish early or skip what it has not started;
- it arms the watchdog: faulthandler.dump_traceback_later(GRACE_S, exit=True), a C thread that needs
  neither the GIL nor a live interpreter. If the process still exists GRACE_S seconds after the
  signal it writes every thread's stack to stderr (for the log) and calls _exit(1);
- it runs the previous handler (Streamlit's graceful stop) unchanged;
- once the graceful stop has ended and Python is exiting (an atexit handler, run after the
  non-daemon threads have been joined), it flushes the logs and ends the process with os._exit(0):
  the interpreter's teardown does nothing an app replica needs, so it is skipped rather than waited
  for. A second signal ends the process at once.

The handler only sets an Event, starts the C watchdog and calls the previous handler: it never
waits, joins or sleeps.

Dropping work in flight is safe for what the app keeps on disk:

- the progress store (TUTOR_DB, SQLite): every write is one transaction (`with conn:`), and SQLite
  commits are atomic — a process that ends mid-transaction leaves the file as of the last commit
  (the journal is rolled back by the next connection), never half an attempt. A server database
  (PostgreSQL) likewise rolls back a transaction whose connection goes away;
- the index folder: the app only reads it while answering or grading. Ingest and uploads build a new
  index in a sibling temporary folder and swap it in by rename (tutor.store.AtomicIndexWriter): a
  stop during the build leaves the old index as it was, plus a stray temporary folder; only a stop
  between the swap's two renames would leave the old index under its `.old-` name beside the new.

Signals can only be handled by the main thread, and Streamlit runs app.py in a script thread, so
from there install() schedules the installation on the main thread's event loop (Streamlit's
runtime loop); from the main thread it installs directly.
"""

from __future__ import annotations

import asyncio
import atexit
import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable

# Seconds from the first SIGTERM/SIGINT until the watchdog ends the process. Supervisors (Docker,
# Kubernetes, systemd, our replica runner) allow 10 s before SIGKILL. The graceful stop needs about
# 1-2 s on two busy cores; the other 3 s are margin for what the grace period does not cover: the
# signal reaching the Python handler (the main thread needs the GIL and a core) and the exit itself
# (unmapping the models' memory).
GRACE_S = 7.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _adopted() -> threading.Event | None:
    """The stop Event of a handler already installed by an earlier copy of this module (Streamlit's
    file watcher re-imports changed modules): one process, one Event."""
    try:
        return getattr(signal.getsignal(signal.SIGTERM), "_tutor_stopping", None)
    except Exception:
        return None


_stopping = _adopted() or threading.Event()
_lock = threading.Lock()
_installed = _adopted() is not None
_grace_s = GRACE_S


def stopping() -> bool:
    """True once the process has been asked to stop (SIGTERM or SIGINT)."""
    return _stopping.is_set()


def stop_event() -> threading.Event:
    """The Event set when the process is asked to stop (wait on it, or poll `stopping()`)."""
    return _stopping


def installed() -> bool:
    return _installed


def install(grace_s: float = GRACE_S, signals: Iterable[int] = SIGNALS, loop: asyncio.AbstractEventLoop | None = None
            ) -> bool:
    """Chain the stop handler onto `signals` (idempotent). From the main thread it installs at once;
    from another thread (a Streamlit script thread) it is scheduled on `loop`, or on Streamlit's
    runtime loop when `loop` is None. Returns False where no main-thread loop is known (e.g. under
    streamlit.testing's AppTest, which runs no server): nothing is installed then."""
    global _installed, _grace_s
    with _lock:
        if _installed:
            return True
        signals = tuple(signals)
        if threading.current_thread() is threading.main_thread():
            _grace_s = grace_s
            _install_here(signals)
            _installed = True
            return True
        loop = loop or _streamlit_loop()
        if not isinstance(loop, asyncio.AbstractEventLoop) or loop.is_closed():
            return False  # (AppTest puts a MagicMock where the runtime would be)
        _grace_s = grace_s
        _installed = True  # scheduled: a rerun before the loop has run it must not schedule it again
        loop.call_soon_threadsafe(_install_here, signals)
        return True


def _streamlit_loop() -> asyncio.AbstractEventLoop | None:
    """The main thread's event loop, as Streamlit's runtime knows it (None without a running runtime)."""
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        return Runtime.instance()._get_async_objs().eventloop
    except Exception:  # a Streamlit without these internals, or a runtime not started yet
        return None


def _install_here(signals: tuple[int, ...]) -> None:
    """Runs on the main thread: wrap each signal's current handler; register the fast exit."""
    for signum in signals:
        previous = signal.getsignal(signum)
        if getattr(previous, "_tutor_shutdown", False):
            continue  # already ours (e.g. this module was reloaded by Streamlit's file watcher)
        signal.signal(signum, _chained(previous))
    atexit.register(_exit_after_graceful_stop)


def _chained(previous) -> Callable:
    def handler(signum, frame):
        if previous is signal.SIG_IGN:
            return
        if _stopping.is_set():
            _flush()
            os._exit(128 + signum)  # a second signal: do not wait out the grace period
        _stopping.set()
        _arm_watchdog()
        if callable(previous):
            previous(signum, frame)
        else:  # SIG_DFL (or a handler not set from Python): the default action, terminate, is the stop
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    handler._tutor_shutdown = True
    handler._tutor_stopping = _stopping
    return handler


def _arm_watchdog() -> None:
    """faulthandler's timer is a C thread: it fires even while the main thread holds the GIL or the
    interpreter is being torn down (when no Python thread, a threading.Timer included, runs again)."""
    try:
        faulthandler.dump_traceback_later(_grace_s, exit=True, file=_stderr_fd())
    except Exception:  # no usable stderr: the graceful stop still runs
        pass


def _stderr_fd() -> int:
    try:
        return sys.__stderr__.fileno()
    except Exception:
        return 2


def _exit_after_graceful_stop() -> None:
    """atexit: after a stop signal, end the process here instead of tearing the interpreter down."""
    if not _stopping.is_set():
        return
    _flush()
    os._exit(0)


def _flush() -> None:
    try:
        import logging

        logging.shutdown()
    except Exception:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
