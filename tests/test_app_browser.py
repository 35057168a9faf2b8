"""The app in a real browser: `streamlit run app.py` as a subprocess, driven by Debian's headless Chromium
through Playwright (executable_path=/usr/bin/chromium; `playwright install` is never used).

scripts/setup.sh installs chromium (apt, when root) and playwright (pip). These tests fail — not skip —
when either is missing, unless TUTOR_SKIP_BROWSER=1 says so explicitly. Every wait is bounded; the
server is stopped in the fixture's teardown.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real subprocesses, the seed index, models

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "bank"
CACHE = ROOT / ".cache" / "test-embeddings"
CHROMIUM = os.environ.get("TUTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
START_TIMEOUT_S = 180
ANSWER_TIMEOUT_MS = 240_000  # bounds, not expectations: the first answer loads the models
STEP_TIMEOUT_MS = 60_000


def _require_browser() -> None:
    if os.environ.get("TUTOR_SKIP_BROWSER") == "1":
        pytest.skip("TUTOR_SKIP_BROWSER=1")
    problems = []
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"{CHROMIUM} not found (apt-get install chromium chromium-driver; scripts/setup.sh does it)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        problems.append("playwright is not installed (pip install playwright; scripts/setup.sh does it)")
    if problems:
        pytest.fail("browser tests need: " + "; ".join(problems) + " — or set TUTOR_SKIP_BROWSER=1", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout_s}s")


@pytest.fixture(scope="module")
def bank_index(tmp_path_factory) -> Path:
    from ingest.pipeline import ingest
    from tutor.config import get_settings

    dest = tmp_path_factory.mktemp("browser-index") / "index"
    ingest([BANK], dest, settings=get_settings(cache=CACHE, threads=2), rebuild=True)
    return dest


def serve(index: Path, tmp_path_factory, db: Path | str | None = None, extra_env: dict | None = None):
    """`streamlit run app.py` on a free port over `index` (TUTOR_LLM=none; db: a SQLite file or a
    postgresql:// URL); yields its URL and stops it afterwards (the server's log must hold no traceback)."""
    _require_browser()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("streamlit-log") / "server.log"
    db = db or tmp_path_factory.mktemp("browser-db") / "progress.sqlite"
    env = {**os.environ, "TUTOR_INDEX": str(index), "TUTOR_LLM": "none", "TUTOR_CACHE": str(CACHE),
           "TUTOR_DB": str(db), "TUTOR_THREADS": "2", "TUTOR_SPEECH_API_BASE": "",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
           **(extra_env or {})}
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [streamlit, "run", "app.py", "--server.headless", "true", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_healthy(url, proc, START_TIMEOUT_S)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-4000:]


@pytest.fixture(scope="module")
def server(bank_index, tmp_path_factory):
    yield from serve(bank_index, tmp_path_factory)


@pytest.fixture
def upload_server(bank_index, tmp_path_factory):
    """A server of its own over a copy of the bank index, for a test that changes the index."""
    index = tmp_path_factory.mktemp("upload-index") / "index"
    shutil.copytree(bank_index, index)
    for url in serve(index, tmp_path_factory):
        yield url, index


def launch(p, *extra_args: str):
    return p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True)


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, f"{path} is not a real screenshot"


def open_app(browser, url: str):
    """A page on the app, once its chat box shows: (page, the chat box)."""
    from playwright.sync_api import expect

    # A Browser, or a BrowserContext (its own headers, cookies) that sets its viewport itself.
    page = (browser.new_page(viewport={"width": 1280, "height": 900}) if hasattr(browser, "new_context")
            else browser.new_page())
    page.set_default_timeout(STEP_TIMEOUT_MS)
    # expect() keeps its own 5 s default: on 2 busy cores a page switch can rerun the script for longer
    # (CI, a84a623: the Library page's uploader not yet drawn 5 s after the click).
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=START_TIMEOUT_S * 1000)
    return page, box


