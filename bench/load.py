"""Load: N candidates at once against one app replica, then against two replicas sharing one database.

Each replica is a real `streamlit run app.py` (headless, 127.0.0.1, its own free port) over one index
folder, with TUTOR_LLM=none (extractive answers; the grader's models still load). One headless Chromium
(Debian's /usr/bin/chromium through Playwright; `playwright install` is never used) opens N browser
contexts — N independent Streamlit sessions over real HTTP and websockets. Sessions are assigned to
replicas round-robin, a stand-in for a load balancer with sticky sessions (no nginx runs here): a
session stays on its replica for its whole life, as sticky routing would keep it.

Every session loads the page, then does `--rounds` rounds of a mix (the order rotated per session, so
the kinds overlap in time): a chat question (submit → the extractive answer with its citations shown),
a Library search (Enter → the top record opened), and a mock-interview answer being graded (Submit →
the grade shown; a follow-up is answered the same way when the tutor asks one). Page switches and the
interview's Start/Next clicks are timed as `navigate`. Each kind gets p50/p95 latency, a count, errors
and timeouts; an action that fails reloads the page (a fresh session) and the session goes on.
Before the timed part, one warm-up session per replica loads the models (its time is reported apart).
Replica memory (RSS, psutil when installed, else /proc/PID/status) is sampled every second.

Databases: one replica gets a fresh SQLite file; two replicas share a throwaway PostgreSQL started by
scripts/pg_server.sh (stopped at the end), or `--db` (a postgresql:// URL or a file path, for every
run). When this checkout's tutor/progress.py cannot keep progress in PostgreSQL yet, the two replicas
share one SQLite file instead, and the JSON says so in "note".

Prints one JSON object per run (one line each, JSON Lines), e.g.
{"replicas": 1, "sessions": 20, "actions": {"chat": {"p50_s", "p95_s", "n", "errors", ...}, ...},
 "replica_rss_mb": [...], "errors": ..., ...}. Every server, database and browser is stopped at the
end, also on failure or Ctrl-C.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/load.py [--sessions 20] [--replicas 1 2] [--rounds 2]
        [--index DIR] [--db URL|FILE] [--threads N] [--action-timeout-s 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _load_pg_server():
    """tests/pg_server.py by its path (tests/ is no package; a `tests` from site-packages must not win)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tutor_tests_pg_server", ROOT / "tests" / "pg_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_pg = _load_pg_server()
PostgresUnavailable, postgres_server = _pg.PostgresUnavailable, _pg.postgres_server