def grade_one_answer(page, text: str, timeout_ms: int = ANSWER_TIMEOUT_MS) -> None:
    """Start a mock interview from the sidebar and have one answer graded (its grade shown)."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebar").get_by_text("Mock interview", exact=True).click()
    start = page.get_by_role("button", name="Start the interview")
    expect(start).to_be_visible()
    start.click()
    answer = page.get_by_label("Your answer", exact=True)
    expect(answer).to_be_visible()
    answer.fill(text)
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_test_id("stMetric").filter(has_text="Grade").first).to_be_visible(timeout=timeout_ms)


def test_chat_citation_and_interview_in_a_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page, box = open_app(browser, server)
            # Ask; the streamed answer appears with its citations.
            box.fill("What is overfitting and how can you prevent it?")
            box.press("Enter")
            assistant = page.get_by_test_id("stChatMessage").nth(1)
            expect(assistant).to_contain_text("question bank says", timeout=ANSWER_TIMEOUT_MS)
            card = page.get_by_test_id("stExpander").filter(has_text="What is overfitting and how can you prevent it")
            expect(card.first).to_be_visible()
            card.first.locator("summary").click()
            expect(card.first).to_contain_text("validation error")
            expect(card.first).to_contain_text("ml_fundamentals.md, line")
            page.screenshot(path=str(shots / "chat.png"), full_page=True)

            # One interview turn.
            grade_one_answer(page, "A model that memorises noise in the training data; use more data, "
                                   "regularization, dropout, early stopping and a validation set.")
            expect(page.get_by_test_id("stMetric").filter(has_text="Running score")).not_to_contain_text("—")
            page.screenshot(path=str(shots / "interview.png"), full_page=True)
            assert page.get_by_test_id("stException").count() == 0
        finally:
            browser.close()
    for name in ("chat.png", "interview.png"):
        assert_png(shots / name)
    keep = os.environ.get("TUTOR_SCREENSHOTS")  # a folder to keep the screenshots in, for a human to look
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for png in shots.glob("*.png"):
            shutil.copy(png, Path(keep) / png.name)


QUESTIONS = {
    "What is the bias-variance tradeoff?": "bias-variance",
    "What is the difference between supervised and unsupervised learning?": "unsupervised",
    "How does k-fold cross-validation work and why use it?": "cross-validation",
    "What is the difference between L1 and L2 regularization?": "L1 and L2",
    "How does a random forest differ from gradient boosting?": "random forest",
    "How does batch normalization help train deep networks?": "batch normalization",
    "What does the ROC curve show, and what does AUC measure?": "ROC curve",
    "What is a confusion matrix?": "confusion matrix",
    "What is a generator in Python and why use one?": "generator",
    "How does k-means clustering work?": "k-means",
}


def test_ten_sessions_at_once_keep_their_own_state(server, tmp_path):
    from playwright.async_api import async_playwright, expect

    async def one(browser, question: str, expected: str) -> tuple[str, str, int]:
        context = await browser.new_context(viewport={"width": 1100, "height": 800})
        try:
            page = await context.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            await page.goto(server, wait_until="domcontentloaded")
            box = page.get_by_test_id("stChatInputTextArea")
            await expect(box).to_be_visible(timeout=START_TIMEOUT_S * 1000)
            await box.fill(question)
            await box.press("Enter")
            messages = page.get_by_test_id("stChatMessage")
            await expect(messages.nth(1)).to_contain_text(expected, timeout=ANSWER_TIMEOUT_MS)
            await expect(page.get_by_test_id("stExpander").filter(has_text=expected).first).to_be_visible()
            user = await messages.nth(0).inner_text()
            count = await messages.count()
            exceptions = await page.get_by_test_id("stException").count()
            if question == next(iter(QUESTIONS)):
                await page.screenshot(path=str(tmp_path / "session0.png"), full_page=True)
            return user, await messages.nth(1).inner_text(), count + 100 * exceptions
        finally:
            await context.close()

    async def main():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                return await asyncio.wait_for(
                    asyncio.gather(*(one(browser, q, e) for q, e in QUESTIONS.items())), timeout=600)
            finally:
                await browser.close()

    results = asyncio.run(main())
    for (question, _expected), (user, _answer, count) in zip(QUESTIONS.items(), results, strict=True):
        assert user.strip().endswith(question), (question, user)  # its own question, no one else's
        assert count == 2, f"{question!r}: {count} messages (other sessions' turns leaked, or an exception)"
    assert_png(tmp_path / "session0.png")
    keep = os.environ.get("TUTOR_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "session0.png", Path(keep) / "session0.png")


UPLOADS = ROOT / "tests" / "fixtures" / "uploads"


def test_upload_a_csv_and_a_pdf_then_ask_about_one(upload_server, tmp_path):
    """Library: drop a CSV and a PDF, add them, see the report per file; Chat: ask one of the PDF's
    questions and open its citation (the PDF and page); Library: remove the CSV again."""
    from playwright.sync_api import expect, sync_playwright

    url, index = upload_server
    csv, pdf = UPLOADS / "time_series.csv", UPLOADS / "reinforcement_learning.pdf"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page, _ = open_app(browser, url)
            page.get_by_test_id("stSidebar").get_by_text("Library", exact=True).click()
            uploader = page.get_by_test_id("stFileUploader")
            expect(uploader).to_be_visible()
            uploader.locator("input[type=file]").set_input_files([str(csv), str(pdf)])
            for f in (csv, pdf):  # the uploader lists each chosen file (long names shortened), with its own ✕
                expect(uploader.get_by_role("button", name=f"Remove {f.name}", exact=True)).to_be_visible()
            add = page.get_by_role("button", name="Add to the index")
            expect(add).to_be_enabled()
            add.click()
            report = page.get_by_test_id("stMarkdown").filter(has_text="added: 4 records")
            expect(report.filter(has_text=csv.name)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
            expect(report.filter(has_text=pdf.name)).to_be_visible()
            expect(page.get_by_test_id("stSidebar")).to_contain_text("sources")
            page.screenshot(path=str(shots / "upload.png"), full_page=True)

            page.get_by_test_id("stSidebar").get_by_text("Chat", exact=True).click()
            box = page.get_by_test_id("stChatInputTextArea")
            expect(box).to_be_visible()
            box.fill("What does the discount factor gamma control?")
            box.press("Enter")
            assistant = page.get_by_test_id("stChatMessage").nth(1)
            expect(assistant).to_contain_text("question bank says", timeout=ANSWER_TIMEOUT_MS)
            card = page.get_by_test_id("stExpander").filter(has_text="What does the discount factor gamma control")
            expect(card.first).to_be_visible()
            card.first.locator("summary").click()
            expect(card.first).to_contain_text("future rewards")
            expect(card.first).to_contain_text(f"{pdf.name}, page 1")
            page.screenshot(path=str(shots / "upload-chat.png"), full_page=True)

            page.get_by_test_id("stSidebar").get_by_text("Library", exact=True).click()
            page.get_by_role("button", name=f"Remove {csv.name} from the index").click()
            expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(f"Removed {csv.name}")
            # The CSV's button gone means the rerun is drawn: until then Streamlit keeps the stale page's
            # elements beside the new ones, and the PDF's button shows twice (CI, 2d1050d).
            expect(page.get_by_role("button", name=f"Remove {csv.name} from the index")).to_have_count(0)
            expect(page.get_by_role("button", name=f"Remove {pdf.name} from the index")).to_have_count(1)
            expect(page.get_by_role("button", name=f"Remove {pdf.name} from the index")).to_be_visible()
            assert page.get_by_test_id("stException").count() == 0
        finally:
            browser.close()
    from tutor.store import read_records

    assert {r.source for r in read_records(index)} >= {pdf.name} and csv.name not in {
        r.source for r in read_records(index)}
    for name in ("upload.png", "upload-chat.png"):
        assert_png(shots / name)
    keep = os.environ.get("TUTOR_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for png in shots.glob("*.png"):
            shutil.copy(png, Path(keep) / png.name)


@pytest.fixture
def voice_server(bank_index, tmp_path_factory):
    """A server of its own whose progress database the test reads afterwards."""
    db = tmp_path_factory.mktemp("voice-db") / "progress.sqlite"
    for url in serve(bank_index, tmp_path_factory, db=db):
        yield url, db


def test_a_spoken_answer_is_transcribed_corrected_and_graded(voice_server, speech_clips, tmp_path):
    """Mock interview: Chromium's fake microphone plays one of our espeak-ng clips into st.audio_input;
    the transcript lands in the answer box, is corrected, graded, shown with delivery notes and saved."""
    import sqlite3

    from playwright.sync_api import expect, sync_playwright

    url, db = voice_server
    clip = speech_clips[0]  # en-01: overfitting, with one "um"
    with sync_playwright() as p:
        # The fake device plays the clip once (%noloop) as the microphone; no permission prompt.
        browser = launch(p, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                         f"--use-file-for-fake-audio-capture={clip.wav}%noloop")
        try:
            page, _ = open_app(browser, url)
            page.get_by_test_id("stSidebar").get_by_text("Mock interview", exact=True).click()
            language = page.get_by_test_id("stSelectbox").filter(has_text="Language")
            expect(language).to_be_visible()
            language.click()
            page.get_by_role("option", name="en", exact=True).click()
            page.get_by_role("button", name="Start the interview").click()
            mic = page.get_by_test_id("stAudioInput")
            expect(mic).to_be_visible()
            mic.get_by_role("button", name="Record").click()
            stop = mic.get_by_role("button", name="Stop recording")
            expect(stop).to_be_visible()
            time.sleep(clip_seconds(clip.wav) + 1.0)  # let the whole clip play into the recorder
            stop.click()
            answer = page.get_by_label("Your answer", exact=True)
            expect(answer).to_have_value(re.compile("overfitting", re.IGNORECASE), timeout=ANSWER_TIMEOUT_MS)
            heard = answer.input_value()
            corrected = heard.replace("trading", "training") + " Data augmentation helps too."  # the candidate edits
            answer.fill(corrected)
            page.get_by_role("button", name="Submit answer").click()
            expect(page.get_by_test_id("stMetric").filter(has_text="Grade")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
            notes = page.get_by_text("Delivery (not part of the score)")
            expect(notes).to_be_visible()
            expect(notes).to_contain_text("words/min")
            page.screenshot(path=str(tmp_path / "voice.png"), full_page=True)
            assert page.get_by_test_id("stException").count() == 0
        finally:
            browser.close()
    assert_png(tmp_path / "voice.png")
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT answer, transcript, delivery FROM attempts WHERE transcript IS NOT NULL").fetchall()
    finally:
        conn.close()
    assert len(rows) == 1
    saved_answer, transcript, delivery = rows[0]
    assert saved_answer == corrected.strip() and transcript == heard.strip()
    notes = json.loads(delivery)
    assert notes["words"] > 30 and 80 < notes["wpm"] < 260 and notes["speaking_s"] > 10


def clip_seconds(wav: Path) -> float:
    import wave

    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()