CHROMIUM = os.environ.get("TUTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
DEFAULT_INDEX = ROOT / ".cache" / "seed-index"
CACHE = ROOT / ".cache" / "test-embeddings"
START_TIMEOUT_S = 300
BANK_SAYS = "Here is what the question bank says"
BALANCER = ("round-robin by session over the replicas: a stand-in for a load balancer with sticky sessions "
            "(each session stays on one replica); no nginx in the loop")

# Chat: a question from the seed bank and a word its answer's citations contain.
CHAT = [
    ("What is the bias-variance tradeoff?", "bias"),
    ("What is the difference between supervised and unsupervised learning?", "supervised"),
    ("How does k-fold cross-validation work and why use it?", "cross-validation"),
    ("What is the difference between L1 and L2 regularization?", "L1"),
    ("How does a random forest differ from gradient boosting?", "random forest"),
    ("How does batch normalization help train deep networks?", "normalization"),
    ("What does the ROC curve show, and what does AUC measure?", "ROC"),
    ("What is a confusion matrix?", "confusion matrix"),
    ("What is a generator in Python and why use one?", "generator"),
    ("How does k-means clustering work?", "k-means"),
]
# Library: a search and a word the top record's question contains (distinct, so a stale heading can't match).
LIBRARY = [
    ("dropout", "dropout"),
    ("precision vs recall", "precision"),
    ("gradient descent learning rate", "gradient"),
    ("overfitting", "overfitting"),
    ("attention in transformers", "attention"),
    ("python decorators", "decorator"),
]
ANSWER = ("It depends on the data and the model. The main idea is to balance bias and variance: use a validation "
          "set, regularization and cross-validation, check the metrics, and keep the model simple enough that it "
          "generalizes to unseen data.")


# -- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (psutil when installed, else /proc)."""
    try:
        import psutil

        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except ImportError:
        pass
    except Exception:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


@dataclass
class Replica:
    url: str
    proc: subprocess.Popen
    log: Path
    rss_peak: float = 0.0
    rss_last: float = 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def tracebacks(self) -> int:
        try:
            return self.log.read_text(errors="replace").count("Traceback")
        except OSError:
            return 0


def start_replica(index: Path, db: str, threads: int, log: Path) -> Replica:
    port = free_port()
    env = {**os.environ, "TUTOR_INDEX": str(index), "TUTOR_LLM": "none", "TUTOR_CACHE": str(CACHE),
           "TUTOR_DB": db, "TUTOR_THREADS": str(threads), "TUTOR_SPEECH_API_BASE": "",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [streamlit, "run", "app.py", "--server.headless", "true", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return Replica(f"http://127.0.0.1:{port}", proc, log)


def wait_healthy(replica: Replica, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if replica.proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {replica.proc.returncode}: "
                               f"{replica.log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{replica.url}/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {replica.url} within {timeout_s}s")


class MemorySampler(threading.Thread):
    """Every `every` seconds: each replica's RSS (peak and last kept on the Replica)."""

    def __init__(self, replicas: list[Replica], every: float = 1.0):
        super().__init__(name="rss-sampler", daemon=True)
        self.replicas, self.every, self.done = replicas, every, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for r in self.replicas:
                mb = rss_mb(r.proc.pid)
                if mb is not None:
                    r.rss_last, r.rss_peak = mb, max(r.rss_peak, mb)
            self.done.wait(self.every)


def ensure_index(index: Path) -> None:
    if (index / "manifest.json").exists():
        return
    from tutor.config import get_settings

    seeds = get_settings().seed_bank.resolve()
    tutor = shutil.which("tutor", path=str(Path(sys.executable).parent)) or "tutor"
    env = {**os.environ, "TUTOR_CACHE": str(CACHE), "TUTOR_THREADS": str(os.cpu_count() or 1)}
    print(f"building the seed index: tutor ingest {seeds} --index {index}", file=sys.stderr)
    subprocess.run([tutor, "ingest", str(seeds), "--index", str(index)], cwd=ROOT, env=env, check=True,
                   stdout=sys.stderr)


def postgres_progress_works(url: str) -> tuple[bool, str]:
    """Whether this checkout's progress store, opened the way the app opens it (TUTOR_DB=url,
    Progress(get_settings().db)), creates its tables in that PostgreSQL. Runs in a temporary working
    folder, so a store that takes the URL for a file path leaves nothing in the repository."""
    probe = ("from tutor.config import get_settings\nfrom tutor.progress import Progress\n"
             "p = Progress(get_settings().db)\np.close()\n")
    with tempfile.TemporaryDirectory(prefix="pg-probe-") as cwd:
        env = {**os.environ, "TUTOR_DB": url, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=120)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"tutor.progress could not open {url}: {last}"
    tables = db_count(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
    if not tables:
        return False, "tutor.progress opened the URL but created no tables in PostgreSQL (treated as a file path?)"
    return True, f"{tables} tables"


def db_count(db: str, sql: str) -> int | None:
    """One number from the database (psql for PostgreSQL, sqlite3 for a file); None when unreadable."""
    try:
        if db.startswith(("postgresql://", "postgres://")):
            done = subprocess.run(["psql", db, "-tAXc", sql], capture_output=True, text=True, timeout=30)
            return int(done.stdout.strip()) if done.returncode == 0 else None
        conn = sqlite3.connect(db)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except Exception:
        return None


# -- sessions -------------------------------------------------------------------------------------


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    timeouts: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    aborted: int = 0
    follow_ups: int = 0  # interview actions that answered a follow-up (the rest answered a bank question)
    finished: int = 0  # interviews taken to their report

    def ok(self, action: str, seconds: float) -> None:
        self.times.setdefault(action, []).append(seconds)

    def fail(self, action: str, exc: BaseException, sid: int) -> None:
        self.errors[action] = self.errors.get(action, 0) + 1
        self.times.setdefault(action, [])
        if "Timeout" in type(exc).__name__:
            self.timeouts[action] = self.timeouts.get(action, 0) + 1
        if len(self.samples) < 10:
            first = (str(exc).strip().splitlines() or [""])[0]
            self.samples.append(f"session {sid} {action}: {type(exc).__name__}: {first[:200]}")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(v) - 1)
    return round(v[lo] + (v[hi] - v[lo]) * (pos - lo), 3)


class AppError(RuntimeError):
    """The page shows a Streamlit exception, or an action's result is wrong."""


class Session:
    """One candidate: a browser context on one replica, and where its page stands."""

    def __init__(self, browser, url: str, sid: int, stats: Stats, timeout_ms: int):
        self.browser, self.url, self.sid, self.stats, self.timeout_ms = browser, url, sid, stats, timeout_ms
        self.context = self.page = None

    async def open(self) -> None:
        from playwright.async_api import expect

        if self.context is not None:
            with contextlib.suppress(Exception):
                await self.context.close()
        self.context = await self.browser.new_context(viewport={"width": 1100, "height": 800})
        self.page = await self.context.new_page()
        self.page.set_default_timeout(self.timeout_ms)
        self.where, self.chats, self.interview = "Chat", 0, "setup"
        t0 = time.perf_counter()
        await self.page.goto(self.url, wait_until="domcontentloaded")
        await expect(self.page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=self.timeout_ms)
        self.stats.ok("load", time.perf_counter() - t0)

    async def close(self) -> None:
        if self.context is not None:
            with contextlib.suppress(Exception):
                await self.context.close()

    async def check(self) -> None:
        if await self.page.get_by_test_id("stException").count():
            text = await self.page.get_by_test_id("stException").first.inner_text()
            raise AppError(f"the page shows an exception: {text[:300]}")

    async def go(self, name: str) -> None:
        """Switch page in the sidebar (timed as navigate) and wait for the page's own widget."""
        from playwright.async_api import expect

        if self.where == name:
            return
        page = self.page
        ready = {"Chat": page.get_by_test_id("stChatInputTextArea"),
                 "Library": page.get_by_label("Search the bank", exact=True),
                 "Mock interview": page.get_by_role("heading", name="Mock interview")}[name]
        t0 = time.perf_counter()
        await page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
        await expect(ready).to_be_visible()
        if name != "Chat":  # the chat box is gone: the page has switched
            await expect(page.get_by_test_id("stChatInputTextArea")).to_have_count(0)
        self.stats.ok("navigate", time.perf_counter() - t0)
        self.where = name

    async def chat(self, question: str, expected: str) -> float:
        from playwright.async_api import expect

        await self.go("Chat")
        page = self.page
        box = page.get_by_test_id("stChatInputTextArea")
        await box.fill(question)
        t0 = time.perf_counter()
        await box.press("Enter")
        # This session's n-th answer (an answer's first words are always BANK_SAYS with TUTOR_LLM=none),
        # with its citation cards drawn.
        answer = page.get_by_test_id("stChatMessage").filter(has_text=BANK_SAYS).nth(self.chats)
        await expect(answer).to_be_visible(timeout=self.timeout_ms)
        await expect(answer.get_by_test_id("stExpander").first).to_be_visible(timeout=self.timeout_ms)
        await expect(answer).to_contain_text(expected, ignore_case=True)
        took = time.perf_counter() - t0
        self.chats += 1
        return took

    async def library(self, query: str, expected: str) -> float:
        from playwright.async_api import expect

        await self.go("Library")
        page = self.page
        box = page.get_by_label("Search the bank", exact=True)
        await box.fill(query)
        t0 = time.perf_counter()
        await box.press("Enter")
        top = page.get_by_test_id("stHeading").filter(has_text=re.compile(re.escape(expected), re.IGNORECASE))
        await expect(top.first).to_be_visible(timeout=self.timeout_ms)
        await expect(page.get_by_text(re.compile(r"^\d+ record\(s\)$")).first).to_be_visible()
        return time.perf_counter() - t0

    async def interview_answer(self) -> float:
        """One graded answer: the current question's, or its follow-up's (starting an interview, or
        moving to the next question, first when needed)."""
        from playwright.async_api import expect

        await self.go("Mock interview")
        page = self.page
        grade = page.get_by_test_id("stMetric").filter(has_text=re.compile(r"^\s*Grade"))
        follow_grade = page.get_by_test_id("stMetric").filter(has_text="Follow-up grade")
        next_button = page.get_by_role("button", name=re.compile(r"^(Next question|Finish and see the report)$"))
        follow_box = page.get_by_label("Your answer to the follow-up", exact=True)
        answer_box = page.get_by_label("Your answer", exact=True)
        if self.interview == "review":
            t0 = time.perf_counter()
            last = "Finish" in (await next_button.first.inner_text())
            await next_button.first.click()
            if last:
                await page.get_by_role("button", name="New interview").click()
                self.stats.finished += 1
                self.interview = "setup"
            else:
                await expect(answer_box).to_be_visible()
                await expect(grade).to_have_count(0)
                self.interview = "answer"
            self.stats.ok("navigate", time.perf_counter() - t0)
        if self.interview == "setup":
            start = page.get_by_role("button", name="Start the interview")
            t0 = time.perf_counter()
            await start.click()
            await expect(answer_box).to_be_visible()
            self.stats.ok("navigate", time.perf_counter() - t0)
            self.interview = "answer"
        if self.interview == "answer":
            await answer_box.fill(ANSWER)
            t0 = time.perf_counter()
            await page.get_by_role("button", name="Submit answer").click()
            await expect(grade.first).to_be_visible(timeout=self.timeout_ms)
            took = time.perf_counter() - t0
            await expect(follow_box.or_(next_button).first).to_be_visible()
            self.interview = "follow" if await follow_box.count() else "review"
            return took
        await follow_box.fill(ANSWER)  # "follow"
        self.stats.follow_ups += 1
        t0 = time.perf_counter()
        await page.get_by_role("button", name="Submit follow-up").click()
        await expect(follow_grade.first).to_be_visible(timeout=self.timeout_ms)
        took = time.perf_counter() - t0
        await expect(next_button.first).to_be_visible()
        self.interview = "review"
        return took

    async def act(self, kind: str, i: int) -> None:
        try:
            if kind == "chat":
                took = await self.chat(*CHAT[(self.sid + i) % len(CHAT)])
            elif kind == "library":
                took = await self.library(*LIBRARY[(self.sid + i) % len(LIBRARY)])
            else:
                took = await self.interview_answer()
            await self.check()
            self.stats.ok(kind, took)
        except Exception as exc:
            self.stats.fail(kind, exc, self.sid)
            await self.open()  # a fresh session: the old page's state is unknown


KINDS = ("chat", "library", "interview")


async def run_session(browser, url: str, sid: int, rounds: int, stats: Stats, timeout_ms: int) -> None:
    s = Session(browser, url, sid, stats, timeout_ms)
    try:
        try:
            await s.open()
        except Exception as exc:
            stats.fail("load", exc, sid)
            await s.open()
        order = KINDS[sid % 3:] + KINDS[:sid % 3]
        for i in range(rounds):
            for kind in order:
                await s.act(kind, i)
    except Exception as exc:  # the page could not even be reopened
        stats.aborted += 1
        stats.fail("session", exc, sid)
    finally:
        await s.close()


async def drive(replicas: list[Replica], sessions: int, rounds: int, timeout_ms: int, deadline_s: float,
                on_sessions=lambda: None) -> dict:
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=min(timeout_ms, 120_000))
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            warm = Stats()
            t0 = time.perf_counter()
            # Warm-up: one session per replica, one of each kind, at once; loads every model in every replica.
            await asyncio.wait_for(asyncio.gather(*(
                run_session(browser, r.url, 1000 + j, 1, warm, timeout_ms) for j, r in enumerate(replicas))),
                timeout=deadline_s)
            warmup_s = time.perf_counter() - t0
            on_sessions()
            stats = Stats()
            t0 = time.perf_counter()
            await asyncio.wait_for(asyncio.gather(*(
                run_session(browser, replicas[i % len(replicas)].url, i, rounds, stats, timeout_ms)
                for i in range(sessions))), timeout=deadline_s)
            return {"stats": stats, "warm": warm, "warmup_s": warmup_s, "wall_s": time.perf_counter() - t0}
        finally:
            await browser.close()


class Usage(threading.Thread):
    """Every `every` seconds, from /proc: the CPU time of the replicas and of this bench's browser (every
    process descending from this one that is not a replica: Playwright's driver, Chromium's processes),
    the browser's RSS, and the whole machine's busy CPU time (other people's work included). CPU counts
    from `reset()` on; a process's time is its last sample (a process that ends between two samples
    loses its last few seconds)."""

    def __init__(self, replica_pids: set[int], every: float = 2.0):
        super().__init__(name="usage-sampler", daemon=True)
        self.replica_pids, self.every, self.done = replica_pids, every, threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")
        self.page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        self.lock = threading.Lock()
        self.browser_rss_peak = 0.0
        self.reset()

    @staticmethod
    def _machine_busy() -> int:
        parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(parts) - parts[3] - parts[4]  # all but idle and iowait

    def reset(self) -> None:
        with self.lock:
            self.base: dict[int, int] = {}
            self.last: dict[int, int] = {}
            self.owner: dict[int, int] = {}  # pid -> the replica it belongs to, or this bench's pid
            self.first = True
            self.machine0 = self._machine_busy()
            self.machine1 = self.machine0
            self.t0 = self.t1 = time.monotonic()
        self.sample()

    def sample(self) -> None:
        procs = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                rest = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            procs[int(stat.parent.name)] = (int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[21]))
        me, browser_rss = os.getpid(), 0.0
        with self.lock:
            for pid, (_ppid, ticks, rss_pages) in procs.items():
                p, hops = pid, 0
                while p not in (0, me) and p not in self.replica_pids and p in procs and hops < 64:
                    p, hops = procs[p][0], hops + 1
                if p in self.replica_pids or p == me:
                    if self.first:
                        self.base[pid] = ticks
                    self.last[pid] = ticks
                    self.owner[pid] = p
                    if p == me and pid != me:
                        browser_rss += rss_pages * self.page_mb
            self.first = False
            self.machine1, self.t1 = self._machine_busy(), time.monotonic()
            self.browser_rss_peak = max(self.browser_rss_peak, browser_rss)

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.sample()

    def report(self, replica_pids: list[int]) -> dict:
        self.sample()
        with self.lock:
            used = {pid: (t - self.base.get(pid, 0)) / self.tick for pid, t in self.last.items()}
            me = os.getpid()
            # a replica's time (all its threads), its child processes' (if any) with it
            replicas = [round(sum(v for q, v in used.items() if self.owner[q] == pid), 1) for pid in replica_pids]
            browser = sum(v for q, v in used.items() if self.owner[q] == me and q != me)
            return {"replicas": replicas, "browser": round(browser, 1), "bench": round(used.get(me, 0.0), 1),
                    "machine_busy": round((self.machine1 - self.machine0) / self.tick, 1),
                    "machine_capacity": round((self.t1 - self.t0) * (os.cpu_count() or 1), 1)}


def run(n_replicas: int, args, tmp: Path) -> dict:
    index = Path(args.index).resolve()
    note = []
    with contextlib.ExitStack() as stack:
        if args.db:
            db, db_kind = args.db, "postgresql" if args.db.startswith("postgres") else "sqlite"
        elif n_replicas == 1:
            db, db_kind = str(tmp / f"progress-{n_replicas}.sqlite"), "sqlite"
        else:
            db, db_kind = str(tmp / f"progress-{n_replicas}.sqlite"), "sqlite"
            try:
                url = stack.enter_context(postgres_server(tmp / f"pg-{n_replicas}"))
            except PostgresUnavailable as exc:
                note.append(f"no PostgreSQL ({exc}); the replicas share one SQLite file")
            else:
                works, why = postgres_progress_works(url)
                if works:
                    db, db_kind = url, "postgresql"
                else:
                    note.append(f"tutor/progress.py does not keep progress in PostgreSQL yet ({why}); the "
                                f"replicas share one SQLite file instead")
        threads = args.threads or max(1, (os.cpu_count() or 1) // n_replicas)
        replicas: list[Replica] = []
        stack.callback(lambda: [r.stop() for r in replicas])
        t0 = time.perf_counter()
        for j in range(n_replicas):
            replicas.append(start_replica(index, db, threads, tmp / f"replica-{n_replicas}-{j}.log"))
        for r in replicas:
            wait_healthy(r)
        start_s = time.perf_counter() - t0
        load_before = os.getloadavg()[0]
        sampler = MemorySampler(replicas)
        sampler.start()
        stack.callback(sampler.done.set)
        usage = Usage({r.proc.pid for r in replicas})
        usage.start()
        stack.callback(usage.done.set)
        result = asyncio.run(drive(replicas, args.sessions, args.rounds, int(args.action_timeout_s * 1000),
                                   args.deadline_s, on_sessions=usage.reset))
        cpu = usage.report([r.proc.pid for r in replicas])
        stats: Stats = result["stats"]
        actions = {}
        for kind in ("chat", "library", "interview", "navigate", "load"):
            times = stats.times.get(kind, [])
            actions[kind] = {"p50_s": percentile(times, 0.5), "p95_s": percentile(times, 0.95),
                             "max_s": round(max(times), 3) if times else None, "n": len(times),
                             "errors": stats.errors.get(kind, 0), "timeouts": stats.timeouts.get(kind, 0)}
        actions["interview"].update(follow_ups=stats.follow_ups, interviews_finished=stats.finished)
        done = sum(len(stats.times.get(k, [])) for k in KINDS)
        out = {
            "replicas": n_replicas, "sessions": args.sessions, "rounds": args.rounds,
            "actions": actions,
            "replica_rss_mb": [r.rss_peak for r in replicas],
            "replica_rss_mb_end": [r.rss_last for r in replicas],
            "errors": sum(stats.errors.values()),
            "timeouts": sum(stats.timeouts.values()),
            "sessions_aborted": stats.aborted,
            "error_samples": stats.samples,
            "wall_s": round(result["wall_s"], 1),
            "actions_per_s": round(done / result["wall_s"], 3) if result["wall_s"] else None,
            "replica_start_s": round(start_s, 1),
            "warmup_s": round(result["warmup_s"], 1),
            "warmup_errors": sum(result["warm"].errors.values()),
            "db": db_kind,
            "db_attempts": db_count(db, "SELECT count(*) FROM attempts"),
            "graded_answers_ok": len(stats.times.get("interview", [])) + len(result["warm"].times.get("interview", [])),
            "threads_per_replica": threads,
            "server_tracebacks": sum(r.tracebacks() for r in replicas),
            # Summed over Playwright's and Chromium's processes: shared pages count once per process.
            "browser_rss_mb_peak": round(usage.browser_rss_peak, 1),
            # CPU seconds during the sessions (after the warm-up): each replica, this bench's browser,
            # the bench itself, the whole machine (others' work included), and cores × wall seconds.
            "cpu_s": cpu,
            "balancer": BALANCER,
            "llm": "none (extractive)",
            "cpu_count": os.cpu_count(),
            # The machine's 1-minute load average before and after the sessions (others' work included).
            "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "note": "; ".join(note) or None,
        }
        if out["server_tracebacks"]:
            out["server_log_tail"] = replicas[0].log.read_text(errors="replace")[-1500:]
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2], choices=[1, 2],
                        help="replica counts to run, in sequence (default: 1 2)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of chat + library + interview per session")
    parser.add_argument("--index", default=str(DEFAULT_INDEX),
                        help="index folder (default .cache/seed-index, built from the seed bank when missing)")
    parser.add_argument("--db", default=None, help="a postgresql:// URL or SQLite file for every run "
                        "(default: SQLite for 1 replica, a throwaway PostgreSQL for 2)")
    parser.add_argument("--threads", type=int, default=0, help="TUTOR_THREADS per replica (default: cores / replicas)")
    parser.add_argument("--action-timeout-s", type=float, default=300.0, help="bound on each wait")
    parser.add_argument("--deadline-s", type=float, default=3600.0, help="bound on one run's sessions")
    args = parser.parse_args()
    if args.sessions < 1 or args.rounds < 1:
        parser.error("--sessions and --rounds must be positive")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored (`cmd &`)
    ensure_index(Path(args.index))
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        for n in args.replicas:
            print(json.dumps(run(n, args, tmp)), flush=True)
    except KeyboardInterrupt:
        print("bench/load.py: interrupted; servers, database and browser stopped", file=sys.stderr)
        sys.exit(130)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
